//! `docker://` against Debian's docker-registry on 127.0.0.1 holding an image pushed by skopeo,
//! and `oci:` layouts, both built here by umoci from a busybox root filesystem in three layers.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use acstore::store::Store;

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// An OCI layout at `<dir>/oci` tagged `t`: layer 1 busybox, /etc/gone and /data-dir/old;
/// layer 2 removes /etc/gone (a whiteout) and adds /etc/extra; layer 3 replaces /data-dir
/// (umoci writes an opaque directory or whiteouts for it).
fn build_layout(dir: &Path) -> PathBuf {
    let layout = dir.join("oci");
    let image = format!("{}:t", layout.display());
    run(Command::new("umoci")
        .args(["init", "--layout"])
        .arg(&layout));
    run(Command::new("umoci").args(["new", "--image", &image]));
    // Each repack diffs against the image the bundle was unpacked from: unpack every time.
    let layer = |n: usize, change: &dyn Fn(&Path)| {
        let bundle = dir.join(format!("bundle{n}"));
        run(Command::new("umoci")
            .args(["unpack", "--image", &image])
            .arg(&bundle));
        change(&bundle.join("rootfs"));
        run(Command::new("umoci")
            .args(["repack", "--image", &image])
            .arg(&bundle));
    };
    layer(1, &|rootfs| {
        std::fs::create_dir_all(rootfs.join("bin")).unwrap();
        std::fs::create_dir_all(rootfs.join("etc")).unwrap();
        std::fs::create_dir_all(rootfs.join("data-dir")).unwrap();
        std::fs::copy("/bin/busybox", rootfs.join("bin/busybox")).unwrap();
        std::os::unix::fs::symlink("busybox", rootfs.join("bin/sh")).unwrap();
        std::fs::write(rootfs.join("etc/gone"), "old").unwrap();
        std::fs::write(rootfs.join("data-dir/old"), "old").unwrap();
    });
    layer(2, &|rootfs| {
        std::fs::remove_file(rootfs.join("etc/gone")).unwrap();
        std::fs::write(rootfs.join("etc/extra"), "extra").unwrap();
    });
    layer(3, &|rootfs| {
        std::fs::remove_dir_all(rootfs.join("data-dir")).unwrap();
        std::fs::create_dir(rootfs.join("data-dir")).unwrap();
        std::fs::write(rootfs.join("data-dir/new"), "new").unwrap();
    });
    run(Command::new("umoci").args([
        "config",
        "--image",
        &image,
        "--config.entrypoint",
        "/bin/sh",
        "--config.cmd",
        "-c",
        "--config.cmd",
        "echo hi",
        "--config.user",
        "1000:100",
        "--config.env",
        "GREETING=hi",
        "--config.workingdir",
        "/srv",
        "--config.exposedports",
        "8080/tcp",
        "--config.volume",
        "/data",
    ]));
    layout
}

/// The manifest of the image tagged `t` in an OCI layout.
fn layout_manifest(layout: &Path) -> serde_json::Value {
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let digest = index["manifests"][0]["digest"].as_str().unwrap();
    let blob = layout.join("blobs/sha256").join(&digest["sha256:".len()..]);
    serde_json::from_slice(&std::fs::read(blob).unwrap()).unwrap()
}

/// A copy of `layout` whose layers are recompressed with zstd (the `zstd` tool).
fn zstd_layout(layout: &Path, dest: &Path) -> PathBuf {
    use sha2::{Digest, Sha256};
    let blobs = dest.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |data: &[u8]| {
        let digest = hex::encode(Sha256::digest(data));
        std::fs::write(blobs.join(&digest), data).unwrap();
        (format!("sha256:{digest}"), data.len())
    };
    let mut manifest = layout_manifest(layout);
    let src = |d: &str| layout.join("blobs/sha256").join(&d["sha256:".len()..]);
    let config = std::fs::read(src(manifest["config"]["digest"].as_str().unwrap())).unwrap();
    put(&config);
    for l in manifest["layers"].as_array_mut().unwrap() {
        let gz = std::fs::File::open(src(l["digest"].as_str().unwrap())).unwrap();
        let plain = run(Command::new("gzip").arg("-dc").stdin(gz)).stdout;
        let mut zstd = Command::new("zstd")
            .args(["-q", "-c"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = zstd.stdin.take().unwrap();
        let writer = std::thread::spawn(move || {
            use std::io::Write;
            stdin.write_all(&plain).unwrap();
        });
        let out = zstd.wait_with_output().unwrap();
        writer.join().unwrap();
        let (digest, size) = put(&out.stdout);
        l["mediaType"] = "application/vnd.oci.image.layer.v1.tar+zstd".into();
        l["digest"] = digest.into();
        l["size"] = size.into();
    }
    let (digest, size) = put(&serde_json::to_vec(&manifest).unwrap());
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest, "size": size,
        "annotations": {"org.opencontainers.image.ref.name": "t"}}]});
    std::fs::write(dest.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    std::fs::write(dest.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    dest.to_path_buf()
}

/// A registry process; killed (by its pid) when dropped.
struct Registry {
    child: Child,
    port: u16,
    root: PathBuf,
}

impl Registry {
    fn start(dir: &Path) -> Registry {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let root = dir.join("registry");
        let config = dir.join("registry.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
                root.display()
            ),
        )
        .unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start docker-registry");
        let reg = Registry { child, port, root };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "registry did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        reg
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn acfetch(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_acfetch"))
        .arg("--store-dir")
        .arg(store)
        .args([
            "--config-dir",
            "/nonexistent",
            "--retries",
            "0",
            "--progress",
            "never",
        ])
        .args(args)
        .env("NO_PROXY", "*")
        .env("DOCKER_CONFIG", store.join("no-docker-config"))
        .stdin(Stdio::null())
        .output()
        .expect("run acfetch")
}

fn line(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "acfetch: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    serde_json::from_str(text.lines().next().unwrap()).unwrap()
}

fn check_image(store: &Path, v: &serde_json::Value) {
    let store = Store::open(store).unwrap();
    let id = appc::ImageId::parse_full(v["id"].as_str().unwrap()).unwrap();
    let m: serde_json::Value = serde_json::from_slice(&store.manifest_bytes(&id).unwrap()).unwrap();
    assert_eq!(
        m["app"]["exec"],
        serde_json::json!(["/bin/sh", "-c", "echo hi"])
    );
    assert_eq!(m["app"]["user"], "1000");
    assert_eq!(m["app"]["group"], "100");
    assert_eq!(m["app"]["workingDirectory"], "/srv");
    assert_eq!(m["app"]["ports"][0]["name"], "8080-tcp");
    assert_eq!(m["app"]["mountPoints"][0]["path"], "/data");
    assert_eq!(v["labels"]["version"], "t");
    let dest = tempfile::tempdir().unwrap();
    let out = dest.path().join("x");
    store.extract(&id, &out).unwrap();
    let rootfs = out;
    assert!(rootfs.join("bin/busybox").is_file());
    assert_eq!(
        std::fs::read_link(rootfs.join("bin/sh")).unwrap(),
        Path::new("busybox")
    );
    assert_eq!(
        std::fs::read_to_string(rootfs.join("etc/extra")).unwrap(),
        "extra"
    );
    assert!(!rootfs.join("etc/gone").exists(), "whiteout not applied");
    assert!(
        !rootfs.join("data-dir/old").exists(),
        "opaque directory not applied"
    );
    assert_eq!(
        std::fs::read_to_string(rootfs.join("data-dir/new")).unwrap(),
        "new"
    );
}

#[test]
fn oci_layout_and_registry_pull() {
    let dir = tempfile::tempdir().unwrap();
    let layout = build_layout(dir.path());
    assert_eq!(
        layout_manifest(&layout)["layers"].as_array().unwrap().len(),
        3
    );
    let store = dir.path().join("store");
    let oci = format!("oci:{}:t", layout.display());

    let refused = acfetch(&store, &[&oci]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--insecure-options=image"));

    let v = line(&acfetch(&store, &["--insecure-options=image", &oci]));
    assert_eq!(v["name"], "oci/oci");
    check_image(&store, &v);
    // -o writes the same ACI instead of storing it.
    let file = dir.path().join("out.aci");
    let o = acfetch(
        &dir.path().join("unused-store"),
        &[
            "--insecure-options=image",
            "-o",
            file.to_str().unwrap(),
            &oci,
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let again = Store::open(dir.path().join("check"))
        .unwrap()
        .import(std::fs::File::open(&file).unwrap(), &Default::default())
        .unwrap();
    assert_eq!(again.info.record.id.as_str(), v["id"].as_str().unwrap());

    let registry = Registry::start(dir.path());
    let target = format!("docker://127.0.0.1:{}/test/busybox:t", registry.port);
    run(Command::new("skopeo").args([
        "--insecure-policy",
        "copy",
        "--dest-tls-verify=false",
        &format!("oci:{}:t", layout.display()),
        &target,
    ]));
    let v = line(&acfetch(
        &store,
        &["--insecure-options=image,http", &target],
    ));
    assert_eq!(
        v["name"],
        format!("127.0.0.1-{}/test/busybox", registry.port)
    );
    check_image(&store, &v);
    let again = line(&acfetch(&store, &["--pull-policy", "never", &target]));
    assert_eq!(again["id"], v["id"]);

    // The same image with zstd layers, from a layout and through the registry.
    let zl = zstd_layout(&layout, &dir.path().join("zstd"));
    let v = line(&acfetch(
        &store,
        &[
            "--insecure-options=image",
            &format!("oci:{}:t", zl.display()),
        ],
    ));
    check_image(&store, &v);
    let zstd = format!("docker://127.0.0.1:{}/test/zstd:t", registry.port);
    run(Command::new("skopeo").args([
        "--insecure-policy",
        "copy",
        "--dest-tls-verify=false",
        &format!("oci:{}:t", zl.display()),
        &zstd,
    ]));
    let raw = run(Command::new("skopeo").args(["inspect", "--raw", "--tls-verify=false", &zstd]));
    let raw = String::from_utf8_lossy(&raw.stdout).into_owned();
    assert!(
        raw.contains("tar+zstd"),
        "no zstd layers in the registry: {raw}"
    );
    let v = line(&acfetch(&store, &["--insecure-options=image,http", &zstd]));
    check_image(&store, &v);

    // A layer whose bytes no longer match its digest: refused, nothing stored.
    let fresh = dir.path().join("store2");
    let blobs = registry.root.join("docker/registry/v2/blobs/sha256");
    let mut biggest: Option<(u64, PathBuf)> = None;
    for prefix in std::fs::read_dir(&blobs).unwrap() {
        for blob in std::fs::read_dir(prefix.unwrap().path()).unwrap() {
            let data = blob.unwrap().path().join("data");
            let len = std::fs::metadata(&data).unwrap().len();
            if biggest.as_ref().is_none_or(|(l, _)| len > *l) {
                biggest = Some((len, data));
            }
        }
    }
    let (_, victim) = biggest.unwrap();
    let mut bytes = std::fs::read(&victim).unwrap();
    let n = bytes.len();
    bytes[n - 100] ^= 0xff;
    std::fs::write(&victim, bytes).unwrap();
    let bad = acfetch(&fresh, &["--insecure-options=image,http", &target]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("digest mismatch"), "{err}");
    assert!(Store::open(&fresh).unwrap().list().unwrap().is_empty());
}
