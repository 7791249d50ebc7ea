//! The metadata service: one small HTTP/1.1 server per pod on a loopback port, under a secret
//! per-pod token (`AC_METADATA_URL = http://127.0.0.1:PORT/TOKEN`).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::hmac::{base64, ct_eq, hmac_sha512, unbase64};

const JSON: &str = "application/json";
const TEXT: &str = "text/plain; charset=us-ascii";
const MAX_BODY: usize = 1 << 20;

/// What the service knows of one app.
#[derive(Debug, Clone)]
pub struct AppMeta {
    /// The image manifest as stored.
    pub image_manifest: Vec<u8>,
    /// The image ID.
    pub image_id: String,
    /// Image annotations with the pod app's merged over them, as JSON.
    pub annotations: Vec<u8>,
}

/// What the service serves for one pod.
#[derive(Debug, Clone)]
pub struct PodMeta {
    /// The pod UUID.
    pub uuid: String,
    /// The secret path token.
    pub token: String,
    /// The reified pod manifest.
    pub manifest: Vec<u8>,
    /// The pod's annotations, as JSON.
    pub annotations: Vec<u8>,
    /// Per app.
    pub apps: HashMap<String, AppMeta>,
    /// The pod's HMAC key.
    pub key: Vec<u8>,
    /// The pods directory, to find other pods' keys for verify.
    pub pods_dir: PathBuf,
}

/// Merges pod-app annotations over image annotations: same names replaced in place, new
/// ones appended.
pub fn merge_annotations(image: &serde_json::Value, pod: &serde_json::Value) -> serde_json::Value {
    let mut out: Vec<serde_json::Value> = image.as_array().cloned().unwrap_or_default();
    for a in pod.as_array().into_iter().flatten() {
        match out.iter_mut().find(|o| o["name"] == a["name"]) {
            Some(o) => *o = a.clone(),
            None => out.push(a.clone()),
        }
    }
    serde_json::Value::Array(out)
}

/// A bound, not yet serving, metadata service.
pub struct Service {
    listener: TcpListener,
}

impl Service {
    /// Binds a free port on `ip` (loopback, or the pod network's host-side address).
    pub fn bind(ip: std::net::IpAddr) -> std::io::Result<Service> {
        Ok(Service {
            listener: TcpListener::bind((ip, 0))?,
        })
    }

    /// The base URL for `token`.
    pub fn url(&self, token: &str) -> String {
        match self.listener.local_addr() {
            Ok(a) => format!("http://{a}/{token}"),
            Err(_) => String::new(),
        }
    }

    /// Serves in a background thread until the process exits.
    pub fn serve(self, meta: PodMeta) {
        let meta = Arc::new(meta);
        std::thread::spawn(move || {
            for conn in self.listener.incoming().flatten() {
                let meta = meta.clone();
                std::thread::spawn(move || {
                    let _ = handle(conn, &meta);
                });
            }
        });
    }
}

fn form(body: &[u8]) -> HashMap<String, String> {
    fn dec(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < b.len() => {
                    match u8::from_str_radix(
                        std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"),
                        16,
                    ) {
                        Ok(v) => {
                            out.push(v);
                            i += 2;
                        }
                        Err(_) => out.push(b'%'),
                    }
                }
                c => out.push(c),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (dec(k), dec(v)))
        .collect()
}

fn respond(w: &mut TcpStream, code: u16, ctype: &str, body: &[u8]) -> std::io::Result<()> {
    let reason = match code {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        405 => "Method Not Allowed",
        _ => "Not Found",
    };
    write!(
        w,
        "HTTP/1.1 {code} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    w.write_all(body)?;
    w.flush()
}

fn handle(conn: TcpStream, meta: &PodMeta) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut w = conn.try_clone()?;
    let mut r = BufReader::new(conn);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (method, target) = (
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("").to_string(),
    );
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':')
            && k.trim().eq_ignore_ascii_case("content-length")
        {
            len = v.trim().parse().unwrap_or(0);
        }
    }
    if len > MAX_BODY {
        return respond(&mut w, 400, TEXT, b"body too large\n");
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body)?;
    let path = target.split('?').next().unwrap_or("");
    let prefix = format!("/{}/acMetadata/v1/", meta.token);
    let Some(rest) = path.strip_prefix(&prefix) else {
        return respond(&mut w, 404, TEXT, b"not found\n");
    };
    let get = method == "GET";
    match rest {
        "pod/annotations" if get => respond(&mut w, 200, JSON, &meta.annotations),
        "pod/manifest" if get => respond(&mut w, 200, JSON, &meta.manifest),
        "pod/uuid" if get => respond(&mut w, 200, TEXT, meta.uuid.as_bytes()),
        "pod/hmac/sign" if method == "POST" => {
            let f = form(&body);
            let Some(content) = f.get("content") else {
                return respond(&mut w, 400, TEXT, b"content missing\n");
            };
            let sig = base64(&hmac_sha512(&meta.key, content.as_bytes()));
            respond(&mut w, 200, TEXT, sig.as_bytes())
        }
        "pod/hmac/verify" if method == "POST" => {
            let f = form(&body);
            let (Some(content), Some(uuid), Some(sig)) =
                (f.get("content"), f.get("uuid"), f.get("signature"))
            else {
                return respond(&mut w, 400, TEXT, b"content, uuid and signature required\n");
            };
            let key = if *uuid == meta.uuid {
                Some(meta.key.clone())
            } else if uuid::Uuid::parse_str(uuid).is_ok() {
                std::fs::read(
                    meta.pods_dir
                        .join(uuid.to_ascii_lowercase())
                        .join("hmac-key"),
                )
                .ok()
            } else {
                None
            };
            let Some(key) = key else {
                return respond(&mut w, 400, TEXT, b"unknown pod\n");
            };
            let ok =
                unbase64(sig).is_some_and(|s| ct_eq(&s, &hmac_sha512(&key, content.as_bytes())));
            respond(&mut w, if ok { 200 } else { 403 }, TEXT, b"")
        }
        _ => {
            if let Some(app_rest) = rest.strip_prefix("apps/")
                && get
                && let Some((name, what)) = app_rest.split_once('/')
                && let Some(app) = meta.apps.get(name)
            {
                return match what {
                    "annotations" => respond(&mut w, 200, JSON, &app.annotations),
                    "image/manifest" => respond(&mut w, 200, JSON, &app.image_manifest),
                    "image/id" => respond(&mut w, 200, TEXT, app.image_id.as_bytes()),
                    _ => respond(&mut w, 404, TEXT, b"not found\n"),
                };
            }
            respond(&mut w, 404, TEXT, b"not found\n")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_merge_in_place() {
        let img = serde_json::json!([{"name":"a","value":"1"},{"name":"b","value":"2"}]);
        let pod = serde_json::json!([{"name":"b","value":"x"},{"name":"c","value":"3"}]);
        assert_eq!(
            merge_annotations(&img, &pod),
            serde_json::json!([{"name":"a","value":"1"},{"name":"b","value":"x"},{"name":"c","value":"3"}])
        );
    }

    fn request(url: &str, method: &str, path: &str, body: &str) -> (String, String) {
        let addr = url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap()
            .to_string();
        let base = url.trim_start_matches("http://")[addr.len()..].to_string();
        let mut s = TcpStream::connect(addr).unwrap();
        write!(
            s,
            "{method} {base}/acMetadata/v1/{path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        let (head, body) = resp.split_once("\r\n\r\n").unwrap();
        (head.to_string(), body.to_string())
    }

    #[test]
    fn endpoints_and_hmac() {
        let svc = Service::bind(std::net::Ipv4Addr::LOCALHOST.into()).unwrap();
        let url = svc.url("tok");
        let uuid = "6733c3d1-2e6a-4fda-9f9d-3d8ef5d1d2a4".to_string();
        let mut apps = HashMap::new();
        apps.insert(
            "web".to_string(),
            AppMeta {
                image_manifest: b"{}".to_vec(),
                image_id: "sha512-abc".into(),
                annotations: b"[]".to_vec(),
            },
        );
        svc.serve(PodMeta {
            uuid: uuid.clone(),
            token: "tok".into(),
            manifest: b"{\"acKind\":\"PodManifest\"}".to_vec(),
            annotations: b"null".to_vec(),
            apps,
            key: b"secret".to_vec(),
            pods_dir: PathBuf::from("/nonexistent"),
        });
        let (h, b) = request(&url, "GET", "pod/uuid", "");
        assert!(
            h.starts_with("HTTP/1.1 200")
                && h.contains("Content-Type: text/plain; charset=us-ascii")
        );
        assert_eq!(b, uuid);
        let (h, _) = request(&url, "GET", "pod/manifest", "");
        assert!(h.contains("Content-Type: application/json"), "{h}");
        let (_, b) = request(&url, "GET", "apps/web/image/id", "");
        assert_eq!(b, "sha512-abc");
        let (h, _) = request(&url, "GET", "apps/nope/image/id", "");
        assert!(h.starts_with("HTTP/1.1 404"));
        let wrong = url.replace("/tok", "/guess");
        let (h, _) = request(&wrong, "GET", "pod/uuid", "");
        assert!(
            h.starts_with("HTTP/1.1 404"),
            "a wrong token reveals nothing"
        );
        let (_, sig) = request(&url, "POST", "pod/hmac/sign", "content=hello+world");
        let enc = sig
            .replace('+', "%2B")
            .replace('/', "%2F")
            .replace('=', "%3D");
        let (h, _) = request(
            &url,
            "POST",
            "pod/hmac/verify",
            &format!("content=hello+world&uuid={uuid}&signature={enc}"),
        );
        assert!(h.starts_with("HTTP/1.1 200"), "{h}");
        let (h, _) = request(
            &url,
            "POST",
            "pod/hmac/verify",
            &format!("content=other&uuid={uuid}&signature={enc}"),
        );
        assert!(h.starts_with("HTTP/1.1 403"), "{h}");
    }

    #[test]
    fn form_decoding() {
        let f = form(b"content=a+b%2Fc&uuid=x&bad=%zz");
        assert_eq!(f["content"], "a b/c");
        assert_eq!(f["bad"], "%zz");
    }
}
