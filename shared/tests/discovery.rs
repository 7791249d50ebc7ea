//! Discovery against real HTTPS and HTTP servers on 127.0.0.1, with a CA made per run.

#![cfg(feature = "discovery")]

mod discovery_server;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use appc::discovery::http::{Client, ClientConfig, Credentials, HostHeaders, ProxyPolicy};
use appc::discovery::{
    AciEndpoint, AttemptOutcome, DiscoveryError, DiscoveryOptions, FetchFailure, Search, discover,
};
use discovery_server::{Request, Response, Server, TestPki};

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/discovery")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A test PKI with its CA written to a file, as a user would pass it.
struct Pki {
    pki: TestPki,
    ca_file: PathBuf,
    _dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Pki {
        let pki = TestPki::new();
        let dir = tempfile::tempdir().expect("tempdir");
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, &pki.ca_pem).expect("write CA");
        Pki {
            pki,
            ca_file,
            _dir: dir,
        }
    }

    fn client(&self) -> Client {
        Client::new(&ClientConfig {
            ca_files: vec![self.ca_file.clone()],
            proxy: ProxyPolicy::Direct,
            ..ClientConfig::default()
        })
        .expect("client")
    }

    fn https(&self, handler: impl Fn(&Request) -> Response + Send + Sync + 'static) -> Server {
        Server::start(Some(self.pki.server.clone()), handler)
    }
}

/// Serves `pages` (path, fixture file) and 404 for anything else.
fn pages(pages: &[(&'static str, &'static str)]) -> impl Fn(&Request) -> Response + 'static {
    let pages: Vec<(&str, Vec<u8>)> = pages.iter().map(|(p, f)| (*p, fixture(f))).collect();
    move |req: &Request| match pages.iter().find(|(p, _)| *p == req.path()) {
        Some((_, body)) if req.target.ends_with("?ac-discovery=1") => Response::html(body.clone()),
        _ => Response::status(404),
    }
}

fn options(port: u16) -> DiscoveryOptions {
    DiscoveryOptions {
        port: Some(port),
        timeout: Duration::from_secs(10),
        ..DiscoveryOptions::default()
    }
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn linux_amd64() -> BTreeMap<String, String> {
    labels(&[("version", "1.0.0"), ("os", "linux"), ("arch", "amd64")])
}

fn endpoint(aci: &str) -> AciEndpoint {
    AciEndpoint {
        aci: aci.to_string(),
        asc: format!("{aci}.asc"),
    }
}

fn paths(server: &Server) -> Vec<String> {
    server.requests().iter().map(|r| r.target.clone()).collect()
}

#[test]
fn finds_endpoints_and_keys_on_the_page_of_the_full_name() {
    let pki = Pki::new();
    let server = pki.https(pages(&[("/myapp", "both.html")]));
    let found = discover(
        &pki.client(),
        "127.0.0.1/myapp",
        &linux_amd64(),
        &options(server.port()),
        Search::Both,
    )
    .expect("discovery");
    assert_eq!(
        found.aci_endpoints,
        [endpoint(
            "https://images.test/127.0.0.1/myapp/1.0.0/linux/amd64.aci"
        )]
    );
    assert_eq!(found.public_keys, ["https://keys.test/signing.asc"]);
    assert_eq!(
        serde_json::to_value(&found).unwrap(),
        serde_json::json!({
            "ACIEndpoints": [{
                "ACI": "https://images.test/127.0.0.1/myapp/1.0.0/linux/amd64.aci",
                "ASC": "https://images.test/127.0.0.1/myapp/1.0.0/linux/amd64.aci.asc",
            }],
            "PublicKeys": ["https://keys.test/signing.asc"],
        })
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].scheme, "https");
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].target, "/myapp?ac-discovery=1");
    let agent = requests[0].header("user-agent").unwrap_or_default();
    assert!(agent.starts_with("appc-tools/"), "user agent {agent:?}");
}

#[test]
fn walks_up_to_the_host_and_renders_the_full_name() {
    let pki = Pki::new();
    let server = pki.https(pages(&[("/", "several.html")]));
    let found = discover(
        &pki.client(),
        "127.0.0.1/myapp/foobar",
        &linux_amd64(),
        &options(server.port()),
        Search::Both,
    )
    .expect("discovery");
    assert_eq!(
        paths(&server),
        [
            "/myapp/foobar?ac-discovery=1",
            "/myapp?ac-discovery=1",
            "/?ac-discovery=1"
        ]
    );
    // Document order, the script's tag ignored, hdfs kept.
    assert_eq!(
        found.aci_endpoints,
        [
            endpoint("https://images.test/127.0.0.1/myapp/foobar/1.0.0/linux/amd64.aci"),
            endpoint("https://images.test/127.0.0.1/myapp/foobar/1.0.0.aci"),
            endpoint("hdfs://cluster.test/127.0.0.1/myapp/foobar/1.0.0/linux/amd64.aci"),
        ]
    );
    assert_eq!(found.attempts.len(), 3);
    assert!(matches!(
        &found.attempts[0].outcome,
        AttemptOutcome::Failed(f) if matches!(f[..], [FetchFailure::Status { status: 404, .. }])
    ));
}

#[test]
fn missing_labels_drop_templates_and_version_defaults_to_latest() {
    let pki = Pki::new();
    let server = pki.https(pages(&[("/myapp", "several.html")]));
    let found = discover(
        &pki.client(),
        "127.0.0.1/myapp",
        &BTreeMap::new(),
        &options(server.port()),
        Search::AciEndpoints,
    )
    .expect("discovery");
    assert_eq!(
        found.aci_endpoints,
        [endpoint("https://images.test/127.0.0.1/myapp/latest.aci")]
    );
    assert!(found.public_keys.is_empty(), "keys were not searched");
}

#[test]
fn endpoints_and_keys_can_come_from_different_levels() {
    let pki = Pki::new();
    let server = pki.https(pages(&[
        ("/", "aci-only.html"),
        ("/myapp", "keys-only.html"),
    ]));
    let found = discover(
        &pki.client(),
        "127.0.0.1/myapp",
        &linux_amd64(),
        &options(server.port()),
        Search::Both,
    )
    .expect("discovery");
    assert_eq!(
        found.aci_endpoints,
        [endpoint(
            "https://mirror.test/127.0.0.1/myapp_1.0.0_linux_amd64.aci"
        )]
    );
    assert_eq!(found.public_keys, ["https://keys.test/other.asc"]);

    let server = pki.https(pages(&[
        ("/", "keys-only.html"),
        ("/myapp", "aci-only.html"),
    ]));
    let found = discover(
        &pki.client(),
        "127.0.0.1/myapp",
        &linux_amd64(),
        &options(server.port()),
        Search::Both,
    )
    .expect("discovery");
    assert_eq!(found.aci_endpoints.len(), 1);
    assert_eq!(found.public_keys, ["https://keys.test/other.asc"]);
    assert_eq!(paths(&server).len(), 2);
}

#[test]
fn each_kind_stops_at_the_first_level_that_has_it() {
    let pki = Pki::new();
    // The parent page has other endpoints and keys; the child page wins for endpoints only.
    let server = pki.https(pages(&[("/", "both.html"), ("/myapp", "aci-only.html")]));
    let client = pki.client();
    let opts = options(server.port());

    let found = discover(
        &client,
        "127.0.0.1/myapp",
        &linux_amd64(),
        &opts,
        Search::AciEndpoints,
    )
    .expect("endpoints");
    assert_eq!(
        found.aci_endpoints,
        [endpoint(
            "https://mirror.test/127.0.0.1/myapp_1.0.0_linux_amd64.aci"
        )]
    );
    assert_eq!(paths(&server), ["/myapp?ac-discovery=1"]);

    let found = discover(
        &client,
        "127.0.0.1/myapp",
        &linux_amd64(),
        &opts,
        Search::Both,
    )
    .expect("both");
    assert_eq!(
        found.aci_endpoints,
        [endpoint(
            "https://mirror.test/127.0.0.1/myapp_1.0.0_linux_amd64.aci"
        )]
    );
    assert_eq!(found.public_keys, ["https://keys.test/signing.asc"]);

    let found = discover(
        &client,
        "127.0.0.1/myapp",
        &linux_amd64(),
        &opts,
        Search::PublicKeys,
    )
    .expect("keys");
    assert!(found.aci_endpoints.is_empty());
    assert_eq!(found.public_keys, ["https://keys.test/signing.asc"]);
}

#[test]
fn nothing_at_any_level_is_a_discovery_failure_listing_every_url() {
    let pki = Pki::new();
    let server = pki.https(pages(&[("/myapp", "other-prefix.html")]));
    let err = discover(
        &pki.client(),
        "127.0.0.1/myapp/foobar",
        &linux_amd64(),
        &options(server.port()),
        Search::Both,
    )
    .unwrap_err();
    let DiscoveryError::NotFound {
        missing, attempts, ..
    } = &err
    else {
        panic!("unexpected error {err:?}");
    };
    assert_eq!(*missing, Search::Both);
    assert_eq!(attempts.len(), 3);
    assert!(matches!(
        attempts[1].outcome,
        AttemptOutcome::Fetched {
            aci_endpoints: 0,
            public_keys: 0,
            ..
        }
    ));
    let message = err.to_string();
    let port = server.port();
    for needle in [
        "discovery failed for 127.0.0.1/myapp/foobar".to_string(),
        "no ACI endpoints and public keys found".to_string(),
        format!("https://127.0.0.1:{port}/myapp/foobar?ac-discovery=1: expected a 200 OK, got 404"),
        format!("https://127.0.0.1:{port}/myapp?ac-discovery=1: 0 usable"),
        format!("https://127.0.0.1:{port}/?ac-discovery=1"),
    ] {
        assert!(message.contains(&needle), "{needle:?} not in {message}");
    }
}

#[test]
fn keys_missing_everywhere_fails_a_search_that_needs_them() {
    let pki = Pki::new();
    let server = pki.https(pages(&[("/myapp", "aci-only.html")]));
    let err = discover(
        &pki.client(),
        "127.0.0.1/myapp",
        &linux_amd64(),
        &options(server.port()),
        Search::Both,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            DiscoveryError::NotFound {
                missing: Search::PublicKeys,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn server_errors_fail_the_level_and_the_walk_goes_on() {
    let pki = Pki::new();
    let root = fixture("both.html");
    let server = pki.https(move |req| match req.path() {
        "/myapp" => Response::status(500),
        "/" => Response::html(root.clone()),
        _ => Response::status(404),
    });
    let found = discover(
        &pki.client(),
        "127.0.0.1/myapp",
        &linux_amd64(),
        &options(server.port()),
        Search::Both,
    )
    .expect("discovery");
    assert_eq!(found.aci_endpoints.len(), 1);
    assert!(matches!(
        &found.attempts[0].outcome,
        AttemptOutcome::Failed(f) if matches!(f[..], [FetchFailure::Status { status: 500, .. }])
    ));
}

#[test]
fn only_200_counts() {
    let pki = Pki::new();
    let body = fixture("both.html");
    let server = pki.https(move |_| {
        let mut r = Response::html(body.clone());
        r.status = 203;
        r
    });
    let err = discover(
        &pki.client(),
        "127.0.0.1/myapp",
        &linux_amd64(),
        &options(server.port()),
        Search::AciEndpoints,
    )
    .unwrap_err();
    assert!(err.to_string().contains("got 203"), "{err}");
}

#[test]
fn plain_http_is_not_used_without_insecure_http() {
    let pki = Pki::new();
    // A plain HTTP server: TLS handshakes to it are cut off.
    let server = Server::start(None, pages(&[("/myapp", "both.html")]));
    let client = pki.client();
    let err = discover(
        &client,
        "127.0.0.1/myapp",
        &linux_amd64(),
        &options(server.port()),
        Search::Both,
    )
    .unwrap_err();
    let message = err.to_string();
    assert!(!message.contains("http://"), "{message}");
    assert!(server.requests().is_empty(), "no plain request may be made");

    let opts = DiscoveryOptions {
        insecure_http: true,
        ..options(server.port())
    };
    let found = discover(
        &client,
        "127.0.0.1/myapp",
        &linux_amd64(),
        &opts,
        Search::Both,
    )
    .expect("http fallback");
    assert_eq!(found.public_keys, ["https://keys.test/signing.asc"]);
    let AttemptOutcome::Fetched { url, .. } = &found.attempts[0].outcome else {
        panic!("{:?}", found.attempts);
    };
    assert_eq!(
        url,
        &format!("http://127.0.0.1:{}/myapp?ac-discovery=1", server.port())
    );
}

#[test]
fn insecure_http_falls_back_after_an_https_non_200() {
    let pki = Pki::new();
    let body = fixture("both.html");
    let server = pki.https(move |req| match req.scheme {
        "https" => Response::status(404),
        _ => Response::html(body.clone()),
    });
    let client = pki.client();
    let strict = options(server.port());
    assert!(
        discover(
            &client,
            "127.0.0.1/myapp",
            &linux_amd64(),
            &strict,
            Search::Both
        )
        .is_err()
    );
    assert!(server.requests().iter().all(|r| r.scheme == "https"));

    let opts = DiscoveryOptions {
        insecure_http: true,
        ..strict
    };
    let found = discover(
        &client,
        "127.0.0.1/myapp",
        &linux_amd64(),
        &opts,
        Search::Both,
    )
    .expect("fallback");
    assert_eq!(found.aci_endpoints.len(), 1);
    let schemes: Vec<&str> = server.requests().iter().map(|r| r.scheme).collect();
    assert_eq!(&schemes[schemes.len() - 2..], ["https", "http"]);
}

#[test]
fn certificates_from_an_unknown_ca_are_refused_unless_insecure_tls() {
    let pki = Pki::new();
    let server = pki.https(pages(&[("/myapp", "both.html")]));
    let untrusting = Client::new(&ClientConfig {
        proxy: ProxyPolicy::Direct,
        ..ClientConfig::default()
    })
    .expect("client");
    let err = discover(
        &untrusting,
        "127.0.0.1/myapp",
        &linux_amd64(),
        &options(server.port()),
        Search::Both,
    )
    .unwrap_err();
    assert!(server.requests().is_empty(), "{err}");

    let insecure = Client::new(&ClientConfig {
        insecure_tls: true,
        proxy: ProxyPolicy::Direct,
        ..ClientConfig::default()
    })
    .expect("client");
    let found = discover(
        &insecure,
        "127.0.0.1/myapp",
        &linux_amd64(),
        &options(server.port()),
        Search::Both,
    )
    .expect("insecure TLS");
    assert_eq!(found.aci_endpoints.len(), 1);
}

#[test]
fn redirects_are_followed_within_bounds() {
    let pki = Pki::new();
    let body = fixture("both.html");
    let server = pki.https(move |req| match req.path() {
        "/myapp" => Response::redirect(302, "/pages/myapp.html"),
        "/pages/myapp.html" => Response::redirect(301, "/pages/final.html"),
        "/pages/final.html" => Response::html(body.clone()),
        "/loop" => Response::redirect(302, "/loop"),
        _ => Response::status(404),
    });
    let client = pki.client();
    let found = discover(
        &client,
        "127.0.0.1/myapp",
        &linux_amd64(),
        &options(server.port()),
        Search::Both,
    )
    .expect("redirected discovery");
    assert_eq!(found.public_keys, ["https://keys.test/signing.asc"]);
    // Tags are matched against the app name, not the page's final URL.
    assert_eq!(
        found.aci_endpoints[0].aci,
        "https://images.test/127.0.0.1/myapp/1.0.0/linux/amd64.aci"
    );

    let err = discover(
        &client,
        "127.0.0.1/loop",
        &linux_amd64(),
        &options(server.port()),
        Search::AciEndpoints,
    )
    .unwrap_err();
    assert!(err.to_string().contains("too many redirects"), "{err}");
    let loops = server
        .requests()
        .iter()
        .filter(|r| r.path() == "/loop")
        .count();
    assert_eq!(loops, 11, "the first request and 10 redirects");
}

#[test]
fn https_pages_may_not_redirect_to_http_unless_insecure_http() {
    let pki = Pki::new();
    let plain = Server::start(None, pages(&[("/myapp", "both.html")]));
    let target = format!("http://127.0.0.1:{}/myapp?ac-discovery=1", plain.port());
    let server = pki.https(move |_| Response::redirect(302, &target));
    let client = pki.client();
    let err = discover(
        &client,
        "127.0.0.1/myapp",
        &linux_amd64(),
        &options(server.port()),
        Search::AciEndpoints,
    )
    .unwrap_err();
    assert!(plain.requests().is_empty(), "{err}");

    let opts = DiscoveryOptions {
        insecure_http: true,
        ..options(server.port())
    };
    discover(
        &client,
        "127.0.0.1/myapp",
        &linux_amd64(),
        &opts,
        Search::AciEndpoints,
    )
    .expect("redirect to http allowed");
    assert_eq!(plain.requests().len(), 1);
}

#[test]
fn per_host_headers_carry_credentials_to_that_host_only() {
    let pki = Pki::new();
    let body = fixture("both.html");
    let server = pki.https(move |req| match req.header("authorization") {
        Some("Basic YmFyOmJheg==") => Response::html(body.clone()),
        _ => Response::status(401),
    });
    let client = pki.client();
    let port = server.port();

    let err = discover(
        &client,
        "127.0.0.1/myapp",
        &linux_amd64(),
        &options(port),
        Search::AciEndpoints,
    )
    .unwrap_err();
    assert!(err.to_string().contains("got 401"), "{err}");

    let mut elsewhere = HostHeaders::new();
    elsewhere.set_credentials(
        "127.0.0.1",
        &Credentials::Basic {
            user: "bar".into(),
            password: "baz".into(),
        },
    );
    let opts = DiscoveryOptions {
        headers: elsewhere,
        ..options(port)
    };
    assert!(
        discover(
            &client,
            "127.0.0.1/myapp",
            &linux_amd64(),
            &opts,
            Search::AciEndpoints
        )
        .is_err(),
        "headers keyed without the port must not reach host:port"
    );

    let mut headers = HostHeaders::new();
    headers.set_credentials(
        &format!("127.0.0.1:{port}"),
        &Credentials::Basic {
            user: "bar".into(),
            password: "baz".into(),
        },
    );
    headers.insert(&format!("127.0.0.1:{port}"), "X-Extra", "yes");
    let opts = DiscoveryOptions {
        headers,
        ..options(port)
    };
    let found = discover(
        &client,
        "127.0.0.1/myapp",
        &linux_amd64(),
        &opts,
        Search::Both,
    )
    .expect("authenticated discovery");
    assert_eq!(found.aci_endpoints.len(), 1);
    let last = server.requests().pop().expect("a request");
    assert_eq!(last.header("x-extra"), Some("yes"));
}

#[test]
fn bearer_tokens_are_sent_as_authorization() {
    let pki = Pki::new();
    let body = fixture("both.html");
    let server = pki.https(move |req| match req.header("authorization") {
        Some("Bearer t0ken") => Response::html(body.clone()),
        _ => Response::status(401),
    });
    let mut headers = HostHeaders::new();
    headers.set_credentials(
        &format!("127.0.0.1:{}", server.port()),
        &Credentials::Bearer("t0ken".into()),
    );
    let opts = DiscoveryOptions {
        headers,
        ..options(server.port())
    };
    discover(
        &pki.client(),
        "127.0.0.1/myapp",
        &linux_amd64(),
        &opts,
        Search::Both,
    )
    .expect("bearer discovery");
}

#[test]
fn oversized_pages_fail_the_level() {
    let pki = Pki::new();
    let mut body = fixture("both.html");
    body.extend(std::iter::repeat_n(b' ', 64 * 1024));
    let server = pki.https(move |_| Response::html(body.clone()));
    let opts = DiscoveryOptions {
        max_page_size: 16 * 1024,
        ..options(server.port())
    };
    let err = discover(
        &pki.client(),
        "127.0.0.1",
        &linux_amd64(),
        &opts,
        Search::Both,
    )
    .unwrap_err();
    let DiscoveryError::NotFound { attempts, .. } = &err else {
        panic!("{err:?}");
    };
    assert!(
        matches!(
            &attempts[0].outcome,
            AttemptOutcome::Failed(f) if matches!(f[..], [FetchFailure::TooLarge { limit: 16384, .. }])
        ),
        "{err}"
    );
}

#[test]
fn a_silent_server_times_out() {
    let pki = Pki::new();
    let server = pki.https(|_| Response::hang());
    let opts = DiscoveryOptions {
        timeout: Duration::from_millis(800),
        ..options(server.port())
    };
    let started = Instant::now();
    let err = discover(
        &pki.client(),
        "127.0.0.1",
        &linux_amd64(),
        &opts,
        Search::Both,
    )
    .unwrap_err();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert!(err.to_string().contains("timeout"), "{err}");
}

#[test]
fn a_configured_proxy_carries_the_requests() {
    let pki = Pki::new();
    // Nothing listens on the target port: only the proxy can answer.
    let closed_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let body = fixture("both.html");
    let proxy = pki.https(move |req| match (req.method.as_str(), req.path()) {
        ("CONNECT", _) => Response::tunnel(),
        ("GET", "/myapp") => Response::html(body.clone()),
        _ => Response::status(404),
    });
    let client = Client::new(&ClientConfig {
        ca_files: vec![pki.ca_file.clone()],
        proxy: ProxyPolicy::Url(format!("http://127.0.0.1:{}", proxy.port())),
        ..ClientConfig::default()
    })
    .expect("client");
    let found = discover(
        &client,
        "127.0.0.1/myapp",
        &linux_amd64(),
        &options(closed_port),
        Search::Both,
    )
    .expect("discovery through the proxy");
    assert_eq!(found.aci_endpoints.len(), 1);
    let seen: Vec<(String, &str)> = proxy
        .requests()
        .iter()
        .map(|r| (r.method.clone() + " " + &r.target, r.scheme))
        .collect();
    assert_eq!(
        seen,
        [
            (format!("CONNECT 127.0.0.1:{closed_port}"), "http"),
            ("GET /myapp?ac-discovery=1".to_string(), "https"),
        ]
    );
}

#[test]
fn invalid_names_fail_before_any_request() {
    let pki = Pki::new();
    for name in ["", "/myapp", "127.0.0.1/a?b", "user@127.0.0.1/x"] {
        let err = discover(
            &pki.client(),
            name,
            &linux_amd64(),
            &options(1),
            Search::Both,
        )
        .unwrap_err();
        assert!(
            matches!(err, DiscoveryError::InvalidName { .. }),
            "{name:?}: {err}"
        );
    }
}
