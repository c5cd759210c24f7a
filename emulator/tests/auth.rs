//! SigV4 and bearer verification, with the AWS SDK for Rust as the signer: its signatures
//! (headers, the double-encoded path, the payload hash, the `:chunk-signature` chain of a
//! bidirectional stream) must pass, and anything changed after signing must not.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use aws_sdk_bedrockruntime::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_bedrockruntime::config::{
    BehaviorVersion, ConfigBag, Credentials, Intercept, Region, RuntimeComponents,
};
use aws_sdk_bedrockruntime::error::ProvideErrorMetadata;
use aws_sdk_bedrockruntime::primitives::event_stream::EventStreamSender;
use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types::error::InvokeModelWithBidirectionalStreamInputError;
use aws_sdk_bedrockruntime::types::{
    BidirectionalInputPayloadPart, ContentBlock, ConversationRole,
    InvokeModelWithBidirectionalStreamInput, InvokeModelWithBidirectionalStreamOutput, Message,
};
use aws_sdk_bedrockruntime::Client;
use aws_smithy_eventstream::frame::{read_message_from, write_message_to};
use bedrock_cris_emulator::{start, AuthConfig, EmulatorConfig, EmulatorHandle};
use bytes::Buf;
use tokio::sync::mpsc;

const ACCESS_KEY: &str = "AKIDEXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "bedrock-api-key-emulator-test";
const HAIKU: &str = "global.anthropic.claude-haiku-4-5-20251001-v1:0";
const SONIC: &str = "amazon.nova-sonic-v1:0";

fn emulator() -> EmulatorHandle {
    start(EmulatorConfig {
        auth: AuthConfig {
            credentials: BTreeMap::from([(ACCESS_KEY.to_string(), SECRET_KEY.to_string())]),
            bearer_tokens: vec![TOKEN.to_string()],
        },
        ..Default::default()
    })
    .expect("start")
}

/// Replaces the request body after signing.
#[derive(Debug)]
struct Tamper;

impl Intercept for Tamper {
    fn name(&self) -> &'static str {
        "Tamper"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let body = r#"{"messages":[{"role":"user","content":[{"text":"HI"}]}]}"#;
        *context.request_mut().body_mut() = body.to_string().into();
        let headers = context.request_mut().headers_mut();
        headers.insert("content-length", body.len().to_string());
        Ok(())
    }
}

fn client_with(
    emu: &EmulatorHandle,
    access_key: &str,
    secret: &str,
    token: Option<&str>,
    tamper: bool,
) -> Client {
    let mut config = aws_sdk_bedrockruntime::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("ap-south-1"))
        .endpoint_url(emu.endpoint_url())
        .credentials_provider(Credentials::new(
            access_key,
            secret,
            token.map(str::to_string),
            None,
            "emulator-test",
        ))
        .retry_config(aws_sdk_bedrockruntime::config::retry::RetryConfig::disabled());
    if tamper {
        config = config.interceptor(Tamper);
    }
    Client::from_conf(config.build())
}

fn user(text: &str) -> Message {
    Message::builder()
        .role(ConversationRole::User)
        .content(ContentBlock::Text(text.into()))
        .build()
        .expect("message")
}

#[tokio::test]
async fn sdk_signatures_pass() {
    let emu = emulator();
    let c = client_with(&emu, ACCESS_KEY, SECRET_KEY, None, false);
    c.converse()
        .model_id(HAIKU)
        .messages(user("hi"))
        .send()
        .await
        .expect("converse");
    let mut out = c
        .converse_stream()
        .model_id(HAIKU)
        .messages(user("hi"))
        .send()
        .await
        .expect("converse_stream");
    while out.stream.recv().await.expect("event").is_some() {}
    c.invoke_model()
        .model_id("amazon.titan-embed-text-v2:0")
        .body(Blob::new(r#"{"inputText": "a b c"}"#))
        .send()
        .await
        .expect("invoke_model");
    // Session credentials sign `x-amz-security-token` too.
    client_with(&emu, ACCESS_KEY, SECRET_KEY, Some("session-token"), false)
        .converse()
        .model_id(HAIKU)
        .messages(user("hi"))
        .send()
        .await
        .expect("converse with a session token");
    let requests = emu.requests();
    assert_eq!(requests.len(), 4);
    assert!(requests.iter().all(|r| r.auth_error.is_none()));
    assert!(requests[3]
        .headers
        .iter()
        .any(|(k, v)| k == "x-amz-security-token" && v == "session-token"));
}

#[tokio::test]
async fn wrong_credentials_and_tampering_fail() {
    let emu = emulator();
    let converse = |c: Client| async move {
        c.converse()
            .model_id(HAIKU)
            .messages(user("hi"))
            .send()
            .await
            .expect_err("refused")
            .into_service_error()
    };
    let err = converse(client_with(&emu, ACCESS_KEY, "wrong", None, false)).await;
    assert_eq!(err.code(), Some("InvalidSignatureException"));
    assert_eq!(
        err.message(),
        Some(
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
        )
    );
    let err = converse(client_with(&emu, "AKIDUNKNOWN", SECRET_KEY, None, false)).await;
    assert_eq!(err.code(), Some("UnrecognizedClientException"));
    assert_eq!(
        err.message(),
        Some("The security token included in the request is invalid.")
    );
    let err = converse(client_with(&emu, ACCESS_KEY, SECRET_KEY, None, true)).await;
    assert_eq!(err.code(), Some("InvalidSignatureException"));
    let refused: Vec<_> = emu
        .requests()
        .into_iter()
        .map(|r| r.auth_error.unwrap_or_default())
        .collect();
    assert_eq!(
        refused,
        [
            "InvalidSignatureException",
            "UnrecognizedClientException",
            "InvalidSignatureException"
        ]
    );
}

type Input =
    Result<InvokeModelWithBidirectionalStreamInput, InvokeModelWithBidirectionalStreamInputError>;

struct Inputs(mpsc::Receiver<Input>);

impl futures_core::Stream for Inputs {
    type Item = Input;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Input>> {
        self.0.poll_recv(cx)
    }
}

/// Sends a raw HTTP/1.1 request and reads the whole answer (the connection closes after it).
fn raw(emu: &EmulatorHandle, head: &str, headers: &[(String, String)], body: &[u8]) -> String {
    let mut stream = TcpStream::connect(emu.local_addr()).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut request = format!("{head} HTTP/1.1\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    ));
    stream.write_all(request.as_bytes()).expect("write");
    stream.write_all(body).expect("write body");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

/// The SDK's bidirectional stream passes with its `:chunk-signature` chain checked; replayed
/// with one envelope's payload changed, the chain breaks and the stream ends in a
/// validationException.
#[tokio::test]
async fn bidirectional_chunk_signatures() {
    let emu = emulator();
    let c = client_with(&emu, ACCESS_KEY, SECRET_KEY, None, false);
    let (tx, rx) = mpsc::channel(4);
    for i in 0..3 {
        tx.send(Ok(InvokeModelWithBidirectionalStreamInput::Chunk(
            BidirectionalInputPayloadPart::builder()
                .bytes(Blob::new(format!(r#"{{"i": {i}}}"#)))
                .build(),
        )))
        .await
        .expect("send");
    }
    drop(tx);
    let mut out = c
        .invoke_model_with_bidirectional_stream()
        .model_id(SONIC)
        .body(EventStreamSender::from(Inputs(rx)))
        .send()
        .await
        .expect("open");
    let mut chunks = 0;
    while let Some(event) = tokio::time::timeout(Duration::from_secs(10), out.body.recv())
        .await
        .expect("no stall")
        .expect("valid events: every chunk signature matched")
    {
        assert!(matches!(
            event,
            InvokeModelWithBidirectionalStreamOutput::Chunk(_)
        ));
        chunks += 1;
    }
    assert_eq!(chunks, 4, "three echoes and the end");

    let recorded = emu.requests().pop().expect("recorded");
    assert_eq!(recorded.auth_error, None);
    let headers: Vec<(String, String)> = recorded
        .headers
        .iter()
        .filter(|(k, _)| k != "transfer-encoding" && k != "content-length")
        .cloned()
        .collect();
    let head = format!("POST {}", recorded.path);
    let answer = raw(&emu, &head, &headers, &recorded.body);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(!answer.contains("Exception"), "{answer}");

    // Change the inner event of the second envelope (keeping it well-formed).
    let mut body = recorded.body.clone();
    let mut envelopes = Vec::new();
    while body.has_remaining() {
        let len = u32::from_be_bytes([body[0], body[1], body[2], body[3]]) as usize;
        envelopes.push(read_message_from(body.split_to(len)).expect("message"));
    }
    let inner = read_message_from(envelopes[1].payload().clone()).expect("inner");
    let changed =
        aws_smithy_types::event_stream::Message::new(br#"{"bytes":"eyJpIjogOTl9"}"#.to_vec());
    let changed = inner
        .headers()
        .iter()
        .fold(changed, |m, h| m.add_header(h.clone()));
    let mut payload = Vec::new();
    write_message_to(&changed, &mut payload).expect("encode");
    let mut tampered = envelopes[1].clone();
    tampered = tampered.headers().iter().fold(
        aws_smithy_types::event_stream::Message::new(payload),
        |m, h| m.add_header(h.clone()),
    );
    envelopes[1] = tampered;
    let mut replay = Vec::new();
    for e in &envelopes {
        write_message_to(e, &mut replay).expect("encode");
    }
    let answer = raw(&emu, &head, &headers, &replay);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("validationException"), "{answer}");
    assert!(answer.contains(":chunk-signature"), "{answer}");
}

#[test]
fn bearer_tokens_and_auth_errors_over_http() {
    let emu = emulator();
    let body = br#"{"messages":[{"role":"user","content":[{"text":"hi"}]}]}"#;
    let head = "POST /model/amazon.nova-lite-v1%3A0/converse";
    let bearer = |token: &str| vec![("authorization".to_string(), format!("Bearer {token}"))];
    let ok = raw(&emu, head, &bearer(TOKEN), body);
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    let refused = raw(&emu, head, &bearer("not-a-key"), body);
    assert!(refused.starts_with("HTTP/1.1 403"), "{refused}");
    assert!(refused.to_ascii_lowercase().contains(
        "x-amzn-errortype: unrecognizedclientexception:http://internal.amazon.com/coral/com.amazon.coral.service/"
    ));
    let missing = raw(&emu, head, &[], body);
    assert!(missing.starts_with("HTTP/1.1 403"), "{missing}");
    assert!(missing.contains(r#"{"message":"Missing Authentication Token"}"#));
    // Control endpoints need no credentials.
    let control = raw(&emu, "GET /_emulator/faults", &[], b"");
    assert!(control.starts_with("HTTP/1.1 200"), "{control}");
    // Checking can be turned off at run time.
    emu.set_auth(AuthConfig::default());
    assert!(raw(&emu, head, &[], body).starts_with("HTTP/1.1 200"));
}

/// A stream fault on a signed bidirectional stream still ends in the injected exception event.
#[tokio::test]
async fn signed_bidirectional_stream_with_an_exception_fault() {
    let emu = emulator();
    emu.fail_stream(
        SONIC,
        1,
        bedrock_cris_emulator::StreamEnd::Exception(bedrock_cris_emulator::ApiError::new(
            "ThrottlingException",
            "slow down",
        )),
        None,
    );
    for _ in 0..5 {
        // A client per stream: a stream the server ends with an exception while the
        // input may still be open leaves its HTTP/1.1 connection closed by the server,
        // and reusing it from the pool would race that close (IncompleteMessage).
        let c = client_with(&emu, ACCESS_KEY, SECRET_KEY, None, false);
        let (tx, rx) = mpsc::channel(4);
        for i in 0..2 {
            tx.send(Ok(InvokeModelWithBidirectionalStreamInput::Chunk(
                BidirectionalInputPayloadPart::builder()
                    .bytes(Blob::new(format!(r#"{{"i": {i}}}"#)))
                    .build(),
            )))
            .await
            .expect("send");
        }
        drop(tx);
        let mut out = c
            .invoke_model_with_bidirectional_stream()
            .model_id(SONIC)
            .body(EventStreamSender::from(Inputs(rx)))
            .send()
            .await
            .expect("open");
        assert!(out.body.recv().await.expect("first").is_some());
        let err = out.body.recv().await.expect_err("the injected exception");
        let service = err.into_service_error();
        assert!(service.is_throttling_exception(), "{service:?}");
    }
}
