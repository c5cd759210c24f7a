//! The emulator through the AWS SDK for Rust, the client the project wraps.

use aws_sdk_bedrockruntime::config::{BehaviorVersion, Credentials, Region};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use aws_sdk_bedrockruntime::primitives::event_stream::EventStreamSender;
use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types::error::InvokeModelWithBidirectionalStreamInputError;
use aws_sdk_bedrockruntime::types::{
    BidirectionalInputPayloadPart, ContentBlock, ConversationRole, ConverseStreamOutput,
    InvokeModelWithBidirectionalStreamInput, InvokeModelWithBidirectionalStreamOutput, Message,
};
use aws_sdk_bedrockruntime::Client;
use aws_smithy_eventstream::frame::read_message_from;
use bedrock_cris_emulator::{start, ApiError, EmulatorConfig, EmulatorHandle, StreamEnd};
use bytes::Buf;
use serde_json::{json, Value};
use tokio::sync::mpsc;

const HAIKU: &str = "global.anthropic.claude-haiku-4-5-20251001-v1:0";
const SONIC: &str = "amazon.nova-sonic-v1:0";

fn client(emu: &EmulatorHandle) -> Client {
    let config = aws_sdk_bedrockruntime::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("ap-south-1"))
        .endpoint_url(emu.endpoint_url())
        .credentials_provider(Credentials::new(
            "test",
            "test",
            None,
            None,
            "emulator-test",
        ))
        .retry_config(aws_sdk_bedrockruntime::config::retry::RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

fn user(text: &str) -> Message {
    Message::builder()
        .role(ConversationRole::User)
        .content(ContentBlock::Text(text.into()))
        .build()
        .expect("message")
}

#[tokio::test]
async fn converse_parses() {
    let emu = start(EmulatorConfig::default()).expect("start");
    let out = client(&emu)
        .converse()
        .model_id(HAIKU)
        .messages(user("Explain cloud computing in 2 sentences."))
        .send()
        .await
        .expect("converse");
    let usage = out.usage().expect("usage");
    assert_eq!(usage.input_tokens(), 7);
    assert_eq!(
        usage.total_tokens(),
        usage.input_tokens() + usage.output_tokens()
    );
    let message = out
        .output()
        .and_then(|o| o.as_message().ok())
        .expect("message");
    assert!(message.content()[0].as_text().is_ok());
    // The SDK sends the ':' of the model id percent-encoded; the recorder keeps it raw.
    assert!(emu.requests()[0].path.contains("v1%3A0"));
}

#[tokio::test]
async fn converse_stream_parses() {
    let emu = start(EmulatorConfig::default()).expect("start");
    let mut out = client(&emu)
        .converse_stream()
        .model_id(format!("emulator.deltas.500.{HAIKU}"))
        .messages(user("hi"))
        .send()
        .await
        .expect("converse_stream");
    let mut deltas = 0;
    let mut metadata = false;
    while let Some(event) = out.stream.recv().await.expect("event") {
        match event {
            ConverseStreamOutput::ContentBlockDelta(_) => deltas += 1,
            ConverseStreamOutput::Metadata(_) => metadata = true,
            _ => {}
        }
    }
    assert_eq!(deltas, 500);
    assert!(metadata);
}

#[tokio::test]
async fn stream_exception_is_a_modelled_error() {
    let emu = start(EmulatorConfig::default()).expect("start");
    emu.fail_stream(
        HAIKU,
        2,
        StreamEnd::Exception(ApiError::new("ThrottlingException", "slow down")),
        None,
    );
    let mut out = client(&emu)
        .converse_stream()
        .model_id(HAIKU)
        .messages(user("hi"))
        .send()
        .await
        .expect("converse_stream");
    let mut events = 0;
    let err = loop {
        match out.stream.recv().await {
            Ok(Some(_)) => events += 1,
            Ok(None) => panic!("stream ended without the injected exception"),
            Err(e) => break e,
        }
    };
    assert_eq!(events, 2);
    let service = err.into_service_error();
    assert!(service.is_throttling_exception(), "{service:?}");
}

#[tokio::test]
async fn invoke_model_and_errors_parse() {
    let emu = start(EmulatorConfig::default()).expect("start");
    let c = client(&emu);
    let body = r#"{"texts":["hello"],"input_type":"search_document","embedding_types":["float"],"output_dimension":1024}"#;
    let out = c
        .invoke_model()
        .model_id("global.cohere.embed-v4:0")
        .content_type("application/json")
        .body(Blob::new(body))
        .send()
        .await
        .expect("invoke_model");
    assert_eq!(out.content_type(), "application/json");
    let v: serde_json::Value = serde_json::from_slice(out.body().as_ref()).expect("json");
    assert_eq!(
        v["embeddings"]["float"][0].as_array().map(Vec::len),
        Some(1024)
    );

    let err = c
        .converse()
        .model_id("emulator.error.ThrottlingException")
        .messages(user("hi"))
        .send()
        .await
        .expect_err("throttled");
    let service = err.into_service_error();
    assert!(service.is_throttling_exception());
    assert_eq!(
        aws_sdk_bedrockruntime::error::ProvideErrorMetadata::message(&service),
        Some("Too many requests, please wait before trying again.")
    );

    emu.fail(
        HAIKU,
        ApiError::new("ModelErrorException", "bad model"),
        Some(1),
    );
    let err = c
        .converse()
        .model_id(HAIKU)
        .messages(user("hi"))
        .send()
        .await
        .expect_err("model error");
    assert!(err.into_service_error().is_model_error_exception());
}

type Input =
    Result<InvokeModelWithBidirectionalStreamInput, InvokeModelWithBidirectionalStreamInputError>;

/// The input side of a bidirectional stream, fed from a channel: the test decides when each
/// event goes out and when the input ends (when the sender is dropped).
struct Inputs(mpsc::Receiver<Input>);

impl futures_core::Stream for Inputs {
    type Item = Input;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Input>> {
        self.0.poll_recv(cx)
    }
}

fn input_chunk(document: &Value) -> Input {
    Ok(InvokeModelWithBidirectionalStreamInput::Chunk(
        BidirectionalInputPayloadPart::builder()
            .bytes(Blob::new(document.to_string()))
            .build(),
    ))
}

/// The next output chunk's bytes as JSON (`None` at the end of the stream).
async fn next_output(
    out: &mut aws_sdk_bedrockruntime::operation::invoke_model_with_bidirectional_stream::InvokeModelWithBidirectionalStreamOutput,
) -> Option<Value> {
    let event = tokio::time::timeout(Duration::from_secs(10), out.body.recv())
        .await
        .expect("an answer without waiting for more input")
        .expect("a valid event")?;
    match event {
        InvokeModelWithBidirectionalStreamOutput::Chunk(part) => {
            Some(serde_json::from_slice(part.bytes().expect("bytes").as_ref()).expect("JSON bytes"))
        }
        other => panic!("unexpected event {other:?}"),
    }
}

/// Each input chunk is answered before the next is sent (a real duplex stream), text chunks
/// get a streamed text answer, and the end of the input ends the answer.
#[tokio::test]
async fn bidirectional_stream_answers_each_chunk_as_it_arrives() {
    let emu = start(EmulatorConfig::default()).expect("start");
    let (tx, rx) = mpsc::channel(1);
    let mut out = client(&emu)
        .invoke_model_with_bidirectional_stream()
        .model_id(SONIC)
        .body(EventStreamSender::from(Inputs(rx)))
        .send()
        .await
        .expect("the stream opens before any input is sent");
    for i in 0..3 {
        // Key order in the input never shows in the answer.
        let doc = json!({"z": i, "a": {"y": [1, 2], "b": null}});
        tx.send(input_chunk(&doc)).await.expect("send");
        let answer = next_output(&mut out).await.expect("an echo");
        assert_eq!(
            answer.to_string(),
            format!(r#"{{"index":{i},"echo":{{"a":{{"b":null,"y":[1,2]}},"z":{i}}}}}"#)
        );
    }
    tx.send(input_chunk(
        &json!({"text": "Explain cloud computing in 2 sentences."}),
    ))
    .await
    .expect("send");
    assert_eq!(next_output(&mut out).await.expect("echo")["index"], 3);
    let mut text = String::new();
    let stop = loop {
        let answer = next_output(&mut out).await.expect("a text answer");
        assert_eq!(answer["index"], 3);
        match answer.get("delta").and_then(Value::as_str) {
            Some(delta) => text.push_str(delta),
            None => break answer,
        }
    };
    assert!(text.ends_with('.'), "{text}");
    assert_eq!(stop["stopReason"], "end_turn");
    assert_eq!(stop["usage"]["inputTokens"], 7);
    drop(tx);
    let end = next_output(&mut out).await.expect("the end event");
    assert_eq!(end["end"]["inputChunks"], 4);
    assert!(
        next_output(&mut out).await.is_none(),
        "the answer ends with the input"
    );

    // What the SDK sent: an HTTP/1.1 chunked body of signed envelopes (`:chunk-signature`,
    // `:date`) around the chunk events, closed by an empty signed envelope.
    let recorded = emu.requests();
    let request = recorded.last().expect("recorded");
    assert_eq!(
        request.path,
        "/model/amazon.nova-sonic-v1%3A0/invoke-with-bidirectional-stream"
    );
    let header = |name: &str| {
        request
            .headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(
        header("content-type"),
        Some("application/vnd.amazon.eventstream")
    );
    assert_eq!(header("transfer-encoding"), Some("chunked"));
    assert!(header("authorization").is_some_and(|a| a.starts_with("AWS4-HMAC-SHA256")));
    let mut body = request.body.clone();
    let mut envelopes = Vec::new();
    while body.has_remaining() {
        let len = u32::from_be_bytes([body[0], body[1], body[2], body[3]]) as usize;
        envelopes.push(read_message_from(body.split_to(len)).expect("a valid message"));
    }
    assert_eq!(envelopes.len(), 5);
    for envelope in &envelopes {
        let names: Vec<&str> = envelope
            .headers()
            .iter()
            .map(|h| h.name().as_str())
            .collect();
        assert_eq!(names, [":chunk-signature", ":date"]);
    }
    assert!(
        envelopes[4].payload().is_empty(),
        "the end-of-input envelope"
    );
    let inner = read_message_from(envelopes[0].payload().clone()).expect("wrapped message");
    let names: Vec<&str> = inner.headers().iter().map(|h| h.name().as_str()).collect();
    assert_eq!(names, [":message-type", ":event-type", ":content-type"]);
}

#[tokio::test]
async fn bidirectional_stream_errors() {
    let emu = start(EmulatorConfig::default()).expect("start");
    let c = client(&emu);
    let open = |model: &str| {
        c.invoke_model_with_bidirectional_stream()
            .model_id(model)
            .body(EventStreamSender::from(Inputs(mpsc::channel(1).1)))
            .send()
    };
    // Errors before the stream opens are ordinary HTTP errors.
    let err = open("emulator.error.ThrottlingException")
        .await
        .expect_err("throttled");
    assert!(err.into_service_error().is_throttling_exception());
    let err = open(HAIKU).await.expect_err("not a bidirectional model");
    let service = err.into_service_error();
    assert!(service.is_validation_exception(), "{service:?}");

    // A stream fault: two answers, then a modelled exception event.
    emu.fail_stream(
        SONIC,
        2,
        StreamEnd::Exception(ApiError::new("ModelStreamErrorException", "stream broke")),
        Some(1),
    );
    let (tx, rx) = mpsc::channel(8);
    for i in 0..5 {
        tx.send(input_chunk(&json!({"i": i}))).await.expect("send");
    }
    let mut out = c
        .invoke_model_with_bidirectional_stream()
        .model_id(SONIC)
        .body(EventStreamSender::from(Inputs(rx)))
        .send()
        .await
        .expect("open");
    assert_eq!(next_output(&mut out).await.expect("first")["index"], 0);
    assert_eq!(next_output(&mut out).await.expect("second")["index"], 1);
    let err = out.body.recv().await.expect_err("the injected exception");
    let service = err.into_service_error();
    assert!(service.is_model_stream_error_exception(), "{service:?}");

    // Bytes that are not JSON: a validationException event ends the stream.
    let (tx, rx) = mpsc::channel(8);
    tx.send(Ok(InvokeModelWithBidirectionalStreamInput::Chunk(
        BidirectionalInputPayloadPart::builder()
            .bytes(Blob::new(&b"\x00 not json"[..]))
            .build(),
    )))
    .await
    .expect("send");
    let mut out = c
        .invoke_model_with_bidirectional_stream()
        .model_id(SONIC)
        .body(EventStreamSender::from(Inputs(rx)))
        .send()
        .await
        .expect("open");
    let err = out.body.recv().await.expect_err("validation");
    let service = err.into_service_error();
    assert!(service.is_validation_exception(), "{service:?}");
    drop(tx);
}
