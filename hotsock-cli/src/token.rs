//! `hotsock token`: mint a token with the issuer configuration from the environment and flags.

use std::io::{Read as _, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};
use hotsock::{Algorithm, Config, Issuer};
use serde_json::{Map, Value, json};

/// Mint a token: claims from a JSON argument, a file or stdin, plus flags for the common claims.
///
/// The signing key comes from --key-file or from HOTSOCK_ISSUER_PRIVATE_KEY, _BASE64 or _FILE; the other
/// HOTSOCK_ISSUER_* variables apply too. Prints the token alone on stdout.
#[derive(Debug, clap::Args)]
#[command(after_help = r#"Examples:
  hotsock token --key-file hotsock-es256.pem --ttl 60 --scope connect --uid user-1 --channel chat:subscribe
  echo '{"scope":"subscribe","uid":"u1"}' | hotsock token - --ttl 30
  hotsock token @claims.json --exp 1767225600 --kid 95616b70"#)]
pub(crate) struct Args {
    /// Claims as a JSON object: the JSON itself, @FILE, or - for stdin.
    claims: Option<String>,
    /// The signing key file (PEM or DER; the raw secret for HS*).
    #[arg(long, value_name = "PATH")]
    key_file: Option<PathBuf>,
    /// The signing algorithm, if not HOTSOCK_ISSUER_KEY_ALGORITHM (default ES256).
    #[arg(long, value_parser = crate::keygen::parse_algorithm)]
    alg: Option<Algorithm>,
    /// The `kid` header.
    #[arg(long)]
    kid: Option<String>,
    /// The token's lifetime in seconds: exp = now + TTL.
    #[arg(long, value_name = "SECONDS")]
    ttl: Option<u64>,
    /// The expiry as a Unix time (overrides --ttl).
    #[arg(long, value_name = "UNIX_TIME")]
    exp: Option<i64>,
    /// The `scope` claim: connect, subscribe or umd (space-separated for several).
    #[arg(long)]
    scope: Option<String>,
    /// The `uid` claim.
    #[arg(long)]
    uid: Option<String>,
    /// The `umd` claim, as JSON.
    #[arg(long, value_name = "JSON")]
    umd: Option<String>,
    /// A channel permission: NAME, or NAME:DIRECTIVE,… with subscribe, getInfo, omitFromSubCount and
    /// autoSubscribe (channel directives) or publish, echo and broadcast (for every event). Repeatable.
    #[arg(long = "channel", value_name = "NAME[:DIRECTIVES]")]
    channels: Vec<String>,
    /// The `aud` claim.
    #[arg(long)]
    aud: Option<String>,
    /// The `iss` claim.
    #[arg(long)]
    iss: Option<String>,
    /// The `jti` claim.
    #[arg(long)]
    jti: Option<String>,
}

pub(crate) fn run(args: Args, out: &mut impl Write) -> anyhow::Result<()> {
    let mut builder = Config::builder().env_vars(std::env::vars_os());
    if let Some(path) = &args.key_file {
        builder = builder.issuer_private_key_file(path);
    }
    if let Some(alg) = args.alg {
        builder = builder.issuer_key_algorithm(alg);
    }
    if let Some(kid) = &args.kid {
        builder = builder.issuer_key_id(kid);
    }
    if let Some(ttl) = args.ttl {
        builder = builder.issuer_token_ttl(Duration::from_secs(ttl));
    }
    let config = builder.build()?;
    if !config.has_issuer_private_key() {
        bail!(
            "no signing key: pass --key-file, or set HOTSOCK_ISSUER_PRIVATE_KEY_FILE (or _BASE64)"
        );
    }
    let mut claims = read_claims(args.claims.as_deref())?;
    let mut set = |name: &str, value: Value| {
        claims.insert(name.to_owned(), value);
    };
    if let Some(scope) = args.scope {
        set("scope", scope.into());
    }
    if let Some(uid) = args.uid {
        set("uid", uid.into());
    }
    if let Some(umd) = &args.umd {
        set(
            "umd",
            serde_json::from_str(umd).context("--umd is not JSON")?,
        );
    }
    if let Some(aud) = args.aud {
        set("aud", aud.into());
    }
    if let Some(iss) = args.iss {
        set("iss", iss.into());
    }
    if let Some(jti) = args.jti {
        set("jti", jti.into());
    }
    if let Some(exp) = args.exp {
        set("exp", exp.into());
    }
    if !args.channels.is_empty() {
        let channels = claims.entry("channels").or_insert_with(|| json!({}));
        let Some(channels) = channels.as_object_mut() else {
            bail!("the claims' channels is not an object, so --channel cannot add to it");
        };
        for spec in &args.channels {
            let (name, directives) = parse_channel(spec)?;
            channels.insert(name, directives);
        }
    }
    let token = Issuer::new(&config)?.issue(&claims)?;
    writeln!(out, "{token}")?;
    Ok(())
}

fn read_claims(source: Option<&str>) -> anyhow::Result<Map<String, Value>> {
    let text = match source {
        None => return Ok(Map::new()),
        Some("-") => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("cannot read the claims from stdin")?;
            text
        }
        Some(arg) if arg.starts_with('@') => std::fs::read_to_string(&arg[1..])
            .with_context(|| format!("cannot read the claims file {}", &arg[1..]))?,
        Some(json) => json.to_owned(),
    };
    match serde_json::from_str::<Value>(&text).context("the claims are not valid JSON")? {
        Value::Object(map) => Ok(map),
        other => bail!("the claims must be a JSON object, not {}", kind(&other)),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `NAME[:DIRECTIVE,…]` into the channel's name and its directives object.
fn parse_channel(spec: &str) -> anyhow::Result<(String, Value)> {
    let (name, list) = spec.split_once(':').unwrap_or((spec, ""));
    if name.is_empty() {
        bail!("--channel {spec:?} has no channel name");
    }
    let mut directives = Map::new();
    let mut events = Map::new();
    for directive in list.split(',').filter(|d| !d.is_empty()) {
        match directive {
            "subscribe" | "getInfo" | "omitFromSubCount" | "autoSubscribe" => {
                directives.insert(directive.to_owned(), true.into());
            }
            "publish" | "echo" | "broadcast" => {
                events.insert(directive.to_owned(), true.into());
            }
            other => bail!(
                "--channel {spec:?}: unknown directive {other:?} (subscribe, getInfo, omitFromSubCount, \
                 autoSubscribe, publish, echo, broadcast)"
            ),
        }
    }
    if !events.is_empty() {
        directives.insert("messages".into(), json!({ "*": events }));
    }
    Ok((name.to_owned(), Value::Object(directives)))
}
