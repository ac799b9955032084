//! A blocking facade over the async [`Publisher`](crate::Publisher), for applications without an async
//! runtime (feature `blocking`).
//!
//! As in `reqwest::blocking`, the async publisher runs on a runtime thread of its own, so these calls work
//! from any thread, including from inside another runtime's blocking section (`spawn_blocking`). Calling
//! them from an async task would block that task's worker thread: use the async `Publisher` there.
//!
//! ```no_run
//! # fn main() -> hotsock::Result<()> {
//! let publisher = hotsock::blocking::Publisher::new(&hotsock::Config::from_env()?)?;
//! let output = publisher.publish(&hotsock::Message::new("chat.room-1", "message.created"))?;
//! # let _ = output;
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::thread;

use tokio::sync::{mpsc, oneshot};

use crate::config::Config;
use crate::error::{Error, ErrorKind, Result};
use crate::publish::message::Message;
use crate::publish::{self, PublishOutput};

type Job =
    Box<dyn FnOnce(publish::Publisher) -> futures_util::future::BoxFuture<'static, ()> + Send>;

/// A blocking [`Publisher`](crate::Publisher): the same publishing, retries and errors, without `async`.
///
/// Cheap to clone; the runtime thread stops when the last clone is dropped.
#[derive(Clone)]
pub struct Publisher {
    jobs: mpsc::UnboundedSender<Job>,
    function: String,
}

impl fmt::Debug for Publisher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::Publisher")
            .field("function", &self.function)
            .finish_non_exhaustive()
    }
}

fn stopped() -> Error {
    Error::new(
        ErrorKind::Network,
        "the blocking publisher's runtime thread has stopped",
    )
}

impl Publisher {
    /// Like [`Publisher::new`](crate::Publisher::new): builds the AWS clients on the runtime thread and
    /// waits for them.
    ///
    /// # Errors
    /// As [`Publisher::new`](crate::Publisher::new).
    pub fn new(config: &Config) -> Result<Publisher> {
        Publisher::from_builder(crate::Publisher::builder(config))
    }

    /// Like [`PublisherBuilder::build`](crate::PublisherBuilder::build), for a publisher with retry,
    /// timeout or invocation-mode settings.
    ///
    /// # Errors
    /// As [`Publisher::new`](crate::Publisher::new).
    pub fn from_builder(builder: crate::PublisherBuilder) -> Result<Publisher> {
        let (jobs, mut receiver) = mpsc::unbounded_channel::<Job>();
        let (ready, built) = oneshot::channel::<Result<String>>();
        thread::Builder::new()
            .name("hotsock-blocking".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = ready.send(Err(Error::new(
                            ErrorKind::Config,
                            "cannot start the runtime thread",
                        )
                        .with_source(e)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let publisher = match builder.build().await {
                        Ok(publisher) => publisher,
                        Err(e) => {
                            let _ = ready.send(Err(e));
                            return;
                        }
                    };
                    let _ = ready.send(Ok(publisher.function().to_owned()));
                    let mut running = tokio::task::JoinSet::new();
                    while let Some(job) = receiver.recv().await {
                        running.spawn(job(publisher.clone()));
                        while running.try_join_next().is_some() {}
                    }
                    while running.join_next().await.is_some() {}
                });
            })
            .map_err(|e| {
                Error::new(ErrorKind::Config, "cannot start the runtime thread").with_source(e)
            })?;
        let function = built.blocking_recv().map_err(|_| stopped())??;
        Ok(Publisher { jobs, function })
    }

    /// The publish function this publisher invokes.
    pub fn function(&self) -> &str {
        &self.function
    }

    fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(publish::Publisher) -> futures_util::future::BoxFuture<'static, T>
        + Send
        + 'static,
    ) -> Result<T> {
        let (reply, result) = oneshot::channel();
        self.jobs
            .send(Box::new(move |publisher| {
                Box::pin(async move {
                    let _ = reply.send(job(publisher).await);
                })
            }))
            .map_err(|_| stopped())?;
        result.blocking_recv().map_err(|_| stopped())
    }

    /// Like [`Publisher::publish`](crate::Publisher::publish), blocking until Lambda answers.
    ///
    /// # Errors
    /// As [`Publisher::publish`](crate::Publisher::publish).
    pub fn publish(&self, message: &Message) -> Result<PublishOutput> {
        let message = message.clone();
        self.run(move |publisher| Box::pin(async move { publisher.publish(&message).await }))?
    }

    /// Like [`Publisher::publish_all`](crate::Publisher::publish_all): at most `concurrency` in flight,
    /// results in input order.
    pub fn publish_all<I>(&self, messages: I, concurrency: usize) -> Vec<Result<PublishOutput>>
    where
        I: IntoIterator<Item = Message>,
    {
        let messages: Vec<Message> = messages.into_iter().collect();
        let count = messages.len();
        self.run(move |publisher| {
            Box::pin(async move { publisher.publish_all(messages, concurrency).await })
        })
        .unwrap_or_else(|e| {
            (0..count)
                .map(|_| Err(stopped().with_source(e.to_string())))
                .collect()
        })
    }
}
