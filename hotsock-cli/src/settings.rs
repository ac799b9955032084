//! The installation's settings: HOTSOCK_* variables, overridden by flags, and `hotsock config`.

use std::io::Write;

use hotsock::Config;

/// Overrides of the installation's AWS settings.
#[derive(Debug, clap::Args)]
pub(crate) struct AwsArgs {
    /// The publish function (name or ARN).
    #[arg(long, value_name = "ARN")]
    function_arn: Option<String>,
    /// The AWS region.
    #[arg(long)]
    region: Option<String>,
    /// The AWS profile (credentials and region from ~/.aws/config and ~/.aws/credentials).
    #[arg(long)]
    profile: Option<String>,
    /// Send AWS calls here instead (a local emulator).
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// A role to assume for publishing.
    #[arg(long, value_name = "ARN")]
    assume_role_arn: Option<String>,
    /// The assumed role's session name.
    #[arg(long, value_name = "NAME")]
    assume_role_session_name: Option<String>,
    /// The assumed role's external ID.
    #[arg(long, value_name = "ID")]
    assume_role_external_id: Option<String>,
}

impl AwsArgs {
    /// The flags given, as (option name, flag, value).
    fn overrides(&self) -> Vec<(&'static str, &'static str, String)> {
        [
            ("publish_function_arn", "--function-arn", &self.function_arn),
            ("aws_region", "--region", &self.region),
            ("aws_profile", "--profile", &self.profile),
            ("aws_endpoint_url", "--endpoint-url", &self.endpoint_url),
            (
                "aws_assume_role_arn",
                "--assume-role-arn",
                &self.assume_role_arn,
            ),
            (
                "aws_assume_role_session_name",
                "--assume-role-session-name",
                &self.assume_role_session_name,
            ),
            (
                "aws_assume_role_external_id",
                "--assume-role-external-id",
                &self.assume_role_external_id,
            ),
        ]
        .into_iter()
        .filter_map(|(option, flag, value)| value.clone().map(|v| (option, flag, v)))
        .collect()
    }

    /// The configuration: the HOTSOCK_* variables, then these flags over them.
    pub(crate) fn config(&self) -> anyhow::Result<Config> {
        Ok(builder(&self.overrides()).build()?)
    }
}

/// The environment's HOTSOCK_* settings with `overrides` applied over them, through the same parser.
fn builder(overrides: &[(&'static str, &'static str, String)]) -> hotsock::ConfigBuilder {
    let flags = overrides.iter().filter_map(|(option, _, value)| {
        let env_var = Config::OPTIONS.iter().find(|o| o.name == *option)?.env_var;
        Some((env_var, value.as_str()))
    });
    Config::builder()
        .env_vars(std::env::vars_os())
        .env_vars(flags)
}

/// Show the effective configuration, secrets redacted, and where each value came from.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  hotsock config\n  hotsock config --region eu-west-1 --function-arn Hotsock-PublishFunction"
)]
pub(crate) struct Args {
    #[command(flatten)]
    aws: AwsArgs,
}

/// The standard AWS variables the AWS SDK reads when a HOTSOCK_* setting leaves it to the SDK.
const AWS_VARS: [(&str, bool); 9] = [
    ("AWS_REGION", false),
    ("AWS_DEFAULT_REGION", false),
    ("AWS_PROFILE", false),
    ("AWS_ACCESS_KEY_ID", false),
    ("AWS_SECRET_ACCESS_KEY", true),
    ("AWS_SESSION_TOKEN", true),
    ("AWS_ROLE_ARN", false),
    ("AWS_WEB_IDENTITY_TOKEN_FILE", false),
    ("AWS_ENDPOINT_URL", false),
];

pub(crate) fn run(args: Args, out: &mut impl Write) -> anyhow::Result<()> {
    let overrides = args.aws.overrides();
    let shown = |secret: bool, value: &str| {
        if secret {
            "[redacted]".to_owned()
        } else {
            value.to_owned()
        }
    };
    for option in Config::OPTIONS {
        let (value, source) = match overrides.iter().find(|(name, _, _)| *name == option.name) {
            Some((_, flag, value)) => (shown(option.secret, value), (*flag).to_owned()),
            None => match std::env::var(option.env_var) {
                Ok(value) if !value.is_empty() => {
                    (shown(option.secret, &value), option.env_var.to_owned())
                }
                _ => match option.name {
                    "issuer_key_algorithm" => ("ES256".to_owned(), "default".to_owned()),
                    "aws_region" => (
                        "(the AWS SDK's: AWS_REGION, the profile)".to_owned(),
                        "unset".to_owned(),
                    ),
                    "aws_access_key_id" => (
                        "(the AWS SDK's default credential chain)".to_owned(),
                        "unset".to_owned(),
                    ),
                    _ => ("-".to_owned(), "unset".to_owned()),
                },
            },
        };
        writeln!(out, "{:<32} {:<44} {source}", option.name, value)?;
    }
    for (name, secret) in AWS_VARS {
        if let Ok(value) = std::env::var(name) {
            writeln!(
                out,
                "{:<32} {:<44} environment (read by the AWS SDK)",
                name,
                shown(secret, &value)
            )?;
        }
    }
    match builder(&overrides).build() {
        Ok(config) => {
            let mut able = Vec::new();
            if config.has_issuer_private_key() {
                able.push("issue tokens");
            }
            if config.publish_function_arn().is_some() {
                able.push("publish");
            }
            if able.is_empty() {
                writeln!(
                    out,
                    "valid, but with neither a signing key nor a publish function"
                )?;
            } else {
                writeln!(out, "valid: can {}", able.join(" and "))?;
            }
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}
