//! `hotsock local`: a local Hotsock on loopback until interrupted, with a fresh signing key, its settings
//! printed and its secrets written to an env file that `hotsock` and `Config::from_env()` read.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use base64::Engine as _;
use hotsock::{Algorithm, GeneratedKey};
use hotsock_local::{LocalHotsock, SigningKey};

use crate::keygen::parse_algorithm;

/// Run a local Hotsock (Lambda publish API, HTTP API, WebSocket API) on loopback until Ctrl-C.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  hotsock local\n  hotsock local --listen 127.0.0.1:9000 --alg HS256 --aud my-app\n  set -a; . ./hotsock-local.env; set +a; hotsock publish --channel chat --event hello"
)]
pub(crate) struct Args {
    /// The address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// The algorithm of the signing key it makes.
    #[arg(long, default_value = "ES256", value_parser = parse_algorithm)]
    alg: Algorithm,
    /// The key ID tokens must carry as kid.
    #[arg(long, default_value = "local")]
    kid: String,
    /// Require this aud in every token.
    #[arg(long)]
    aud: Option<String>,
    /// Require this iss in every token.
    #[arg(long)]
    iss: Option<String>,
    /// Where to write the settings with their secrets (mode 0600, replaced on every start).
    #[arg(long, default_value = "hotsock-local.env")]
    env_file: PathBuf,
}

/// A local Hotsock with a fresh key of `alg`, and that key.
pub(crate) async fn start(
    listen: SocketAddr,
    alg: Algorithm,
    kid: &str,
    configure: impl FnOnce(hotsock_local::LocalHotsockBuilder) -> hotsock_local::LocalHotsockBuilder,
) -> anyhow::Result<(LocalHotsock, GeneratedKey)> {
    let key = GeneratedKey::generate(alg)?;
    let builder = LocalHotsock::builder()
        .address(listen)
        .signing_key(SigningKey::new(alg, key.encoded_parameter().as_str()).id(kid));
    let local = configure(builder)
        .start()
        .await
        .context("cannot start the local Hotsock")?;
    Ok((local, key))
}

pub(crate) fn run(args: Args, out: &mut impl Write) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let (aud, iss) = (args.aud.clone(), args.iss.clone());
        let (local, key) = start(args.listen, args.alg, &args.kid, |mut b| {
            if let Some(aud) = aud {
                b = b.audience(aud);
            }
            if let Some(iss) = iss {
                b = b.issuer(iss);
            }
            b
        })
        .await?;
        let private_key = base64::engine::general_purpose::STANDARD.encode(key.private_key());
        let mut env = format!(
            "# hotsock local on {address}: settings for apps, `hotsock` and Config::from_env().\n\
             # It holds secrets; it is replaced each time `hotsock local` starts.\n\
             HOTSOCK_PUBLISH_FUNCTION_ARN={arn}\n\
             HOTSOCK_AWS_REGION={region}\n\
             HOTSOCK_AWS_ENDPOINT_URL={endpoint}\n\
             HOTSOCK_AWS_ACCESS_KEY_ID={access_key}\n\
             HOTSOCK_AWS_SECRET_ACCESS_KEY={secret}\n\
             HOTSOCK_ISSUER_KEY_ALGORITHM={alg}\n\
             HOTSOCK_ISSUER_KEY_ID={kid}\n\
             HOTSOCK_ISSUER_PRIVATE_KEY_BASE64={private_key}\n\
             HOTSOCK_ISSUER_TOKEN_TTL=60\n\
             HOTSOCK_LOCAL_WEBSOCKET_URL={ws}\n\
             HOTSOCK_LOCAL_HTTP_PUBLISH_URL={http_publish}\n\
             HOTSOCK_LOCAL_HTTP_API_URL={http_api}\n\
             HOTSOCK_LOCAL_HTTP_API_KEY={api_key}\n",
            address = local.address(),
            arn = local.publish_function_arn(),
            region = local.region(),
            endpoint = local.endpoint_url(),
            access_key = local.access_key_id(),
            secret = local.secret_access_key(),
            alg = args.alg,
            kid = args.kid,
            ws = local.websocket_url(),
            http_publish = local.http_publish_url(),
            http_api = local.http_api_url(),
            api_key = local.http_api_keys().next().unwrap_or_default(),
        );
        if let Some(aud) = &args.aud {
            env.push_str(&format!("HOTSOCK_ISSUER_AUD_CLAIM={aud}\n"));
        }
        if let Some(iss) = &args.iss {
            env.push_str(&format!("HOTSOCK_ISSUER_ISS_CLAIM={iss}\n"));
        }
        crate::keygen::write_private(&args.env_file, env.as_bytes(), true)?;

        writeln!(out, "hotsock local: listening on {}", local.address())?;
        let rows = [
            ("Lambda endpoint", local.endpoint_url()),
            ("publish function", local.publish_function_arn()),
            ("region", local.region().to_owned()),
            ("access key ID", local.access_key_id().to_owned()),
            ("WebSocket URL", local.websocket_url()),
            ("HTTP publish URL", local.http_publish_url()),
            ("Channels API", local.http_api_url()),
            ("signing key", format!("{}, kid {}", args.alg, args.kid)),
        ];
        for (name, value) in rows {
            writeln!(out, "  {name:<18} {value}")?;
        }
        if !args.alg.is_hmac() {
            // for RS/PS/ES/EdDSA this is the public key: what an installation's parameter holds
            writeln!(out, "  {:<18} {}", "encoded parameter", key.encoded_parameter().as_str())?;
        }
        let source = if args.env_file.is_absolute() {
            args.env_file.display().to_string()
        } else {
            format!("./{}", args.env_file.display())
        };
        writeln!(
            out,
            "secrets (AWS secret key, HTTP API key, private key) are in {} (mode 0600); load it with\n  \
             set -a; . {source}; set +a\nand `hotsock token`, `hotsock publish` and Config::from_env() use it. Ctrl-C stops.",
            args.env_file.display(),
        )?;
        out.flush()?;
        tokio::signal::ctrl_c().await?;
        // connections get a close frame; give the writers a moment
        tokio::time::timeout(Duration::from_secs(5), local.shutdown())
            .await
            .ok();
        Ok(())
    })
}
