//! No secret appears in `Debug`, `Display` or any error: not the signing key, not an HMAC secret, not the
//! AWS secret access key or session token.

use std::time::Duration;

use base64::Engine as _;
use hotsock::{Algorithm, Config, Issuer};

use crate::support::*;

const AWS_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY01";
const SESSION_TOKEN: &str = "FwoGZXIvYXdzEXAMPLESESSIONTOKENSECRET0123";
const HMAC_SECRET: &str = "hmac-secret-that-must-never-leak-0123456789";

/// The strings whose appearance anywhere would be a leak.
fn forbidden() -> Vec<String> {
    let mut v = vec![
        AWS_SECRET.to_owned(),
        SESSION_TOKEN.to_owned(),
        HMAC_SECRET.to_owned(),
    ];
    for key in [
        "ec-p256-sec1.pem",
        "rsa-2048-pkcs1.pem",
        "ed25519-pkcs8.pem",
    ] {
        // every line of the PEM body, and the Base64 of the whole PEM
        v.extend(
            key_text(key)
                .lines()
                .filter(|l| !l.starts_with("-----"))
                .map(str::to_owned),
        );
        v.push(base64::engine::general_purpose::STANDARD.encode(key_text(key))[..40].to_owned());
    }
    v.push(base64::engine::general_purpose::STANDARD.encode(HMAC_SECRET));
    v
}

fn assert_clean(what: &str, text: &str) {
    for secret in forbidden() {
        assert!(!text.contains(&secret), "{what} leaks a secret: {text}");
    }
}

/// An error's `Display` and `Debug`, and those of every error in its `source()` chain.
fn chain(e: &hotsock::Error) -> String {
    let mut text = format!("{e} {e:?} {e:#?}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(" {s} {s:?}"));
        source = s.source();
    }
    text
}

fn full(key: &str, alg: Algorithm) -> hotsock::ConfigBuilder {
    Config::builder()
        .aws_access_key_id("AKIAEXAMPLE")
        .aws_secret_access_key(AWS_SECRET)
        .aws_session_token(SESSION_TOKEN)
        .issuer_key_algorithm(alg)
        .issuer_private_key(key)
        .issuer_token_ttl(Duration::from_secs(5))
}

#[test]
fn config_issuer_and_builder_redact_secrets() {
    for (key, alg) in [
        (key_text("ec-p256-sec1.pem"), Algorithm::ES256),
        (key_text("rsa-2048-pkcs1.pem"), Algorithm::RS256),
        (key_text("ed25519-pkcs8.pem"), Algorithm::EdDSA),
        (HMAC_SECRET.to_owned(), Algorithm::HS256),
    ] {
        assert_clean("ConfigBuilder", &format!("{:?}", full(&key, alg)));
        let config = full(&key, alg).build().unwrap();
        let debug = format!("{config:?} {config:#?}");
        assert_clean("Config", &debug);
        assert!(
            debug.contains("aws_secret_access_key: Some([redacted])"),
            "{debug}"
        );
        assert!(
            debug.contains("issuer_private_key: Some([redacted])"),
            "{debug}"
        );
        assert!(
            debug.contains("AKIAEXAMPLE"),
            "non-secret values stay visible: {debug}"
        );
        let issuer = Issuer::new(&config).unwrap();
        assert_clean("Issuer", &format!("{issuer:?} {issuer:#?}"));
    }
}

#[test]
fn errors_carry_no_secret() {
    let mut errors = vec![
        // short HMAC secret, a PEM given for HMAC, a secret with white space, a wrong key type
        full("short-secret", Algorithm::HS256).build().unwrap_err(),
        full(&key_text("ec-p256-sec1.pem"), Algorithm::HS512)
            .build()
            .unwrap_err(),
        full(&key_text("ec-p256-sec1.pem"), Algorithm::RS256)
            .build()
            .unwrap_err(),
        full(&key_text("rsa-2048-pkcs1.pem"), Algorithm::ES256)
            .build()
            .unwrap_err(),
        full(&format!("{HMAC_SECRET}-but-not-a-key"), Algorithm::ES256)
            .build()
            .unwrap_err(),
        full(
            &key_text("ec-p256-sec1.pem").replace("-----END", "x-----END"),
            Algorithm::ES256,
        )
        .build()
        .unwrap_err(),
        Config::builder()
            .aws_access_key_id("AKIA")
            .aws_secret_access_key(format!("{AWS_SECRET}\n"))
            .build()
            .unwrap_err(),
        Config::builder()
            .aws_session_token(SESSION_TOKEN)
            .build()
            .unwrap_err(),
        Config::builder()
            .issuer_private_key_base64(format!("{HMAC_SECRET}!!"))
            .build()
            .unwrap_err(),
        Config::builder()
            .env_vars([
                ("HOTSOCK_ISSUER_PRIVATE_KEY", HMAC_SECRET),
                ("HOTSOCK_ISSUER_PRIVATE_KEY_BASE64", HMAC_SECRET),
            ])
            .build()
            .unwrap_err(),
    ];
    let issuer = Issuer::new(&full(HMAC_SECRET, Algorithm::HS256).build().unwrap()).unwrap();
    errors.push(
        issuer
            .issue(&serde_json::json!(["not", "an", "object"]))
            .unwrap_err(),
    );
    for e in errors {
        assert_clean("an error", &chain(&e));
    }
}

#[tokio::test]
async fn publisher_and_publish_errors_carry_no_secret() {
    let config = full(&key_text("ec-p256-sec1.pem"), Algorithm::ES256)
        .publish_function_arn("f")
        .aws_region("us-east-1")
        .aws_endpoint_url("http://127.0.0.1:9")
        .build()
        .unwrap();
    let publisher = hotsock::Publisher::builder(&config)
        .max_attempts(1)
        .build()
        .await
        .unwrap();
    assert_clean("Publisher", &format!("{publisher:?} {publisher:#?}"));
    let e = publisher
        .publish(&hotsock::Message::new("c", "e"))
        .await
        .unwrap_err();
    assert_clean("a publish error", &chain(&e));
}
