//! The HTTP side of discovery: URLs per level, https with optional http fallback, the walk.

use std::collections::BTreeMap;
use std::time::Duration;

use url::Url;

use super::error::{Attempt, AttemptOutcome, DiscoveryError, FetchFailure};
use super::http::{Client, HostHeaders};
use super::meta::parse_meta_tags;
use super::template::page_endpoints;
use super::{Discovery, Search};

/// Default bound on one discovery request, redirects and body included.
pub const DEFAULT_PAGE_TIMEOUT: Duration = Duration::from_secs(60);

/// Default cap on a discovery page; real ones are a few hundred bytes.
pub const DEFAULT_MAX_PAGE_SIZE: u64 = 4 * 1024 * 1024;

/// How discovery requests are made. TLS settings (`insecure_tls`, CA files) belong to the
/// [`Client`].
#[derive(Debug, Clone)]
pub struct DiscoveryOptions {
    /// Retry a level over plain `http://` after an https error or non-200, and allow https
    /// pages to redirect to http. Off by default.
    pub insecure_http: bool,
    /// Connect to this port instead of the scheme's default.
    pub port: Option<u16>,
    /// Extra headers per host (`host` or `host:port`), for authentication.
    pub headers: HostHeaders,
    /// Bound on one request, redirects and body included.
    pub timeout: Duration,
    /// Pages larger than this fail the level.
    pub max_page_size: u64,
}

impl Default for DiscoveryOptions {
    fn default() -> Self {
        DiscoveryOptions {
            insecure_http: false,
            port: None,
            headers: HostHeaders::new(),
            timeout: DEFAULT_PAGE_TIMEOUT,
            max_page_size: DEFAULT_MAX_PAGE_SIZE,
        }
    }
}

/// The prefixes discovery tries for `name`, longest first: `a/b/c`, `a/b`, `a`.
pub fn prefixes(name: &str) -> Vec<&str> {
    let mut out = vec![name];
    let mut rest = name;
    while let Some((parent, _)) = rest.rsplit_once('/') {
        out.push(parent);
        rest = parent;
    }
    out
}

/// Checks that `name` can be put into a URL as `host[/path]` unchanged.
pub fn check_name(name: &str) -> Result<(), DiscoveryError> {
    let invalid = |reason| {
        Err(DiscoveryError::InvalidName {
            name: name.to_string(),
            reason,
        })
    };
    if name.is_empty() {
        return invalid("empty");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~/".contains(&b))
    {
        return invalid("only letters, digits and - . _ ~ / are allowed");
    }
    if name.starts_with('/') {
        return invalid("it must start with a host name");
    }
    // The URL parser would resolve these, requesting a different path than the name says.
    if name
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return invalid("`.` and `..` path segments are not allowed");
    }
    Ok(())
}

/// The discovery URL for one level: `SCHEME://PREFIX?ac-discovery=1`, with the port override.
pub fn discovery_url(scheme: &str, prefix: &str, port: Option<u16>) -> Result<Url, DiscoveryError> {
    let invalid = |reason| DiscoveryError::InvalidName {
        name: prefix.to_string(),
        reason,
    };
    check_name(prefix)?;
    let mut url = Url::parse(&format!("{scheme}://{prefix}"))
        .map_err(|_| invalid("it does not form a valid URL"))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("it does not start with a host name"));
    }
    if let Some(port) = port {
        url.set_port(Some(port))
            .map_err(|()| invalid("the port cannot be set"))?;
    }
    url.set_query(Some("ac-discovery=1"));
    Ok(url)
}

/// A discovery page as fetched.
#[derive(Debug, Clone)]
pub struct Page {
    /// The URL requested (before redirects).
    pub url: String,
    /// The page body.
    pub body: Vec<u8>,
}

/// Fetches the discovery page of one level: https first, then http if allowed. Only a final
/// `200 OK` counts.
pub fn fetch_page(
    client: &Client,
    prefix: &str,
    options: &DiscoveryOptions,
) -> Result<Page, Vec<FetchFailure>> {
    let schemes: &[&str] = if options.insecure_http {
        &["https", "http"]
    } else {
        &["https"]
    };
    let mut failures = Vec::new();
    for scheme in schemes {
        let url = match discovery_url(scheme, prefix, options.port) {
            Ok(url) => url,
            Err(e) => {
                failures.push(FetchFailure::Transport {
                    url: format!("{scheme}://{prefix}"),
                    reason: e.to_string(),
                });
                continue;
            }
        };
        match fetch_one(client, &url, options) {
            Ok(body) => {
                return Ok(Page {
                    url: url.to_string(),
                    body,
                });
            }
            Err(failure) => failures.push(failure),
        }
    }
    Err(failures)
}

fn fetch_one(
    client: &Client,
    url: &Url,
    options: &DiscoveryOptions,
) -> Result<Vec<u8>, FetchFailure> {
    let transport = |e: ureq::Error| FetchFailure::Transport {
        url: url.to_string(),
        reason: e.to_string(),
    };
    let response = client
        .get(url, &options.headers)
        .config()
        .https_only(!options.insecure_http)
        .timeout_global(Some(options.timeout))
        .build()
        .call()
        .map_err(transport)?;
    let status = response.status().as_u16();
    if status != 200 {
        return Err(FetchFailure::Status {
            url: url.to_string(),
            status,
        });
    }
    let mut body = response.into_body();
    body.with_config()
        .limit(options.max_page_size)
        .read_to_vec()
        .map_err(|e| match e {
            ureq::Error::BodyExceedsLimit(limit) => FetchFailure::TooLarge {
                url: url.to_string(),
                limit,
            },
            other => transport(other),
        })
}

/// Walks up `name` until every kind in `search` is found, each kind taken from the first
/// (longest) level that offers it; each level is fetched at most once.
pub fn discover(
    client: &Client,
    name: &str,
    labels: &BTreeMap<String, String>,
    options: &DiscoveryOptions,
    search: Search,
) -> Result<Discovery, DiscoveryError> {
    check_name(name)?;
    let mut want_aci = search.includes_aci_endpoints();
    let mut want_keys = search.includes_public_keys();
    let mut found = Discovery::default();
    for prefix in prefixes(name) {
        if !want_aci && !want_keys {
            break;
        }
        let outcome = match fetch_page(client, prefix, options) {
            Err(failures) => AttemptOutcome::Failed(failures),
            Ok(page) => {
                let offered = page_endpoints(&parse_meta_tags(&page.body), name, labels);
                let outcome = AttemptOutcome::Fetched {
                    url: page.url,
                    aci_endpoints: offered.aci_endpoints.len(),
                    public_keys: offered.public_keys.len(),
                };
                if want_aci && !offered.aci_endpoints.is_empty() {
                    found.aci_endpoints = offered.aci_endpoints;
                    want_aci = false;
                }
                if want_keys && !offered.public_keys.is_empty() {
                    found.public_keys = offered.public_keys;
                    want_keys = false;
                }
                outcome
            }
        };
        found.attempts.push(Attempt {
            prefix: prefix.to_string(),
            outcome,
        });
    }
    let missing = match (want_aci, want_keys) {
        (false, false) => return Ok(found),
        (true, false) => Search::AciEndpoints,
        (false, true) => Search::PublicKeys,
        (true, true) => Search::Both,
    };
    Err(DiscoveryError::NotFound {
        name: name.to_string(),
        missing,
        attempts: found.attempts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_walk_up_the_name() {
        assert_eq!(
            prefixes("example.com/a/b"),
            ["example.com/a/b", "example.com/a", "example.com"]
        );
        assert_eq!(prefixes("example.com"), ["example.com"]);
    }

    #[test]
    fn discovery_urls_match_the_reference_shape() {
        let url = discovery_url("https", "example.com/myapp", None).unwrap();
        assert_eq!(url.as_str(), "https://example.com/myapp?ac-discovery=1");
        let url = discovery_url("http", "example.com", Some(8080)).unwrap();
        assert_eq!(url.as_str(), "http://example.com:8080/?ac-discovery=1");
    }

    #[test]
    fn names_that_would_change_the_url_are_rejected() {
        for bad in [
            "",
            "/app",
            "example.com:80/app",
            "user@example.com/app",
            "example.com/app?x=1",
            "example.com/app#frag",
            "example.com/a b",
            "example.com/%41",
            "example.com/../x",
            "example.com/./x",
            "..",
        ] {
            assert!(
                matches!(check_name(bad), Err(DiscoveryError::InvalidName { .. })),
                "{bad:?} accepted"
            );
        }
        assert!(check_name("example.com/my-app_1.0~x").is_ok());
    }
}
