//! `hotsock decode`: look inside a token, and optionally verify its signature.

use std::io::{Read as _, Write};
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use hotsock::{Algorithm, DecodedToken, Verifier};

/// Show a token's header and claims, with its times as dates; --verify checks the signature.
#[derive(Debug, clap::Args)]
#[command(after_help = r#"Examples:
  hotsock decode eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9.eyJleHAiOjE3…
  hotsock token --key-file k.pem --ttl 60 | hotsock decode - --verify k.pub.pem
  hotsock decode "$TOKEN" --verify hmac.key --alg HS256"#)]
pub(crate) struct Args {
    /// The token, or - for stdin.
    token: String,
    /// Verify the signature with this key: a public key (PEM or DER), or the HMAC secret; exit 1 if it
    /// does not verify.
    #[arg(long, value_name = "KEY_FILE")]
    verify: Option<PathBuf>,
    /// The algorithm the token must use (default: the header's, unless that is HS* with a PEM key).
    #[arg(long, value_parser = crate::keygen::parse_algorithm, requires = "verify")]
    alg: Option<Algorithm>,
}

pub(crate) fn run(args: Args, out: &mut impl Write) -> anyhow::Result<()> {
    let token = if args.token == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the token from stdin")?;
        text
    } else {
        args.token
    };
    let token = token.trim();
    let decoded = match &args.verify {
        None => DecodedToken::decode_unverified(token)?,
        Some(path) => {
            let key =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            let unverified = DecodedToken::decode_unverified(token)?;
            let Some(alg) = args.alg.or_else(|| unverified.algorithm()) else {
                bail!("the token's header names no algorithm this tool knows: pass --alg");
            };
            Verifier::new(alg, &key)?.verify(token)?
        }
    };
    writeln!(
        out,
        "header: {}",
        serde_json::to_string_pretty(decoded.header())?
    )?;
    writeln!(
        out,
        "claims: {}",
        serde_json::to_string_pretty(decoded.claims())?
    )?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs() as i64;
    for name in ["iat", "nbf", "exp"] {
        let Some(secs) = decoded
            .claims()
            .get(name)
            .and_then(serde_json::Value::as_i64)
        else {
            continue;
        };
        let when =
            humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(secs.max(0) as u64));
        let delta = humantime::format_duration(Duration::from_secs(secs.abs_diff(now)));
        let relative = match (name, secs >= now) {
            ("exp", true) => format!("expires in {delta}"),
            ("exp", false) => format!("expired {delta} ago"),
            (_, true) => format!("in {delta}"),
            (_, false) => format!("{delta} ago"),
        };
        writeln!(out, "{name}: {when} ({relative})")?;
    }
    match &args.verify {
        Some(_) => writeln!(out, "signature: verified")?,
        None => writeln!(out, "signature: not verified (pass --verify KEY_FILE)")?,
    }
    Ok(())
}
