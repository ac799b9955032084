//! Tokens byte for byte as the Ruby gem issues them. `fixtures/gem/gem-tokens.json` was made by
//! `fixtures/gem/generate.rb` with Ruby 3.1 and ruby-jwt 2.5.0 (the gem's rule: `defaults.merge(claims)`).
//! HS and RS signatures are deterministic, so the whole token must match; ES signatures are random, so the
//! header and payload must match and the signature must verify.

use std::time::Duration;

use hotsock::{Algorithm, Config, Issuer};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::support::*;

#[derive(Deserialize)]
struct Case {
    name: String,
    alg: String,
    now: u64,
    config: GemConfig,
    claims: String,
    token: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GemConfig {
    issuer_key_id: Option<String>,
    issuer_aud_claim: Option<serde_json::Value>,
    issuer_iss_claim: Option<String>,
    issuer_iat_claim: bool,
    issuer_jti_claim: bool,
    issuer_token_ttl: Option<u64>,
}

fn key_file(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::ES256 => "ec-p256-pkcs8-in-ec-label.pem",
        Algorithm::ES384 => "ec-p384-sec1.pem",
        Algorithm::ES512 => "ec-p521-sec1.pem",
        _ => "rsa-2048-pkcs1.pem",
    }
}

fn gem_secret(alg: Algorithm) -> Vec<u8> {
    match alg {
        Algorithm::HS256 => vec![b's'; 32],
        Algorithm::HS384 => vec![b't'; 48],
        _ => vec![b'u'; 64],
    }
}

#[test]
fn tokens_match_the_ruby_gem_byte_for_byte() {
    let cases: Vec<Case> = serde_json::from_str(include_str!("../fixtures/gem/gem-tokens.json"))
        .expect("gem-tokens.json");
    assert_eq!(cases.len(), 54, "6 cases x 9 algorithms");
    for case in cases {
        let alg: Algorithm = case.alg.parse().unwrap();
        let mut b = Config::builder().issuer_key_algorithm(alg);
        b = if alg.is_hmac() {
            b.issuer_private_key(gem_secret(alg))
        } else {
            b.issuer_private_key(key_text(key_file(alg)))
        };
        let c = &case.config;
        if let Some(kid) = &c.issuer_key_id {
            b = b.issuer_key_id(kid);
        }
        match &c.issuer_aud_claim {
            Some(serde_json::Value::String(s)) => b = b.issuer_aud_claim(s.as_str()),
            Some(serde_json::Value::Array(a)) => {
                b = b.issuer_aud_claim(
                    a.iter()
                        .map(|v| v.as_str().unwrap().to_owned())
                        .collect::<Vec<_>>(),
                )
            }
            _ => {}
        }
        if let Some(iss) = &c.issuer_iss_claim {
            b = b.issuer_iss_claim(iss);
        }
        if let Some(ttl) = c.issuer_token_ttl {
            b = b.issuer_token_ttl(Duration::from_secs(ttl));
        }
        let now = std::time::UNIX_EPOCH + Duration::from_secs(case.now);
        let config = b
            .issuer_iat_claim(c.issuer_iat_claim)
            .issuer_jti_claim(c.issuer_jti_claim)
            .clock(move || now)
            .build()
            .unwrap();
        let claims: &RawValue = serde_json::from_str(&case.claims).unwrap();
        let token = Issuer::new(&config).unwrap().issue(claims).unwrap();
        let what = format!("{} {}", case.alg, case.name);
        if matches!(alg, Algorithm::ES256 | Algorithm::ES384 | Algorithm::ES512) {
            assert_eq!(parts(&token), parts(&case.token), "{what}");
            verify_independently(&case.token, alg, None);
        } else {
            assert_eq!(token, case.token, "{what}");
        }
        verify_independently(
            &token,
            alg,
            alg.is_hmac().then(|| gem_secret(alg)).as_deref(),
        );
    }
}

/// The gem's own test cases (hotsock-spec.md §1.8, tests 5, 6, 9, 11 and 12), written out as the exact header
/// and payload JSON the gem produces.
#[test]
fn the_gem_test_cases_give_the_gem_bytes() {
    let issue = |b: hotsock::ConfigBuilder, claims: serde_json::Value| {
        let config = b.clock(now).build().unwrap();
        parts(&Issuer::new(&config).unwrap().issue(&claims).unwrap())
    };
    let es256 = || Config::builder().issuer_private_key(key_text("ec-p256-pkcs8-in-ec-label.pem"));
    // 5: kid, aud and iss defaults with the caller's exp
    assert_eq!(
        issue(
            es256()
                .issuer_key_id("95616b70")
                .issuer_aud_claim("hotsock")
                .issuer_iss_claim("me"),
            serde_json::json!({"exp": 1700000005})
        ),
        (
            r#"{"typ":"JWT","kid":"95616b70","alg":"ES256"}"#.into(),
            r#"{"aud":"hotsock","iss":"me","exp":1700000005}"#.into()
        )
    );
    // 6: caller claims override every default in place; no kid without issuer_key_id
    let (header, payload) = {
        #[derive(serde::Serialize)]
        struct Override {
            exp: u64,
            aud: &'static str,
            iss: &'static str,
            iat: u64,
            jti: &'static str,
        }
        let config = es256()
            .issuer_aud_claim("hotsock")
            .issuer_iss_claim("me")
            .issuer_jti_claim(true)
            .issuer_iat_claim(true)
            .issuer_token_ttl(Duration::from_secs(10))
            .clock(now)
            .build()
            .unwrap();
        let claims = Override {
            exp: NOW + 5,
            aud: "hotsock-override",
            iss: "you",
            iat: NOW - 5,
            jti: "less-unique",
        };
        parts(&Issuer::new(&config).unwrap().issue(&claims).unwrap())
    };
    assert_eq!(header, r#"{"typ":"JWT","alg":"ES256"}"#);
    assert_eq!(
        payload,
        r#"{"aud":"hotsock-override","iat":1699999995,"iss":"you","jti":"less-unique","exp":1700000005}"#
    );
    // 9: a TTL of 10 and no claims
    assert_eq!(
        issue(
            es256().issuer_token_ttl(Duration::from_secs(10)),
            serde_json::json!({})
        )
        .1,
        r#"{"exp":1700000010}"#
    );
    // 11 and 12: RS256 and HS256 with the caller's exp only
    assert_eq!(
        issue(
            Config::builder()
                .issuer_key_algorithm(Algorithm::RS256)
                .issuer_private_key(key_text("rsa-2048-pkcs1.pem")),
            serde_json::json!({"exp": 1700000005})
        ),
        (
            r#"{"typ":"JWT","alg":"RS256"}"#.into(),
            r#"{"exp":1700000005}"#.into()
        )
    );
    assert_eq!(
        issue(
            Config::builder()
                .issuer_key_algorithm(Algorithm::HS256)
                .issuer_private_key("s".repeat(32)),
            serde_json::json!({"exp": 1700000005})
        ),
        (
            r#"{"typ":"JWT","alg":"HS256"}"#.into(),
            r#"{"exp":1700000005}"#.into()
        )
    );
}
