//! appc meta discovery: from an app name and labels to ACI, signature and public key URLs.
//!
//! For `example.com/a/b` discovery fetches `https://example.com/a/b?ac-discovery=1`, then
//! `example.com/a`, then `example.com`, reads the `ac-discovery` and `ac-discovery-pubkeys`
//! meta tags of each page and renders the URL templates that apply to the name. ACI endpoints
//! and public keys are searched separately: each comes from the first level that offers it.
//!
//! The parsing ([`parse_meta_tags`]) and templating ([`render_endpoint`], [`page_endpoints`])
//! are pure functions; [`discover`] does the HTTP walk through an [`http::Client`], which
//! acfetch reuses for downloads.

mod error;
pub mod http;
mod meta;
mod template;
mod walk;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use error::{Attempt, AttemptOutcome, DiscoveryError, FetchFailure};
pub use meta::{MetaKind, MetaTag, parse_meta_tags, split_content};
pub use template::{AciEndpoint, DEFAULT_VERSION, PageEndpoints, page_endpoints, render_endpoint};
pub use walk::{
    DEFAULT_MAX_PAGE_SIZE, DEFAULT_PAGE_TIMEOUT, DiscoveryOptions, Page, check_name, discover,
    discovery_url, fetch_page, prefixes,
};

/// What a discovery walk looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Search {
    /// Only `ac-discovery` templates.
    AciEndpoints,
    /// Only `ac-discovery-pubkeys` URLs.
    PublicKeys,
    /// Both; discovery fails unless both are found.
    Both,
}

impl Search {
    /// True when ACI endpoints are searched for.
    pub fn includes_aci_endpoints(self) -> bool {
        matches!(self, Search::AciEndpoints | Search::Both)
    }

    /// True when public keys are searched for.
    pub fn includes_public_keys(self) -> bool {
        matches!(self, Search::PublicKeys | Search::Both)
    }
}

impl fmt::Display for Search {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Search::AciEndpoints => "ACI endpoints",
            Search::PublicKeys => "public keys",
            Search::Both => "ACI endpoints and public keys",
        })
    }
}

/// The result of discovery.
///
/// Serialises like the reference `actool discover --json`:
/// `{"ACIEndpoints":[{"ACI":…,"ASC":…}],"PublicKeys":[…]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discovery {
    /// Where to download the image and its signature, in document order; the client picks one.
    #[serde(rename = "ACIEndpoints")]
    pub aci_endpoints: Vec<AciEndpoint>,
    /// URLs of public keys that may have signed the image.
    #[serde(rename = "PublicKeys")]
    pub public_keys: Vec<String>,
    /// Every level fetched or tried, longest prefix first, for diagnostics.
    #[serde(skip)]
    pub attempts: Vec<Attempt>,
}
