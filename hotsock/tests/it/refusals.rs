//! Every refused input gets a typed error (kind and field asserted), and no input makes the issuer panic.

use std::time::Duration;

use hotsock::{Algorithm, Config, ConfigBuilder, ErrorKind, Issuer};

use crate::support::*;

fn key_error(b: ConfigBuilder) -> hotsock::Error {
    let e = b.build().expect_err("the key must be refused");
    assert_eq!(e.kind(), ErrorKind::Key, "{e}");
    assert!(e.field().unwrap().starts_with("issuer_private_key"), "{e}");
    e
}

fn with_key(alg: Algorithm, key: &str) -> ConfigBuilder {
    Config::builder()
        .issuer_key_algorithm(alg)
        .issuer_private_key(key_text(key))
}

#[test]
fn unknown_algorithm() {
    for name in ["ED25519", "es256", "none", "RS1024"] {
        let e = name.parse::<Algorithm>().unwrap_err();
        assert_eq!(
            (e.kind(), e.field()),
            (ErrorKind::Config, Some("issuer_key_algorithm"))
        );
        let e = Config::builder()
            .env_vars([("HOTSOCK_ISSUER_KEY_ALGORITHM", name)])
            .build()
            .unwrap_err();
        assert_eq!(
            (e.kind(), e.field()),
            (ErrorKind::Config, Some("issuer_key_algorithm"))
        );
    }
}

#[test]
fn rsa_key_for_es256() {
    let e = key_error(with_key(Algorithm::ES256, "rsa-2048-pkcs8.pem"));
    assert_eq!(
        e.to_string(),
        "unusable signing key: issuer_private_key: the key is an RSA key (2048 bits), but ES256 needs an EC P-256 key"
    );
}

#[test]
fn p256_key_for_es384_and_es512() {
    let e = key_error(with_key(Algorithm::ES384, "ec-p256-sec1.pem"));
    assert!(
        e.to_string()
            .ends_with("the key is an EC P-256 key, but ES384 needs an EC P-384 key"),
        "{e}"
    );
    key_error(with_key(Algorithm::ES512, "ec-p256-pkcs8-in-ec-label.pem"));
    key_error(with_key(Algorithm::ES256, "ec-p521-pkcs8.pem"));
}

#[test]
fn ec_key_for_rs256_and_ps256() {
    let e = key_error(with_key(Algorithm::RS256, "ec-p256-sec1.pem"));
    assert!(
        e.to_string()
            .ends_with("the key is an EC P-256 key, but RS256 needs an RSA key"),
        "{e}"
    );
    key_error(with_key(Algorithm::PS256, "ec-p384-pkcs8.pem"));
}

#[test]
fn ed25519_and_ec_keys_swapped() {
    key_error(with_key(Algorithm::ES256, "ed25519-pkcs8.pem"));
    key_error(with_key(Algorithm::EdDSA, "ec-p256-pkcs8.pem"));
    key_error(with_key(Algorithm::RS256, "ed25519-pkcs8.pem"));
}

#[test]
fn pem_key_for_hmac() {
    let e = key_error(with_key(Algorithm::HS256, "ec-p256-sec1.pem"));
    assert!(e.to_string().contains("this is a PEM key"), "{e}");
    let e = key_error(
        Config::builder()
            .issuer_key_algorithm(Algorithm::HS256)
            .issuer_private_key_der([0x30; 40]),
    );
    assert_eq!(e.field(), Some("issuer_private_key_der"));
}

#[test]
fn garbage() {
    // the gem's own test: "INVALID KEY" for ES256
    let e = key_error(Config::builder().issuer_private_key("INVALID KEY"));
    assert!(e.to_string().contains("neither PEM"), "{e}");
    for garbage in [
        "-----BEGIN EC PRIVATE KEY-----\nnot base64 at all!\n-----END EC PRIVATE KEY-----\n",
        "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI\n",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        "-----BEGIN WHATEVER-----\nAAAA\n-----END WHATEVER-----\n",
        "-----BEGIN ",
    ] {
        for alg in [Algorithm::ES256, Algorithm::RS256, Algorithm::EdDSA] {
            key_error(
                Config::builder()
                    .issuer_key_algorithm(alg)
                    .issuer_private_key(garbage),
            );
        }
    }
    key_error(Config::builder().issuer_private_key_der([0x30, 0x03, 0x02, 0x01, 0x00]));
    key_error(Config::builder().issuer_private_key_base64("%%% not base64 %%%"));
    key_error(Config::builder().issuer_private_key_der(Vec::new()));
    key_error(Config::builder().issuer_private_key(""));
}

#[test]
fn short_hmac_secrets_unless_allowed() {
    for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        let short = &hmac_secret(alg)[1..];
        let e = key_error(
            Config::builder()
                .issuer_key_algorithm(alg)
                .issuer_private_key(short),
        );
        assert!(e.to_string().contains("RFC 7518"), "{e}");
        // explicitly allowed: it signs, and an independent verifier accepts it
        let config = Config::builder()
            .issuer_key_algorithm(alg)
            .issuer_private_key(short)
            .issuer_allow_short_hmac_secret(true)
            .issuer_token_ttl(Duration::from_secs(5))
            .build()
            .unwrap();
        let token = Issuer::new(&config)
            .unwrap()
            .issue(&serde_json::json!({}))
            .unwrap();
        verify_independently(&token, alg, Some(short));
        // an empty secret, never
        key_error(
            Config::builder()
                .issuer_key_algorithm(alg)
                .issuer_private_key("")
                .issuer_allow_short_hmac_secret(true),
        );
    }
}

#[test]
fn rsa_keys_under_2048_bits() {
    for alg in [Algorithm::RS256, Algorithm::PS512] {
        let e = key_error(with_key(alg, "rsa-1024-pkcs1.pem"));
        assert!(
            e.to_string()
                .ends_with("the RSA key has 1024 bits, but at least 2048 are required"),
            "{e}"
        );
    }
}

#[test]
fn encrypted_public_and_unsupported_keys() {
    let e = key_error(with_key(Algorithm::ES256, "ec-p256-encrypted.pem"));
    assert!(e.to_string().contains("encrypted"), "{e}");
    let e = key_error(with_key(Algorithm::ES256, "ec-p256.pub.pem"));
    assert!(e.to_string().contains("public key"), "{e}");
    let e = key_error(with_key(Algorithm::ES256, "ec-secp256k1-sec1.pem"));
    assert!(e.to_string().contains("unsupported curve"), "{e}");
    let legacy = "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END EC PRIVATE KEY-----\n";
    assert!(
        key_error(Config::builder().issuer_private_key(legacy))
            .to_string()
            .contains("encrypted")
    );
}

#[test]
fn unreadable_key_file() {
    let e = key_error(Config::builder().issuer_private_key_file("/nonexistent/key.pem"));
    assert_eq!(e.field(), Some("issuer_private_key_file"));
    assert!(
        std::error::Error::source(&e).is_some(),
        "the io::Error is the source"
    );
}

#[test]
fn truncated_and_corrupted_keys_never_panic() {
    let keys = [
        "ec-p256-sec1.der",
        "ec-p384-pkcs8.der",
        "ec-p521-sec1.der",
        "rsa-2048-pkcs1.der",
        "rsa-2048-pkcs8.der",
        "ed25519-pkcs8.der",
    ];
    let mut refused = 0;
    for name in keys {
        let der = key_bytes(name);
        for alg in Algorithm::ALL.into_iter().filter(|a| !a.is_hmac()) {
            for len in (0..der.len()).step_by(7) {
                if Config::builder()
                    .issuer_key_algorithm(alg)
                    .issuer_private_key_der(&der[..len])
                    .build()
                    .is_err()
                {
                    refused += 1;
                }
            }
            for i in (0..der.len()).step_by(11) {
                let mut bad = der.clone();
                bad[i] ^= 0xff;
                let _ = Config::builder()
                    .issuer_key_algorithm(alg)
                    .issuer_private_key_der(&bad)
                    .build();
            }
        }
    }
    assert!(refused > 500);
}

// ----- claims -----

fn issuer(b: ConfigBuilder) -> Issuer {
    Issuer::new(&b.build().unwrap()).unwrap()
}

fn hs256() -> ConfigBuilder {
    Config::builder()
        .issuer_key_algorithm(Algorithm::HS256)
        .issuer_private_key(hmac_secret(Algorithm::HS256))
}

fn claims_error(issuer: &Issuer, claims: &(impl serde::Serialize + ?Sized)) -> hotsock::Error {
    let e = issuer
        .issue(claims)
        .expect_err("the claims must be refused");
    assert_eq!(e.kind(), ErrorKind::Claims, "{e}");
    e
}

#[test]
fn no_exp_unless_allowed() {
    let e = claims_error(&issuer(hs256()), &serde_json::json!({"scope": "connect"}));
    assert_eq!(e.field(), Some("exp"));
    assert!(
        e.to_string()
            .contains("set issuer_token_ttl, pass an exp claim"),
        "{e}"
    );
    let token = issuer(hs256().issuer_allow_missing_exp(true))
        .issue_at(&serde_json::json!({"a": 1}), now())
        .unwrap();
    assert_eq!(parts(&token).1, r#"{"a":1}"#);
    // an exp of the caller's own is enough
    issuer(hs256())
        .issue(&serde_json::json!({"exp": NOW}))
        .unwrap();
}

#[test]
fn claims_that_are_not_an_object() {
    let issuer = issuer(hs256().issuer_token_ttl(Duration::from_secs(5)));
    claims_error(&issuer, &[1, 2]);
    claims_error(&issuer, "connect");
    claims_error(&issuer, &());
    claims_error(&issuer, &Option::<u8>::None);
    claims_error(&issuer, &42);
}

#[test]
fn duplicate_claim_names() {
    #[derive(serde::Serialize)]
    struct Dup {
        exp: u64,
        #[serde(flatten)]
        extra: std::collections::BTreeMap<&'static str, u64>,
    }
    let issuer = issuer(hs256());
    let e = claims_error(
        &issuer,
        &Dup {
            exp: 1,
            extra: [("exp", 2)].into(),
        },
    );
    assert_eq!(e.field(), Some("exp"));
    let raw: &serde_json::value::RawValue =
        serde_json::from_str(r#"{"exp":1,"a":1,"a":2}"#).unwrap();
    assert_eq!(claims_error(&issuer, raw).field(), Some("a"));
}

#[test]
fn non_numeric_time_claims() {
    let issuer = issuer(hs256().issuer_token_ttl(Duration::from_secs(5)));
    for claim in ["exp", "nbf", "iat"] {
        for value in [
            serde_json::json!("1700000000"),
            serde_json::json!(null),
            serde_json::json!([1]),
        ] {
            let e = claims_error(&issuer, &serde_json::json!({ claim: value }));
            assert_eq!(e.field(), Some(claim));
        }
    }
}

#[test]
fn claims_that_fail_to_serialize() {
    struct Failing;
    impl serde::Serialize for Failing {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("nope"))
        }
    }
    let e = claims_error(
        &issuer(hs256().issuer_token_ttl(Duration::from_secs(5))),
        &Failing,
    );
    assert!(
        std::error::Error::source(&e)
            .unwrap()
            .to_string()
            .contains("nope")
    );
    // a map with non-string keys cannot be a JSON object
    let map: std::collections::HashMap<Vec<u8>, u8> = [(vec![1], 1)].into();
    claims_error(
        &issuer(hs256().issuer_token_ttl(Duration::from_secs(5))),
        &map,
    );
}

#[test]
fn issuer_without_a_key() {
    let e = Issuer::new(
        &Config::builder()
            .publish_function_arn("hotsock-publish")
            .build()
            .unwrap(),
    )
    .unwrap_err();
    assert_eq!(
        (e.kind(), e.field()),
        (ErrorKind::Config, Some("issuer_private_key"))
    );
}
