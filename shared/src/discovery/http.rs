//! The HTTP(S) client the appc tools share for discovery and downloads.
//!
//! One place decides the TLS roots (system store, `SSL_CERT_FILE`/`SSL_CERT_DIR`, extra CA
//! files), certificate checking, timeouts, redirects, proxies and the user agent, so that
//! discovery and acfetch's downloads behave the same.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};
use url::Url;

/// The `User-Agent` every request carries.
pub const USER_AGENT: &str = concat!("appc-tools/", env!("CARGO_PKG_VERSION"));

/// How long resolving and connecting may take, as in the reference implementation.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// How many redirects a request follows before failing, as Go's HTTP client does.
pub const DEFAULT_MAX_REDIRECTS: u32 = 10;

/// How long one read from the network may block by default.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Where requests go through a proxy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ProxyPolicy {
    /// `ALL_PROXY`, `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY`, read the way ureq reads them.
    #[default]
    FromEnv,
    /// Always connect directly.
    Direct,
    /// Always use this proxy URL (`http://`, `https://`, `socks5://` ...).
    Url(String),
}

/// Settings for [`Client::new`].
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Skip TLS certificate verification entirely.
    pub insecure_tls: bool,
    /// PEM files whose certificates are trusted in addition to the system roots.
    pub ca_files: Vec<PathBuf>,
    /// Bound on name resolution and on connecting, each.
    pub connect_timeout: Duration,
    /// Bound on one whole request, redirects and body included; `None` for no bound.
    pub request_timeout: Option<Duration>,
    /// Bound on one blocking read from the network; `None` for no bound.
    pub read_timeout: Option<Duration>,
    /// Redirects followed before a request fails.
    pub max_redirects: u32,
    /// The `User-Agent` header value.
    pub user_agent: String,
    /// Proxy selection.
    pub proxy: ProxyPolicy,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            insecure_tls: false,
            ca_files: Vec::new(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: None,
            read_timeout: Some(DEFAULT_READ_TIMEOUT),
            max_redirects: DEFAULT_MAX_REDIRECTS,
            user_agent: USER_AGENT.to_string(),
            proxy: ProxyPolicy::FromEnv,
        }
    }
}

/// Why a [`Client`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// A CA file could not be read.
    #[error("cannot read CA certificate file {}: {source}", path.display())]
    CaFileRead {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A CA file is not PEM, or holds no certificate.
    #[error("CA certificate file {}: {reason}", path.display())]
    CaFileInvalid {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// `SSL_CERT_FILE`/`SSL_CERT_DIR` or the system store gave errors and no certificate.
    #[error("cannot load the system CA certificates: {0}")]
    SystemRoots(String),
    /// The proxy URL is not usable.
    #[error("invalid proxy URL {url:?}: {reason}")]
    Proxy {
        /// The URL given.
        url: String,
        /// Why ureq refused it.
        reason: String,
    },
}

/// Login data for one host, turned into an `Authorization` header.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// HTTP basic authentication.
    Basic {
        /// User name.
        user: String,
        /// Password.
        password: String,
    },
    /// A bearer token (OAuth 2 and registry tokens).
    Bearer(String),
}

impl Credentials {
    /// The `Authorization` header value.
    pub fn header_value(&self) -> String {
        match self {
            Credentials::Basic { user, password } => {
                format!(
                    "Basic {}",
                    base64_encode(format!("{user}:{password}").as_bytes())
                )
            }
            Credentials::Bearer(token) => format!("Bearer {token}"),
        }
    }
}

// Secrets must not end up in logs or error reports.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Basic { user, .. } => write!(f, "Basic {{ user: {user:?}, .. }}"),
            Credentials::Bearer(_) => f.write_str("Bearer(..)"),
        }
    }
}

/// Extra request headers per host (for example `Authorization`), keyed like Go's `URL.Host`:
/// `host` for the scheme's default port, `host:port` otherwise.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct HostHeaders(BTreeMap<String, Vec<(String, String)>>);

impl HostHeaders {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a header sent to `host` (`name` or `name:port`).
    pub fn insert(&mut self, host: &str, name: impl Into<String>, value: impl Into<String>) {
        self.0
            .entry(host.to_ascii_lowercase())
            .or_default()
            .push((name.into(), value.into()));
    }

    /// Sends `credentials` as the `Authorization` header to `host`, replacing an earlier one.
    pub fn set_credentials(&mut self, host: &str, credentials: &Credentials) {
        let entry = self.0.entry(host.to_ascii_lowercase()).or_default();
        entry.retain(|(name, _)| !name.eq_ignore_ascii_case("authorization"));
        entry.push(("Authorization".to_string(), credentials.header_value()));
    }

    /// The headers for the host of `url`.
    pub fn for_url(&self, url: &Url) -> &[(String, String)] {
        self.0
            .get(&host_key(url))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// True when no header is configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

// Header values are often credentials: show only names.
impl fmt::Debug for HostHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (host, headers) in &self.0 {
            let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
            map.entry(host, &names);
        }
        map.finish()
    }
}

/// The [`HostHeaders`] key for `url`.
pub fn host_key(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// A configured HTTP(S) client; cheap to clone, connections are pooled. HTTP statuses are
/// not errors: callers check `response.status()`.
#[derive(Debug, Clone)]
pub struct Client {
    agent: ureq::Agent,
}

impl Client {
    /// Builds a client, loading the TLS roots now so a bad CA file fails early.
    pub fn new(config: &ClientConfig) -> Result<Self, ClientError> {
        let roots = if config.insecure_tls {
            // Nothing is verified, so there is no point reading certificate stores.
            RootCerts::WebPki
        } else {
            root_certs(&config.ca_files)?
        };
        let tls = TlsConfig::builder()
            .root_certs(roots)
            .disable_verification(config.insecure_tls)
            .build();
        let proxy = match &config.proxy {
            ProxyPolicy::FromEnv => ureq::Proxy::try_from_env(),
            ProxyPolicy::Direct => None,
            ProxyPolicy::Url(url) => {
                Some(ureq::Proxy::new(url).map_err(|e| ClientError::Proxy {
                    url: url.clone(),
                    reason: e.to_string(),
                })?)
            }
        };
        let agent_config = ureq::Agent::config_builder()
            .tls_config(tls)
            .proxy(proxy)
            // Callers judge the status themselves (discovery wants exactly 200).
            .http_status_as_error(false)
            .max_redirects(config.max_redirects)
            .redirect_auth_headers(ureq::config::RedirectAuthHeaders::SameHost)
            .timeout_resolve(Some(config.connect_timeout))
            .timeout_connect(Some(config.connect_timeout))
            .timeout_global(config.request_timeout)
            .timeout_per_read(config.read_timeout)
            .user_agent(config.user_agent.as_str())
            .build();
        Ok(Client {
            agent: agent_config.into(),
        })
    }

    /// A GET request for `url` carrying the headers `headers` has for its host; finish it
    /// with `.call()`, or adjust it per request first (`.config().https_only(true).build()`).
    pub fn get(
        &self,
        url: &Url,
        headers: &HostHeaders,
    ) -> ureq::RequestBuilder<ureq::typestate::WithoutBody> {
        let mut request = self.agent.get(url.as_str());
        for (name, value) in headers.for_url(url) {
            request = request.header(name.as_str(), value.as_str());
        }
        request
    }

    /// The underlying ureq agent, for requests [`Client::get`] does not cover.
    pub fn agent(&self) -> &ureq::Agent {
        &self.agent
    }
}

/// The trusted roots: the system store (which `SSL_CERT_FILE`/`SSL_CERT_DIR` replace, as in
/// OpenSSL and Go) plus every certificate in `ca_files`.
///
/// When that leaves nothing (a system without a CA bundle and no CA file), the Mozilla roots
/// built into the binary are used instead, so https still works on minimal images.
pub fn root_certs(ca_files: &[PathBuf]) -> Result<RootCerts, ClientError> {
    let native = rustls_native_certs::load_native_certs();
    if native.certs.is_empty() && !native.errors.is_empty() {
        let reasons: Vec<String> = native.errors.iter().map(|e| e.to_string()).collect();
        return Err(ClientError::SystemRoots(reasons.join("; ")));
    }
    let mut certs: Vec<Certificate<'static>> = native
        .certs
        .iter()
        .map(|der| Certificate::from_der(der.as_ref()).to_owned())
        .collect();
    for path in ca_files {
        certs.extend(read_ca_file(path)?);
    }
    if certs.is_empty() {
        return Ok(RootCerts::WebPki);
    }
    Ok(RootCerts::from(certs))
}

/// Every certificate in the PEM file at `path`; a file without one is an error.
pub fn read_ca_file(path: &Path) -> Result<Vec<Certificate<'static>>, ClientError> {
    let pem = std::fs::read(path).map_err(|source| ClientError::CaFileRead {
        path: path.to_path_buf(),
        source,
    })?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(cert)) => certs.push(cert),
            Ok(_) => {}
            Err(e) => {
                return Err(ClientError::CaFileInvalid {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                });
            }
        }
    }
    if certs.is_empty() {
        return Err(ClientError::CaFileInvalid {
            path: path.to_path_buf(),
            reason: "no PEM certificate in it".to_string(),
        });
    }
    Ok(certs)
}

/// Standard base64 with padding (RFC 4648), enough for basic authentication.
fn base64_encode(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextets = [(n >> 18) & 63, (n >> 12) & 63, (n >> 6) & 63, n & 63];
        for (i, s) in sextets.iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[*s as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (input, want) in cases {
            assert_eq!(base64_encode(input.as_bytes()), want, "input {input:?}");
        }
    }

    #[test]
    fn basic_credentials_match_the_reference_test_header() {
        let creds = Credentials::Basic {
            user: "bar".into(),
            password: "baz".into(),
        };
        assert_eq!(creds.header_value(), "Basic YmFyOmJheg==");
        assert_eq!(
            Credentials::Bearer("tok".into()).header_value(),
            "Bearer tok"
        );
    }

    #[test]
    fn debug_output_hides_secrets() {
        let creds = Credentials::Basic {
            user: "bar".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{creds:?}").contains("hunter2"));
        let mut headers = HostHeaders::new();
        headers.set_credentials("example.com", &Credentials::Bearer("s3cret".into()));
        let shown = format!("{headers:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("Authorization"), "{shown}");
    }

    #[test]
    fn host_headers_key_on_host_and_explicit_port() {
        let mut headers = HostHeaders::new();
        headers.insert("Example.com", "X-A", "1");
        headers.insert("example.com:8443", "X-B", "2");
        let default_port = Url::parse("https://example.com:443/x").unwrap();
        let other_port = Url::parse("https://example.com:8443/x").unwrap();
        let other_host = Url::parse("https://example.org/x").unwrap();
        assert_eq!(
            headers.for_url(&default_port),
            [("X-A".to_string(), "1".to_string())]
        );
        assert_eq!(
            headers.for_url(&other_port),
            [("X-B".to_string(), "2".to_string())]
        );
        assert!(headers.for_url(&other_host).is_empty());
    }

    #[test]
    fn set_credentials_replaces_the_previous_authorization() {
        let mut headers = HostHeaders::new();
        headers.set_credentials("h", &Credentials::Bearer("one".into()));
        headers.set_credentials("h", &Credentials::Bearer("two".into()));
        let url = Url::parse("https://h/").unwrap();
        assert_eq!(
            headers.for_url(&url),
            [("Authorization".to_string(), "Bearer two".to_string())]
        );
    }

    #[test]
    fn missing_and_empty_ca_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        assert!(matches!(
            read_ca_file(&missing),
            Err(ClientError::CaFileRead { .. })
        ));
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let err = read_ca_file(&empty).unwrap_err();
        assert!(matches!(err, ClientError::CaFileInvalid { .. }), "{err}");
        assert!(
            Client::new(&ClientConfig {
                ca_files: vec![missing],
                ..ClientConfig::default()
            })
            .is_err()
        );
    }
}
