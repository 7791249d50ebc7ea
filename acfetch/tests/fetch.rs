//! `acfetch` against a real HTTPS server on 127.0.0.1 (CA made per run) with keys and
//! signatures made by real `gpg` (RSA, Ed25519, an Ed25519 signing subkey).

#[path = "../../shared/tests/discovery_server/mod.rs"]
mod server;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

use acstore::store::Store;
use server::{Request, Response, Server, TestPki};

type Routes = Arc<Mutex<HashMap<String, Response>>>;

/// One test's world: a store, a config dir, a GNUPGHOME, an HTTPS server with routes.
struct World {
    dir: tempfile::TempDir,
    server: Server,
    routes: Routes,
    ca: PathBuf,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let pki = TestPki::new();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, &pki.ca_pem).unwrap();
        let gnupg = dir.path().join("gnupg");
        std::fs::create_dir(&gnupg).unwrap();
        std::fs::set_permissions(&gnupg, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .unwrap();
        let routes: Routes = Arc::default();
        let r = Arc::clone(&routes);
        let server = Server::start(Some(pki.server.clone()), move |req: &Request| {
            let routes = r.lock().unwrap();
            // A registry's API wants the token that /token hands out.
            if req.path().starts_with("/v2/") && req.header("authorization") != Some("Bearer tok") {
                let host = req.header("host").unwrap_or_default();
                let mut r = Response::status(401);
                r.headers.push((
                    "WWW-Authenticate".into(),
                    format!(r#"Bearer realm="https://{host}/token",service="test",scope="repository:test/app:pull""#),
                ));
                return r;
            }
            match routes.get(req.path()) {
                Some(resp) => {
                    if let Some(tag) = req.header("if-none-match")
                        && resp
                            .headers
                            .iter()
                            .any(|(n, v)| n.eq_ignore_ascii_case("etag") && v == tag)
                    {
                        return Response::status(304);
                    }
                    resp.clone()
                }
                None => Response::status(404),
            }
        });
        World {
            dir,
            server,
            routes,
            ca,
        }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.server.port())
    }

    fn serve(&self, path: &str, resp: Response) {
        self.routes.lock().unwrap().insert(path.to_string(), resp);
    }

    fn serve_bytes(&self, path: &str, body: Vec<u8>) {
        let mut r = Response::status(200);
        r.body = body;
        self.serve(path, r);
    }

    fn requests(&self, path: &str) -> Vec<Request> {
        self.server
            .requests()
            .into_iter()
            .filter(|r| r.path() == path)
            .collect()
    }

    fn gpg(&self, args: &[&str]) -> Output {
        let out = Command::new("gpg")
            .env("GNUPGHOME", self.path("gnupg"))
            .args([
                "--batch",
                "--yes",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "",
            ])
            .args(args)
            .output()
            .expect("run gpg");
        assert!(
            out.status.success(),
            "gpg {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Makes a key (`algo` = rsa3072 or ed25519, for signing) and returns its fingerprint.
    fn key(&self, uid: &str, algo: &str) -> String {
        self.gpg(&["--quick-gen-key", uid, algo, "sign", "never"]);
        self.fingerprint(uid)
    }

    /// A cert-only RSA primary with an Ed25519 signing subkey; returns the primary fingerprint.
    fn key_with_subkey(&self, uid: &str) -> String {
        self.gpg(&["--quick-gen-key", uid, "rsa3072", "cert", "never"]);
        let fp = self.fingerprint(uid);
        self.gpg(&["--quick-add-key", &fp, "ed25519", "sign", "never"]);
        fp
    }

    fn fingerprint(&self, uid: &str) -> String {
        let out = self.gpg(&["--with-colons", "--list-keys", uid]);
        let text = String::from_utf8(out.stdout).unwrap();
        text.lines()
            .find(|l| l.starts_with("fpr:"))
            .and_then(|l| l.split(':').nth(9))
            .unwrap()
            .to_ascii_lowercase()
    }

    fn export(&self, fp: &str) -> PathBuf {
        let out = self.gpg(&["--armor", "--export", fp]);
        let p = self.path(&format!("{fp}.asc"));
        std::fs::write(&p, out.stdout).unwrap();
        p
    }

    fn sign(&self, fp: &str, data: &[u8]) -> Vec<u8> {
        let input = self.path("to-sign");
        std::fs::write(&input, data).unwrap();
        let out = self.gpg(&[
            "--local-user",
            fp,
            "--armor",
            "--detach-sign",
            "--output",
            "-",
            input.to_str().unwrap(),
        ]);
        out.stdout
    }

    fn acfetch(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_acfetch"))
            .arg("--store-dir")
            .arg(self.path("store"))
            .arg("--config-dir")
            .arg(self.path("config"))
            .arg("--ca-cert")
            .arg(&self.ca)
            .args(["--discovery-port", &self.server.port().to_string()])
            .args(["--retries", "1"])
            .args(args)
            .env_remove("ACSTORE_DIR")
            .env_remove("ACFETCH_CONFIG_DIR")
            .env("NO_PROXY", "*")
            .env("DOCKER_CONFIG", self.path("docker"))
            .stdin(Stdio::null())
            .output()
            .expect("run acfetch")
    }

    fn trust(&self, scope: &[&str], key: &Path) {
        let mut args = vec!["trust", "--yes"];
        args.extend_from_slice(scope);
        args.push(key.to_str().unwrap());
        let out = self.acfetch(&args);
        assert!(out.status.success(), "{}", stderr(&out));
    }

    fn stored(&self) -> Vec<String> {
        let store = Store::open(self.path("store")).unwrap();
        let mut names: Vec<String> = store
            .list()
            .unwrap()
            .into_iter()
            .map(|i| i.record.name)
            .collect();
        names.sort();
        names
    }
}

impl Drop for World {
    fn drop(&mut self) {
        // gpg started an agent for this GNUPGHOME: stop it with the test.
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", self.path("gnupg"))
            .args(["--kill", "gpg-agent"])
            .output();
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "acfetch failed: {}", stderr(out));
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    serde_json::from_str(text.lines().next().expect("a line")).unwrap()
}

fn fails_with(out: &Output, needle: &str) {
    assert!(!out.status.success(), "acfetch succeeded");
    let err = stderr(out);
    assert!(err.contains(needle), "stderr lacks {needle:?}: {err}");
    assert!(err.lines().any(|l| l.starts_with("acfetch: ")), "{err}");
    eprintln!("{err}");
}

/// A small gzip ACI named `name` with `labels` and `deps` (JSON dependency objects).
fn aci(name: &str, labels: &[(&str, &str)], deps: &[serde_json::Value]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rootfs")).unwrap();
    std::fs::write(
        dir.path().join("rootfs/hello"),
        format!("hello from {name}\n"),
    )
    .unwrap();
    let labels: Vec<serde_json::Value> = labels
        .iter()
        .map(|(k, v)| serde_json::json!({"name": k, "value": v}))
        .collect();
    let mut manifest = serde_json::json!({
        "acKind": "ImageManifest", "acVersion": "0.8.11", "name": name, "labels": labels,
    });
    if !deps.is_empty() {
        manifest["dependencies"] = serde_json::Value::Array(deps.to_vec());
    }
    std::fs::write(
        dir.path().join("manifest"),
        serde_json::to_vec(&manifest).unwrap(),
    )
    .unwrap();
    let opts = appc::aci::BuildOptions {
        source_date_epoch: Some(0),
        ..Default::default()
    };
    let (_, out) = appc::aci::build(dir.path(), Vec::new(), &opts).unwrap();
    out
}

fn host_labels(version: &str) -> Vec<(&str, &str)> {
    let (os, arch) = appc::schema::host_os_arch();
    vec![("version", version), ("os", os), ("arch", arch)]
}

/// Publishes a discovery page for `name` whose template points at `/images/...`.
fn discovery_page(w: &World, name: &str) {
    let page = format!(
        r#"<html><head><meta name="ac-discovery" content="{name} {}/images/{{name}}-{{version}}-{{os}}-{{arch}}.{{ext}}"></head></html>"#,
        w.url("")
    );
    let path = format!("/{}", name.split_once('/').map(|(_, p)| p).unwrap_or(""));
    w.serve(&path, Response::html(page));
}

fn image_path(name: &str, version: &str) -> String {
    let (os, arch) = appc::schema::host_os_arch();
    format!("/images/{name}-{version}-{os}-{arch}")
}

#[test]
fn name_via_discovery_rsa_signature() {
    let w = World::new();
    let fp = w.key("RSA Signer <rsa@example.com>", "rsa3072");
    w.trust(&["--prefix", "127.0.0.1/app"], &w.export(&fp));
    let image = aci("127.0.0.1/app", &host_labels("1.0"), &[]);
    discovery_page(&w, "127.0.0.1/app");
    let p = image_path("127.0.0.1/app", "1.0");
    w.serve_bytes(&format!("{p}.aci.asc"), w.sign(&fp, &image));
    w.serve_bytes(&format!("{p}.aci"), image);
    let v = json(&w.acfetch(&["127.0.0.1/app:1.0"]));
    assert_eq!(v["name"], "127.0.0.1/app");
    assert_eq!(v["labels"]["version"], "1.0");
    assert!(v["id"].as_str().unwrap().starts_with("sha512-"));
    assert_eq!(w.stored(), ["127.0.0.1/app"]);

    // A name whose image URL answered with max-age: a re-fetch within it sends no request at
    // all, not even for the discovery page.
    let cached = aci("127.0.0.1/app", &host_labels("2.0"), &[]);
    let p2 = image_path("127.0.0.1/app", "2.0");
    let mut fresh = Response::status(200);
    fresh.body = cached.clone();
    fresh
        .headers
        .push(("Cache-Control".into(), "max-age=600".into()));
    w.serve_bytes(&format!("{p2}.aci.asc"), w.sign(&fp, &cached));
    w.serve(&format!("{p2}.aci"), fresh);
    let first = json(&w.acfetch(&["127.0.0.1/app:2.0"]));
    let pages = w.requests("/app").len();
    let second = json(&w.acfetch(&["127.0.0.1/app:2.0"]));
    assert_eq!(first["id"], second["id"]);
    assert_eq!(
        w.requests("/app").len(),
        pages,
        "the discovery page was fetched again"
    );
    assert_eq!(w.requests(&format!("{p2}.aci")).len(), 1);

    // A name the key's prefix does not cover is refused.
    let other = aci("127.0.0.1/other", &host_labels("1.0"), &[]);
    discovery_page(&w, "127.0.0.1/other");
    let p = image_path("127.0.0.1/other", "1.0");
    w.serve_bytes(&format!("{p}.aci.asc"), w.sign(&fp, &other));
    w.serve_bytes(&format!("{p}.aci"), other);
    fails_with(
        &w.acfetch(&["127.0.0.1/other:1.0"]),
        "not trusted for 127.0.0.1/other",
    );
    assert_eq!(w.stored(), ["127.0.0.1/app", "127.0.0.1/app"]);
}

#[test]
fn ed25519_key_and_signing_subkey_by_url() {
    let w = World::new();
    let ed = w.key("Ed Signer <ed@example.com>", "ed25519");
    let sub = w.key_with_subkey("Sub Signer <sub@example.com>");
    w.trust(&["--root"], &w.export(&ed));
    w.trust(&["--prefix", "example.com/sub"], &w.export(&sub));

    let a = aci("example.com/ed", &[("version", "2")], &[]);
    w.serve_bytes("/ed.aci.asc", w.sign(&ed, &a));
    w.serve_bytes("/ed.aci", a);
    assert_eq!(
        json(&w.acfetch(&[&w.url("/ed.aci")]))["name"],
        "example.com/ed"
    );

    let b = aci("example.com/sub/x", &[], &[]);
    // gpg picks the signing subkey of a cert-only primary.
    w.serve_bytes("/sub.aci.asc", w.sign(&sub, &b));
    w.serve_bytes("/sub.aci", b);
    assert_eq!(
        json(&w.acfetch(&[&w.url("/sub.aci")]))["name"],
        "example.com/sub/x"
    );

    let list = w.acfetch(&["trust", "--list"]);
    let text = String::from_utf8(list.stdout).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.contains(&ed) && text.contains(&sub));
    let out = w.acfetch(&["trust", "--remove", &ed]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(w.acfetch(&["trust", "--list"]).stdout).unwrap();
    assert!(!text.contains(&ed) && text.contains(&sub));
}

#[test]
fn hostile_images_leave_the_store_unchanged() {
    let w = World::new();
    let fp = w.key("Trusted <t@example.com>", "ed25519");
    let stranger = w.key("Stranger <s@example.com>", "ed25519");
    w.trust(&["--root"], &w.export(&fp));
    let image = aci("example.com/app", &host_labels("1.0"), &[]);

    // Tampered: the signature is over other bytes.
    let mut tampered = image.clone();
    let n = tampered.len();
    tampered[n / 2] ^= 0xff;
    w.serve_bytes("/tampered.aci.asc", w.sign(&fp, &image));
    w.serve_bytes("/tampered.aci", tampered);
    fails_with(&w.acfetch(&[&w.url("/tampered.aci")]), "tampered.aci");
    let mut extended = image.clone();
    extended.extend_from_slice(&[0; 512]);
    w.serve_bytes("/extended.aci.asc", w.sign(&fp, &image));
    w.serve_bytes("/extended.aci", extended);
    fails_with(
        &w.acfetch(&[&w.url("/extended.aci")]),
        "bad signature by key",
    );

    // Signed by a key nobody trusts.
    w.serve_bytes("/stranger.aci.asc", w.sign(&stranger, &image));
    w.serve_bytes("/stranger.aci", image.clone());
    fails_with(&w.acfetch(&[&w.url("/stranger.aci")]), "not trusted");

    // No signature at all.
    w.serve_bytes("/unsigned.aci", image.clone());
    fails_with(
        &w.acfetch(&[&w.url("/unsigned.aci")]),
        "--insecure-options=image",
    );

    // Discovery name and label mismatches.
    discovery_page(&w, "127.0.0.1/app");
    let p = image_path("127.0.0.1/app", "1.0");
    w.serve_bytes(&format!("{p}.aci.asc"), w.sign(&fp, &image));
    w.serve_bytes(&format!("{p}.aci"), image.clone());
    fails_with(
        &w.acfetch(&["127.0.0.1/app:1.0"]),
        "is named \"example.com/app\"",
    );
    let wrong_version = aci("127.0.0.1/app", &host_labels("9.9"), &[]);
    w.serve_bytes(&format!("{p}.aci.asc"), w.sign(&fp, &wrong_version));
    w.serve_bytes(&format!("{p}.aci"), wrong_version);
    fails_with(
        &w.acfetch(&["127.0.0.1/app:1.0"]),
        "label version is \"9.9\"",
    );

    // HTTP errors, a truncated body, a redirect loop, an endless body.
    fails_with(&w.acfetch(&[&w.url("/missing.aci")]), "HTTP status 404");
    w.serve("/broken.aci", Response::status(500));
    fails_with(&w.acfetch(&[&w.url("/broken.aci")]), "HTTP status 500");
    assert_eq!(w.requests("/broken.aci").len(), 2, "one retry after a 500");
    let mut cut = Response::status(200);
    cut.body = image[..image.len() / 2].to_vec();
    cut.declared_length = Some(image.len());
    w.serve("/cut.aci", cut);
    fails_with(&w.acfetch(&[&w.url("/cut.aci")]), "cut.aci");
    w.serve("/loop.aci", Response::redirect(302, &w.url("/loop.aci")));
    fails_with(&w.acfetch(&[&w.url("/loop.aci")]), "redirect");
    let mut endless = Response::status(200);
    endless.endless = true;
    w.serve("/endless.aci", endless);
    fails_with(
        &w.acfetch(&["--max-size", "1000000", &w.url("/endless.aci")]),
        "larger than the limit of 1000000 bytes",
    );

    // Plain http needs the insecure option.
    let plain = format!("http://127.0.0.1:{}/x.aci", w.server.port());
    fails_with(&w.acfetch(&[&plain]), "--insecure-options=http");

    assert!(w.stored().is_empty(), "{:?}", w.stored());
    let tmp = std::fs::read_dir(w.path("store/tmp")).unwrap().count();
    assert_eq!(tmp, 0, "temporary files left behind");
}

#[test]
fn cache_pull_policy_and_output() {
    let w = World::new();
    let fp = w.key("Trusted <t@example.com>", "ed25519");
    w.trust(&["--root"], &w.export(&fp));
    let image = aci("example.com/cached", &[("version", "1")], &[]);
    let mut r = Response::status(200);
    r.body = image.clone();
    r.headers.push(("ETag".into(), "\"v1\"".into()));
    w.serve("/c.aci", r);
    w.serve_bytes("/c.aci.asc", w.sign(&fp, &image));
    let url = w.url("/c.aci");

    fails_with(
        &w.acfetch(&["--pull-policy", "never", &url]),
        "not in the store",
    );
    let first = json(&w.acfetch(&[&url]));
    let second = json(&w.acfetch(&[&url]));
    assert_eq!(first["id"], second["id"]);
    let reqs = w.requests("/c.aci");
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].header("if-none-match"), Some("\"v1\""));
    assert_eq!(
        w.requests("/c.aci.asc").len(),
        1,
        "a 304 needs no signature again"
    );
    json(&w.acfetch(&["--pull-policy", "new", &url]));
    assert_eq!(w.requests("/c.aci").len(), 2, "new: the store answers");

    // max-age: no request at all while fresh.
    let mut fresh = Response::status(200);
    fresh.body = image.clone();
    fresh
        .headers
        .push(("Cache-Control".into(), "max-age=600".into()));
    w.serve("/f.aci", fresh);
    w.serve_bytes("/f.aci.asc", w.sign(&fp, &image));
    json(&w.acfetch(&[&w.url("/f.aci")]));
    json(&w.acfetch(&[&w.url("/f.aci")]));
    assert_eq!(w.requests("/f.aci").len(), 1);

    // Progress when asked (a terminal is the default trigger): bytes, total, rate.
    w.serve_bytes("/g.aci", image.clone());
    w.serve_bytes("/g.aci.asc", w.sign(&fp, &image));
    let shown = w.acfetch(&["--progress", "always", &w.url("/g.aci")]);
    json(&shown);
    let err = stderr(&shown);
    assert!(err.contains("g.aci: ") && err.contains("/s"), "{err}");
    assert!(
        !err.contains("g.aci.asc: "),
        "signatures download quietly: {err}"
    );

    // -o writes the verified ACI as served.
    let out = w.path("copy.aci");
    let o = w.acfetch(&["-o", out.to_str().unwrap(), &url]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read(&out).unwrap(), image);
}

#[test]
fn local_files_and_insecure_image() {
    let w = World::new();
    let fp = w.key("Trusted <t@example.com>", "rsa3072");
    w.trust(&["--prefix", "example.com"], &w.export(&fp));
    let image = aci("example.com/local", &[], &[]);
    let file = w.path("local.aci");
    std::fs::write(&file, &image).unwrap();
    fails_with(&w.acfetch(&[file.to_str().unwrap()]), "local.aci.asc");
    std::fs::write(w.path("local.aci.asc"), w.sign(&fp, &image)).unwrap();
    let url = format!("file://{}", file.display());
    assert_eq!(json(&w.acfetch(&[&url]))["name"], "example.com/local");

    let unsigned = w.path("unsigned.aci");
    std::fs::write(&unsigned, aci("example.com/unsigned", &[], &[])).unwrap();
    let out = w.acfetch(&["--insecure-options=image", unsigned.to_str().unwrap()]);
    assert_eq!(json(&out)["name"], "example.com/unsigned");
    assert!(stderr(&out).contains("WARNING: insecure option image"));
}

#[test]
fn dependencies_are_fetched_and_checked() {
    let w = World::new();
    let fp = w.key("Trusted <t@example.com>", "ed25519");
    w.trust(&["--prefix", "127.0.0.1"], &w.export(&fp));
    let base = aci("127.0.0.1/base", &host_labels("1.0"), &[]);
    let store_tmp = tempfile::tempdir().unwrap();
    let base_id = Store::open(store_tmp.path())
        .unwrap()
        .import(&base[..], &Default::default())
        .unwrap()
        .info
        .record
        .id
        .to_string();
    discovery_page(&w, "127.0.0.1/base");
    let p = image_path("127.0.0.1/base", "1.0");
    w.serve_bytes(&format!("{p}.aci.asc"), w.sign(&fp, &base));
    w.serve_bytes(&format!("{p}.aci"), base.clone());

    let dep = |id: &str, size: usize| {
        serde_json::json!({"imageName": "127.0.0.1/base", "imageID": id,
            "labels": [{"name": "version", "value": "1.0"}], "size": size})
    };
    // A wrong pinned ID: nothing stays.
    let wrong = format!("sha512-{}", "0".repeat(128));
    let bad = aci("example.com/bad", &[], &[dep(&wrong, 0)]);
    std::fs::write(w.path("bad.aci"), &bad).unwrap();
    std::fs::write(w.path("bad.aci.asc"), w.sign(&fp, &bad)).unwrap();
    w.trust(&["--prefix", "example.com"], &w.export(&fp));
    fails_with(
        &w.acfetch(&[w.path("bad.aci").to_str().unwrap()]),
        "image ID is",
    );
    assert!(w.stored().is_empty(), "{:?}", w.stored());

    // A size smaller than the image: refused as a download limit.
    let small = aci("example.com/small", &[], &[dep(&base_id, 10)]);
    std::fs::write(w.path("small.aci"), &small).unwrap();
    std::fs::write(w.path("small.aci.asc"), w.sign(&fp, &small)).unwrap();
    fails_with(
        &w.acfetch(&[w.path("small.aci").to_str().unwrap()]),
        "limit of 10 bytes",
    );
    assert!(w.stored().is_empty(), "{:?}", w.stored());

    let good = aci("example.com/good", &[], &[dep(&base_id, base.len())]);
    std::fs::write(w.path("good.aci"), &good).unwrap();
    std::fs::write(w.path("good.aci.asc"), w.sign(&fp, &good)).unwrap();
    let v = json(&w.acfetch(&[w.path("good.aci").to_str().unwrap()]));
    assert_eq!(v["name"], "example.com/good");
    assert_eq!(w.stored(), ["127.0.0.1/base", "example.com/good"]);
}

#[test]
fn trust_discovers_keys_and_credentials_are_sent() {
    let w = World::new();
    let fp = w.key("Discovered <d@example.com>", "ed25519");
    let key = std::fs::read(w.export(&fp)).unwrap();
    let page = format!(
        r#"<meta name="ac-discovery-pubkeys" content="127.0.0.1/keyed {}">"#,
        w.url("/pubkeys.gpg")
    );
    w.serve("/keyed", Response::html(page));
    w.serve_bytes("/pubkeys.gpg", key);
    fails_with(
        &w.acfetch(&["trust", "--prefix", "127.0.0.1/keyed"]),
        "pass --yes",
    );
    let out = w.acfetch(&["trust", "--prefix", "127.0.0.1/keyed", "--yes"]);
    let v = json(&out);
    assert_eq!(v["fingerprint"], fp.as_str());
    assert_eq!(v["scope"]["prefix"], "127.0.0.1/keyed");
    assert!(stderr(&out).contains("fingerprint:"));
    assert!(
        w.path(&format!("config/trustedkeys/prefix.d/127.0.0.1/keyed/{fp}"))
            .is_file()
    );

    let auth = w.path("config/auth.d");
    std::fs::create_dir_all(&auth).unwrap();
    std::fs::write(
        auth.join("local.json"),
        format!(
            r#"{{"rktKind":"auth","rktVersion":"v1","domains":["127.0.0.1:{}"],"type":"basic","credentials":{{"user":"u","password":"p"}}}}"#,
            w.server.port()
        ),
    )
    .unwrap();
    let image = aci("127.0.0.1/keyed/app", &[], &[]);
    w.serve_bytes("/auth.aci.asc", w.sign(&fp, &image));
    w.serve_bytes("/auth.aci", image);
    json(&w.acfetch(&[&w.url("/auth.aci")]));
    let req = &w.requests("/auth.aci")[0];
    assert_eq!(req.header("authorization"), Some("Basic dTpw"));
}

fn sha256(data: &[u8]) -> String {
    use sha2::Digest;
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(data)))
}

#[test]
fn registry_with_bearer_tokens_and_a_manifest_list() {
    let w = World::new();
    // One gzip layer made by tar, a config, a manifest, and a list with another platform first.
    let root = w.path("layer");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/hello"), "hello").unwrap();
    let layer = Command::new("tar")
        .args(["-czf", "-", "-C"])
        .arg(&root)
        .arg("etc")
        .output()
        .unwrap()
        .stdout;
    let (os, arch) = appc::schema::host_os_arch();
    let (dos, darch) = acfetch::docker::docker_platform(os, arch);
    let config = serde_json::to_vec(&serde_json::json!({
        "os": dos, "architecture": darch,
        "config": {"Cmd": ["/bin/true"], "Env": ["A=1"]},
        "rootfs": {"type": "layers", "diff_ids": []}}))
    .unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": sha256(&config), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": sha256(&layer), "size": layer.len()}]}))
    .unwrap();
    let list = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json",
             "digest": format!("sha256:{}", "1".repeat(64)), "size": 1,
             "platform": {"os": "plan9", "architecture": "mips"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json",
             "digest": sha256(&manifest), "size": manifest.len(),
             "platform": {"os": dos, "architecture": darch}}]}))
    .unwrap();
    let mut index = Response::status(200);
    index.body = list;
    index.headers.push((
        "Content-Type".into(),
        "application/vnd.oci.image.index.v1+json".into(),
    ));
    w.serve("/v2/test/app/manifests/t", index);
    w.serve_bytes(
        &format!("/v2/test/app/manifests/{}", sha256(&manifest)),
        manifest,
    );
    w.serve_bytes(&format!("/v2/test/app/blobs/{}", sha256(&config)), config);
    w.serve_bytes(&format!("/v2/test/app/blobs/{}", sha256(&layer)), layer);
    w.serve_bytes("/token", br#"{"token":"tok"}"#.to_vec());

    let reference = format!("docker://127.0.0.1:{}/test/app:t", w.server.port());
    let v = json(&w.acfetch(&["--insecure-options=image", &reference]));
    assert_eq!(v["name"], format!("127.0.0.1-{}/test/app", w.server.port()));
    assert_eq!(v["labels"]["version"], "t");
    let token = &w.requests("/token")[0];
    assert!(
        token
            .target
            .contains("scope=repository%3Atest%2Fapp%3Apull")
            && token.target.contains("service=test"),
        "{}",
        token.target
    );
    let store = Store::open(w.path("store")).unwrap();
    let id = appc::ImageId::parse_full(v["id"].as_str().unwrap()).unwrap();
    let dest = w.path("extracted");
    store.extract(&id, &dest).unwrap();
    assert_eq!(
        std::fs::read_to_string(dest.join("etc/hello")).unwrap(),
        "hello"
    );
    let m: serde_json::Value = serde_json::from_slice(&store.manifest_bytes(&id).unwrap()).unwrap();
    assert_eq!(m["app"]["exec"], serde_json::json!(["/bin/true"]));
}
