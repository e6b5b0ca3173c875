//! `FaultProxy`: a TCP proxy on 127.0.0.1 in front of an IMAP server that breaks the
//! server-to-client stream at seeded random points, for reliability tests.
//!
//! A faulty run draws one fault (drop, stall or cut) and one byte offset from its seed. The
//! offset counts the server bytes of every connection of the run together, so the fault fires
//! whichever connection carries that byte. From then on the link is down: the run's other open
//! connections break the same way at their next server read, and each new connection of the
//! run gets its own fault within its first [`OUTAGE_SPAN`] bytes, so reconnecting does not
//! help. Bytes that answer a `LOGOUT` are never faulted (a client cannot notice a fault
//! there). The same seed and span always give the same faults. A flaky run instead breaks
//! every connection once it has carried a fixed number of server bytes.
//!
//! ```no_run
//! use testkit::fault_proxy::FaultProxy;
//! use std::time::Duration;
//!
//! let proxy = FaultProxy::start("127.0.0.1:143".parse().unwrap(), Duration::from_secs(30))?;
//! proxy.begin_faulty_run(7, 200_000);
//! // ... a client connects to 127.0.0.1:<proxy.port()> ...
//! let fired = proxy.events();
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Connections opened during an outage fault within this many server bytes.
pub const OUTAGE_SPAN: u64 = 512;

/// Largest read forwarded at once.
const CHUNK: usize = 16 * 1024;

/// What a fault does to its connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultKind {
    /// Both sides reset (TCP RST): the client's next read fails with "connection reset".
    Drop,
    /// Nothing more forwarded either way; both sockets stay open until the client closes its
    /// side (or the proxy's stall limit passes).
    Stall,
    /// Both sides closed (FIN) in the middle of a server read: the client sees the stream
    /// end in the middle of a response.
    Cut,
}

impl FaultKind {
    fn from_roll(roll: u64) -> FaultKind {
        match roll % 3 {
            0 => FaultKind::Drop,
            1 => FaultKind::Stall,
            _ => FaultKind::Cut,
        }
    }
}

/// A fault that fired.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultEvent {
    /// The faulty run, counted from 0 in the order they began.
    pub run: u64,
    /// The connection within the run, counted from 0 in accept order.
    pub connection: u64,
    pub kind: FaultKind,
    /// Server bytes forwarded before the fault: of the whole run for its first fault, of the
    /// connection for the outage faults after it.
    pub offset: u64,
    /// True for the run's first fault, false for the outage that follows.
    pub first: bool,
}

/// SplitMix64: a small seeded generator, the same on every platform.
struct FaultRng(u64);

impl FaultRng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// The first fault of a run with this seed and span: its kind and its offset in the run's
/// server bytes (below `span`).
pub fn first_fault(seed: u64, span: u64) -> (FaultKind, u64) {
    let mut rng = FaultRng(seed);
    let kind = FaultKind::from_roll(rng.next());
    (kind, rng.below(span))
}

/// A faulty run in progress.
struct FaultyRun {
    number: u64,
    rng: FaultRng,
    kind: FaultKind,
    offset: u64,
    /// Server bytes forwarded so far by the connections that share the run's fault.
    forwarded: u64,
    fired: bool,
    connections: u64,
}

/// A flaky link: every connection breaks after the same number of server bytes.
struct FlakyRun {
    number: u64,
    kind: FaultKind,
    every: u64,
    connections: u64,
}

enum Mode {
    Clean,
    Throttled(u64),
    Faulty(FaultyRun),
    Flaky(FlakyRun),
}

struct State {
    mode: Mode,
    runs: u64,
    events: Vec<FaultEvent>,
}

/// How one connection's server stream is treated.
enum Policy {
    Pass {
        bytes_per_sec: Option<u64>,
    },
    /// Carries the run's first fault (until another connection fires it).
    Shared {
        run: u64,
        connection: u64,
    },
    /// An outage connection with its own fault.
    Own {
        run: u64,
        connection: u64,
        kind: FaultKind,
        offset: u64,
    },
}

/// What to do with one read from the server.
enum Step {
    Forward,
    Fault { kind: FaultKind, keep: usize },
}

/// The proxy; stops accepting when dropped.
pub struct FaultProxy {
    port: u16,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

impl FaultProxy {
    /// Listens on a free 127.0.0.1 port and forwards every connection to `target`, cleanly
    /// until a faulty run begins. A stalled connection is closed after `stall_limit` if its
    /// client has not given up by then.
    pub fn start(target: SocketAddr, stall_limit: Duration) -> std::io::Result<FaultProxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let state = Arc::new(Mutex::new(State {
            mode: Mode::Clean,
            runs: 0,
            events: Vec::new(),
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let acceptor = {
            let (state, stop) = (state.clone(), stop.clone());
            std::thread::spawn(move || {
                for client in listener.incoming() {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let Ok(client) = client else { continue };
                    let policy = admit(&state);
                    match TcpStream::connect(target) {
                        Ok(server) => serve(client, server, policy, state.clone(), stall_limit),
                        Err(_) => drop(client),
                    }
                }
            })
        };
        Ok(FaultProxy {
            port,
            state,
            stop,
            acceptor: Some(acceptor),
        })
    }

    /// The port clients connect to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Forwards new connections untouched.
    pub fn clean(&self) {
        lock(&self.state).mode = Mode::Clean;
    }

    /// Forwards new connections at most `bytes_per_sec` bytes per second each way.
    pub fn throttle(&self, bytes_per_sec: u64) {
        lock(&self.state).mode = Mode::Throttled(bytes_per_sec.max(1));
    }

    /// Starts a faulty run: new connections share one fault drawn from `seed`, at an offset
    /// below `span` of their server bytes; returns the run's number.
    pub fn begin_faulty_run(&self, seed: u64, span: u64) -> u64 {
        let mut state = lock(&self.state);
        let number = state.runs;
        state.runs += 1;
        let mut rng = FaultRng(seed);
        let kind = FaultKind::from_roll(rng.next());
        let offset = rng.below(span);
        state.mode = Mode::Faulty(FaultyRun {
            number,
            rng,
            kind,
            offset,
            forwarded: 0,
            fired: false,
            connections: 0,
        });
        number
    }

    /// Starts a flaky run: from now on every new connection breaks with `kind` once it has
    /// forwarded `every` server bytes (LOGOUT answers aside); returns the run's number.
    pub fn begin_flaky_run(&self, kind: FaultKind, every: u64) -> u64 {
        let mut state = lock(&self.state);
        let number = state.runs;
        state.runs += 1;
        state.mode = Mode::Flaky(FlakyRun {
            number,
            kind,
            every,
            connections: 0,
        });
        number
    }

    /// The current faulty run's fault offset and the server bytes its connections have
    /// forwarded towards it (all of them, LOGOUT answers aside, while it has not fired).
    pub fn run_progress(&self) -> Option<(u64, u64)> {
        match &lock(&self.state).mode {
            Mode::Faulty(run) => Some((run.offset, run.forwarded)),
            _ => None,
        }
    }

    /// Every fault fired so far, in firing order.
    pub fn events(&self) -> Vec<FaultEvent> {
        lock(&self.state).events.clone()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// The policy of a newly accepted connection.
fn admit(state: &Mutex<State>) -> Policy {
    let mut state = lock(state);
    match &mut state.mode {
        Mode::Clean => Policy::Pass {
            bytes_per_sec: None,
        },
        Mode::Throttled(rate) => Policy::Pass {
            bytes_per_sec: Some(*rate),
        },
        Mode::Faulty(run) => {
            let connection = run.connections;
            run.connections += 1;
            if run.fired {
                let kind = FaultKind::from_roll(run.rng.next());
                Policy::Own {
                    run: run.number,
                    connection,
                    kind,
                    offset: run.rng.below(OUTAGE_SPAN),
                }
            } else {
                Policy::Shared {
                    run: run.number,
                    connection,
                }
            }
        }
        Mode::Flaky(run) => {
            let connection = run.connections;
            run.connections += 1;
            Policy::Own {
                run: run.number,
                connection,
                kind: run.kind,
                offset: run.every,
            }
        }
    }
}

/// Bytes of a `count`-byte read forwarded before a fault that fires `into` bytes into it.
fn kept(into: u64, count: usize) -> usize {
    usize::try_from(into).unwrap_or(count).min(count)
}

/// Decides the fate of a `count`-byte server read on a connection that has forwarded `own`
/// bytes so far; records a fault that fires.
fn step(state: &Mutex<State>, policy: &mut Policy, own: u64, count: usize) -> Step {
    let mut state = lock(state);
    let state = &mut *state;
    match policy {
        Policy::Pass { .. } => Step::Forward,
        Policy::Shared { run, connection } => {
            let Mode::Faulty(current) = &mut state.mode else {
                return Step::Forward;
            };
            if current.number != *run {
                *policy = Policy::Pass {
                    bytes_per_sec: None,
                };
                return Step::Forward;
            }
            if current.fired {
                // The link is down: a connection opened before the fault breaks at its next
                // read too, the same way.
                state.events.push(FaultEvent {
                    run: *run,
                    connection: *connection,
                    kind: current.kind,
                    offset: own,
                    first: false,
                });
                return Step::Fault {
                    kind: current.kind,
                    keep: 0,
                };
            }
            if current.forwarded + count as u64 <= current.offset {
                current.forwarded += count as u64;
                return Step::Forward;
            }
            let keep = kept(current.offset - current.forwarded, count);
            current.fired = true;
            state.events.push(FaultEvent {
                run: *run,
                connection: *connection,
                kind: current.kind,
                offset: current.forwarded + keep as u64,
                first: true,
            });
            Step::Fault {
                kind: current.kind,
                keep,
            }
        }
        Policy::Own {
            run,
            connection,
            kind,
            offset,
        } => {
            if own + count as u64 <= *offset {
                return Step::Forward;
            }
            let keep = kept(*offset - own, count);
            state.events.push(FaultEvent {
                run: *run,
                connection: *connection,
                kind: *kind,
                offset: own + keep as u64,
                first: false,
            });
            Step::Fault { kind: *kind, keep }
        }
    }
}

/// Flags shared by the two directions of one connection.
#[derive(Default)]
struct Link {
    /// The client sent LOGOUT: what follows is its goodbye, never faulted.
    leaving: AtomicBool,
    /// A stall fired: nothing more is forwarded.
    stalled: AtomicBool,
    /// The client closed its side or the connection is over.
    closed: AtomicBool,
    /// A drop fired: the sockets are reset when their last descriptor closes.
    reset: AtomicBool,
}

fn close_both(client: &TcpStream, server: &TcpStream) {
    let _ = client.shutdown(Shutdown::Both);
    let _ = server.shutdown(Shutdown::Both);
}

/// Makes the last close of both sockets send a TCP RST, and wakes the other direction's
/// reader without sending anything.
fn reset_both(client: &TcpStream, server: &TcpStream, link: &Link) {
    let abort = nix::libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    for stream in [client, server] {
        let _ = nix::sys::socket::setsockopt(stream, nix::sys::socket::sockopt::Linger, &abort);
    }
    link.reset.store(true, Ordering::SeqCst);
    let _ = client.shutdown(Shutdown::Read);
}

/// Forwards one connection on two threads.
fn serve(
    client: TcpStream,
    server: TcpStream,
    policy: Policy,
    state: Arc<Mutex<State>>,
    stall_limit: Duration,
) {
    let (Ok(client2), Ok(server2)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    let rate = match policy {
        Policy::Pass { bytes_per_sec } => bytes_per_sec,
        _ => None,
    };
    let link = Arc::new(Link::default());
    let upstream = link.clone();
    std::thread::spawn(move || client_to_server(client2, server2, &upstream, rate));
    std::thread::spawn(move || {
        server_to_client(client, server, policy, &state, &link, rate, stall_limit)
    });
}

fn mentions_logout(bytes: &[u8]) -> bool {
    bytes
        .windows(8)
        .any(|w| w.eq_ignore_ascii_case(b" LOGOUT\r"))
}

fn client_to_server(mut client: TcpStream, mut server: TcpStream, link: &Link, rate: Option<u64>) {
    let mut buffer = vec![0u8; chunk_for(rate)];
    loop {
        let count = match client.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(count) => count,
        };
        if link.stalled.load(Ordering::SeqCst) {
            continue;
        }
        if mentions_logout(&buffer[..count]) {
            link.leaving.store(true, Ordering::SeqCst);
        }
        if server.write_all(&buffer[..count]).is_err() {
            break;
        }
        pace(rate, count);
    }
    link.closed.store(true, Ordering::SeqCst);
    if !link.stalled.load(Ordering::SeqCst) && !link.reset.load(Ordering::SeqCst) {
        close_both(&client, &server);
    }
}

fn server_to_client(
    mut client: TcpStream,
    mut server: TcpStream,
    mut policy: Policy,
    state: &Mutex<State>,
    link: &Link,
    rate: Option<u64>,
    stall_limit: Duration,
) {
    let mut buffer = vec![0u8; chunk_for(rate)];
    let mut own = 0u64;
    loop {
        let count = match server.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(count) => count,
        };
        let decision = if link.leaving.load(Ordering::SeqCst) {
            Step::Forward
        } else {
            step(state, &mut policy, own, count)
        };
        match decision {
            Step::Forward => {
                if client.write_all(&buffer[..count]).is_err() {
                    break;
                }
                own += count as u64;
                pace(rate, count);
            }
            Step::Fault { kind, keep } => {
                let _ = client.write_all(&buffer[..keep]);
                match kind {
                    FaultKind::Drop => return reset_both(&client, &server, link),
                    FaultKind::Stall => {
                        link.stalled.store(true, Ordering::SeqCst);
                        let began = Instant::now();
                        while !link.closed.load(Ordering::SeqCst) && began.elapsed() < stall_limit {
                            std::thread::sleep(Duration::from_millis(20));
                        }
                    }
                    FaultKind::Cut => {}
                }
                break;
            }
        }
    }
    close_both(&client, &server);
}

fn chunk_for(rate: Option<u64>) -> usize {
    rate.map_or(CHUNK, |rate| {
        usize::try_from(rate / 20).map_or(CHUNK, |n| n.clamp(1, CHUNK))
    })
}

/// Sleeps as long as `count` bytes take at `rate` bytes per second.
fn pace(rate: Option<u64>, count: usize) {
    if let Some(rate) = rate {
        std::thread::sleep(Duration::from_secs_f64(count as f64 / rate as f64));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server that sends `size` bytes of a known pattern to every client, then closes.
    fn sender(size: usize) -> SocketAddr {
        server(move |mut stream| {
            for piece in pattern(size).chunks(1000) {
                if stream.write_all(piece).is_err() {
                    return;
                }
            }
        })
    }

    /// A loopback server that hands each connection to `serve` on a thread of its own.
    fn server(serve: impl Fn(TcpStream) + Copy + Send + 'static) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                std::thread::spawn(move || serve(stream));
            }
        });
        address
    }

    fn pattern(size: usize) -> Vec<u8> {
        (0..size).map(|i| (i % 251) as u8).collect()
    }

    /// Reads until the end or a 300 ms silence; returns the bytes and whether it ended.
    fn receive(port: u16) -> (Vec<u8>, bool) {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let mut got = Vec::new();
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer) {
                Ok(0) => return (got, true),
                Ok(n) => got.extend_from_slice(&buffer[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return (got, true),
                Err(_) => return (got, false),
            }
        }
    }

    fn seed_for(kind: FaultKind, span: u64) -> u64 {
        (0..).find(|s| first_fault(*s, span).0 == kind).unwrap()
    }

    #[test]
    fn clean_mode_forwards_everything() {
        let proxy = FaultProxy::start(sender(50_000), Duration::from_secs(5)).unwrap();
        let (got, ended) = receive(proxy.port());
        assert!(ended);
        assert_eq!(got, pattern(50_000));
        assert!(proxy.events().is_empty());
    }

    #[test]
    fn each_fault_fires_where_its_seed_says() {
        let span = 40_000;
        for kind in [FaultKind::Drop, FaultKind::Stall, FaultKind::Cut] {
            let proxy = FaultProxy::start(sender(50_000), Duration::from_secs(5)).unwrap();
            let seed = seed_for(kind, span);
            let (_, offset) = first_fault(seed, span);
            assert_eq!(proxy.begin_faulty_run(seed, span), 0);
            let (got, ended) = receive(proxy.port());
            assert_eq!(got[..], pattern(50_000)[..got.len()], "{kind:?}");
            let events = proxy.events();
            assert_eq!(events.len(), 1, "{events:?}");
            let event = &events[0];
            assert_eq!((event.kind, event.first, event.run), (kind, true, 0));
            // A reset may discard bytes the client had not read yet.
            if kind == FaultKind::Drop {
                assert!(got.len() as u64 <= offset);
            } else {
                assert_eq!(got.len() as u64, offset, "{kind:?}");
            }
            assert_eq!(event.offset, offset, "{kind:?}");
            assert_eq!(ended, kind != FaultKind::Stall, "{kind:?}");
        }
    }

    #[test]
    fn after_the_first_fault_every_new_connection_fails_early() {
        let proxy = FaultProxy::start(sender(20_000), Duration::from_secs(5)).unwrap();
        let seed = seed_for(FaultKind::Drop, 1000);
        proxy.begin_faulty_run(seed, 1000);
        for _ in 0..4 {
            let (got, _) = receive(proxy.port());
            assert!(got.len() < OUTAGE_SPAN as usize + 1000, "{}", got.len());
        }
        let events = proxy.events();
        assert_eq!(events.len(), 4, "{events:?}");
        assert!(events[1..]
            .iter()
            .all(|e| !e.first && e.offset < OUTAGE_SPAN));
        proxy.clean();
        assert_eq!(receive(proxy.port()).0.len(), 20_000);
    }

    /// A server that answers every byte it receives with `reply` bytes of the pattern.
    fn answerer(reply: usize) -> SocketAddr {
        server(move |mut stream| {
            let mut byte = [0u8; 1];
            while matches!(stream.read(&mut byte), Ok(1)) {
                if stream.write_all(&pattern(reply)).is_err() {
                    return;
                }
            }
        })
    }

    /// Sends one byte and reads the answer (until `expected` bytes, the end or a silence);
    /// returns the bytes received.
    fn ask(stream: &mut TcpStream, expected: usize) -> usize {
        stream
            .set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        if stream.write_all(b"?").is_err() {
            return 0;
        }
        let mut got = 0;
        let mut buffer = [0u8; 4096];
        while got < expected {
            match stream.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => got += n,
            }
        }
        got
    }

    #[test]
    fn the_first_fault_also_breaks_the_connections_already_open() {
        let proxy = FaultProxy::start(answerer(1000), Duration::from_secs(5)).unwrap();
        let seed = seed_for(FaultKind::Cut, 3000);
        let (_, offset) = first_fault(seed, 3000);
        proxy.begin_faulty_run(seed, 3000);
        let mut first = TcpStream::connect(("127.0.0.1", proxy.port())).unwrap();
        let mut second = TcpStream::connect(("127.0.0.1", proxy.port())).unwrap();
        let received: usize = (0..4).map(|_| ask(&mut first, 1000)).sum();
        assert_eq!(received, offset as usize);
        assert_eq!(ask(&mut second, 1000), 0);
        let events = proxy.events();
        assert_eq!(events.len(), 2, "{events:?}");
        assert!(events[0].first && events[0].connection == 0);
        assert!(!events[1].first && events[1].connection == 1 && events[1].kind == FaultKind::Cut);
    }

    #[test]
    fn a_flaky_link_breaks_every_connection_at_the_same_byte() {
        let proxy = FaultProxy::start(sender(20_000), Duration::from_secs(5)).unwrap();
        let number = proxy.begin_flaky_run(FaultKind::Cut, 7_000);
        for _ in 0..3 {
            let (got, ended) = receive(proxy.port());
            assert!(ended);
            assert_eq!(got, pattern(7_000));
        }
        let events = proxy.events();
        assert_eq!(events.len(), 3, "{events:?}");
        assert!(events
            .iter()
            .all(|e| e.run == number && e.kind == FaultKind::Cut && e.offset == 7_000));
    }

    #[test]
    fn the_same_seed_gives_the_same_faults() {
        let run = |seed| {
            let proxy = FaultProxy::start(sender(30_000), Duration::from_secs(5)).unwrap();
            proxy.begin_faulty_run(seed, 20_000);
            for _ in 0..3 {
                receive(proxy.port());
            }
            proxy.events()
        };
        assert_eq!(run(11), run(11));
        assert_ne!(run(11), run(12));
    }

    #[test]
    fn a_logout_answer_is_never_faulted() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut line = [0u8; 64];
            let n = stream.read(&mut line).unwrap();
            assert_eq!(&line[..n], b"a1 LOGOUT\r\n");
            stream.write_all(&[b'x'; 3000]).unwrap();
        });
        let proxy = FaultProxy::start(address, Duration::from_secs(5)).unwrap();
        proxy.begin_faulty_run(seed_for(FaultKind::Cut, 100), 100);
        let mut stream = TcpStream::connect(("127.0.0.1", proxy.port())).unwrap();
        stream.write_all(b"a1 LOGOUT\r\n").unwrap();
        let mut got = Vec::new();
        stream.read_to_end(&mut got).unwrap();
        assert_eq!(got.len(), 3000);
        assert!(proxy.events().is_empty());
    }

    #[test]
    fn throttled_connections_keep_to_the_rate() {
        let proxy = FaultProxy::start(sender(20_000), Duration::from_secs(5)).unwrap();
        proxy.throttle(40_000);
        let begin = Instant::now();
        let (got, ended) = receive(proxy.port());
        assert!(ended && got.len() == 20_000);
        assert!(
            begin.elapsed() >= Duration::from_millis(400),
            "{:?}",
            begin.elapsed()
        );
    }
}
