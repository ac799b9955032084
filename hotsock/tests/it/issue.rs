//! Every algorithm with every key form it accepts signs a token that an independent verifier accepts, with
//! exactly the expected header and claims under a pinned clock.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hotsock::{Algorithm, Config, ConfigBuilder, Issuer};
use serde::Serialize;

use crate::support::*;

/// Ordered caller claims.
#[derive(Serialize)]
struct Claims<'a> {
    scope: &'a str,
    uid: &'a str,
}

/// Every way to pass the key for `alg`, by name.
fn key_forms(alg: Algorithm) -> Vec<(&'static str, ConfigBuilder)> {
    let b = || Config::builder().issuer_key_algorithm(alg);
    if alg.is_hmac() {
        let secret = hmac_secret(alg);
        let dir = std::env::temp_dir().join(format!("hotsock-test-{}-{alg}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("secret");
        std::fs::write(&file, &secret).unwrap();
        return vec![
            ("raw secret", b().issuer_private_key(&secret)),
            (
                "base64 secret",
                b().issuer_private_key_base64(STANDARD.encode(&secret)),
            ),
            ("secret file", b().issuer_private_key_file(file)),
        ];
    }
    let (pem, der): (&[&str], &[&str]) = match alg {
        Algorithm::ES256 => (
            &[
                "ec-p256-sec1.pem",
                "ec-p256-pkcs8.pem",
                "ec-p256-pkcs8-in-ec-label.pem",
            ],
            &["ec-p256-sec1.der", "ec-p256-pkcs8.der"],
        ),
        Algorithm::ES384 => (
            &[
                "ec-p384-sec1.pem",
                "ec-p384-pkcs8.pem",
                "ec-p384-pkcs8-in-ec-label.pem",
            ],
            &["ec-p384-sec1.der", "ec-p384-pkcs8.der"],
        ),
        Algorithm::ES512 => (
            &[
                "ec-p521-sec1.pem",
                "ec-p521-pkcs8.pem",
                "ec-p521-pkcs8-in-ec-label.pem",
            ],
            &["ec-p521-sec1.der", "ec-p521-pkcs8.der"],
        ),
        Algorithm::EdDSA => (&["ed25519-pkcs8.pem"], &["ed25519-pkcs8.der"]),
        _ => (
            &["rsa-2048-pkcs1.pem", "rsa-2048-pkcs8.pem"],
            &["rsa-2048-pkcs1.der", "rsa-2048-pkcs8.der"],
        ),
    };
    let mut forms = Vec::new();
    for name in pem {
        forms.push((*name, b().issuer_private_key(key_text(name))));
        forms.push((*name, b().issuer_private_key_file(key_path(name))));
        forms.push((
            *name,
            b().issuer_private_key_base64(STANDARD.encode(key_bytes(name))),
        ));
        // a PEM squeezed onto one line of an env file, with literal \n
        forms.push((
            *name,
            b().issuer_private_key(key_text(name).replace('\n', "\\n")),
        ));
    }
    for name in der {
        forms.push((*name, b().issuer_private_key_der(key_bytes(name))));
        forms.push((*name, b().issuer_private_key_file(key_path(name))));
        forms.push((
            *name,
            b().issuer_private_key_base64(STANDARD.encode(key_bytes(name))),
        ));
    }
    forms
}

#[test]
fn every_algorithm_and_key_form_verifies_independently_with_exact_header_and_claims() {
    let mut checked = 0;
    for alg in Algorithm::ALL {
        let secret = alg.is_hmac().then(|| hmac_secret(alg));
        for (form, builder) in key_forms(alg) {
            let config = builder
                .issuer_key_id("k1")
                .issuer_aud_claim("hotsock")
                .issuer_iss_claim("me")
                .issuer_iat_claim(true)
                .issuer_token_ttl(std::time::Duration::from_secs(60))
                .clock(now)
                .build()
                .unwrap_or_else(|e| panic!("{alg} {form}: {e}"));
            let issuer = Issuer::new(&config).unwrap();
            assert_eq!(issuer.algorithm(), alg);
            let token = issuer
                .issue(&Claims {
                    scope: "connect",
                    uid: "u",
                })
                .unwrap();
            let (header, payload) = parts(&token);
            assert_eq!(
                header,
                format!(r#"{{"typ":"JWT","kid":"k1","alg":"{alg}"}}"#),
                "{alg} {form}"
            );
            assert_eq!(
                payload,
                r#"{"aud":"hotsock","iat":1700000000,"iss":"me","exp":1700000060,"scope":"connect","uid":"u"}"#,
                "{alg} {form}"
            );
            verify_independently(&token, alg, secret.as_deref());
            checked += 1;
        }
        // once per algorithm: the verifier is not a rubber stamp
        let (_, builder) = key_forms(alg).remove(0);
        let token = Issuer::new(
            &builder
                .issuer_token_ttl(std::time::Duration::from_secs(60))
                .build()
                .unwrap(),
        )
        .unwrap()
        .issue(&Claims {
            scope: "connect",
            uid: "u",
        })
        .unwrap();
        assert_tampered_token_fails(&token, alg, secret.as_deref());
    }
    assert!(checked >= 80, "{checked} combinations");
}

#[test]
fn signature_lengths_are_the_fixed_jws_sizes() {
    for (alg, key, len) in [
        (Algorithm::ES256, "ec-p256-sec1.pem", 64),
        (Algorithm::ES384, "ec-p384-sec1.pem", 96),
        (Algorithm::ES512, "ec-p521-sec1.pem", 132),
        (Algorithm::EdDSA, "ed25519-pkcs8.pem", 64),
        (Algorithm::RS256, "rsa-2048-pkcs1.pem", 256),
        (Algorithm::PS512, "rsa-2048-pkcs8.pem", 256),
    ] {
        let config = Config::builder()
            .issuer_key_algorithm(alg)
            .issuer_private_key(key_text(key))
            .issuer_token_ttl(std::time::Duration::from_secs(5))
            .build()
            .unwrap();
        // ECDSA signatures are random; r or s with leading zeros must still be padded to full width
        for _ in 0..if alg == Algorithm::ES256 { 300 } else { 5 } {
            let token = Issuer::new(&config)
                .unwrap()
                .issue(&serde_json::json!({}))
                .unwrap();
            assert_eq!(b64(token.rsplit('.').next().unwrap()).len(), len, "{alg}");
        }
    }
}

#[test]
fn openssl_ecparam_output_with_parameters_block_loads() {
    // `openssl ecparam -genkey` without -noout writes an EC PARAMETERS block before the key
    let pem = format!(
        "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n{}",
        key_text("ec-p256-sec1.pem")
    );
    let config = Config::builder()
        .issuer_private_key(pem)
        .issuer_token_ttl(std::time::Duration::from_secs(5))
        .clock(now)
        .build()
        .unwrap();
    let token = Issuer::new(&config)
        .unwrap()
        .issue(&serde_json::json!({}))
        .unwrap();
    verify_independently(&token, Algorithm::ES256, None);
}

#[test]
fn default_algorithm_is_es256_and_kid_is_omitted_when_unset() {
    let config = Config::builder()
        .issuer_private_key(key_text("ec-p256-pkcs8-in-ec-label.pem"))
        .build()
        .unwrap();
    assert_eq!(config.issuer_key_algorithm(), Algorithm::ES256);
    let issuer = Issuer::new(&config).unwrap();
    assert_eq!(issuer.key_id(), None);
    let token = issuer
        .issue_at(&serde_json::json!({"exp": 1700000005}), now())
        .unwrap();
    assert_eq!(
        parts(&token),
        (
            r#"{"typ":"JWT","alg":"ES256"}"#.into(),
            r#"{"exp":1700000005}"#.into()
        )
    );
}

#[test]
fn jti_is_a_fresh_uuid_per_token_and_iat_follows_the_clock() {
    let config = Config::builder()
        .issuer_private_key(hmac_secret(Algorithm::HS256))
        .issuer_key_algorithm(Algorithm::HS256)
        .issuer_jti_claim(true)
        .issuer_iat_claim(true)
        .issuer_token_ttl(std::time::Duration::from_secs(10))
        .build()
        .unwrap();
    let issuer = Issuer::new(&config).unwrap();
    let mut seen = std::collections::HashSet::new();
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    for _ in 0..1000 {
        let (_, payload) = parts(&issuer.issue(&serde_json::json!({})).unwrap());
        let v: serde_json::Value = serde_json::from_str(&payload).unwrap();
        let jti = v["jti"].as_str().unwrap().to_owned();
        assert_eq!(jti.len(), 36);
        assert_eq!(&jti[14..15], "4");
        assert!(seen.insert(jti));
        let iat = v["iat"].as_u64().unwrap();
        assert!(iat >= before);
        assert_eq!(v["exp"].as_u64().unwrap(), iat + 10);
    }
}

#[test]
fn issue_accepts_structs_maps_and_unsized_values() {
    let config = Config::builder()
        .issuer_private_key(hmac_secret(Algorithm::HS256))
        .issuer_key_algorithm(Algorithm::HS256)
        .issuer_token_ttl(std::time::Duration::from_secs(10))
        .build()
        .unwrap();
    let issuer = Issuer::new(&config).unwrap();
    let mut map = std::collections::BTreeMap::new();
    map.insert("b", 1);
    map.insert("a", 2);
    let token = issuer.issue_at(&map, now()).unwrap();
    assert_eq!(parts(&token).1, r#"{"exp":1700000010,"a":2,"b":1}"#);
    let raw: &serde_json::value::RawValue =
        serde_json::from_str(r#"{"z":1,"y":{"x":[]}}"#).unwrap();
    let token = issuer.issue_at(raw, now()).unwrap();
    assert_eq!(parts(&token).1, r#"{"exp":1700000010,"z":1,"y":{"x":[]}}"#);
}

#[test]
fn issuer_is_shared_across_threads() {
    let config = Config::builder()
        .issuer_private_key(key_text("ec-p256-sec1.pem"))
        .issuer_token_ttl(std::time::Duration::from_secs(10))
        .build()
        .unwrap();
    let issuer = Issuer::new(&config).unwrap();
    let tokens: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let issuer = issuer.clone();
                s.spawn(move || issuer.issue(&serde_json::json!({"n": i})).unwrap())
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for token in tokens {
        verify_independently(&token, Algorithm::ES256, None);
    }
}

#[test]
fn generated_keys_sign_tokens_that_verify_with_their_public_key() {
    use base64::Engine as _;
    for alg in Algorithm::ALL {
        let key = hotsock::GeneratedKey::generate(alg).unwrap();
        assert_eq!(key.algorithm(), alg);
        let config = Config::builder()
            .issuer_key_algorithm(alg)
            .issuer_private_key(key.private_key())
            .issuer_token_ttl(std::time::Duration::from_secs(60))
            .build()
            .unwrap_or_else(|e| panic!("{alg}: {e}"));
        let token = Issuer::new(&config)
            .unwrap()
            .issue(&Claims {
                scope: "connect",
                uid: "u",
            })
            .unwrap();
        let encoded = STANDARD.decode(key.encoded_parameter().as_bytes()).unwrap();
        if alg.is_hmac() {
            assert_eq!(
                key.private_key().len(),
                alg.as_str()[2..].parse::<usize>().unwrap() / 8
            );
            assert_eq!(
                encoded,
                key.private_key(),
                "the parameter is the Base64 of the secret"
            );
            assert!(key.public_key_pem().is_none());
            verify_with(&token, alg, Some(key.private_key()), None);
        } else {
            let public = key.public_key_pem().unwrap();
            assert_eq!(
                encoded,
                public.as_bytes(),
                "the parameter is the Base64 of the public PEM"
            );
            assert!(
                std::str::from_utf8(key.private_key())
                    .unwrap()
                    .starts_with("-----BEGIN PRIVATE KEY-----\n")
            );
            verify_with(&token, alg, None, Some(public.as_bytes()));
        }
        assert!(
            !format!("{key:?}").contains(
                &base64::engine::general_purpose::STANDARD.encode(key.private_key())[..20]
            )
        );
    }
}

#[test]
fn the_verifier_accepts_our_tokens_and_refuses_tampered_or_foreign_ones() {
    for alg in Algorithm::ALL {
        let (builder, verify_key): (ConfigBuilder, Vec<u8>) = if alg.is_hmac() {
            (
                Config::builder().issuer_private_key(hmac_secret(alg)),
                hmac_secret(alg),
            )
        } else {
            let private = match alg {
                Algorithm::ES256 => "ec-p256-sec1.pem",
                Algorithm::ES384 => "ec-p384-sec1.pem",
                Algorithm::ES512 => "ec-p521-sec1.pem",
                Algorithm::EdDSA => "ed25519-pkcs8.pem",
                _ => "rsa-2048-pkcs1.pem",
            };
            (
                Config::builder().issuer_private_key(key_text(private)),
                key_bytes(public_key_file(alg)),
            )
        };
        let config = builder
            .issuer_key_algorithm(alg)
            .issuer_token_ttl(std::time::Duration::from_secs(60))
            .build()
            .unwrap();
        let token = Issuer::new(&config)
            .unwrap()
            .issue(&Claims {
                scope: "connect",
                uid: "u",
            })
            .unwrap();
        let verifier = hotsock::Verifier::new(alg, &verify_key).unwrap();
        let decoded = verifier.verify(&token).unwrap();
        assert_eq!(decoded.claims()["uid"], "u");
        assert_eq!(decoded.algorithm(), Some(alg));
        // the same verifier from the installation's encoded parameter
        let encoded = STANDARD.encode(&verify_key);
        hotsock::Verifier::from_encoded_parameter(alg, &encoded)
            .unwrap()
            .verify(&token)
            .unwrap();
        // a flipped signature byte, a changed claim, a foreign alg
        let (input, sig) = token.rsplit_once('.').unwrap();
        let mut bytes = b64(sig);
        bytes[0] ^= 1;
        let tampered = format!(
            "{input}.{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes)
        );
        assert_eq!(
            verifier.verify(&tampered).unwrap_err().kind(),
            hotsock::ErrorKind::Token,
            "{alg}"
        );
        let (header, _) = input.split_once('.').unwrap();
        let other_claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"uid":"admin","exp":9999999999}"#);
        assert_eq!(
            verifier
                .verify(&format!("{header}.{other_claims}.{sig}"))
                .unwrap_err()
                .kind(),
            hotsock::ErrorKind::Token
        );
        let other = if alg == Algorithm::HS256 {
            Algorithm::HS384
        } else {
            Algorithm::HS256
        };
        let e = hotsock::Verifier::new(
            other,
            b"a-secret-of-sufficient-length-for-the-test-0123456789abcdef0123",
        )
        .unwrap()
        .verify(&token)
        .unwrap_err();
        assert!(e.to_string().contains("the token's alg is"), "{e}");
    }
    assert_eq!(
        hotsock::DecodedToken::decode_unverified("a.b")
            .unwrap_err()
            .kind(),
        hotsock::ErrorKind::Token
    );
    assert_eq!(
        hotsock::DecodedToken::decode_unverified("!!.e30.x")
            .unwrap_err()
            .kind(),
        hotsock::ErrorKind::Token
    );
    let e = hotsock::Verifier::new(Algorithm::ES384, key_bytes("ec-p256.pub.pem")).unwrap_err();
    assert_eq!(e.kind(), hotsock::ErrorKind::Key);
}

#[test]
fn the_public_key_pem_is_what_openssl_derives() {
    // the .pub.pem files were made by `openssl pkey -pubout` (tests/fixtures/keys/generate.sh)
    for (alg, private, public) in [
        (Algorithm::ES256, "ec-p256-sec1.pem", "ec-p256.pub.pem"),
        (
            Algorithm::ES384,
            "ec-p384-pkcs8-in-ec-label.pem",
            "ec-p384.pub.pem",
        ),
        (Algorithm::ES512, "ec-p521-pkcs8.der", "ec-p521.pub.pem"),
        (Algorithm::RS256, "rsa-2048-pkcs1.pem", "rsa-2048.pub.pem"),
        (Algorithm::PS512, "rsa-2048-pkcs8.der", "rsa-2048.pub.pem"),
        (Algorithm::EdDSA, "ed25519-pkcs8.pem", "ed25519.pub.pem"),
    ] {
        let config = Config::builder()
            .issuer_key_algorithm(alg)
            .issuer_private_key_file(crate::support::key_path(private))
            .build()
            .unwrap();
        let expected = std::fs::read_to_string(crate::support::key_path(public)).unwrap();
        assert_eq!(
            Issuer::new(&config).unwrap().public_key_pem().as_deref(),
            Some(expected.as_str()),
            "{alg} {private}"
        );
    }
    let hmac = Config::builder()
        .issuer_key_algorithm(Algorithm::HS256)
        .issuer_private_key(b"0123456789abcdef0123456789abcdef")
        .build()
        .unwrap();
    assert_eq!(Issuer::new(&hmac).unwrap().public_key_pem(), None);
}
