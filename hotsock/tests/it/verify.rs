//! An independent JWT verifier for the tests of both crates (`#[path]`-included by the CLI's tests).

use std::collections::HashSet;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hotsock::Algorithm;

/// Verifies the token's signature with an implementation that is not ours: jsonwebtoken on its RustCrypto
/// backend, or RustCrypto's p521 for ES512 (which jsonwebtoken lacks). Panics when verification fails.
/// `secret` is the HMAC secret; `public_pem` the SPKI public key PEM for the others.
pub(crate) fn verify_with(
    token: &str,
    alg: Algorithm,
    secret: Option<&[u8]>,
    public_pem: Option<&[u8]>,
) {
    if alg == Algorithm::ES512 {
        use p521::ecdsa::signature::Verifier as _;
        use p521::ecdsa::{Signature, VerifyingKey};
        use p521::pkcs8::DecodePublicKey as _;
        let key =
            VerifyingKey::from_public_key_pem(std::str::from_utf8(public_pem.unwrap()).unwrap())
                .unwrap();
        let (input, sig) = token.rsplit_once('.').unwrap();
        let sig = Signature::from_slice(&URL_SAFE_NO_PAD.decode(sig).expect("base64url signature"))
            .expect("132-byte r||s signature");
        key.verify(input.as_bytes(), &sig)
            .expect("p521 verifies the ES512 token");
        return;
    }
    use jsonwebtoken::{DecodingKey, Validation};
    let jwt_alg: jsonwebtoken::Algorithm = alg.as_str().parse().unwrap();
    let public = public_pem.unwrap_or_default();
    let key = match alg {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => {
            DecodingKey::from_secret(secret.unwrap()).unwrap()
        }
        Algorithm::ES256 | Algorithm::ES384 => DecodingKey::from_ec_pem(public).unwrap(),
        Algorithm::EdDSA => DecodingKey::from_ed_pem(public).unwrap(),
        _ => DecodingKey::from_rsa_pem(public).unwrap(),
    };
    let mut validation = Validation::new(jwt_alg);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims = HashSet::new();
    jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation)
        .unwrap_or_else(|e| panic!("jsonwebtoken rejects the {alg} token: {e:?}"));
}
