//! `actool discover`: appc meta discovery for app strings.

use std::collections::BTreeMap;

use appc::appstring::AppString;
use appc::discovery::http::{Client, ClientConfig};
use appc::discovery::{self, Discovery, DiscoveryOptions, Search};

use crate::cli::DiscoverArgs;

/// Why discovery failed for an app.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverCmdError {
    /// The app string is malformed.
    #[error("{app}: {reason}")]
    AppString { app: String, reason: String },
    /// The HTTP client could not be set up (e.g. a bad CA file).
    #[error("{0}")]
    Client(#[from] discovery::http::ClientError),
    /// Nothing found, or the walk failed.
    #[error("{0}")]
    Discovery(#[from] discovery::DiscoveryError),
}

/// Builds the HTTP client the flags ask for.
pub fn client(args: &DiscoverArgs) -> Result<Client, DiscoverCmdError> {
    let config = ClientConfig {
        insecure_tls: args.insecure,
        ca_files: args.ca_cert.iter().cloned().collect(),
        ..ClientConfig::default()
    };
    Ok(Client::new(&config)?)
}

/// Discovers the ACI endpoints and public keys of one app string; os and arch default to
/// this machine's, as the reference does.
pub fn discover(
    client: &Client,
    app: &str,
    args: &DiscoverArgs,
) -> Result<Discovery, DiscoverCmdError> {
    let parsed = AppString::parse(app).map_err(|e| DiscoverCmdError::AppString {
        app: app.to_string(),
        reason: e.to_string(),
    })?;
    let mut labels: BTreeMap<String, String> = parsed
        .labels
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.clone()))
        .collect();
    let (os, arch) = appc::schema::host_os_arch();
    labels.entry("os".into()).or_insert_with(|| os.to_string());
    labels
        .entry("arch".into())
        .or_insert_with(|| arch.to_string());
    let options = DiscoveryOptions {
        insecure_http: args.insecure,
        port: (args.port != 0).then_some(args.port),
        ..DiscoveryOptions::default()
    };
    Ok(discovery::discover(
        client,
        parsed.name.as_str(),
        &labels,
        &options,
        Search::Both,
    )?)
}

/// The human form: one `ACI: URL, ASC: URL` line per endpoint, then the public keys.
pub fn human(d: &Discovery) -> String {
    let mut s = String::new();
    for e in &d.aci_endpoints {
        s.push_str(&format!("ACI: {}, ASC: {}\n", e.aci, e.asc));
    }
    if !d.public_keys.is_empty() {
        s.push_str(&format!("PublicKeys: {}\n", d.public_keys.join(",")));
    }
    s
}
