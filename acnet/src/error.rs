//! The error type of every `acnet` operation.

use crate::{cni::CniError, config::ConfigError, ipam::IpamError, netlink::NetlinkError};
use crate::{netns::NetnsError, nft::NftError, ports::PortError, state::StateError};

/// Why an `acnet` operation failed. Every message is one line.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad arguments.
    #[error("{0}")]
    Usage(String),
    /// Network configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Namespace.
    #[error(transparent)]
    Netns(#[from] NetnsError),
    /// Kernel networking.
    #[error(transparent)]
    Netlink(#[from] NetlinkError),
    /// Address management.
    #[error(transparent)]
    Ipam(#[from] IpamError),
    /// nftables.
    #[error(transparent)]
    Nft(#[from] NftError),
    /// CNI plugins.
    #[error(transparent)]
    Cni(#[from] CniError),
    /// Port arguments.
    #[error(transparent)]
    Port(#[from] PortError),
    /// Pod state files.
    #[error(transparent)]
    State(#[from] StateError),
    /// A requested host port is already forwarded to another pod.
    #[error("host port already forwarded to another pod (one of: {0})")]
    PortTaken(String),
    /// A sysctl could not be set.
    #[error("sysctl {key}: {source}")]
    Sysctl {
        /// The key.
        key: String,
        /// What failed.
        source: std::io::Error,
    },
    /// `check` found the pod's networking not as it should be.
    #[error("check failed: {0}")]
    Check(String),
    /// An operation failed and so did undoing it.
    #[error("{error} (and rolling back failed: {rollback})")]
    RollbackFailed {
        /// The original failure.
        error: Box<Error>,
        /// The rollback failure.
        rollback: Box<Error>,
    },
}

impl Error {
    /// Whether this is a usage error (exit code 2) rather than a failure (exit code 1).
    pub fn is_usage(&self) -> bool {
        matches!(self, Error::Usage(_) | Error::Port(_))
    }
}
