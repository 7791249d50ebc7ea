//! The tools used together as users pipe them: build an image, store it, fetch it, run it.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Stdio};

use appc_tests::{cmd, is_root, stderr, stdout};

/// A busybox image layout whose app prints a greeting.
fn layout(dir: &Path) -> std::path::PathBuf {
    let l = dir.join("layout");
    fs::create_dir_all(l.join("rootfs/bin")).unwrap();
    fs::copy("/bin/busybox", l.join("rootfs/bin/busybox")).unwrap();
    symlink("busybox", l.join("rootfs/bin/sh")).unwrap();
    fs::write(
        l.join("manifest"),
        r#"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/pipe","labels":[{"name":"version","value":"1.0.0"},{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}],"app":{"exec":["/bin/sh","-c","echo hello from $AC_APP_NAME"],"user":"0","group":"0"}}"#,
    )
    .unwrap();
    l
}

/// Runs `left | right` and returns right's output; both must succeed.
fn pipe(mut left: Command, mut right: Command) -> std::process::Output {
    let mut l = left.stdout(Stdio::piped()).spawn().unwrap();
    let out = right.stdin(l.stdout.take().unwrap()).output().unwrap();
    let ls = l.wait_with_output().unwrap();
    assert!(ls.status.success(), "left side: {}", stderr(&ls));
    out
}

#[test]
fn build_import_run_and_fetch_run() {
    if !is_root() {
        eprintln!("skipped: running pods needs root");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let l = layout(t.path());
    let store = t.path().join("store");
    let pods = t.path().join("pods");

    // actool build dir - | acstore import -
    let mut build = cmd("actool");
    build.arg("build").arg(&l).arg("-");
    let mut import = cmd("acstore");
    import.arg("--store-dir").arg(&store).args(["import", "-"]);
    let o = pipe(build, import);
    assert!(o.status.success(), "{}", stderr(&o));
    let line: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(line["name"], "example.com/pipe");

    // acstore export ID | acstore import - (another store): the ID round-trips.
    let mut export = cmd("acstore");
    export
        .arg("--store-dir")
        .arg(&store)
        .args(["export", line["id"].as_str().unwrap()]);
    let mut import2 = cmd("acstore");
    import2
        .arg("--store-dir")
        .arg(t.path().join("store2"))
        .args(["import", "-"]);
    let o = pipe(export, import2);
    let line2: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(line2["id"], line["id"]);

    // acstore import x.aci | acrun (no arguments: image lines on stdin)
    let aci = t.path().join("pipe.aci");
    assert!(
        cmd("actool")
            .arg("build")
            .arg(&l)
            .arg(&aci)
            .status()
            .unwrap()
            .success()
    );
    let mut import = cmd("acstore");
    import
        .arg("--store-dir")
        .arg(&store)
        .arg("import")
        .arg(&aci);
    let mut run = cmd("acrun");
    run.arg("--store-dir").arg(&store).arg("--dir").arg(&pods);
    let o = pipe(import, run);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("hello from pipe"), "{}", stdout(&o));

    // acfetch FILE | acrun: the unsigned file is accepted only with --insecure-options=image.
    let cfg = t.path().join("trust");
    let mut fetch = cmd("acfetch");
    fetch
        .arg("--store-dir")
        .arg(t.path().join("store3"))
        .arg("--config-dir")
        .arg(&cfg)
        .arg(&aci);
    let o = fetch.output().unwrap();
    assert!(
        !o.status.success(),
        "an unsigned image was fetched without --insecure-options"
    );
    let mut fetch = cmd("acfetch");
    fetch
        .arg("--store-dir")
        .arg(t.path().join("store3"))
        .arg("--config-dir")
        .arg(&cfg)
        .args(["--insecure-options", "image"])
        .arg(&aci);
    let mut run = cmd("acrun");
    run.arg("--store-dir")
        .arg(t.path().join("store3"))
        .arg("--dir")
        .arg(&pods);
    let o = pipe(fetch, run);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("hello from pipe"), "{}", stdout(&o));
    let gc = cmd("acrun")
        .arg("--dir")
        .arg(&pods)
        .args(["gc", "--grace-period", "0s"])
        .output()
        .unwrap();
    assert!(gc.status.success(), "{}", stderr(&gc));
}
