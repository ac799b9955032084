//! Publishing: the [`Publisher`] over the AWS SDK's Lambda Invoke, its output and its errors.

mod aws;
pub(crate) mod message;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use futures_util::StreamExt as _;
use serde::Deserialize;
use tracing::Instrument as _;

use crate::config::Config;
use crate::error::{Error, ErrorKind, Result};
use message::Message;

/// How the publish function is invoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum InvocationMode {
    /// Synchronous (`RequestResponse`), as the Ruby gem and every Hotsock example invoke it: the call returns
    /// when the function has accepted the message, with its response (`id`, `scheduleArn`) and any error it
    /// reported.
    #[default]
    RequestResponse,
    /// Fire-and-forget (`Event`): Lambda queues the invocation and answers `202 Accepted` at once. What is
    /// lost: the function's response (no `id` even with `eagerIdGeneration`, no `scheduleArn`) and its errors
    /// (a message Hotsock rejects fails silently, visible only in the function's logs). Lambda retries failed
    /// asynchronous invocations by itself, and its payload limit for them is lower (256 KB).
    Event,
}

/// Publishes messages to a Hotsock installation by invoking its publish Lambda function.
///
/// One Lambda client per `Publisher`, with credentials resolved by the AWS SDK once, cached and refreshed
/// before they expire, never fetched per message. `Publisher` is cheap to clone and `Send + Sync`: make one
/// and share it.
///
/// Credentials, in order: an assumed role (`aws_assume_role_arn`, with session name, external ID and
/// duration), whose source identity is the static keys if set, else the default chain; static keys
/// (`aws_access_key_id`, `aws_secret_access_key`, optional `aws_session_token`); otherwise the AWS SDK's
/// default chain (environment, shared profile with SSO and `credential_process`, web identity, ECS, EC2
/// instance role). The region is `aws_region`, else the SDK's usual sources (`AWS_REGION`, the profile).
///
/// ```no_run
/// # async fn run() -> hotsock::Result<()> {
/// let config = hotsock::Config::from_env()?;
/// let publisher = hotsock::Publisher::new(&config).await?;
/// let output = publisher
///     .publish(&hotsock::Message::new("chat.room-1", "message.created").data(&serde_json::json!({"text": "hi"})))
///     .await?;
/// println!("{}", output.response()?.channel);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Publisher {
    inner: Arc<Inner>,
}

struct Inner {
    client: aws_sdk_lambda::Client,
    function: String,
    mode: InvocationMode,
}

impl fmt::Debug for Publisher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Publisher")
            .field("function", &self.inner.function)
            .field("mode", &self.inner.mode)
            .finish_non_exhaustive()
    }
}

impl Publisher {
    /// A publisher for the installation in `config`, with the default retry and timeout settings.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] when `publish_function_arn` is not set or no region can be found;
    /// [`ErrorKind::Auth`] and friends when an assumed role's first credentials cannot be obtained.
    pub async fn new(config: &Config) -> Result<Publisher> {
        Publisher::builder(config).build().await
    }

    /// A publisher with settings beyond the configuration: retries, timeouts, invocation mode.
    pub fn builder(config: &Config) -> PublisherBuilder {
        PublisherBuilder {
            config: config.clone(),
            options: aws::Options::default(),
            mode: InvocationMode::default(),
        }
    }

    /// A publisher that uses an `SdkConfig` the application already loaded (its region, credentials,
    /// endpoint, retry and timeout settings), for the publish function in `config`. The AWS settings of
    /// `config` other than `publish_function_arn` are not used.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] when `publish_function_arn` is not set or `sdk_config` has no region.
    pub fn from_sdk_config(
        sdk_config: &aws_config::SdkConfig,
        config: &Config,
    ) -> Result<Publisher> {
        let function = aws::function_name(config)?;
        if sdk_config.region().is_none() {
            return Err(Error::config("aws_region", "the SdkConfig has no region"));
        }
        Ok(Publisher::from_client(
            aws_sdk_lambda::Client::new(sdk_config),
            function,
            InvocationMode::default(),
        ))
    }

    fn from_client(
        client: aws_sdk_lambda::Client,
        function: String,
        mode: InvocationMode,
    ) -> Publisher {
        Publisher {
            inner: Arc::new(Inner {
                client,
                function,
                mode,
            }),
        }
    }

    /// The publish function this publisher invokes (name or ARN).
    pub fn function(&self) -> &str {
        &self.inner.function
    }

    /// Validates `message` and publishes it: one Lambda invocation.
    ///
    /// The AWS SDK retries throttling, 5xx answers, timeouts and broken connections (standard mode, 3
    /// attempts unless configured otherwise), resending the same payload, so a message with a
    /// `deduplicationId` is delivered once.
    ///
    /// # Errors
    /// [`ErrorKind::Validation`] before anything is sent; [`ErrorKind::FunctionError`] when the function
    /// reports an error (unlike the Ruby gem, which returns it as a success); [`ErrorKind::Auth`],
    /// [`ErrorKind::FunctionNotFound`], [`ErrorKind::Throttled`], [`ErrorKind::Timeout`],
    /// [`ErrorKind::Network`] or [`ErrorKind::Service`] for AWS and transport errors, with the AWS SDK's
    /// error as the `source()`.
    pub async fn publish(&self, message: &Message) -> Result<PublishOutput> {
        let span = tracing::debug_span!(
            "hotsock.publish",
            channel = message.channel_name(),
            event = message.event_name()
        );
        async {
            let payload = message.to_json()?;
            tracing::trace!(payload = %String::from_utf8_lossy(&payload), "publishing");
            let invocation_type = match self.inner.mode {
                InvocationMode::RequestResponse => InvocationType::RequestResponse,
                InvocationMode::Event => InvocationType::Event,
            };
            let result = self
                .inner
                .client
                .invoke()
                .function_name(&self.inner.function)
                .invocation_type(invocation_type)
                .payload(Blob::new(payload))
                .send()
                .await;
            let output = match result {
                Ok(output) => PublishOutput::from_invoke(output),
                Err(e) => {
                    let error = aws::invoke_error(e);
                    tracing::debug!(error = %error, "publish failed");
                    return Err(error);
                }
            };
            output.check()?;
            tracing::debug!(status = output.status_code, "published");
            Ok(output)
        }
        .instrument(span)
        .await
    }

    /// Publishes many messages with at most `concurrency` in flight (at least 1), and returns each one's
    /// result in input order. Hotsock has no batch API: each message is one invocation.
    pub async fn publish_all<I>(
        &self,
        messages: I,
        concurrency: usize,
    ) -> Vec<Result<PublishOutput>>
    where
        I: IntoIterator<Item = Message>,
    {
        futures_util::stream::iter(messages)
            .map(|message| async move { self.publish(&message).await })
            .buffered(concurrency.max(1))
            .collect()
            .await
    }
}

/// Builds a [`Publisher`] with settings beyond the [`Config`].
#[derive(Debug)]
pub struct PublisherBuilder {
    config: Config,
    options: aws::Options,
    mode: InvocationMode,
}

impl PublisherBuilder {
    /// Synchronous (the default) or fire-and-forget invocation. See [`InvocationMode::Event`] for what
    /// fire-and-forget loses.
    pub fn invocation_mode(mut self, mode: InvocationMode) -> Self {
        self.mode = mode;
        self
    }

    /// The most attempts per publish, the first included (the AWS SDK's standard retry mode; default 3).
    /// `1` disables retries.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.options.max_attempts = attempts.max(1);
        self
    }

    /// The base of the exponential, jittered backoff between attempts (default: the SDK's).
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.options.initial_backoff = Some(backoff);
        self
    }

    /// The limit on a whole publish, retries included (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.operation_timeout = timeout;
        self
    }

    /// The limit on one attempt (default 10 s).
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.options.attempt_timeout = timeout;
        self
    }

    /// The limit on opening a connection (default 3.1 s, the SDK's).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.options.connect_timeout = Some(timeout);
        self
    }

    /// Builds the AWS clients. With an assumed role, the first credentials are fetched here, so a role that
    /// cannot be assumed is an error now rather than at the first publish.
    ///
    /// # Errors
    /// As [`Publisher::new`].
    pub async fn build(self) -> Result<Publisher> {
        let function = aws::function_name(&self.config)?;
        let client = aws::lambda_client(&self.config, &self.options).await?;
        Ok(Publisher::from_client(client, function, self.mode))
    }
}

/// What Lambda returned for a publish, kept as the Ruby gem keeps it (status, function error, version, the
/// raw payload), parsed only on request by [`response`](PublishOutput::response).
#[derive(Debug, Clone)]
pub struct PublishOutput {
    status_code: i32,
    function_error: Option<String>,
    executed_version: Option<String>,
    request_id: Option<String>,
    payload: Vec<u8>,
}

/// The publish function's answer: the message's channel and event, its ID with `eagerIdGeneration`, and the
/// schedule's ARN for a scheduled message.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PublishResponse {
    /// The channel, as published.
    pub channel: String,
    /// The event, as published.
    pub event: String,
    /// The message's ULID, present with `eagerIdGeneration`.
    #[serde(default)]
    pub id: Option<String>,
    /// The EventBridge Scheduler schedule's ARN, present with `scheduleExpression`; it can cancel or change
    /// the schedule.
    #[serde(default)]
    pub schedule_arn: Option<String>,
}

impl PublishOutput {
    fn from_invoke(output: aws_sdk_lambda::operation::invoke::InvokeOutput) -> PublishOutput {
        use aws_sdk_lambda::operation::RequestId as _;
        PublishOutput {
            status_code: output.status_code(),
            function_error: output.function_error().map(str::to_owned),
            executed_version: output.executed_version().map(str::to_owned),
            request_id: output.request_id().map(str::to_owned),
            payload: output.payload.map(Blob::into_inner).unwrap_or_default(),
        }
    }

    /// A function error reported by Lambda, or an `errorType`/`errorMessage` payload, is an error.
    fn check(&self) -> Result<()> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct LambdaError {
            error_type: Option<String>,
            error_message: Option<String>,
        }
        let reported = serde_json::from_slice::<LambdaError>(&self.payload)
            .ok()
            .filter(|e| e.error_type.is_some() || e.error_message.is_some());
        if self.function_error.is_none() && reported.is_none() {
            return Ok(());
        }
        let (error_type, error_message) = reported
            .map(|e| (e.error_type, e.error_message))
            .unwrap_or_default();
        let error_type = error_type
            .or_else(|| self.function_error.clone())
            .unwrap_or_else(|| "Error".into());
        let message = match error_message {
            Some(m) => format!("{error_type}: {m}"),
            None => format!("{error_type}: {}", String::from_utf8_lossy(&self.payload)),
        };
        Err(Error::new(ErrorKind::FunctionError, message)
            .with_source(FunctionFailure(self.clone())))
    }

    /// The HTTP status Lambda answered with: 200 for a synchronous invocation, 202 for fire-and-forget.
    pub fn status_code(&self) -> i32 {
        self.status_code
    }

    /// Lambda's function error (`Unhandled`, …) if the function failed. A `PublishOutput` returned by
    /// `publish` never has one: that is an [`ErrorKind::FunctionError`] error instead.
    pub fn function_error(&self) -> Option<&str> {
        self.function_error.as_deref()
    }

    /// The function version that ran.
    pub fn executed_version(&self) -> Option<&str> {
        self.executed_version.as_deref()
    }

    /// The AWS request ID, for support cases and logs.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The function's response, raw (JSON for a synchronous invocation, empty for fire-and-forget).
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// Parses the function's response.
    ///
    /// # Errors
    /// [`ErrorKind::Response`] when the payload is not the documented JSON (always, for fire-and-forget).
    pub fn response(&self) -> Result<PublishResponse> {
        serde_json::from_slice(&self.payload).map_err(|e| {
            Error::new(
                ErrorKind::Response,
                "the payload is not {\"channel\", \"event\", …} JSON",
            )
            .with_source(e)
        })
    }
}

/// The source of a [`ErrorKind::FunctionError`]: the whole output of the failed invocation.
#[derive(Debug)]
pub struct FunctionFailure(pub PublishOutput);

impl fmt::Display for FunctionFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "lambda answered {} with payload {}",
            self.0.status_code,
            String::from_utf8_lossy(&self.0.payload)
        )
    }
}

impl std::error::Error for FunctionFailure {}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(dead_code, reason = "compile-time check only")]
    fn assert_impls() {
        fn check<T: Send + Sync + Clone + 'static>() {}
        check::<Publisher>();
        check::<PublishOutput>();
        check::<Message>();
    }

    fn output(function_error: Option<&str>, payload: &str) -> PublishOutput {
        PublishOutput {
            status_code: 200,
            function_error: function_error.map(str::to_owned),
            executed_version: None,
            request_id: None,
            payload: payload.as_bytes().to_vec(),
        }
    }

    #[test]
    fn function_errors_are_errors() {
        let e = output(
            None,
            r#"{"errorType":"ValidationError","errorMessage":"channel is invalid"}"#,
        )
        .check()
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::FunctionError);
        assert_eq!(
            e.to_string(),
            "the publish function failed: ValidationError: channel is invalid"
        );
        let e = output(Some("Unhandled"), "not json").check().unwrap_err();
        assert_eq!(
            e.to_string(),
            "the publish function failed: Unhandled: not json"
        );
        output(None, r#"{"channel":"c","event":"e"}"#)
            .check()
            .unwrap();
        output(None, "").check().unwrap();
    }

    #[test]
    fn responses_parse() {
        let r = output(
            None,
            r#"{"id":"01HBM6KJCPNZK11H79ZSHGAEE9","channel":"c","event":"e","new":1}"#,
        )
        .response()
        .unwrap();
        assert_eq!(r.id.as_deref(), Some("01HBM6KJCPNZK11H79ZSHGAEE9"));
        assert_eq!(r.schedule_arn, None);
        assert_eq!(
            output(None, "").response().unwrap_err().kind(),
            ErrorKind::Response
        );
    }
}
