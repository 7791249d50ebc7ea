//! Shared fixture: a temp store and pod dir, busybox test images built with
//! `appc::aci::build`, and the acrun binary. Every pod a test starts is killed on drop.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use acstore::store::{ImportOptions, Store};

pub const BUSYBOX: &str = "/bin/busybox";

pub struct Fixture {
    pub tmp: tempfile::TempDir,
    pub store: PathBuf,
    pub pods: PathBuf,
    children: Vec<Child>,
}

/// The tests need root (namespaces, mounts) and a static busybox; without them they skip.
pub fn fixture() -> Option<Fixture> {
    if !rustix::process::geteuid().is_root() || !Path::new(BUSYBOX).exists() {
        eprintln!("skipping: needs root and {BUSYBOX}");
        return None;
    }
    let tmp = tempfile::Builder::new()
        .prefix("acrun-test-")
        .tempdir()
        .unwrap();
    let store = tmp.path().join("store");
    let pods = tmp.path().join("pods");
    Some(Fixture {
        tmp,
        store,
        pods,
        children: Vec::new(),
    })
}

const APPLETS: &[&str] = &[
    "sh", "true", "false", "echo", "cat", "ls", "id", "pwd", "env", "hostname", "sleep", "touch",
    "test", "grep", "mkdir", "stat", "head", "wc", "dd", "ln", "rm", "chmod", "wget",
];

impl Fixture {
    /// Writes a busybox rootfs with /etc/passwd and /etc/group into `rootfs`.
    pub fn busybox_rootfs(rootfs: &Path) {
        fs::create_dir_all(rootfs.join("bin")).unwrap();
        fs::create_dir_all(rootfs.join("etc")).unwrap();
        fs::copy(BUSYBOX, rootfs.join("bin/busybox")).unwrap();
        for a in APPLETS {
            std::os::unix::fs::symlink("busybox", rootfs.join("bin").join(a)).unwrap();
        }
        fs::write(
            rootfs.join("etc/passwd"),
            "root:x:0:0:root:/:/bin/sh\nwww:x:33:44:www:/:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n",
        )
        .unwrap();
        fs::write(
            rootfs.join("etc/group"),
            "root:x:0:\nweb:x:44:\nnogroup:x:65534:\n",
        )
        .unwrap();
    }

    /// Builds and imports an image named `name` with `app` (JSON or null); `extra` may add
    /// files to the rootfs. Returns the image ID.
    pub fn image(&self, name: &str, app: serde_json::Value, extra: impl FnOnce(&Path)) -> String {
        self.image_full(name, app, serde_json::json!([]), extra)
    }

    /// As [`Fixture::image`], with image annotations.
    pub fn image_full(
        &self,
        name: &str,
        app: serde_json::Value,
        annotations: serde_json::Value,
        extra: impl FnOnce(&Path),
    ) -> String {
        let layout = tempfile::tempdir_in(self.tmp.path()).unwrap();
        let rootfs = layout.path().join("rootfs");
        Self::busybox_rootfs(&rootfs);
        extra(&rootfs);
        let mut m = serde_json::json!({
            "acKind": "ImageManifest",
            "acVersion": "0.8.11",
            "name": name,
            "labels": [
                {"name": "version", "value": "1.0"},
                {"name": "os", "value": "linux"},
                {"name": "arch", "value": "amd64"}
            ],
            "annotations": annotations,
        });
        if !app.is_null() {
            m["app"] = app;
        }
        fs::write(
            layout.path().join("manifest"),
            serde_json::to_vec(&m).unwrap(),
        )
        .unwrap();
        let mut buf = Vec::new();
        appc::aci::build(layout.path(), &mut buf, &appc::aci::BuildOptions::default()).unwrap();
        let store = Store::open(&self.store).unwrap();
        let imported = store
            .import(std::io::Cursor::new(buf), &ImportOptions::default())
            .unwrap();
        imported.info.record.id.to_string()
    }

    /// A busybox image whose app runs `script` with /bin/sh as root.
    pub fn sh_image(&self, name: &str, script: &str) -> String {
        self.image(
            name,
            serde_json::json!({"exec": ["/bin/sh", "-c", script], "user": "0", "group": "0"}),
            |_| {},
        )
    }

    /// `acrun --dir PODS --store-dir STORE`.
    pub fn acrun(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_acrun"));
        c.arg("--dir")
            .arg(&self.pods)
            .arg("--store-dir")
            .arg(&self.store)
            .env_remove("ACRUN_DIR")
            .env_remove("ACSTORE_DIR")
            .stdin(Stdio::null());
        c
    }

    /// Runs acrun with `args` to completion.
    pub fn run(&self, args: &[&str]) -> Output {
        self.acrun().args(args).output().unwrap()
    }

    /// Starts `acrun run ARGS` in the background, saving the UUID; returns (child index, uuid)
    /// once the pod runs.
    pub fn start(&mut self, args: &[&str]) -> (usize, String) {
        let uuid_file = self
            .tmp
            .path()
            .join(format!("uuid-{}", self.children.len()));
        let child = self
            .acrun()
            .arg("run")
            .arg("--uuid-file-save")
            .arg(&uuid_file)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        self.children.push(child);
        let idx = self.children.len() - 1;
        let t0 = Instant::now();
        loop {
            if let Ok(u) = fs::read_to_string(&uuid_file) {
                let u = u.trim().to_string();
                let st = self.run(&["status", &u]);
                let v: serde_json::Value = serde_json::from_slice(&st.stdout).unwrap_or_default();
                if v["state"] == "running" && v["ready"] == true {
                    return (idx, u);
                }
            }
            assert!(t0.elapsed() < Duration::from_secs(20), "pod did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The background acrun `idx`.
    pub fn child(&mut self, idx: usize) -> &mut Child {
        &mut self.children[idx]
    }

    /// Waits (at most 20 s) for background acrun `idx`; returns its output.
    pub fn wait(&mut self, idx: usize) -> Output {
        let t0 = Instant::now();
        while self.children[idx].try_wait().unwrap().is_none() {
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "acrun did not finish"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let child = std::mem::replace(
            &mut self.children[idx],
            Command::new("true").spawn().unwrap(),
        );
        child.wait_with_output().unwrap()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        // Pods die with their supervisor (PDEATHSIG); wait for their locks to be released so
        // the temp dir can go.
        if let Ok(rd) = fs::read_dir(&self.pods) {
            for e in rd.flatten() {
                if let Ok(lock) = fs::File::open(e.path().join("lock")) {
                    let _ = rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockShared);
                }
                if let Ok(p) = std::ffi::CString::new(
                    e.path().join("netns").into_os_string().into_encoded_bytes(),
                ) {
                    // SAFETY: a valid C string.
                    unsafe { libc::umount2(p.as_ptr(), libc::MNT_DETACH) };
                }
            }
        }
    }
}

pub fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
