//! Shared test helpers: fixture keys, the pinned clock and independent verifiers.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hotsock::Algorithm;

pub(crate) use crate::verify::verify_with;

/// The pinned time of every token in these tests.
pub(crate) const NOW: u64 = 1_700_000_000;

pub(crate) fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW)
}

pub(crate) fn key_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/keys")
        .join(name)
}

pub(crate) fn key_bytes(name: &str) -> Vec<u8> {
    std::fs::read(key_path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub(crate) fn key_text(name: &str) -> String {
    String::from_utf8(key_bytes(name)).unwrap()
}

/// A valid HMAC secret for the algorithm (exactly the hash size).
pub(crate) fn hmac_secret(alg: Algorithm) -> Vec<u8> {
    let len = match alg {
        Algorithm::HS384 => 48,
        Algorithm::HS512 => 64,
        _ => 32,
    };
    (0..len).map(|i| b'a' + (i % 26) as u8).collect()
}

/// The public key file of the key family an algorithm uses.
pub(crate) fn public_key_file(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::ES256 => "ec-p256.pub.pem",
        Algorithm::ES384 => "ec-p384.pub.pem",
        Algorithm::ES512 => "ec-p521.pub.pem",
        Algorithm::EdDSA => "ed25519.pub.pem",
        _ => "rsa-2048.pub.pem",
    }
}

pub(crate) fn b64(segment: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(segment).expect("base64url segment")
}

/// Decodes header and payload to their exact JSON text.
pub(crate) fn parts(token: &str) -> (String, String) {
    let mut it = token.split('.');
    let header = String::from_utf8(b64(it.next().unwrap())).unwrap();
    let payload = String::from_utf8(b64(it.next().unwrap())).unwrap();
    assert!(it.next().is_some() && it.next().is_none(), "three segments");
    (header, payload)
}

/// Verifies the token's signature with an implementation that is not ours: jsonwebtoken on its RustCrypto
/// backend, or RustCrypto's p521 for ES512 (which jsonwebtoken lacks). Panics when verification fails.
/// `secret` is the HMAC secret, for HS algorithms.
pub(crate) fn verify_independently(token: &str, alg: Algorithm, secret: Option<&[u8]>) {
    let public = (!alg.is_hmac()).then(|| key_bytes(public_key_file(alg)));
    verify_with(token, alg, secret, public.as_deref());
}

/// Asserts that verification of a token with a flipped signature byte fails, so the verifier really checks.
pub(crate) fn assert_tampered_token_fails(token: &str, alg: Algorithm, secret: Option<&[u8]>) {
    let (input, sig) = token.rsplit_once('.').unwrap();
    let mut sig = b64(sig);
    sig[0] ^= 1;
    let tampered = format!("{input}.{}", URL_SAFE_NO_PAD.encode(&sig));
    let result = std::panic::catch_unwind(|| verify_independently(&tampered, alg, secret));
    assert!(result.is_err(), "a tampered {alg} token must not verify");
}
