//! Integration tests of the local Hotsock, with the `hotsock` library's own `Publisher` and `Issuer` and a
//! real WebSocket client (tokio-tungstenite). Everything runs on loopback.

mod support;

/// Publishing over the Lambda Invoke API and the HTTP API; the Channels API.
mod publish;
/// The WebSocket API: connecting, subscribing, refusals, client publishing, presence.
mod ws;
