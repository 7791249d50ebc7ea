//! acrun's typed errors.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong in acrun's library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A system call or file operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The OS error.
        source: io::Error,
    },
    /// The image store failed.
    #[error(transparent)]
    Store(#[from] acstore::StoreError),
    /// A manifest failed the schema.
    #[error("{what}: {source}")]
    Schema {
        /// Which manifest.
        what: String,
        /// The schema's reason.
        source: appc::schema::SchemaError,
    },
    /// A flag or manifest value cannot be used.
    #[error("{0}")]
    Invalid(String),
    /// No pod has that UUID (or prefix).
    #[error("no pod {0}")]
    NoPod(String),
    /// A UUID prefix names several pods.
    #[error("pod {0} is ambiguous")]
    AmbiguousPod(String),
    /// The pod is not in a state that allows the request.
    #[error("pod {uuid} is {state}: {why}")]
    State {
        /// The pod.
        uuid: String,
        /// Its state.
        state: String,
        /// Why the request needs another state.
        why: &'static str,
    },
    /// A volume source is unsafe or missing.
    #[error("volume {name}: {why}: {path}")]
    Volume {
        /// The volume.
        name: String,
        /// What is wrong.
        why: &'static str,
        /// The path concerned.
        path: PathBuf,
    },
    /// The pod's init reported a failure.
    #[error("pod init: {0}")]
    Init(String),
}

/// acrun's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Wraps an io error with what was being done.
pub fn io_err(what: impl Into<String>) -> impl FnOnce(io::Error) -> Error {
    let what = what.into();
    move |source| Error::Io { what, source }
}

/// Wraps an io error with the path it concerns.
pub fn at(path: &std::path::Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| Error::Io {
        what: path.display().to_string(),
        source,
    }
}
