//! What went wrong during discovery, with every URL tried.

use std::fmt;

use super::Search;

/// Why one discovery URL gave no page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchFailure {
    /// Connecting, TLS, a redirect, a timeout or reading the body failed.
    Transport {
        /// The URL requested.
        url: String,
        /// The client's description of the failure.
        reason: String,
    },
    /// The final response was not `200 OK`.
    Status {
        /// The URL requested.
        url: String,
        /// The status received.
        status: u16,
    },
    /// The page is larger than the discovery limit.
    TooLarge {
        /// The URL requested.
        url: String,
        /// The limit in bytes.
        limit: u64,
    },
}

impl fmt::Display for FetchFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchFailure::Transport { url, reason } => write!(f, "{url}: {reason}"),
            FetchFailure::Status { url, status } => {
                write!(f, "{url}: expected a 200 OK, got {status}")
            }
            FetchFailure::TooLarge { url, limit } => {
                write!(f, "{url}: page larger than {limit} bytes")
            }
        }
    }
}

/// What happened at one level of the walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// No page: one failure per URL tried (https, then http when allowed).
    Failed(Vec<FetchFailure>),
    /// A page was read; how much of what applies to the app it offered.
    Fetched {
        /// The URL the page came from.
        url: String,
        /// Usable ACI endpoints on the page.
        aci_endpoints: usize,
        /// Public key URLs on the page.
        public_keys: usize,
    },
}

/// One level of the walk up the name, for diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The name prefix requested (`a/b/c`, then `a/b`, then `a`).
    pub prefix: String,
    /// What it gave.
    pub outcome: AttemptOutcome,
}

impl fmt::Display for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.prefix)?;
        match &self.outcome {
            AttemptOutcome::Failed(failures) => {
                for (i, failure) in failures.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", then ")?;
                    }
                    write!(f, "{failure}")?;
                }
                Ok(())
            }
            AttemptOutcome::Fetched {
                url,
                aci_endpoints,
                public_keys,
            } => write!(
                f,
                "{url}: {aci_endpoints} usable ac-discovery and {public_keys} \
                 ac-discovery-pubkeys tags for this name"
            ),
        }
    }
}

/// Why discovery gave no result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiscoveryError {
    /// The name cannot be turned into discovery URLs.
    #[error("invalid app name {name:?} for discovery: {reason}")]
    InvalidName {
        /// The name given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The walk reached the top of the name without finding what was searched for.
    #[error(
        "discovery failed for {name}: no {missing} found (tried {})",
        list(attempts)
    )]
    NotFound {
        /// The app name.
        name: String,
        /// What is still missing.
        missing: Search,
        /// Every level tried, longest prefix first.
        attempts: Vec<Attempt>,
    },
}

fn list(attempts: &[Attempt]) -> String {
    let shown: Vec<String> = attempts.iter().map(Attempt::to_string).collect();
    shown.join("; ")
}
