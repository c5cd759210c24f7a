//! The emulator over real sockets, with a minimal HTTP/1.1 client (so the tests depend on
//! nothing the server itself uses for parsing).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use aws_smithy_eventstream::frame::read_message_from;
use bedrock_cris_emulator::{start, ApiError, EmulatorConfig, EmulatorHandle, StreamEnd};
use bytes::Buf;
use serde_json::{json, Value};

const HAIKU: &str = "global.anthropic.claude-haiku-4-5-20251001-v1%3A0";

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

fn emulator() -> EmulatorHandle {
    start(EmulatorConfig::default()).expect("emulator starts")
}

fn send(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> Answer {
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
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read answer");
    parse(&raw)
}

fn parse(raw: &[u8]) -> Answer {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of head");
    let head = std::str::from_utf8(&raw[..split]).expect("utf-8 head");
    let mut lines = head.split("\r\n");
    let status = lines.next().expect("status line")[9..12]
        .parse()
        .expect("status");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v == "chunked");
    if chunked {
        body = dechunk(&body);
    }
    Answer {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size = usize::from_str_radix(std::str::from_utf8(&data[..eol]).expect("size"), 16)
            .expect("hex size");
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[eol + 2..eol + 2 + size]);
        data = &data[eol + 2 + size + 2..];
    }
}

/// Decodes event-stream frames: (event or exception type, JSON payload).
fn frames(body: &[u8]) -> Vec<(String, Value)> {
    let mut buf = body;
    let mut out = Vec::new();
    while buf.has_remaining() {
        let len = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
        let message = read_message_from(&buf[..len]).expect("valid frame and CRCs");
        let kind = message
            .headers()
            .iter()
            .find(|h| h.name().as_str() == ":event-type" || h.name().as_str() == ":exception-type")
            .and_then(|h| h.value().as_string().ok())
            .map(|s| s.as_str().to_string())
            .expect("type header");
        out.push((
            kind,
            serde_json::from_slice(message.payload()).expect("JSON payload"),
        ));
        buf.advance(len);
    }
    out
}

fn converse_body(text: &str) -> Vec<u8> {
    json!({"messages": [{"role": "user", "content": [{"text": text}]}]})
        .to_string()
        .into_bytes()
}

#[test]
fn converse_over_http1() {
    let emu = emulator();
    let path = format!("/model/{HAIKU}/converse");
    let a = send(
        emu.local_addr(),
        "POST",
        &path,
        &converse_body("Explain cloud computing."),
    );
    assert_eq!(a.status, 200);
    assert_eq!(a.header("content-type"), Some("application/json"));
    assert_eq!(
        a.header("content-length"),
        Some(a.body.len().to_string().as_str())
    );
    assert!(a.header("date").is_some());
    let id = a
        .header("x-amzn-requestid")
        .expect("request id")
        .to_string();
    assert_eq!(id.len(), 36);
    let v = a.json();
    let keys: Vec<_> = v.as_object().expect("object").keys().cloned().collect();
    assert_eq!(keys, ["output", "stopReason", "usage", "metrics"]);

    let b = send(
        emu.local_addr(),
        "POST",
        &path,
        &converse_body("Explain cloud computing."),
    );
    assert_eq!(a.body, b.body, "same request, same bytes");
    assert_ne!(b.header("x-amzn-requestid"), Some(id.as_str()));

    let recorded = emu.requests();
    assert_eq!(recorded.len(), 2);
    assert_eq!(recorded[0].path, path);
    assert_eq!(emu.request_count(), 2);
}

#[test]
fn stream_frames_decode_with_the_sdk_codec() {
    let emu = emulator();
    let path =
        "/model/emulator.deltas.500.anthropic.claude-haiku-4-5-20251001-v1%3A0/converse-stream";
    let a = send(emu.local_addr(), "POST", path, &converse_body("hi"));
    assert_eq!(a.status, 200);
    assert_eq!(
        a.header("content-type"),
        Some("application/vnd.amazon.eventstream")
    );
    let events = frames(&a.body);
    assert_eq!(events.first().map(|e| e.0.as_str()), Some("messageStart"));
    assert_eq!(events.last().map(|e| e.0.as_str()), Some("metadata"));
    let deltas: Vec<&str> = events
        .iter()
        .filter(|(k, _)| k == "contentBlockDelta")
        .filter_map(|(_, v)| v["delta"]["text"].as_str())
        .collect();
    assert_eq!(deltas.len(), 500);

    let plain = send(
        emu.local_addr(),
        "POST",
        "/model/emulator.deltas.500.anthropic.claude-haiku-4-5-20251001-v1%3A0/converse",
        &converse_body("hi"),
    );
    assert_eq!(
        plain.json()["output"]["message"]["content"][0]["text"],
        json!(deltas.concat())
    );
}

#[test]
fn invoke_stream_chunks_are_base64_native_json() {
    let emu = emulator();
    let body = json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 50,
                      "messages": [{"role": "user", "content": "hi"}]});
    let a = send(
        emu.local_addr(),
        "POST",
        &format!("/model/{HAIKU}/invoke-with-response-stream"),
        body.to_string().as_bytes(),
    );
    assert_eq!(
        a.header("x-amzn-bedrock-content-type"),
        Some("application/json")
    );
    let chunks: Vec<Value> = frames(&a.body)
        .into_iter()
        .map(|(kind, v)| {
            assert_eq!(kind, "chunk");
            let raw = aws_smithy_types::base64::decode(v["bytes"].as_str().expect("bytes"))
                .expect("base64");
            serde_json::from_slice(&raw).expect("native JSON")
        })
        .collect();
    assert_eq!(chunks[0]["type"], "message_start");
    assert_eq!(
        chunks.last().map(|c| c["type"].clone()),
        Some(json!("message_stop"))
    );
}

#[test]
fn stream_exception_fault() {
    let emu = emulator();
    emu.fail_stream(
        "*",
        2,
        StreamEnd::Exception(ApiError::new("ThrottlingException", "slow down")),
        Some(1),
    );
    let a = send(
        emu.local_addr(),
        "POST",
        &format!("/model/{HAIKU}/converse-stream"),
        &converse_body("hi"),
    );
    let events = frames(&a.body);
    assert_eq!(events.len(), 3);
    assert_eq!(events[2].0, "throttlingException");
    assert_eq!(events[2].1, json!({"message": "slow down"}));
    assert!(emu.faults().is_empty(), "times=1 fault is used up");
}

#[test]
fn errors_and_unknown_routes() {
    let emu = emulator();
    let a = send(
        emu.local_addr(),
        "POST",
        "/model/emulator.error.ModelTimeoutException/converse",
        b"{}",
    );
    assert_eq!(a.status, 408);
    assert_eq!(
        a.header("x-amzn-errortype"),
        Some("ModelTimeoutException:http://internal.amazon.com/coral/com.amazon.bedrock/")
    );
    let a = send(
        emu.local_addr(),
        "POST",
        "/model/nonsense/converse",
        &converse_body("x"),
    );
    assert_eq!(a.status, 400);
    assert_eq!(
        a.json()["message"],
        "The provided model identifier is invalid."
    );
    let a = send(emu.local_addr(), "DELETE", "/model/x/converse", b"");
    assert_eq!(a.status, 404);
    emu.fail(
        HAIKU.replace("%3A", ":").as_str(),
        ApiError::new("InternalServerException", "oops"),
        None,
    );
    let a = send(
        emu.local_addr(),
        "POST",
        &format!("/model/{HAIKU}/invoke"),
        b"{}",
    );
    assert_eq!(a.status, 500);
    emu.reset();
    let a = send(
        emu.local_addr(),
        "POST",
        &format!("/model/{HAIKU}/invoke"),
        b"[1,2",
    );
    assert_eq!(a.status, 400);
}

#[test]
fn malformed_http_and_huge_bodies_do_not_hurt_the_server() {
    let emu = start(EmulatorConfig {
        max_body_bytes: 1000,
        ..Default::default()
    })
    .expect("start");
    for junk in [
        &b"\x16\x03\x01\x02\x00garbage"[..],
        b"GET / HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
        b"POST /model/x/converse HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ] {
        let mut s = TcpStream::connect(emu.local_addr()).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        s.write_all(junk).expect("write");
        let _ = s.shutdown(std::net::Shutdown::Write);
        let mut sink = Vec::new();
        let _ = s.read_to_end(&mut sink);
    }
    let a = send(
        emu.local_addr(),
        "POST",
        &format!("/model/{HAIKU}/converse"),
        &vec![b' '; 5000],
    );
    assert_eq!(a.status, 413);
    let a = send(
        emu.local_addr(),
        "POST",
        &format!("/model/{HAIKU}/converse"),
        &converse_body("ok"),
    );
    assert_eq!(a.status, 200);
}

#[test]
fn shutdown_drops_stalled_streams() {
    let emu = emulator();
    emu.fail_stream("*", 1, StreamEnd::Stall, None);
    let mut stream = TcpStream::connect(emu.local_addr()).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let body = converse_body("hi");
    let head = format!(
        "POST /model/{HAIKU}/converse-stream HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("head");
    stream.write_all(&body).expect("body");
    let mut first = [0u8; 256];
    let n = stream.read(&mut first).expect("the first event arrives");
    assert!(n > 0);
    let started = Instant::now();
    emu.shutdown();
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(!emu.is_running());
}

#[test]
fn concurrent_keep_alive_clients() {
    let emu = start(EmulatorConfig {
        record_limit: 0,
        ..Default::default()
    })
    .expect("start");
    let addr = emu.local_addr();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            std::thread::spawn(move || {
                let mut stream = TcpStream::connect(addr).expect("connect");
                stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
                let body = json!({"texts": [format!("text {t}")], "input_type": "search_document"}).to_string();
                let request = format!(
                    "POST /model/cohere.embed-v4%3A0/invoke HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                let mut buf = vec![0u8; 64 * 1024];
                for _ in 0..50 {
                    stream.write_all(request.as_bytes()).expect("write");
                    // Read one whole answer (its Content-Length tells how much).
                    let mut got = Vec::new();
                    loop {
                        let n = stream.read(&mut buf).expect("read");
                        assert!(n > 0, "server closed a keep-alive connection");
                        got.extend_from_slice(&buf[..n]);
                        if let Some(split) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                            let answer = parse(&got);
                            let len: usize = answer.header("content-length").expect("length").parse().expect("number");
                            if got.len() >= split + 4 + len {
                                assert_eq!(answer.status, 200);
                                break;
                            }
                        }
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("client thread");
    }
    assert_eq!(emu.request_count(), 400);
    assert!(emu.requests().is_empty(), "record_limit 0 records nothing");
}

#[test]
fn h2_prior_knowledge_gets_settings() {
    let emu = emulator();
    let mut s = TcpStream::connect(emu.local_addr()).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    s.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .expect("preface");
    let mut head = [0u8; 9];
    s.read_exact(&mut head).expect("a frame");
    assert_eq!(head[3], 0x04, "server SETTINGS frame");
}

/// `value` with the keys of every object in reverse order (arrays keep theirs).
fn reversed_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map.iter().rev() {
                out.insert(k.clone(), reversed_keys(v));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(reversed_keys).collect()),
        other => other.clone(),
    }
}

/// The JSON text of `value` with `drop` members removed at the top level (timestamps).
fn without(body: &[u8], drop: &[&str]) -> String {
    let mut v: Value = serde_json::from_slice(body).expect("JSON body");
    if let Some(obj) = v.as_object_mut() {
        for key in drop {
            obj.remove(*key);
        }
    }
    v.to_string()
}

/// The same request with its JSON object keys in another order gets the same bytes back: the
/// AWS SDK for Rust sends documents (tool schemas, tool inputs, additional model fields) in
/// `HashMap` order, boto3 in the caller's.
#[test]
fn answers_do_not_depend_on_request_key_order() {
    let schema = json!({
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "City name"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "options": {"type": "object", "default": {"verbose": true, "alerts": ["storm"], "days": 3}},
            "zone": {"type": "string"},
            "extra": {"type": "object", "properties": {"b": {"type": "integer"}, "a": {"type": "boolean"}}}
        },
        "required": ["unit", "options", "city", "extra"]
    });
    let tool = json!({"toolSpec": {"name": "get_weather", "description": "Weather by city",
                                   "inputSchema": {"json": schema}}});
    let converse = json!({
        "messages": [
            {"role": "user", "content": [{"text": "Weather in Mumbai? Use get_weather."}]},
            {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t1", "name": "get_weather",
                "input": {"city": "Mumbai", "unit": "celsius", "extra": {"b": 1, "a": false}}}}]},
            {"role": "user", "content": [{"toolResult": {"toolUseId": "t1",
                "content": [{"json": {"temp": 31, "sky": "clear", "wind": {"speed": 4, "dir": "W"}}}]}}]},
            {"role": "assistant", "content": [{"text": "It is 31 degrees."}]},
            {"role": "user", "content": [{"text": "And in Pune? Use get_weather."}]}
        ],
        "system": [{"text": "Be brief."}],
        "inferenceConfig": {"maxTokens": 400, "temperature": 0.5, "topP": 0.9},
        "toolConfig": {"tools": [tool], "toolChoice": {"any": {}}},
        "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 1024},
                                         "top_k": 5}
    });
    let anthropic = json!({
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 300,
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "Weather? Use get_weather."}]},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "get_weather",
                "input": {"unit": "celsius", "city": "Mumbai"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "31C"},
                                         {"type": "text", "text": "Now Pune, use get_weather."}]}
        ],
        "tools": [{"name": "get_weather", "description": "Weather", "input_schema": schema}],
        "tool_choice": {"type": "tool", "name": "get_weather"}
    });
    let nova = json!({"schemaVersion": "messages-v1",
        "messages": [{"role": "user", "content": [{"text": "Use get_weather for Delhi."}]}],
        "inferenceConfig": {"max_new_tokens": 200, "topK": 3},
        "toolConfig": {"tools": [tool], "toolChoice": {"tool": {"name": "get_weather"}}}});
    let cohere = json!({"texts": ["a", "b"], "input_type": "search_document",
                        "embedding_types": ["float", "int8"], "output_dimension": 256});
    let titan_v1_extraneous = json!({"inputText": "hi", "zeta": 1, "alpha": {"y": 1, "x": 2}});
    let titan_bad_dims = json!({"inputText": "hi", "dimensions": {"y": 1, "x": 2}});
    let count = json!({"input": {"converse": converse.clone()}});
    // A native body inside CountTokens is base64: reorder inside it.
    let native = json!({"prompt": "hi", "max_gen_len": 5, "b": {"d": 1, "c": 2}});
    let count_native = |native: &Value| json!({"input": {"invokeModel": {"body": aws_smithy_types::base64::encode(native.to_string())}}});
    let cases: Vec<(String, Value)> = vec![
        (format!("/model/{HAIKU}/converse"), converse.clone()),
        (format!("/model/{HAIKU}/converse-stream"), converse),
        (format!("/model/{HAIKU}/invoke"), anthropic.clone()),
        (
            format!("/model/{HAIKU}/invoke-with-response-stream"),
            anthropic,
        ),
        (
            "/model/us.amazon.nova-lite-v1%3A0/invoke".into(),
            nova.clone(),
        ),
        (
            "/model/us.amazon.nova-lite-v1%3A0/invoke-with-response-stream".into(),
            nova,
        ),
        ("/model/cohere.embed-v4%3A0/invoke".into(), cohere),
        (
            "/model/amazon.titan-embed-text-v1/invoke".into(),
            titan_v1_extraneous,
        ),
        (
            "/model/amazon.titan-embed-text-v2%3A0/invoke".into(),
            titan_bad_dims,
        ),
        (format!("/model/{HAIKU}/count-tokens"), count),
    ];
    let mut pairs: Vec<(String, Value, Value)> = cases
        .iter()
        .map(|(path, body)| (path.clone(), body.clone(), reversed_keys(body)))
        .collect();
    pairs.push((
        "/model/meta.llama3-8b-instruct-v1%3A0/count-tokens".into(),
        count_native(&native),
        count_native(&reversed_keys(&native)),
    ));
    let emu = emulator();
    for (path, body, reordered) in &pairs {
        let a = send(emu.local_addr(), "POST", path, body.to_string().as_bytes());
        assert_ne!(
            body.to_string(),
            reordered.to_string(),
            "{path}: a real reordering"
        );
        let b = send(
            emu.local_addr(),
            "POST",
            path,
            reordered.to_string().as_bytes(),
        );
        assert_eq!(a.status, b.status, "{path}");
        assert_eq!(
            String::from_utf8_lossy(&a.body),
            String::from_utf8_lossy(&b.body),
            "{path}"
        );
        assert_eq!(
            a.header("x-amzn-bedrock-output-token-count"),
            b.header("x-amzn-bedrock-output-token-count"),
            "{path}"
        );
    }
    // The tool input lists `required` in its order, then the default's keys sorted.
    let a = send(
        emu.local_addr(),
        "POST",
        &cases[0].0,
        pairs[0].2.to_string().as_bytes(),
    );
    let v = a.json();
    let tool_use = v["output"]["message"]["content"]
        .as_array()
        .and_then(|c| c.iter().find_map(|b| b.get("toolUse")))
        .expect("a toolUse block");
    assert_eq!(
        tool_use["input"].to_string(),
        r#"{"unit":"celsius","options":{"alerts":["storm"],"days":3,"verbose":true},"city":"Seattle","extra":{"a":true,"b":1}}"#
    );

    // Async invoke: the ARN and the echoed outputDataConfig (fresh emulators: same job index).
    let start = json!({"modelId": "amazon.nova-lite-v1:0", "clientRequestToken": "tok",
        "modelInput": {"messages": [{"role": "user", "content": [{"text": "hi"}]}], "x": {"b": 1, "a": 2}},
        "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://bucket/out/", "kmsKeyId": "k", "bucketOwner": "123"}},
        "tags": [{"key": "a", "value": "b"}]});
    let mut answers = Vec::new();
    for body in [start.clone(), reversed_keys(&start)] {
        let emu = emulator();
        let started = send(
            emu.local_addr(),
            "POST",
            "/async-invoke",
            body.to_string().as_bytes(),
        );
        assert_eq!(started.status, 200);
        let arn = started.json()["invocationArn"]
            .as_str()
            .expect("arn")
            .to_string();
        let got = send(
            emu.local_addr(),
            "GET",
            &format!(
                "/async-invoke/{}",
                arn.replace(':', "%3A").replace('/', "%2F")
            ),
            b"",
        );
        assert_eq!(got.status, 200);
        answers.push((
            String::from_utf8_lossy(&started.body).into_owned(),
            without(&got.body, &["submitTime", "lastModifiedTime", "endTime"]),
        ));
    }
    assert_eq!(answers[0], answers[1]);
    assert!(answers[0].1.contains(
        r#""outputDataConfig":{"s3OutputDataConfig":{"bucketOwner":"123","kmsKeyId":"k","s3Uri":"s3://bucket/out/"}}"#
    ));
}
