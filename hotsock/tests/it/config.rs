//! Building a `Config`: every option, env variables, and validation errors that name the field.

use std::time::Duration;

use base64::Engine as _;
use hotsock::{Algorithm, Audience, Config, ErrorKind};

use crate::support::*;

fn config_error(b: hotsock::ConfigBuilder, field: &str) -> hotsock::Error {
    let e = b.build().expect_err("the configuration must be refused");
    assert_eq!(
        (e.kind(), e.field()),
        (ErrorKind::Config, Some(field)),
        "{e}"
    );
    e
}

#[test]
fn every_option_through_the_builder() {
    let config = Config::builder()
        .publish_function_arn(
            "arn:aws:lambda:us-east-1:111111111111:function:Hotsock-PublishFunction",
        )
        .aws_region("us-east-1")
        .aws_access_key_id("AKIAEXAMPLE")
        .aws_secret_access_key("secret/example+key")
        .aws_session_token("token")
        .aws_assume_role_arn("arn:aws:iam::111111111111:role/hotsock-publisher")
        .aws_assume_role_session_name("my-app")
        .aws_assume_role_external_id("ext-id-42")
        .aws_endpoint_url("http://127.0.0.1:5000")
        .issuer_private_key(key_text("ec-p384-sec1.pem"))
        .issuer_key_algorithm(Algorithm::ES384)
        .issuer_key_id("kid")
        .issuer_aud_claim(["a", "b"])
        .issuer_iat_claim(true)
        .issuer_iss_claim("iss")
        .issuer_jti_claim(true)
        .issuer_token_ttl(Duration::from_millis(10_900))
        .issuer_allow_missing_exp(true)
        .build()
        .unwrap();
    assert_eq!(
        config.publish_function_arn(),
        Some("arn:aws:lambda:us-east-1:111111111111:function:Hotsock-PublishFunction")
    );
    assert_eq!(config.aws_region(), Some("us-east-1"));
    assert_eq!(config.aws_access_key_id(), Some("AKIAEXAMPLE"));
    assert!(config.has_aws_secret_access_key() && config.has_aws_session_token());
    assert_eq!(
        config.aws_assume_role_arn(),
        Some("arn:aws:iam::111111111111:role/hotsock-publisher")
    );
    assert_eq!(config.aws_assume_role_session_name(), Some("my-app"));
    assert_eq!(config.aws_assume_role_external_id(), Some("ext-id-42"));
    assert_eq!(config.aws_endpoint_url(), Some("http://127.0.0.1:5000"));
    assert!(config.has_issuer_private_key());
    assert_eq!(config.issuer_key_algorithm(), Algorithm::ES384);
    assert_eq!(config.issuer_key_id(), Some("kid"));
    assert_eq!(
        config.issuer_aud_claim(),
        Some(&Audience::Many(vec!["a".into(), "b".into()]))
    );
    assert!(
        config.issuer_iat_claim() && config.issuer_jti_claim() && config.issuer_allow_missing_exp()
    );
    assert_eq!(config.issuer_iss_claim(), Some("iss"));
    // whole seconds, rounded down
    assert_eq!(config.issuer_token_ttl(), Some(Duration::from_secs(10)));
}

#[test]
fn every_option_through_env_vars() {
    let der_b64 = base64::engine::general_purpose::STANDARD.encode(key_bytes("ed25519-pkcs8.der"));
    let config = Config::builder()
        .env_vars([
            ("HOTSOCK_PUBLISH_FUNCTION_ARN", "Hotsock-PublishFunction"),
            ("HOTSOCK_AWS_REGION", "eu-west-2"),
            ("HOTSOCK_AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"),
            ("HOTSOCK_AWS_SECRET_ACCESS_KEY", "secret"),
            ("HOTSOCK_AWS_SESSION_TOKEN", "token"),
            (
                "HOTSOCK_AWS_ASSUME_ROLE_ARN",
                "arn:aws:iam::111111111111:role/r",
            ),
            ("HOTSOCK_AWS_ASSUME_ROLE_SESSION_NAME", "sess"),
            ("HOTSOCK_AWS_ASSUME_ROLE_EXTERNAL_ID", "ext"),
            ("HOTSOCK_AWS_ENDPOINT_URL", "https://localhost:4566"),
            ("HOTSOCK_ISSUER_PRIVATE_KEY_BASE64", der_b64.as_str()),
            ("HOTSOCK_ISSUER_KEY_ALGORITHM", "EdDSA"),
            ("HOTSOCK_ISSUER_KEY_ID", "k"),
            ("HOTSOCK_ISSUER_AUD_CLAIM", r#"["x","y"]"#),
            ("HOTSOCK_ISSUER_IAT_CLAIM", "true"),
            ("HOTSOCK_ISSUER_ISS_CLAIM", "me"),
            ("HOTSOCK_ISSUER_JTI_CLAIM", "1"),
            ("HOTSOCK_ISSUER_TOKEN_TTL", "30"),
            ("HOTSOCK_ISSUER_ALLOW_MISSING_EXP", "no"),
            ("HOTSOCK_ISSUER_ALLOW_SHORT_HMAC_SECRET", "false"),
            ("HOTSOCK_ISSUER_UNKNOWN", "ignored"),
            ("AWS_REGION", "ignored-here"),
            ("HOTSOCK_ISSUER_KEY_ID_EMPTY", ""),
        ])
        .build()
        .unwrap();
    assert_eq!(
        config.publish_function_arn(),
        Some("Hotsock-PublishFunction")
    );
    assert_eq!(config.aws_region(), Some("eu-west-2"));
    assert_eq!(config.aws_assume_role_external_id(), Some("ext"));
    assert_eq!(config.aws_endpoint_url(), Some("https://localhost:4566"));
    assert_eq!(config.issuer_key_algorithm(), Algorithm::EdDSA);
    assert_eq!(
        config.issuer_aud_claim(),
        Some(&Audience::Many(vec!["x".into(), "y".into()]))
    );
    assert!(
        config.issuer_iat_claim()
            && config.issuer_jti_claim()
            && !config.issuer_allow_missing_exp()
    );
    assert_eq!(config.issuer_token_ttl(), Some(Duration::from_secs(30)));
    let token = hotsock::Issuer::new(&config)
        .unwrap()
        .issue(&serde_json::json!({}))
        .unwrap();
    verify_independently(&token, Algorithm::EdDSA, None);
}

#[test]
fn env_key_forms_and_later_builder_calls_override() {
    let pem = key_text("ec-p256-sec1.pem");
    let b64 = base64::engine::general_purpose::STANDARD.encode(&pem);
    let path = key_path("ec-p256-sec1.pem");
    for vars in [
        vec![(
            "HOTSOCK_ISSUER_PRIVATE_KEY".to_owned(),
            pem.replace('\n', "\\n"),
        )],
        vec![("HOTSOCK_ISSUER_PRIVATE_KEY_BASE64".to_owned(), b64.clone())],
        vec![(
            "HOTSOCK_ISSUER_PRIVATE_KEY_FILE".to_owned(),
            path.display().to_string(),
        )],
    ] {
        let config = Config::builder()
            .env_vars(vars)
            .issuer_key_id("override")
            .build()
            .unwrap();
        assert!(config.has_issuer_private_key());
        assert_eq!(config.issuer_key_id(), Some("override"));
    }
    let e = config_error(
        Config::builder().env_vars([
            ("HOTSOCK_ISSUER_PRIVATE_KEY_BASE64", b64.as_str()),
            ("HOTSOCK_ISSUER_PRIVATE_KEY", "x"),
        ]),
        "issuer_private_key",
    );
    assert!(e.to_string().contains("set only one of"), "{e}");
}

#[test]
fn env_values_that_do_not_parse() {
    config_error(
        Config::builder().env_vars([("HOTSOCK_ISSUER_TOKEN_TTL", "10s")]),
        "issuer_token_ttl",
    );
    config_error(
        Config::builder().env_vars([("HOTSOCK_ISSUER_TOKEN_TTL", "-1")]),
        "issuer_token_ttl",
    );
    config_error(
        Config::builder().env_vars([("HOTSOCK_ISSUER_IAT_CLAIM", "maybe")]),
        "issuer_iat_claim",
    );
    config_error(
        Config::builder().env_vars([("HOTSOCK_ISSUER_AUD_CLAIM", "[1,2]")]),
        "issuer_aud_claim",
    );
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt as _;
        let bad = std::ffi::OsStr::from_bytes(b"\xff\xfe");
        config_error(
            Config::builder().env_vars([(std::ffi::OsStr::new("HOTSOCK_AWS_REGION"), bad)]),
            "aws_region",
        );
    }
}

#[test]
fn invalid_values_name_their_field() {
    let b = Config::builder;
    config_error(b().aws_region(""), "aws_region");
    config_error(b().aws_region("US East 1"), "aws_region");
    config_error(
        b().publish_function_arn("my function"),
        "publish_function_arn",
    );
    config_error(
        b().publish_function_arn("x".repeat(171)),
        "publish_function_arn",
    );
    config_error(b().aws_access_key_id("AKIA"), "aws_secret_access_key");
    config_error(b().aws_secret_access_key("s"), "aws_access_key_id");
    config_error(
        b().aws_access_key_id("AKIA").aws_secret_access_key("s\n"),
        "aws_secret_access_key",
    );
    config_error(b().aws_session_token("t"), "aws_session_token");
    config_error(
        b().aws_assume_role_arn("hotsock-publisher"),
        "aws_assume_role_arn",
    );
    config_error(
        b().aws_assume_role_session_name("s"),
        "aws_assume_role_session_name",
    );
    config_error(
        b().aws_assume_role_external_id("ext"),
        "aws_assume_role_external_id",
    );
    let role = || b().aws_assume_role_arn("arn:aws:iam::1:role/r");
    config_error(
        role().aws_assume_role_session_name("a"),
        "aws_assume_role_session_name",
    );
    config_error(
        role().aws_assume_role_session_name("has space"),
        "aws_assume_role_session_name",
    );
    config_error(
        role().aws_assume_role_external_id("x".repeat(1225)),
        "aws_assume_role_external_id",
    );
    config_error(b().aws_endpoint_url("localhost:4566"), "aws_endpoint_url");
    config_error(b().aws_endpoint_url("http://"), "aws_endpoint_url");
    config_error(b().issuer_key_id(""), "issuer_key_id");
    config_error(b().issuer_iss_claim(""), "issuer_iss_claim");
    config_error(b().issuer_aud_claim(""), "issuer_aud_claim");
    config_error(b().issuer_aud_claim(Vec::new()), "issuer_aud_claim");
    config_error(
        b().issuer_token_ttl(Duration::from_millis(500)),
        "issuer_token_ttl",
    );
}

#[test]
fn one_sided_configs_are_valid() {
    let issuing_only = Config::builder()
        .issuer_private_key(key_text("ec-p256-sec1.pem"))
        .build()
        .unwrap();
    assert!(issuing_only.has_issuer_private_key() && issuing_only.publish_function_arn().is_none());
    let publishing_only = Config::builder().publish_function_arn("f").build().unwrap();
    assert!(!publishing_only.has_issuer_private_key());
    let empty = Config::builder().build().unwrap();
    assert_eq!(empty.issuer_key_algorithm(), Algorithm::ES256);
    assert_eq!(empty.issuer_token_ttl(), None);
    // a zero TTL means no default exp, as in the gem
    assert_eq!(
        Config::builder()
            .issuer_token_ttl(Duration::ZERO)
            .build()
            .unwrap()
            .issuer_token_ttl(),
        None
    );
}
