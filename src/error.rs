//! The crate's error type: every fallible library call returns [`Result`].

use std::path::PathBuf;

/// Everything that can go wrong in the library, with the values that failed.
///
/// A variant that wraps another error returns it from [`std::error::Error::source`] and leaves
/// it out of its own message, so that a report of the whole chain (anyhow's `{:#}`) names each
/// cause once.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("{path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}, line {line}: {message}")]
    Data {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("invalid training data: {0}")]
    Dataset(String),
    #[error("invalid catalogue {path}: {message}")]
    Catalog { path: PathBuf, message: String },
    #[error("invalid model in {path}: {message}")]
    Model { path: PathBuf, message: String },
    #[error("invalid parameter: {0}")]
    InvalidParam(String),
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("tokenizer failed")]
    Tokenizer(#[source] tokenizers::Error),
    #[error("the logistic regression failed")]
    Classifier(#[from] linfa_logistic::error::Error),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error("interrupted")]
    Interrupted,
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn model(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Model {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// An error's message followed by those of its causes, joined by ": ", for a message that must
/// hold the whole story in one string (as anyhow's `{:#}` prints it).
pub(crate) fn with_causes(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        cause = inner.source();
    }
    message
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_of_the_chain_names_the_io_cause_once() {
        let missing = std::io::Error::from(std::io::ErrorKind::NotFound);
        let cause = missing.to_string();
        let report = format!(
            "{:#}",
            anyhow::Error::from(Error::io("data/x.toml", missing))
        );
        assert_eq!(report, format!("data/x.toml: {cause}"));
        let missing = std::io::Error::from(std::io::ErrorKind::NotFound);
        assert_eq!(
            with_causes(&Error::io("data/x.toml", missing)),
            format!("data/x.toml: {cause}")
        );
    }
}
