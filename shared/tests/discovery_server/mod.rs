//! A small threaded HTTP/HTTPS test server on 127.0.0.1 with a certificate authority made per
//! run, for the discovery integration tests.
//!
//! One port serves both schemes: a connection whose first byte starts a TLS handshake is
//! served over TLS (when the server has a certificate), anything else as plain HTTP. That is
//! what the https-then-http fallback with a port override needs.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A CA and a server certificate for 127.0.0.1 and localhost signed by it.
pub struct TestPki {
    /// The CA certificate, PEM, to hand to the client as a trusted root.
    pub ca_pem: String,
    /// Server TLS settings presenting the signed certificate.
    pub server: Arc<ServerConfig>,
}

impl TestPki {
    /// Makes a fresh CA and server certificate.
    pub fn new() -> TestPki {
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "appc discovery test CA");
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
        let issuer = Issuer::new(ca_params, ca_key);

        let leaf_key = KeyPair::generate().expect("server key");
        let mut leaf_params =
            CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
                .expect("server params");
        leaf_params
            .distinguished_name
            .push(DnType::CommonName, "127.0.0.1");
        let leaf = leaf_params
            .signed_by(&leaf_key, &issuer)
            .expect("server certificate");

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(leaf.der().to_vec())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
            )
            .expect("server TLS config");
        TestPki {
            ca_pem: ca_cert.pem(),
            server: Arc::new(server),
        }
    }
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    /// `https` or `http`.
    pub scheme: &'static str,
    /// The request method.
    pub method: String,
    /// The request target as sent (path and query, or an absolute URL through a proxy).
    pub target: String,
    /// Headers with lower-case names.
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// The value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The target without its query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }
}

/// What the server answers.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
    /// Never answer (to test client timeouts).
    pub hang: bool,
    /// Accept a `CONNECT` and serve the tunnelled connection like a new one (a proxy).
    pub tunnel: bool,
    /// Announce this `Content-Length` instead of the body's (more: a truncated body).
    pub declared_length: Option<usize>,
    /// After the body, keep sending bytes until the client hangs up (no `Content-Length`).
    pub endless: bool,
}

impl Response {
    /// `200 OK` with an HTML body.
    pub fn html(body: impl Into<Vec<u8>>) -> Response {
        Response {
            status: 200,
            headers: vec![("Content-Type".into(), "text/html".into())],
            body: body.into(),
            hang: false,
            tunnel: false,
            declared_length: None,
            endless: false,
        }
    }

    /// An empty response with `status`.
    pub fn status(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            hang: false,
            tunnel: false,
            declared_length: None,
            endless: false,
        }
    }

    /// A redirect to `location`.
    pub fn redirect(status: u16, location: &str) -> Response {
        let mut r = Response::status(status);
        r.headers.push(("Location".into(), location.into()));
        r
    }

    /// Accept a `CONNECT` request and serve what comes through the tunnel.
    pub fn tunnel() -> Response {
        let mut r = Response::status(200);
        r.tunnel = true;
        r
    }

    /// No answer at all.
    pub fn hang() -> Response {
        let mut r = Response::status(200);
        r.hang = true;
        r
    }
}

type Handler = dyn Fn(&Request) -> Response + Send + Sync;

/// A running server; it stops when dropped.
pub struct Server {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
}

impl Server {
    /// Starts a server on 127.0.0.1 with a free port. With `tls`, TLS connections are served
    /// too; without, they are closed at once.
    pub fn start(
        tls: Option<Arc<ServerConfig>>,
        handler: impl Fn(&Request) -> Response + Send + Sync + 'static,
    ) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local addr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        {
            let log = Arc::clone(&log);
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let tls = tls.clone();
                    let handler = Arc::clone(&handler);
                    let log = Arc::clone(&log);
                    thread::spawn(move || serve(stream, tls, &*handler, &log));
                }
            });
        }
        Server { addr, log, stop }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Every request served so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.log.lock().expect("request log").clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve(
    stream: TcpStream,
    tls: Option<Arc<ServerConfig>>,
    handler: &Handler,
    log: &Mutex<Vec<Request>>,
) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(10)));
    let mut first = [0u8; 1];
    let is_tls = matches!(stream.peek(&mut first), Ok(1) if first[0] == 0x16);
    if is_tls {
        let Some(config) = tls else { return };
        let Ok(conn) = rustls::ServerConnection::new(config) else {
            return;
        };
        let mut tls_stream = rustls::StreamOwned::new(conn, stream);
        exchange(&mut tls_stream, "https", handler, log);
        tls_stream.conn.send_close_notify();
        let _ = tls_stream.flush();
    } else {
        let mut plain = stream;
        if exchange(&mut plain, "http", handler, log) {
            serve(plain, tls, handler, log);
        }
    }
}

/// Serves one request; true when it opened a tunnel to serve next.
fn exchange(
    stream: &mut (impl Read + Write),
    scheme: &'static str,
    handler: &Handler,
    log: &Mutex<Vec<Request>>,
) -> bool {
    let Some(request) = read_request(stream, scheme) else {
        return false;
    };
    log.lock().expect("request log").push(request.clone());
    let response = handler(&request);
    if response.hang {
        thread::sleep(Duration::from_secs(8));
        return false;
    }
    if response.tunnel && request.method == "CONNECT" {
        let _ = stream.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
        let _ = stream.flush();
        return true;
    }
    let mut head = format!("HTTP/1.1 {} X\r\nConnection: close\r\n", response.status);
    if !response.endless {
        let len = response.declared_length.unwrap_or(response.body.len());
        head.push_str(&format!("Content-Length: {len}\r\n"));
    }
    for (name, value) in &response.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&response.body);
    if response.endless {
        let chunk = vec![0u8; 64 * 1024];
        while stream.write_all(&chunk).is_ok() {}
    }
    let _ = stream.flush();
    false
}

fn read_request(stream: &mut impl Read, scheme: &'static str) -> Option<Request> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    Some(Request {
        scheme,
        method,
        target,
        headers,
    })
}
