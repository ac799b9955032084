//! Issues a Hotsock connect token and shows what is inside it.
//!
//! ```sh
//! cargo run --release -p hotsock --example issue_token
//! ```
//!
//! The signing configuration comes from the `HOTSOCK_*` environment variables when a key is set there
//! (`HOTSOCK_ISSUER_PRIVATE_KEY`, `_BASE64` or `_FILE`, plus `HOTSOCK_ISSUER_KEY_ALGORITHM` and friends);
//! otherwise the committed TEST-ONLY P-256 key is used, so that the example runs on a fresh machine.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "an example prints"
)]

use std::process::ExitCode;
use std::time::Duration;

use base64::Engine as _;
use serde::Serialize;

/// The claims of a Hotsock connect token (see the claims reference at hotsock.io/docs/connections/claims).
#[derive(Serialize)]
struct ConnectClaims<'a> {
    scope: &'a str,
    uid: &'a str,
    umd: serde_json::Value,
    channels: serde_json::Value,
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprint!("error: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                eprint!(": {s}");
                source = s.source();
            }
            eprintln!();
            ExitCode::FAILURE
        }
    }
}

fn run() -> hotsock::Result<()> {
    let env_has_key = std::env::vars().any(|(k, _)| k.starts_with("HOTSOCK_ISSUER_PRIVATE_KEY"));
    let mut builder = hotsock::Config::builder().env_vars(std::env::vars_os());
    if !env_has_key {
        eprintln!(
            "note: no HOTSOCK_ISSUER_PRIVATE_KEY* set; signing with the TEST-ONLY key in tests/fixtures/keys"
        );
        builder = builder
            .issuer_private_key_file(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/keys/ec-p256-sec1.pem"
            ))
            .issuer_key_id("test-key-1");
    }
    let config = builder
        .issuer_token_ttl(Duration::from_secs(60))
        .issuer_jti_claim(true)
        .build()?;
    let issuer = hotsock::Issuer::new(&config)?;
    let token = issuer.issue(&ConnectClaims {
        scope: "connect",
        uid: "user-1",
        umd: serde_json::json!({"name": "Ada"}),
        channels: serde_json::json!({"chat.general": {"subscribe": true, "messages": {"*": {"publish": true}}}}),
    })?;

    println!("{token}");
    let mut parts = token.split('.');
    for name in ["header", "claims"] {
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(parts.next().unwrap_or_default())
            .unwrap_or_default();
        eprintln!("{name}: {}", String::from_utf8_lossy(&json));
    }
    Ok(())
}
