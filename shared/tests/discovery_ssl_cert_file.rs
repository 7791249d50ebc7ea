//! `SSL_CERT_FILE` replaces the system roots. Its own test binary with a single test, because
//! it changes the process environment.

#![cfg(feature = "discovery")]

mod discovery_server;

use std::collections::BTreeMap;
use std::time::Duration;

use appc::discovery::http::{Client, ClientConfig, ClientError, ProxyPolicy};
use appc::discovery::{DiscoveryOptions, Search, discover};
use discovery_server::{Response, Server, TestPki};

#[test]
fn ssl_cert_file_supplies_the_trusted_roots() {
    let pki = TestPki::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &pki.ca_pem).expect("write CA");
    let config = ClientConfig {
        proxy: ProxyPolicy::Direct,
        ..ClientConfig::default()
    };

    // SAFETY: this binary runs this one test and no thread of ours has started yet, so
    // nothing reads the environment concurrently.
    unsafe {
        std::env::remove_var("SSL_CERT_DIR");
        std::env::set_var("SSL_CERT_FILE", dir.path().join("missing.pem"));
    }
    let err = Client::new(&config).unwrap_err();
    assert!(matches!(err, ClientError::SystemRoots(_)), "{err}");
    // Nothing is verified with insecure TLS, so no store is needed.
    Client::new(&ClientConfig {
        insecure_tls: true,
        ..config.clone()
    })
    .expect("insecure client");

    // SAFETY: as above; the server threads below start only after this.
    unsafe {
        std::env::set_var("SSL_CERT_FILE", &ca_file);
    }
    let client = Client::new(&config).expect("client");
    let page = br#"<meta name="ac-discovery" content="127.0.0.1 https://i.test/{name}.{ext}">"#;
    let server = Server::start(Some(pki.server.clone()), move |_| {
        Response::html(page.to_vec())
    });
    let options = DiscoveryOptions {
        port: Some(server.port()),
        timeout: Duration::from_secs(10),
        ..DiscoveryOptions::default()
    };
    let found = discover(
        &client,
        "127.0.0.1/app",
        &BTreeMap::new(),
        &options,
        Search::AciEndpoints,
    )
    .expect("discovery trusting SSL_CERT_FILE");
    assert_eq!(
        found.aci_endpoints[0].aci,
        "https://i.test/127.0.0.1/app.aci"
    );
}
