//! The agent's event subscription: `PSUBSCRIBE */event/*` as the anonymous Redis user, and
//! the module's handler run for every message, as the Go agent does.

use crate::agent::{Agent, EventResult};
use crate::redis_server::RedisHandle;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Name of the event the listener publishes to itself to know it is subscribed.
const PROBE_EVENT: &str = "e2e-harness-probe";

type Records = Arc<(Mutex<Vec<EventResult>>, Condvar)>;

/// The running subscription (it ends when the Redis server goes away).
pub struct EventListener {
    records: Records,
}

impl EventListener {
    /// Subscribes and returns once the subscription receives messages.
    pub fn start(redis: RedisHandle, agent: Arc<Agent>) -> EventListener {
        let records: Records = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
        let shared = records.clone();
        let subscriber = redis.clone();
        std::thread::spawn(move || {
            let mut connection = subscriber.anonymous();
            let mut pubsub = connection.as_pubsub();
            if pubsub.psubscribe("*/event/*").is_err() {
                return;
            }
            while let Ok(message) = pubsub.get_message() {
                let channel = message.get_channel_name().to_string();
                let payload: String = message.get_payload().unwrap_or_default();
                let Some((source, name)) = channel.split_once("/event/") else {
                    continue;
                };
                let (source, name) = (source.to_string(), name.to_string());
                let agent = agent.clone();
                let shared = shared.clone();
                std::thread::spawn(move || {
                    let result = agent.run_event(&name, &source, &payload);
                    let (list, changed) = &*shared;
                    list.lock().unwrap().push(result);
                    changed.notify_all();
                });
            }
        });
        let listener = EventListener { records };
        let begin = Instant::now();
        loop {
            redis.publish(&format!("harness/event/{PROBE_EVENT}"), "{}");
            if listener
                .find(0, "harness", PROBE_EVENT, "{}", Duration::from_millis(200))
                .is_some()
            {
                return listener;
            }
            assert!(
                begin.elapsed() < Duration::from_secs(10),
                "the event subscription never received a message"
            );
        }
    }

    /// Every handler run so far.
    pub fn handled(&self) -> Vec<EventResult> {
        self.records.0.lock().unwrap().clone()
    }

    /// Number of handler runs so far.
    pub fn count(&self) -> usize {
        self.records.0.lock().unwrap().len()
    }

    /// Waits for the run of the handler for (`source`, `name`, `payload`) recorded at
    /// index `from` or later.
    pub fn find(
        &self,
        from: usize,
        source: &str,
        name: &str,
        payload: &str,
        limit: Duration,
    ) -> Option<EventResult> {
        let (list, changed) = &*self.records;
        let begin = Instant::now();
        let mut records = list.lock().unwrap();
        loop {
            let found = records
                .iter()
                .skip(from)
                .find(|r| r.source == source && r.name == name && r.payload == payload);
            if let Some(found) = found {
                return Some(found.clone());
            }
            let left = limit.checked_sub(begin.elapsed())?;
            records = changed.wait_timeout(records, left).unwrap().0;
        }
    }
}
