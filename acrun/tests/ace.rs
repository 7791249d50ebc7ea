//! The appc ACE validator (built from Debian's golang-github-appc-spec-dev), packaged as two
//! images with our own ACI builder and run in one pod by acrun.

mod common;

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{err, fixture, out};

/// Builds the validator once (statically, so the images need no libc), shared between test
/// processes through a lock file.
fn ace_validator() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap().join("reference");
    fs::create_dir_all(&dir).unwrap();
    let lock = File::create(dir.join(".ace-static.lock")).unwrap();
    lock.lock().unwrap();
    let out = dir.join("ace-static");
    if !out.exists() {
        let tmp = dir.join(".ace-static.tmp");
        let status = Command::new("go")
            .args(["build", "-o"])
            .arg(&tmp)
            .arg("github.com/appc/spec/ace")
            .env("GO111MODULE", "off")
            .env("GOPATH", "/usr/share/gocode")
            .env("GOCACHE", dir.join("gocache"))
            .env("CGO_ENABLED", "0")
            .status()
            .expect("run go (scripts/install-deps installs golang-go)");
        assert!(status.success(), "building the ACE validator failed");
        fs::rename(&tmp, &out).unwrap();
    }
    out
}

fn validator_rootfs(ace: &Path) -> impl FnOnce(&Path) + '_ {
    move |r: &Path| {
        fs::copy(ace, r.join("ace-validator")).unwrap();
        fs::create_dir_all(r.join("opt/acvalidator")).unwrap();
        fs::create_dir_all(r.join("db")).unwrap();
    }
}

#[test]
fn ace_validator_passes() {
    let Some(f) = fixture() else { return };
    let ace = ace_validator();
    let labels_app = |mode: &str| {
        serde_json::json!({
            "exec": ["/ace-validator", mode],
            "user": "0",
            "group": "0",
            "mountPoints": [{"name": "database", "path": "/db", "readOnly": false}],
        })
    };
    let mut main_app = labels_app("main");
    main_app["workingDirectory"] = "/opt/acvalidator".into();
    main_app["environment"] = serde_json::json!([{"name": "IN_ACE_VALIDATOR", "value": "correct"}]);
    main_app["eventHandlers"] = serde_json::json!([
        {"name": "pre-start", "exec": ["/ace-validator", "prestart"]},
        {"name": "post-stop", "exec": ["/ace-validator", "poststop"]}
    ]);
    main_app["ports"] = serde_json::json!([{"name": "www", "protocol": "tcp", "port": 80}]);
    main_app["isolators"] =
        serde_json::json!([{"name": "resource/memory", "value": {"limit": "1G"}}]);
    f.image_full(
        "coreos.com/ace-validator-main",
        main_app,
        serde_json::json!([
            {"name": "authors", "value": "acrun tests"},
            {"name": "created", "value": "2026-01-01T00:00:00Z"}
        ]),
        validator_rootfs(&ace),
    );
    f.image_full(
        "coreos.com/ace-validator-sidekick",
        labels_app("sidekick"),
        serde_json::json!([]),
        validator_rootfs(&ace),
    );
    let o = f.run(&[
        "run",
        "--net=host",
        "--volume",
        "database,kind=empty",
        "coreos.com/ace-validator-main",
        "coreos.com/ace-validator-sidekick",
    ]);
    let (s, e) = (out(&o), err(&o));
    assert!(o.status.success(), "stdout:\n{s}\nstderr:\n{e}");
    for line in ["prestart OK", "main OK", "sidekick OK", "poststop OK"] {
        assert!(s.contains(line), "missing {line:?}:\n{s}\n{e}");
    }
    assert!(!s.contains("FAIL"), "{s}\n{e}");
}
