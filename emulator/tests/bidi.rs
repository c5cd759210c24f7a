//! InvokeModelWithBidirectionalStream on the wire: HTTP/1.1 chunked bodies from a raw socket
//! (unsigned messages, the answer read while the input is still open) and h2c from hyper's
//! client (signed envelopes), plus hostile input. The AWS SDK for Rust's view is in `sdk.rs`.

use std::convert::Infallible;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use aws_smithy_eventstream::frame::{read_message_from, write_message_to};
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use bedrock_cris_emulator::{start, ApiError, EmulatorConfig, StreamEnd};
use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{json, Value};
use tokio::sync::mpsc;

const PATH: &str = "/model/amazon.nova-sonic-v1%3A0/invoke-with-bidirectional-stream";

fn encode(message: &Message) -> Vec<u8> {
    let mut out = Vec::new();
    write_message_to(message, &mut out).expect("encodes");
    out
}

/// An unsigned `chunk` input event carrying `document` as its bytes.
fn chunk(document: &Value) -> Message {
    let payload = json!({"bytes": aws_smithy_types::base64::encode(document.to_string())});
    Message::new(payload.to_string().into_bytes())
        .add_header(Header::new(
            ":message-type",
            HeaderValue::String("event".into()),
        ))
        .add_header(Header::new(
            ":event-type",
            HeaderValue::String("chunk".into()),
        ))
        .add_header(Header::new(
            ":content-type",
            HeaderValue::String("application/json".into()),
        ))
}

/// A signed envelope as the AWS SDKs send it (the signature is not checked).
fn signed(inner: Option<&Message>) -> Message {
    Message::new(inner.map(encode).unwrap_or_default())
        .add_header(Header::new(
            ":chunk-signature",
            HeaderValue::ByteArray(Bytes::from(vec![0xab; 32])),
        ))
        .add_header(Header::new(
            ":date",
            HeaderValue::Timestamp(aws_smithy_types::DateTime::from_secs(1_750_000_000)),
        ))
}

/// (event or exception type, JSON of the chunk's decoded bytes or of the exception payload).
fn decode(message: &Message) -> (String, Value) {
    let kind = message
        .headers()
        .iter()
        .find(|h| h.name().as_str() == ":event-type" || h.name().as_str() == ":exception-type")
        .and_then(|h| h.value().as_string().ok())
        .map(|s| s.as_str().to_string())
        .expect("type header");
    let payload: Value = serde_json::from_slice(message.payload()).expect("JSON payload");
    let value = match payload.get("bytes").and_then(Value::as_str) {
        Some(b64) if kind == "chunk" => {
            serde_json::from_slice(&aws_smithy_types::base64::decode(b64).expect("base64"))
                .expect("JSON bytes")
        }
        _ => payload,
    };
    (kind, value)
}

/// Reads an HTTP/1.1 chunked answer incrementally and splits it into event-stream messages.
struct Http1Answer {
    stream: TcpStream,
    raw: Vec<u8>,
    /// Decoded body bytes not yet split into messages.
    body: Vec<u8>,
    status: u16,
    head: String,
    done: bool,
}

impl Http1Answer {
    fn read_head(mut stream: TcpStream) -> Self {
        let mut raw = Vec::new();
        let mut buf = [0u8; 4096];
        let split = loop {
            if let Some(at) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                break at;
            }
            let n = stream.read(&mut buf).expect("read head");
            assert!(n > 0, "closed before the head");
            raw.extend_from_slice(&buf[..n]);
        };
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let status = head[9..12].parse().expect("status");
        raw.drain(..split + 4);
        Http1Answer {
            stream,
            raw,
            body: Vec::new(),
            status,
            head,
            done: false,
        }
    }

    /// Moves complete chunks from `raw` to `body`; false if more bytes are needed.
    fn dechunk(&mut self) -> bool {
        let Some(eol) = self.raw.windows(2).position(|w| w == b"\r\n") else {
            return false;
        };
        let size = usize::from_str_radix(std::str::from_utf8(&self.raw[..eol]).expect("size"), 16)
            .expect("hex size");
        if size == 0 {
            self.done = true;
            return false;
        }
        if self.raw.len() < eol + 2 + size + 2 {
            return false;
        }
        self.body
            .extend_from_slice(&self.raw[eol + 2..eol + 2 + size]);
        self.raw.drain(..eol + 2 + size + 2);
        true
    }

    /// The next message of the answer, `None` at its end.
    fn next(&mut self) -> Option<(String, Value)> {
        let mut buf = [0u8; 4096];
        loop {
            while self.dechunk() {}
            if self.body.len() >= 4 {
                let len =
                    u32::from_be_bytes([self.body[0], self.body[1], self.body[2], self.body[3]])
                        as usize;
                if self.body.len() >= len {
                    let frame: Vec<u8> = self.body.drain(..len).collect();
                    return Some(decode(
                        &read_message_from(&frame[..]).expect("valid message"),
                    ));
                }
            }
            if self.done {
                assert!(self.body.is_empty(), "a partial message at the end");
                return None;
            }
            let n = self.stream.read(&mut buf).expect("read");
            if n == 0 {
                return None;
            }
            self.raw.extend_from_slice(&buf[..n]);
        }
    }
}

fn open_http1(addr: std::net::SocketAddr, path: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/vnd.amazon.eventstream\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).expect("head");
    stream
}

fn write_chunk(stream: &mut TcpStream, data: &[u8]) {
    stream
        .write_all(format!("{:x}\r\n", data.len()).as_bytes())
        .expect("size");
    stream.write_all(data).expect("data");
    stream.write_all(b"\r\n").expect("crlf");
}

#[test]
fn http1_chunked_input_is_answered_as_it_arrives() {
    let emu = start(EmulatorConfig::default()).expect("start");
    let mut stream = open_http1(emu.local_addr(), PATH);
    // The first message goes out split across two HTTP chunks.
    let first = encode(&chunk(&json!({"n": 0})));
    write_chunk(&mut stream, &first[..7]);
    write_chunk(&mut stream, &first[7..]);
    let mut answer = Http1Answer::read_head(stream.try_clone().expect("clone"));
    assert_eq!(answer.status, 200);
    let head = answer.head.to_ascii_lowercase();
    assert!(head.contains("content-type: application/vnd.amazon.eventstream"));
    assert!(head.contains("x-amzn-requestid: "));
    assert_eq!(
        answer.next(),
        Some(("chunk".into(), json!({"index": 0, "echo": {"n": 0}})))
    );
    for n in 1..4 {
        write_chunk(&mut stream, &encode(&chunk(&json!({"n": n}))));
        assert_eq!(
            answer.next(),
            Some(("chunk".into(), json!({"index": n, "echo": {"n": n}})))
        );
    }
    // End of the body without an end-of-input message also ends the input.
    stream.write_all(b"0\r\n\r\n").expect("last chunk");
    assert_eq!(
        answer.next(),
        Some((
            "chunk".into(),
            json!({"end": {"inputChunks": 4, "outputChunks": 4}})
        ))
    );
    assert_eq!(answer.next(), None);
    let recorded = emu.requests();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].path, PATH);
    assert_eq!(recorded[0].body.len(), first.len() + 3 * first.len());
}

#[test]
fn hostile_input_gets_a_validation_exception() {
    let emu = start(EmulatorConfig {
        max_body_bytes: 4096,
        ..Default::default()
    })
    .expect("start");
    let valid = encode(&chunk(&json!({"ok": true})));
    let mut corrupt = valid.clone();
    let last = corrupt.len() - 1;
    corrupt[last] ^= 0xff;
    let not_json = {
        let payload = json!({"bytes": aws_smithy_types::base64::encode("{not json")});
        encode(
            &Message::new(payload.to_string().into_bytes())
                .add_header(Header::new(
                    ":message-type",
                    HeaderValue::String("event".into()),
                ))
                .add_header(Header::new(
                    ":event-type",
                    HeaderValue::String("chunk".into()),
                )),
        )
    };
    let audio = encode(
        &Message::new(&b"{}"[..])
            .add_header(Header::new(
                ":message-type",
                HeaderValue::String("event".into()),
            ))
            .add_header(Header::new(
                ":event-type",
                HeaderValue::String("audioInput".into()),
            )),
    );
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "not a valid event stream",
            b"GET / HTTP/1.1\r\n\r\n".to_vec(),
        ),
        ("checksum", corrupt),
        ("are not a JSON document", not_json),
        ("Unknown input event type audioInput", audio),
        (
            "exceeds the emulator's limit of 4096 bytes",
            valid.repeat(80),
        ),
        (
            "ended inside an event-stream message",
            valid[..valid.len() - 3].to_vec(),
        ),
    ];
    for (what, body) in cases {
        let mut stream = open_http1(emu.local_addr(), PATH);
        write_chunk(&mut stream, &body);
        stream.write_all(b"0\r\n\r\n").expect("last chunk");
        let mut answer = Http1Answer::read_head(stream);
        assert_eq!(answer.status, 200, "{what}");
        let mut events = Vec::new();
        while let Some(event) = answer.next() {
            events.push(event);
        }
        let (kind, payload) = events.last().cloned().expect("an event");
        assert_eq!(kind, "validationException", "{what}: {events:?}");
        let message = payload["message"].as_str().unwrap_or_default();
        assert!(message.contains(what), "{what}: {message}");
    }
    // The server is fine afterwards.
    let mut stream = open_http1(emu.local_addr(), PATH);
    write_chunk(&mut stream, &valid);
    stream.write_all(b"0\r\n\r\n").expect("last chunk");
    let mut answer = Http1Answer::read_head(stream);
    assert_eq!(answer.next().map(|e| e.0), Some("chunk".to_string()));
}

#[test]
fn errors_before_the_stream_are_http_errors() {
    let emu = start(EmulatorConfig::default()).expect("start");
    for (path, status) in [
        (
            "/model/emulator.error.ServiceUnavailableException/invoke-with-bidirectional-stream",
            503,
        ),
        (
            "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke-with-bidirectional-stream",
            400,
        ),
        ("/model/nonsense/invoke-with-bidirectional-stream", 400),
    ] {
        let mut stream = open_http1(emu.local_addr(), path);
        write_chunk(&mut stream, b"x");
        let answer = Http1Answer::read_head(stream);
        assert_eq!(answer.status, status, "{path}");
    }
}

#[test]
fn stream_faults_cut_and_stall() {
    let emu = start(EmulatorConfig::default()).expect("start");
    emu.fail_stream("*", 1, StreamEnd::Cut, Some(1));
    let mut stream = open_http1(emu.local_addr(), PATH);
    for n in 0..3 {
        write_chunk(&mut stream, &encode(&chunk(&json!({"n": n}))));
    }
    let mut answer = Http1Answer::read_head(stream.try_clone().expect("clone"));
    assert_eq!(answer.next().map(|e| e.1["index"].clone()), Some(json!(0)));
    assert_eq!(answer.next(), None, "cut after one event");
    assert!(
        !answer.done,
        "no terminating chunk: the connection was dropped"
    );

    emu.fail_stream("*", 0, StreamEnd::Stall, Some(1));
    let mut stream = open_http1(emu.local_addr(), PATH);
    write_chunk(&mut stream, &encode(&chunk(&json!({}))));
    stream
        .set_read_timeout(Some(Duration::from_millis(300)))
        .expect("timeout");
    let mut answer = Http1Answer::read_head(stream);
    let mut buf = [0u8; 64];
    let err = answer.stream.read(&mut buf).expect_err("stalled");
    assert!(matches!(
        err.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    ));
    emu.shutdown();
}

/// The next message of an h2 answer, `None` at its end.
async fn next_h2(
    body: &mut hyper::body::Incoming,
    pending: &mut Vec<u8>,
) -> Option<(String, Value)> {
    loop {
        if pending.len() >= 4 {
            let len = u32::from_be_bytes([pending[0], pending[1], pending[2], pending[3]]) as usize;
            if pending.len() >= len {
                let frame: Vec<u8> = pending.drain(..len).collect();
                return Some(decode(&read_message_from(&frame[..]).expect("message")));
            }
        }
        let frame = tokio::time::timeout(Duration::from_secs(10), body.frame())
            .await
            .expect("an answer while the input is open")?
            .expect("frame");
        if let Ok(data) = frame.into_data() {
            pending.extend_from_slice(&data);
        }
    }
}

#[test]
fn stream_fault_exception_and_its_count() {
    let emu = start(EmulatorConfig::default()).expect("start");
    let exception = StreamEnd::Exception(ApiError::new("ThrottlingException", "slow down"));
    // More events than the answer has: the exception follows the end event.
    emu.fail_stream("amazon.nova-sonic-v1:0", 50, exception.clone(), Some(1));
    let mut stream = open_http1(emu.local_addr(), PATH);
    write_chunk(&mut stream, &encode(&chunk(&json!(1))));
    stream.write_all(b"0\r\n\r\n").expect("last chunk");
    let mut answer = Http1Answer::read_head(stream);
    let kinds: Vec<String> = std::iter::from_fn(|| answer.next()).map(|e| e.0).collect();
    assert_eq!(kinds, ["chunk", "chunk", "throttlingException"]);
    // An answer that ends in a validation error gets no second exception.
    emu.fail_stream("*", 50, exception, Some(1));
    let mut stream = open_http1(emu.local_addr(), PATH);
    write_chunk(&mut stream, b"junk that is no event stream");
    let mut answer = Http1Answer::read_head(stream);
    let kinds: Vec<String> = std::iter::from_fn(|| answer.next()).map(|e| e.0).collect();
    assert_eq!(kinds, ["validationException"]);
    assert!(emu.faults().is_empty());
}

type FrameItem = Result<Frame<Bytes>, Infallible>;

/// A request body fed from a channel.
struct Frames(mpsc::Receiver<FrameItem>);

impl futures_core::Stream for Frames {
    type Item = FrameItem;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<FrameItem>> {
        self.0.poll_recv(cx)
    }
}

/// h2c (HTTP/2 with prior knowledge), as real Bedrock serves this operation over HTTP/2:
/// signed envelopes, each answered before the next is sent, the empty envelope ends it all.
#[tokio::test]
async fn h2c_signed_envelopes() {
    let emu = start(EmulatorConfig {
        stream_deltas: 2,
        ..Default::default()
    })
    .expect("start");
    let tcp = tokio::net::TcpStream::connect(emu.local_addr())
        .await
        .expect("connect");
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
            .await
            .expect("h2 handshake");
    tokio::spawn(connection);
    let (tx, rx) = mpsc::channel::<FrameItem>(4);
    let request = hyper::Request::post(format!("http://{}{PATH}", emu.local_addr()))
        .header("content-type", "application/vnd.amazon.eventstream")
        .body(StreamBody::new(Frames(rx)))
        .expect("request");
    let response = sender.send_request(request).await.expect("response head");
    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), hyper::Version::HTTP_2);
    let mut body = response.into_body();
    let mut pending = Vec::new();
    let send = |m: &Message| Ok(Frame::data(Bytes::from(encode(&signed(Some(m))))));
    tx.send(send(&chunk(&json!({"b": 1, "a": 2}))))
        .await
        .expect("send");
    assert_eq!(
        next_h2(&mut body, &mut pending).await,
        Some((
            "chunk".into(),
            json!({"index": 0, "echo": {"a": 2, "b": 1}})
        ))
    );
    tx.send(send(&chunk(&json!({"text": "hello there"}))))
        .await
        .expect("send");
    let mut kinds = Vec::new();
    for _ in 0..4 {
        kinds.push(next_h2(&mut body, &mut pending).await.expect("event").1);
    }
    assert_eq!(kinds[0]["echo"]["text"], "hello there");
    assert!(kinds[1]["delta"].is_string() && kinds[2]["delta"].is_string());
    assert_eq!(kinds[3]["stopReason"], "end_turn");
    tx.send(Ok(Frame::data(Bytes::from(encode(&signed(None))))))
        .await
        .expect("end envelope");
    assert_eq!(
        next_h2(&mut body, &mut pending).await,
        Some((
            "chunk".into(),
            json!({"end": {"inputChunks": 2, "outputChunks": 5}})
        ))
    );
    drop(tx);
    assert_eq!(next_h2(&mut body, &mut pending).await, None);
}
