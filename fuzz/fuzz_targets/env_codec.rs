//! Fuzzes the task `.env` codec (`protocol::task::TaskEnv`): any bytes parse or fail without
//! panicking, a parsed file that can be rendered parses back to the same value, the rendering
//! is stable, and the parsed value goes through the name check and the sync spec mapping.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protocol::secret::Secret;
use protocol::spec::{Endpoint, Security};
use protocol::task::{parse_run_status, validate_task_name, TaskEnv};

/// The local Dovecot endpoint the supervisor hands to `TaskEnv::spec`.
fn local_endpoint() -> Endpoint {
    Endpoint {
        host: "127.0.0.1".into(),
        port: 143,
        security: Security::Plain,
        verify_tls: false,
        user: String::new(),
        auth_user: None,
        password: Secret::new("master"),
        timeout_secs: 120,
        addresses: Vec::new(),
    }
}

/// Parses `text` and checks the round trip and the consumers of a parsed file.
fn check(text: &str) {
    parse_run_status(text);
    let Ok(env) = TaskEnv::parse(text) else {
        return;
    };
    let _ = validate_task_name(&env.task_name());
    let _ = env.inbox_mode();
    if let Ok(spec) = env.spec(Secret::new("pw"), local_endpoint(), 30) {
        assert_eq!(spec.host2.user, format!("{}*vmail", env.localuser));
        assert!(spec.host1.port > 0);
    }
    let Ok(rendered) = env.render() else {
        return;
    };
    let reparsed = TaskEnv::parse(&rendered).expect("a rendered file parses");
    assert_eq!(reparsed, env, "render/parse changed the value of {text:?}");
    assert_eq!(
        reparsed.render().as_deref(),
        Ok(rendered.as_str()),
        "rendering is not stable"
    );
}

fuzz_target!(|data: &[u8]| {
    match std::str::from_utf8(data) {
        Ok(text) => check(text),
        Err(_) => check(&String::from_utf8_lossy(data)),
    }
});
