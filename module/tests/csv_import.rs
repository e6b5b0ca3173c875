//! `import-csv-tasks` as the admin runs it: the real binary, invoked by that name with the CSV
//! on stdin and the `runagent` environment, talking to a small stand-in api-server on loopback
//! that logs in, accepts `create-task` submissions and answers their status.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

const PASSWORD: &str = "pa,ss \"w\\rd";
const TOKEN: &str = "test-token";

/// What the stand-in api-server received and how it answers `create-task`.
#[derive(Default)]
struct ApiLog {
    submissions: Vec<(String, Value)>,
    logins: Vec<Value>,
    /// (exit code, output) of the next tasks, in order; then success.
    answers: Vec<(i32, Value)>,
    results: Vec<(i32, Value)>,
}

fn serve(listener: TcpListener, log: Arc<Mutex<ApiLog>>) {
    for stream in listener.incoming() {
        let Ok(stream) = stream else { return };
        handle(stream, &log);
    }
}

fn handle(stream: TcpStream, log: &Mutex<ApiLog>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    reader.read_line(&mut request_line).unwrap();
    let mut length = 0;
    let mut authorized = false;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).unwrap();
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':').unwrap();
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().unwrap(),
            "authorization" => authorized = value.trim() == format!("Bearer {TOKEN}"),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut parts = request_line.split_whitespace();
    let (method, path) = (parts.next().unwrap(), parts.next().unwrap().to_string());
    let mut log = log.lock().unwrap();
    let (status, reply) = if method == "POST" && path == "/api/login" {
        log.logins.push(body);
        (200, json!({"code": 200, "token": TOKEN}))
    } else if !authorized {
        (401, json!({"code": 401, "message": "token is missing"}))
    } else if method == "POST" && path.ends_with("/tasks") {
        let id = format!("task-{}", log.submissions.len());
        log.submissions.push((path, body));
        let answer = if log.answers.is_empty() {
            (0, Value::String(String::new()))
        } else {
            log.answers.remove(0)
        };
        log.results.push(answer);
        (201, json!({"code": 201, "data": {"id": id}}))
    } else if method == "GET" && path.ends_with("/status") {
        let index: usize = path
            .split("task-")
            .nth(1)
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let (exit_code, output) = log.results[index].clone();
        (
            200,
            json!({"code": 200, "data": {"exit_code": exit_code, "output": output, "error": ""}}),
        )
    } else {
        (404, json!({"code": 404, "message": "not found"}))
    };
    let text = reply.to_string();
    let mut stream = reader.into_inner();
    write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    )
    .unwrap();
}

fn import(state: &Path, endpoint: &str, args: &[&str], csv: &str) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_imapsync-module"))
        .arg0("import-csv-tasks")
        .args(args)
        .env("AGENT_ID", "module/imapsync1")
        .env("MODULE_ID", "imapsync1")
        .env("REDIS_USER", "module/imapsync1")
        .env("REDIS_PASSWORD", "redis-secret")
        .env("AGENT_STATE_DIR", state)
        .env("IMAPSYNC_API_ENDPOINT", endpoint)
        .current_dir(state)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(csv.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        !stdout.contains(PASSWORD) && !stderr.contains(PASSWORD),
        "{stdout}\n{stderr}"
    );
    (output.status.code().unwrap(), stdout + &stderr)
}

fn state_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("csv-import-it-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("imapsync")).unwrap();
    std::fs::create_dir_all(dir.join("cron")).unwrap();
    std::fs::write(
        dir.join("imapsync/john.doe_old001.env"),
        "\nTASK_ID=old001\nLOCALUSER=john.doe\nREMOTEUSERNAME=John@Example.org\nREMOTEHOSTNAME=imap.example.org\nREMOTEPORT=143\nSECURITY=--tls1\nCRON=5m\nFOLDERSYNCHRONIZATION=all\n",
    )
    .unwrap();
    dir
}

#[test]
fn rows_are_created_through_the_api_server_as_create_task_of_this_module() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let log = Arc::new(Mutex::new(ApiLog::default()));
    log.lock().unwrap().answers.push((
        2,
        json!([{"field": "createTask", "parameter": "createTask",
                "value": "bad_user_credentials", "error": "bad_user_credentials"}]),
    ));
    let server_log = Arc::clone(&log);
    std::thread::spawn(move || serve(listener, server_log));
    let state = state_dir();
    let quoted = PASSWORD.replace('"', "\"\"");
    let csv = format!(
        "\u{feff}localusername,remoteusername,remotepassword,remotehostname,remoteport,security\n\
         JOHN.DOE,john@example.org,\"{quoted}\",IMAP.example.org,993,ssl\n\
         u1,user1@example.org,wrong,imap.example.org,143,tls\n\
         u2,user2@example.org,\"{quoted}\",imap.example.org,993,ssl\n"
    );

    let (code, out) = import(&state, &endpoint, &["--check"], &csv);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("already syncs") && out.contains("--update"),
        "{out}"
    );
    assert!(log.lock().unwrap().submissions.is_empty());

    let (code, out) = import(&state, &endpoint, &[], &csv);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("⊘ Skipped row 2: john.doe already syncs John@Example.org@imap.example.org"),
        "{out}"
    );
    assert!(out.contains("✗ Error for u1: the remote server refused the user or password\n  user1@example.org@imap.example.org:143 tls"), "{out}");
    assert!(
        out.contains("📊 Summary: 1 created, 1 failed, 1 skipped"),
        "{out}"
    );
    {
        let log = log.lock().unwrap();
        assert_eq!(log.logins.len(), 1);
        assert_eq!(log.logins[0]["username"], json!("module/imapsync1"));
        assert_eq!(log.submissions.len(), 2);
        let (path, body) = &log.submissions[1];
        assert_eq!(path, "/api/module/imapsync1/tasks");
        assert_eq!(body["action"], json!("create-task"));
        let data = &body["data"];
        assert_eq!(data["localuser"], json!("u2"));
        assert_eq!(data["remotepassword"], json!(PASSWORD));
        assert_eq!(data["remoteport"], json!(993));
        assert_eq!(data["security"], json!("ssl"));
        let id = data["task_id"].as_str().unwrap();
        assert!(
            id.len() == 6
                && id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
            "{id}"
        );
    }

    let (code, out) = import(&state, &endpoint, &["--update"], &csv);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("📊 Summary: 2 created, 0 failed, 1 updated"),
        "{out}"
    );
    let log = log.lock().unwrap();
    let (_, update) = &log.submissions[2];
    assert_eq!(update["data"]["task_id"], json!("old001"));
    assert_eq!(update["data"]["localuser"], json!("john.doe"));
    assert_eq!(update["data"]["remoteusername"], json!("John@Example.org"));
    assert_eq!(update["data"]["cron"], json!("5m"));
    std::fs::remove_dir_all(&state).unwrap();
}
