//! The error of starting a local Hotsock.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Why a [`LocalHotsock`](crate::LocalHotsock) could not start.
pub struct Error(Box<Inner>);

struct Inner {
    kind: ErrorKind,
    message: Cow<'static, str>,
    source: Option<BoxError>,
}

/// What kind of problem an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The settings are incomplete or wrong: no signing key, too many, or one that cannot be read.
    Config,
    /// The address could not be bound.
    Io,
}

impl Error {
    pub(crate) fn config(message: impl Into<Cow<'static, str>>) -> Error {
        Error(Box::new(Inner {
            kind: ErrorKind::Config,
            message: message.into(),
            source: None,
        }))
    }

    pub(crate) fn io(message: impl Into<Cow<'static, str>>, source: std::io::Error) -> Error {
        Error(Box::new(Inner {
            kind: ErrorKind::Io,
            message: message.into(),
            source: Some(source.into()),
        }))
    }

    pub(crate) fn with_source(mut self, source: impl Into<BoxError>) -> Error {
        self.0.source = Some(source.into());
        self
    }

    /// The kind of problem.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
            .field("message", &self.0.message)
            .field("source", &self.0.source)
            .finish()
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}
