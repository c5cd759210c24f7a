//! Fault injection over raw HTTP: each fault does what it says on the wire, is recorded with
//! the request it applied to, and can be set through the control API.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use aws_smithy_eventstream::frame::read_message_from;
use bedrock_cris_emulator::{start, EmulatorConfig, EmulatorHandle};
use serde_json::{json, Value};

const CONVERSE: &str = "/model/amazon.nova-lite-v1%3A0/converse";
const STREAM: &str = "/model/emulator.deltas.5.amazon.nova-lite-v1%3A0/converse-stream";
const BODY: &[u8] = br#"{"messages":[{"role":"user","content":[{"text":"hi"}]}]}"#;

fn emulator() -> EmulatorHandle {
    start(EmulatorConfig::default()).expect("emulator starts")
}

fn open(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("write head");
    stream.write_all(body).expect("write body");
    stream
}

/// The raw answer, read to the end of the connection.
fn send(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> Vec<u8> {
    let mut raw = Vec::new();
    let _ = open(addr, method, path, body).read_to_end(&mut raw);
    raw
}

fn split(raw: &[u8]) -> (String, Vec<u8>) {
    let at = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of head");
    (
        String::from_utf8_lossy(&raw[..at]).into_owned(),
        raw[at + 4..].to_vec(),
    )
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(std::str::from_utf8(&data[..eol]).expect("size"), 16)
            .expect("hex size");
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[eol + 2..eol + 2 + size]);
        data = &data[eol + 2 + size + 2..];
    }
    out
}

/// Splits an event-stream body into frames: `Ok` if the frame decodes (CRCs included).
fn frames(mut body: &[u8]) -> Vec<Result<(), String>> {
    let mut out = Vec::new();
    while !body.is_empty() {
        if body.len() < 4 {
            out.push(Err("a partial prelude".into()));
            break;
        }
        let len = u32::from_be_bytes([body[0], body[1], body[2], body[3]]) as usize;
        if len > body.len() {
            out.push(Err("a partial frame".into()));
            break;
        }
        out.push(
            read_message_from(&body[..len])
                .map(|_| ())
                .map_err(|e| e.to_string()),
        );
        body = &body[len..];
    }
    out
}

fn control(emu: &EmulatorHandle, method: &str, path: &str, body: Value) -> (u16, Value) {
    let raw = send(
        emu.local_addr(),
        method,
        &format!("/_emulator{path}"),
        body.to_string().as_bytes(),
    );
    let (head, body) = split(&raw);
    let status = head[9..12].parse().expect("status");
    (status, serde_json::from_slice(&body).expect("JSON"))
}

fn faults_of(emu: &EmulatorHandle) -> Vec<Option<String>> {
    emu.requests().into_iter().map(|r| r.fault).collect()
}

#[test]
fn reset_delay_and_stalled_body() {
    let emu = emulator();
    let addr = emu.local_addr();
    let (status, _) = control(
        &emu,
        "POST",
        "/faults",
        json!([
            {"action": "reset", "times": 1},
            {"action": "delay", "seconds": 0.3, "times": 1},
            {"action": "stall_body", "after_bytes": 5, "times": 1},
        ]),
    );
    assert_eq!(status, 200);
    assert!(
        send(addr, "POST", CONVERSE, BODY).is_empty(),
        "no answer at all"
    );

    let started = Instant::now();
    let raw = send(addr, "POST", CONVERSE, BODY);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(raw.starts_with(b"HTTP/1.1 200"));

    let mut stream = open(addr, "POST", CONVERSE, BODY);
    stream
        .set_read_timeout(Some(Duration::from_millis(300)))
        .expect("timeout");
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
    }
    let (head, body) = split(&raw);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .expect("content-length")
        .parse()
        .expect("number");
    assert_eq!(body.len(), 5, "the first bytes only");
    assert!(length > 5);
    assert_eq!(emu.in_flight(), 1, "the stalled answer is still in flight");
    drop(stream);

    assert_eq!(
        faults_of(&emu),
        [
            Some("reset".to_string()),
            Some("delay:0.3".to_string()),
            Some("stall_body:5".to_string())
        ]
    );
    assert!(emu.faults().is_empty(), "each was for one request");
}

#[test]
fn truncated_and_corrupted_streams() {
    let emu = emulator();
    let addr = emu.local_addr();
    let clean = frames(&dechunk(&split(&send(addr, "POST", STREAM, BODY)).1));
    assert!(clean.len() > 5 && clean.iter().all(Result::is_ok));

    emu.add_faults_json(
        &json!({"action": "stream", "after_events": 2, "end": "truncate", "times": 1}),
    )
    .expect("valid");
    let got = frames(&dechunk(&split(&send(addr, "POST", STREAM, BODY)).1));
    assert_eq!(got.len(), 3);
    assert!(got[..2].iter().all(Result::is_ok));
    assert_eq!(got[2], Err("a partial frame".into()));

    emu.add_faults_json(
        &json!({"action": "stream", "after_events": 3, "end": "corrupt_crc", "times": 1}),
    )
    .expect("valid");
    let got = frames(&dechunk(&split(&send(addr, "POST", STREAM, BODY)).1));
    assert_eq!(got.len(), clean.len(), "the rest of the answer follows");
    assert!(
        got[3].as_ref().is_err_and(|e| e.contains("checksum")),
        "{:?}",
        got[3]
    );
    assert!(got.iter().enumerate().all(|(i, f)| i == 3 || f.is_ok()));
    assert_eq!(
        faults_of(&emu),
        [
            None,
            Some("stream:truncate@2".to_string()),
            Some("stream:corrupt_crc@3".to_string())
        ]
    );
}

#[test]
fn concurrency_quota_throttles_beyond_the_limit() {
    let emu = emulator();
    let addr = emu.local_addr();
    emu.set_concurrency_limit(Some(1));
    emu.add_faults_json(&json!({"action": "stall_body", "times": 1}))
        .expect("valid");
    let mut held = open(addr, "POST", CONVERSE, BODY);
    let mut first = [0u8; 12];
    held.read_exact(&mut first)
        .expect("the stalled answer's head");
    let raw = send(addr, "POST", CONVERSE, BODY);
    let (head, body) = split(&raw);
    assert!(head.starts_with("HTTP/1.1 429"), "{head}");
    assert!(head.contains("ThrottlingException:"));
    assert_eq!(
        String::from_utf8_lossy(&body),
        r#"{"message":"Too many requests, please wait before trying again."}"#
    );
    drop(held);
    let deadline = Instant::now() + Duration::from_secs(5);
    while emu.in_flight() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(send(addr, "POST", CONVERSE, BODY).starts_with(b"HTTP/1.1 200"));
    assert_eq!(
        faults_of(&emu),
        [
            Some("stall_body:0".to_string()),
            Some("quota:ThrottlingException".to_string()),
            None
        ]
    );
}

#[test]
fn fractions_are_seeded_and_repeatable() {
    let emu = emulator();
    let addr = emu.local_addr();
    let run = || {
        control(&emu, "POST", "/reset", json!({}));
        control(&emu, "PUT", "/seed", json!({"seed": 42}));
        control(
            &emu,
            "POST",
            "/faults",
            json!({"action": "error", "code": "ThrottlingException", "fraction": 0.5}),
        );
        (0..40)
            .map(|_| send(addr, "POST", CONVERSE, BODY).starts_with(b"HTTP/1.1 429"))
            .collect::<Vec<_>>()
    };
    let a = run();
    assert_eq!(a, run());
    let throttled = a.iter().filter(|t| **t).count();
    assert!((8..=32).contains(&throttled), "{throttled}");
}

#[test]
fn latency_and_control_api() {
    let emu = emulator();
    let addr = emu.local_addr();
    let (status, _) = control(
        &emu,
        "PUT",
        "/latency",
        json!({"time_to_first_token": 0.2, "per_token": 0.0}),
    );
    assert_eq!(status, 200);
    let started = Instant::now();
    assert!(send(addr, "POST", CONVERSE, BODY).starts_with(b"HTTP/1.1 200"));
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(
        control(&emu, "GET", "/latency", json!({})).1,
        json!({"time_to_first_token": 0.2, "per_token": 0.0})
    );

    control(
        &emu,
        "POST",
        "/faults",
        json!({"model_id": "m", "action": "reset"}),
    );
    let (_, listed) = control(&emu, "GET", "/faults", json!({}));
    assert_eq!(listed["faults"][0]["action"], "reset");
    assert_eq!(listed["faults"][0]["model_id"], "m");
    let (_, requests) = control(&emu, "GET", "/requests", json!({}));
    assert_eq!(requests["requests"][0]["path"], CONVERSE);
    assert!(requests["requests"][0]["body_base64"].is_string());
    for (method, path, body) in [
        ("POST", "/faults", json!({"action": "nope"})),
        ("PUT", "/latency", json!({"per_token": -1})),
        ("PUT", "/concurrency", json!({"limit": "x"})),
        ("PUT", "/seed", json!({})),
    ] {
        let (status, answer) = control(&emu, method, path, body);
        assert_eq!(status, 400, "{path}");
        assert!(answer["message"].is_string());
    }
    assert_eq!(control(&emu, "GET", "/nothing", json!({})).0, 404);
    let raw = send(addr, "POST", "/_emulator/faults", b"{not json");
    assert!(raw.starts_with(b"HTTP/1.1 400"));
    control(&emu, "POST", "/reset", json!({}));
    assert!(emu.faults().is_empty() && emu.requests().is_empty());
    assert_eq!(
        control(&emu, "GET", "/latency", json!({})).1,
        json!({"time_to_first_token": 0.0, "per_token": 0.0})
    );
    // Control requests are not recorded.
    assert!(emu.requests().is_empty());
}
