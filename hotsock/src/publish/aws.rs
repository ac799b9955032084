//! The AWS side: building the Lambda client from a [`Config`], and telling AWS errors apart.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_lambda::config::Credentials;
use aws_sdk_lambda::error::{ProvideErrorMetadata as _, SdkError};
use aws_sdk_lambda::operation::invoke::InvokeError;

use crate::config::Config;
use crate::error::{Error, ErrorKind, Result};

/// The AWS SDK behavior version this crate is tested with. Pinned, as a library must: a newer SDK does not
/// change our retry or timeout behavior behind our users' backs.
fn behavior_version() -> BehaviorVersion {
    BehaviorVersion::v2026_11_17()
}

/// Retry and timeout settings of a publisher.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) max_attempts: u32,
    pub(crate) initial_backoff: Option<Duration>,
    pub(crate) operation_timeout: Duration,
    pub(crate) attempt_timeout: Duration,
    pub(crate) connect_timeout: Option<Duration>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_attempts: 3,
            initial_backoff: None,
            operation_timeout: Duration::from_secs(30),
            attempt_timeout: Duration::from_secs(10),
            connect_timeout: None,
        }
    }
}

/// The session name of an assumed role when none is configured, as the gem's `hotsock-ruby-<version>`.
pub(crate) fn default_session_name() -> String {
    format!("hotsock-rust-{}", crate::VERSION)
}

pub(crate) fn function_name(config: &Config) -> Result<String> {
    config
        .publish_function_arn()
        .map(str::to_owned)
        .ok_or_else(|| {
            Error::config(
                "publish_function_arn",
                "is not set, and publishing needs it",
            )
        })
}

/// The Lambda client for `config`: region, endpoint, credentials (static, assumed role or default chain),
/// retries and timeouts.
pub(crate) async fn lambda_client(
    config: &Config,
    options: &Options,
) -> Result<aws_sdk_lambda::Client> {
    let mut retry = RetryConfig::standard().with_max_attempts(options.max_attempts);
    if let Some(backoff) = options.initial_backoff {
        retry = retry.with_initial_backoff(backoff);
    }
    let mut timeouts = TimeoutConfig::builder()
        .operation_timeout(options.operation_timeout)
        .operation_attempt_timeout(options.attempt_timeout);
    if let Some(connect) = options.connect_timeout {
        timeouts = timeouts.connect_timeout(connect);
    }
    let mut loader = aws_config::defaults(behavior_version())
        .retry_config(retry)
        .timeout_config(timeouts.build());
    if let Some(profile) = config.aws_profile() {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = config.aws_region() {
        loader = loader.region(Region::new(region.to_owned()));
    }
    if let Some(url) = config.aws_endpoint_url() {
        loader = loader.endpoint_url(url);
    }
    if let (Some(id), Some(secret)) = (config.aws_access_key_id(), config.aws_secret_access_key()) {
        loader = loader.credentials_provider(Credentials::new(
            id,
            secret.expose(),
            config.aws_session_token().map(|t| t.expose().to_owned()),
            None,
            "hotsock-static-keys",
        ));
    }
    let base = loader.load().await;
    if base.region().is_none() {
        return Err(Error::config(
            "aws_region",
            "is not set, and the AWS SDK found no region (AWS_REGION, the profile) either",
        ));
    }
    let Some(role_arn) = config.aws_assume_role_arn() else {
        return Ok(aws_sdk_lambda::Client::new(&base));
    };
    let mut role = aws_config::sts::AssumeRoleProvider::builder(role_arn).session_name(
        config
            .aws_assume_role_session_name()
            .map_or_else(default_session_name, str::to_owned),
    );
    if let Some(external_id) = config.aws_assume_role_external_id() {
        role = role.external_id(external_id);
    }
    if let Some(duration) = config.aws_assume_role_duration() {
        role = role.session_length(duration);
    }
    // the source identity of the AssumeRole call is the base config's provider: the static keys if set,
    // else the default chain
    let role = role.configure(&base).build().await;
    // fetch the first credentials now, so that a role that cannot be assumed fails here and not at the first
    // publish; the client's identity cache takes them, and refreshes them before they expire
    let first = role.provide_credentials().await.map_err(|e| {
        Error::new(
            ErrorKind::Auth,
            format!("cannot assume the role {role_arn}"),
        )
        .with_field("aws_assume_role_arn")
        .with_source(e)
    })?;
    let lambda = aws_sdk_lambda::config::Builder::from(&base)
        .credentials_provider(Prefetched {
            first: std::sync::Mutex::new(Some(first)),
            provider: role,
        })
        .build();
    Ok(aws_sdk_lambda::Client::from_conf(lambda))
}

/// A credentials provider that hands out credentials already fetched once (if they are still good for five
/// minutes), then asks its provider.
#[derive(Debug)]
struct Prefetched<P> {
    first: std::sync::Mutex<Option<Credentials>>,
    provider: P,
}

impl<P: ProvideCredentials> ProvideCredentials for Prefetched<P> {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        // a publisher built long before its first publish must not start with stale credentials
        let fresh_enough = |c: &Credentials| {
            c.expiry().is_none_or(|expiry| {
                expiry > std::time::SystemTime::now() + Duration::from_secs(300)
            })
        };
        let first = self
            .first
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
            .filter(fresh_enough);
        match first {
            Some(credentials) => {
                aws_credential_types::provider::future::ProvideCredentials::ready(Ok(credentials))
            }
            None => self.provider.provide_credentials(),
        }
    }
}

/// Whether the SDK failed to get credentials (none found, or the provider failed), anywhere in the chain.
fn credentials_failed(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if e.is::<aws_credential_types::provider::error::CredentialsError>() {
            return true;
        }
        current = e.source();
    }
    false
}

/// Turns the SDK's error into ours, keeping it as the source.
pub(crate) fn invoke_error(
    error: SdkError<InvokeError, aws_sdk_lambda::config::http::HttpResponse>,
) -> Error {
    if credentials_failed(&error) {
        return Error::new(ErrorKind::Auth, "no usable AWS credentials").with_source(error);
    }
    let (kind, message) = match &error {
        SdkError::ConstructionFailure(_) => (
            ErrorKind::Service,
            "the request could not be built".to_owned(),
        ),
        SdkError::TimeoutError(_) => (ErrorKind::Timeout, "the publish timed out".to_owned()),
        SdkError::DispatchFailure(failure) if failure.is_timeout() => {
            (ErrorKind::Timeout, "the connection timed out".to_owned())
        }
        SdkError::DispatchFailure(_) => (
            ErrorKind::Network,
            "the request could not be sent".to_owned(),
        ),
        SdkError::ResponseError(_) => (
            ErrorKind::Network,
            "the response could not be read".to_owned(),
        ),
        SdkError::ServiceError(context) => {
            let status = context.raw().status().as_u16();
            let code = context.err().code().unwrap_or("").to_owned();
            let kind = match (status, code.as_str()) {
                (_, "ResourceNotFoundException") | (404, _) => ErrorKind::FunctionNotFound,
                (
                    _,
                    "TooManyRequestsException"
                    | "ThrottlingException"
                    | "Throttling"
                    | "RequestLimitExceeded",
                )
                | (429, _) => ErrorKind::Throttled,
                (
                    _,
                    "AccessDeniedException"
                    | "AccessDenied"
                    | "UnrecognizedClientException"
                    | "InvalidSignatureException"
                    | "SignatureDoesNotMatch"
                    | "ExpiredTokenException"
                    | "InvalidClientTokenId"
                    | "IncompleteSignature"
                    | "MissingAuthenticationToken",
                )
                | (401 | 403, _) => ErrorKind::Auth,
                _ => ErrorKind::Service,
            };
            let what = if code.is_empty() {
                format!("HTTP {status}")
            } else {
                format!("{code} (HTTP {status})")
            };
            (kind, format!("lambda answered {what}"))
        }
        _ => (ErrorKind::Service, "the invocation failed".to_owned()),
    };
    Error::new(kind, message).with_source(error)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::SystemTime;

    use super::*;

    #[derive(Debug, Default)]
    struct Counting(AtomicUsize);

    impl ProvideCredentials for Counting {
        fn provide_credentials<'a>(
            &'a self,
        ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            self.0.fetch_add(1, Ordering::SeqCst);
            aws_credential_types::provider::future::ProvideCredentials::ready(Ok(Credentials::new(
                "ASIAFRESH",
                "secret",
                None,
                None,
                "test",
            )))
        }
    }

    fn expiring_in(secs: u64) -> Credentials {
        Credentials::new(
            "ASIAFIRST",
            "secret",
            Some("token".into()),
            Some(SystemTime::now() + Duration::from_secs(secs)),
            "test",
        )
    }

    #[tokio::test]
    async fn prefetched_credentials_are_used_once_and_only_while_fresh() {
        let fresh = Prefetched {
            first: std::sync::Mutex::new(Some(expiring_in(3600))),
            provider: Counting::default(),
        };
        assert_eq!(
            fresh.provide_credentials().await.unwrap().access_key_id(),
            "ASIAFIRST"
        );
        assert_eq!(fresh.provider.0.load(Ordering::SeqCst), 0);
        assert_eq!(
            fresh.provide_credentials().await.unwrap().access_key_id(),
            "ASIAFRESH"
        );
        assert_eq!(fresh.provider.0.load(Ordering::SeqCst), 1);

        let stale = Prefetched {
            first: std::sync::Mutex::new(Some(expiring_in(60))),
            provider: Counting::default(),
        };
        assert_eq!(
            stale.provide_credentials().await.unwrap().access_key_id(),
            "ASIAFRESH"
        );
        assert_eq!(stale.provider.0.load(Ordering::SeqCst), 1);
    }
}
