//! The emulator through the AWS SDK for Rust, the client the project wraps.

use aws_sdk_bedrockruntime::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConversationRole, ConverseStreamOutput, Message,
};
use aws_sdk_bedrockruntime::Client;
use bedrock_cris_emulator::{start, ApiError, EmulatorConfig, EmulatorHandle, StreamEnd};

const HAIKU: &str = "global.anthropic.claude-haiku-4-5-20251001-v1:0";

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
