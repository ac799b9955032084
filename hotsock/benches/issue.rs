//! `cargo bench --bench issue`: tokens/s of `Issuer::issue` against bare aws-lc-rs signing of the same
//! signing input, for ES256, RS256 (2048 bits), HS256 and ES512, in the same run.
//!
//! Criterion measures each side; then an interleaved run (the two sides alternating, several rounds, the
//! median kept) prints tokens/s for both and their ratio, the number the README quotes. The issuer path
//! is everything a caller pays per token: claims serialization, the default claims (kid, aud, iat, iss, exp,
//! as a typical installation configures them), Base64url and signing. Keys are parsed once, outside the
//! loops, on both sides. The report repeats each algorithm with a default `jti` too, which costs one call to
//! the system CSPRNG (aws-lc's `RAND_bytes`) per token.
#![allow(clippy::print_stdout, reason = "a benchmark reports its results")]

use std::hint::black_box;
use std::time::{Duration, Instant};

use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, RsaKeyPair};
use criterion::{Criterion, criterion_group};
use hotsock::{Algorithm, Config, Issuer};
use serde::Serialize;

const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/");
const HMAC_SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

/// Claims as a Hotsock backend sends them for a connect token.
#[derive(Serialize)]
struct ConnectClaims<'a> {
    scope: &'a str,
    uid: &'a str,
    umd: Umd<'a>,
    channels: Channels,
    #[serde(rename = "keepAlive")]
    keep_alive: bool,
}

#[derive(Serialize)]
struct Umd<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct Channels {
    #[serde(rename = "chat.room-1")]
    room: Subscribe,
}

#[derive(Serialize)]
struct Subscribe {
    subscribe: bool,
}

fn claims() -> ConnectClaims<'static> {
    ConnectClaims {
        scope: "connect",
        uid: "user-1234",
        umd: Umd { name: "Ada" },
        channels: Channels {
            room: Subscribe { subscribe: true },
        },
        keep_alive: true,
    }
}

/// The bare baseline: aws-lc-rs signing, key parsed once.
enum Bare {
    Ec(EcdsaKeyPair, SystemRandom),
    Rsa(RsaKeyPair, SystemRandom),
    Hmac(Box<hmac::Key>),
}

impl Bare {
    fn sign(&self, msg: &[u8]) -> usize {
        match self {
            Bare::Ec(k, rng) => k.sign(rng, msg).unwrap().as_ref().len(),
            Bare::Rsa(k, rng) => {
                let mut sig = [0u8; 512];
                let len = k.public_modulus_len();
                k.sign(&signature::RSA_PKCS1_SHA256, rng, msg, &mut sig[..len])
                    .unwrap();
                len
            }
            Bare::Hmac(k) => hmac::sign(k, msg).as_ref().len(),
        }
    }
}

struct Case {
    alg: Algorithm,
    /// Whether the issuer adds a random `jti` (one call to the system CSPRNG per token).
    jti: bool,
    issuer: Issuer,
    bare: Bare,
    /// The signing input (header.payload) of a token the issuer made, signed by the bare side.
    input: Vec<u8>,
}

fn pem_der(file: &str) -> Vec<u8> {
    use base64::Engine as _;
    let pem = std::fs::read_to_string(format!("{KEYS}{file}")).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

fn cases(with_jti: bool) -> Vec<Case> {
    let setups: [(Algorithm, &str, Bare); 4] = [
        (
            Algorithm::ES256,
            "ec-p256-pkcs8.pem",
            Bare::Ec(
                EcdsaKeyPair::from_pkcs8(
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    &pem_der("ec-p256-pkcs8.pem"),
                )
                .unwrap(),
                SystemRandom::new(),
            ),
        ),
        (
            Algorithm::RS256,
            "rsa-2048-pkcs8.pem",
            Bare::Rsa(
                RsaKeyPair::from_pkcs8(&pem_der("rsa-2048-pkcs8.pem")).unwrap(),
                SystemRandom::new(),
            ),
        ),
        (
            Algorithm::HS256,
            "",
            Bare::Hmac(Box::new(hmac::Key::new(hmac::HMAC_SHA256, HMAC_SECRET))),
        ),
        (
            Algorithm::ES512,
            "ec-p521-pkcs8.pem",
            Bare::Ec(
                EcdsaKeyPair::from_pkcs8(
                    &signature::ECDSA_P521_SHA512_FIXED_SIGNING,
                    &pem_der("ec-p521-pkcs8.pem"),
                )
                .unwrap(),
                SystemRandom::new(),
            ),
        ),
    ];
    setups
        .into_iter()
        .map(|(alg, file, bare)| {
            let builder = Config::builder()
                .issuer_key_algorithm(alg)
                .issuer_key_id("95616b70")
                .issuer_aud_claim("hotsock")
                .issuer_iss_claim("my-backend")
                .issuer_iat_claim(true)
                .issuer_jti_claim(with_jti)
                .issuer_token_ttl(Duration::from_secs(60));
            let builder = if alg.is_hmac() {
                builder.issuer_private_key(HMAC_SECRET)
            } else {
                builder.issuer_private_key_file(format!("{KEYS}{file}"))
            };
            let issuer = Issuer::new(&builder.build().unwrap()).unwrap();
            let token = issuer.issue(&claims()).unwrap();
            let input = token.rsplit_once('.').unwrap().0.as_bytes().to_vec();
            Case {
                alg,
                jti: with_jti,
                issuer,
                bare,
                input,
            }
        })
        .collect()
}

fn bench_issue(c: &mut Criterion) {
    for case in cases(false) {
        let mut group = c.benchmark_group(format!("issue/{}", case.alg));
        let claims = claims();
        group.bench_function("hotsock", |b| {
            b.iter(|| case.issuer.issue(black_box(&claims)).unwrap())
        });
        group.bench_function("bare_aws_lc_rs", |b| {
            b.iter(|| case.bare.sign(black_box(&case.input)))
        });
        group.finish();
    }
}

/// Runs `f` for about `budget` and returns calls per second.
fn rate(budget: Duration, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        for _ in 0..64 {
            f();
        }
        n += 64;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn report() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (rounds, budget) = if quick {
        (3, Duration::from_millis(100))
    } else {
        (7, Duration::from_millis(400))
    };
    println!("\nissue: tokens/s, median of {rounds} interleaved rounds, one thread");
    println!(
        "{:<11} {:>14} {:>16} {:>8}",
        "alg", "hotsock", "bare aws-lc-rs", "ratio"
    );
    for case in cases(false).into_iter().chain(cases(true)) {
        let claims = claims();
        let (mut ours, mut bare) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            ours.push(rate(budget, || {
                black_box(case.issuer.issue(black_box(&claims)).unwrap());
            }));
            bare.push(rate(budget, || {
                black_box(case.bare.sign(black_box(&case.input)));
            }));
        }
        let (ours, bare) = (median(ours), median(bare));
        let name = format!("{}{}", case.alg, if case.jti { " +jti" } else { "" });
        println!(
            "{name:<11} {ours:>14.0} {bare:>16.0} {:>7.1}%",
            100.0 * ours / bare
        );
    }
}

criterion_group!(benches, bench_issue);

fn main() {
    // `cargo test --benches` runs benches in test mode: one quick pass, no report
    if std::env::args().any(|a| a == "--bench") {
        benches();
        Criterion::default().configure_from_args().final_summary();
        report();
    } else {
        benches();
    }
}
