//! `hotsock keygen`: a new signing key, and what the installation needs to verify its tokens.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use hotsock::{Algorithm, GeneratedKey};

/// Make a signing key: writes the private key (mode 0600) and prints the installation's parameters.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  hotsock keygen\n  hotsock keygen --alg EdDSA --out signing-key.pem\n  hotsock keygen --alg HS256 --out hmac.key --force"
)]
pub(crate) struct Args {
    /// The signing algorithm (HS256, HS384, HS512, RS256, …, PS512, ES256, ES384, ES512, EdDSA).
    #[arg(long, default_value = "ES256", value_parser = parse_algorithm)]
    alg: Algorithm,
    /// Where to write the private key (PKCS#8 PEM, or the raw secret for HS*); default
    /// hotsock-<alg>.pem (hotsock-<alg>.key for HS*).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Overwrite the file if it exists.
    #[arg(long)]
    force: bool,
}

pub(crate) fn parse_algorithm(s: &str) -> Result<Algorithm, String> {
    s.parse().map_err(|e: hotsock::Error| e.to_string())
}

pub(crate) fn run(args: Args, out: &mut impl Write) -> anyhow::Result<()> {
    let key = GeneratedKey::generate(args.alg)?;
    let path = args.out.unwrap_or_else(|| {
        let extension = if args.alg.is_hmac() { "key" } else { "pem" };
        PathBuf::from(format!(
            "hotsock-{}.{extension}",
            args.alg.as_str().to_ascii_lowercase()
        ))
    });
    write_private(&path, key.private_key(), args.force)?;
    writeln!(out, "private key: {} (mode 0600)", path.display())?;
    writeln!(out, "SigningKey1MethodParameter: {}", key.algorithm())?;
    writeln!(
        out,
        "SigningKey1EncodedParameter: {}",
        key.encoded_parameter().as_str()
    )?;
    match key.public_key_pem() {
        Some(pem) => write!(out, "public key:\n{pem}")?,
        None => writeln!(
            out,
            "(an HMAC secret: the encoded parameter above is the Base64 of the secret, and as secret)"
        )?,
    }
    Ok(())
}

/// Writes a secret file readable by its owner only, refusing to replace one unless `force`.
pub(crate) fn write_private(
    path: &std::path::Path,
    bytes: &[u8],
    force: bool,
) -> anyhow::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).with_context(|| {
        if path.exists() && !force {
            format!("{} exists (use --force to overwrite it)", path.display())
        } else {
            format!("cannot write {}", path.display())
        }
    })?;
    #[cfg(unix)]
    {
        // an existing file keeps its mode when truncated: make it private too
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot make {} private", path.display()))?;
    }
    file.write_all(bytes)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
