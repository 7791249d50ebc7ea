//! Helpers for the acstore tests: image layouts and ACIs built with the appc library.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use appc::aci::{self, BuildOptions, Compression};

/// One image to build.
pub struct Img<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub files: &'a [(&'a str, &'a str)],
    pub deps: &'a str,
    pub whitelist: &'a [&'a str],
}

impl<'a> Img<'a> {
    pub fn new(name: &'a str, version: &'a str, files: &'a [(&'a str, &'a str)]) -> Self {
        Img {
            name,
            version,
            files,
            deps: "",
            whitelist: &[],
        }
    }
}

/// Writes a layout for `img` under `dir` and builds it into an ACI; returns the ACI path.
pub fn build(dir: &Path, img: &Img<'_>, compression: Compression) -> PathBuf {
    let tag = format!("{}-{}", img.name.replace('/', "_"), img.version);
    let layout = dir.join(format!("layout-{tag}"));
    let _ = fs::remove_dir_all(&layout);
    fs::create_dir_all(layout.join("rootfs")).unwrap();
    for (path, content) in img.files {
        let p = layout.join("rootfs").join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, content).unwrap();
    }
    let wl: Vec<String> = img.whitelist.iter().map(|w| format!("{w:?}")).collect();
    let deps = if img.deps.is_empty() {
        String::new()
    } else {
        format!(",\"dependencies\":[{}]", img.deps)
    };
    let wl = if wl.is_empty() {
        String::new()
    } else {
        format!(",\"pathWhitelist\":[{}]", wl.join(","))
    };
    let manifest = format!(
        r#"{{"acKind":"ImageManifest","acVersion":"0.8.11","name":"{}","labels":[{{"name":"version","value":"{}"}},{{"name":"os","value":"linux"}},{{"name":"arch","value":"amd64"}}]{deps}{wl}}}"#,
        img.name, img.version
    );
    fs::write(layout.join("manifest"), manifest).unwrap();
    let out = dir.join(format!("{tag}.aci"));
    let f = fs::File::create(&out).unwrap();
    let opts = BuildOptions {
        compression,
        source_date_epoch: Some(1_000_000),
        ..Default::default()
    };
    aci::build(&layout, f, &opts).unwrap();
    out
}

/// The acstore binary of this build.
pub fn acstore(store: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_acstore"));
    c.arg("--store-dir").arg(store);
    c
}

/// Runs a command and returns its output.
pub fn run(c: &mut Command) -> Output {
    c.output().unwrap_or_else(|e| panic!("{c:?}: {e}"))
}

/// Stdout as text.
pub fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Stderr as text.
pub fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A snapshot of everything in a store directory (paths and sizes), to show it unchanged.
pub fn snapshot(store: &Path) -> Vec<(PathBuf, u64)> {
    let mut v = Vec::new();
    let mut stack = vec![store.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap().flatten() {
            let m = e.metadata().unwrap();
            let rel = e.path().strip_prefix(store).unwrap().to_path_buf();
            if rel.starts_with("locks") || rel == Path::new("lock") {
                continue;
            }
            if m.is_dir() {
                stack.push(e.path());
            }
            v.push((rel, if m.is_dir() { 0 } else { m.len() }));
        }
    }
    v.sort();
    v
}
