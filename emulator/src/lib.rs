//! A local Amazon Bedrock Runtime server (placeholder until the emulator lands).
