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
use zeroize::Zeroizing;

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
    /// The signing algorithm: of the key it makes, or of --key-file.
    #[arg(long, default_value = "ES256", value_parser = parse_algorithm)]
    alg: Algorithm,
    /// Use this private key (PEM or DER; the raw secret for HS*) instead of making one, so that tokens an
    /// app already signs are accepted.
    #[arg(long)]
    key_file: Option<PathBuf>,
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
    let local = start_with_key(listen, alg, &key.encoded_parameter(), kid, configure).await?;
    Ok((local, key))
}

/// A local Hotsock that verifies with `encoded` (`SigningKey1EncodedParameter`).
async fn start_with_key(
    listen: SocketAddr,
    alg: Algorithm,
    encoded: &str,
    kid: &str,
    configure: impl FnOnce(hotsock_local::LocalHotsockBuilder) -> hotsock_local::LocalHotsockBuilder,
) -> anyhow::Result<LocalHotsock> {
    let builder = LocalHotsock::builder()
        .address(listen)
        .signing_key(SigningKey::new(alg, encoded).id(kid));
    configure(builder)
        .start()
        .await
        .context("cannot start the local Hotsock")
}

/// The installation's parameter for the private key in `path`: the Base64 of its public PEM, or of the
/// HMAC secret.
fn encoded_parameter_of(
    path: &std::path::Path,
    alg: Algorithm,
) -> anyhow::Result<Zeroizing<String>> {
    let config = hotsock::Config::builder()
        .issuer_key_algorithm(alg)
        .issuer_private_key_file(path)
        .issuer_allow_short_hmac_secret(true)
        .build()
        .with_context(|| format!("cannot use {} as the signing key", path.display()))?;
    let issuer = hotsock::Issuer::new(&config)?;
    Ok(Zeroizing::new(match issuer.public_key_pem() {
        Some(pem) => base64::engine::general_purpose::STANDARD.encode(pem),
        None => {
            let secret = Zeroizing::new(std::fs::read(path)?);
            base64::engine::general_purpose::STANDARD.encode(&*secret)
        }
    }))
}

pub(crate) fn run(args: Args, out: &mut impl Write) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let (aud, iss) = (args.aud.clone(), args.iss.clone());
        let configure = |mut b: hotsock_local::LocalHotsockBuilder| {
            if let Some(aud) = aud {
                b = b.audience(aud);
            }
            if let Some(iss) = iss {
                b = b.issuer(iss);
            }
            b
        };
        // the key setting in the env file: the user's file by path, or the made key inline
        let (local, encoded, key_setting) = match &args.key_file {
            Some(path) => {
                let encoded = encoded_parameter_of(path, args.alg)?;
                let local =
                    start_with_key(args.listen, args.alg, &encoded, &args.kid, configure).await?;
                let path = std::path::absolute(path)?;
                (local, encoded, Zeroizing::new(format!("HOTSOCK_ISSUER_PRIVATE_KEY_FILE={}", path.display())))
            }
            None => {
                let (local, key) = start(args.listen, args.alg, &args.kid, configure).await?;
                let private_key = Zeroizing::new(
                    base64::engine::general_purpose::STANDARD.encode(key.private_key()),
                );
                let setting =
                    Zeroizing::new(format!("HOTSOCK_ISSUER_PRIVATE_KEY_BASE64={}", &*private_key));
                (local, key.encoded_parameter(), setting)
            }
        };
        let mut env = Zeroizing::new(format!(
            "# hotsock local on {address}: settings for apps, `hotsock` and Config::from_env().\n\
             # It holds secrets; it is replaced each time `hotsock local` starts.\n\
             HOTSOCK_PUBLISH_FUNCTION_ARN={arn}\n\
             HOTSOCK_AWS_REGION={region}\n\
             HOTSOCK_AWS_ENDPOINT_URL={endpoint}\n\
             HOTSOCK_AWS_ACCESS_KEY_ID={access_key}\n\
             HOTSOCK_AWS_SECRET_ACCESS_KEY={secret}\n\
             HOTSOCK_ISSUER_KEY_ALGORITHM={alg}\n\
             HOTSOCK_ISSUER_KEY_ID={kid}\n\
             {key_setting}\n\
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
            key_setting = &*key_setting,
        ));
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
            writeln!(out, "  {:<18} {}", "encoded parameter", encoded.as_str())?;
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
