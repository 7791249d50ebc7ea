//! Conformance of our actool against the reference Go actool (Debian golang-github-appc-spec-dev):
//! what one builds the other accepts, with the same manifest and image ID; both give the same
//! verdicts on a corpus of manifests; both patch manifests alike.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use appc_tests::{cmd, is_root, reference_tool, run, stderr, stdout};

const MANIFEST: &str = r#"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/conformance","labels":[{"name":"version","value":"1.2.3"},{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}],"app":{"exec":["/bin/busybox","true"],"user":"0","group":"0","environment":[{"name":"A","value":"b"}],"ports":[{"name":"www","protocol":"tcp","port":80}]},"annotations":[{"name":"created","value":"2026-01-01T00:00:00Z"}]}"#;

/// A layout with the kinds of entries an image holds: files, dirs, a hardlink, symlinks, a FIFO,
/// an empty dir, a long name, odd modes and, as root, a device node.
fn layout(dir: &Path) -> PathBuf {
    let l = dir.join("layout");
    let r = l.join("rootfs");
    fs::create_dir_all(r.join("bin")).unwrap();
    fs::create_dir_all(r.join("etc/empty.d")).unwrap();
    fs::create_dir_all(r.join("dev")).unwrap();
    fs::write(l.join("manifest"), MANIFEST).unwrap();
    fs::copy("/bin/busybox", r.join("bin/busybox")).unwrap();
    fs::hard_link(r.join("bin/busybox"), r.join("bin/busybox-link")).unwrap();
    symlink("busybox", r.join("bin/sh")).unwrap();
    symlink("/etc/does-not-exist", r.join("etc/dangling")).unwrap();
    fs::write(r.join("etc/hostname"), "conformance\n").unwrap();
    let long = "d".repeat(120) + "/" + &"f".repeat(120);
    fs::create_dir_all(r.join(&long).parent().unwrap()).unwrap();
    fs::write(r.join(&long), "long name\n").unwrap();
    let fifo = r.join("etc/fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc_mkfifo(c.as_ptr(), 0o600) }, 0);
    let st = Command::new("mknod")
        .arg(r.join("dev/null"))
        .args(["c", "1", "3"])
        .status();
    assert!(st.map(|s| s.success()).unwrap_or(false) || !is_root());
    l
}

unsafe extern "C" {
    #[link_name = "mkfifo"]
    fn libc_mkfifo(path: *const std::ffi::c_char, mode: u32) -> i32;
}

fn sha512_of_decompressed(aci: &Path) -> String {
    let out = run(Command::new("sh")
        .arg("-c")
        .arg("(gzip -dc \"$1\" 2>/dev/null || cat \"$1\") | sha512sum")
        .arg("sh")
        .arg(aci));
    format!("sha512-{}", stdout(&out).split_whitespace().next().unwrap())
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

#[test]
fn our_acis_pass_the_reference_validator_in_every_compression_it_reads() {
    let t = tempfile::tempdir().unwrap();
    let l = layout(t.path());
    let reference = reference_tool("actool");
    for comp in ["gzip", "bzip2", "xz", "none"] {
        let aci = t.path().join(format!("{comp}.aci"));
        let out = run(cmd("actool")
            .args(["build", "--compression", comp])
            .arg(&l)
            .arg(&aci));
        assert!(out.status.success(), "our build ({comp}): {}", stderr(&out));
        let v = run(Command::new(&reference).arg("validate").arg(&aci));
        assert!(
            v.status.success(),
            "reference rejects our {comp} ACI: {}",
            stderr(&v)
        );
        let v = run(cmd("actool").arg("validate").arg(&aci));
        assert!(
            v.status.success(),
            "we reject our {comp} ACI: {}",
            stderr(&v)
        );
        let ours = run(cmd("actool").arg("cat-manifest").arg(&aci));
        let theirs = run(Command::new(&reference).arg("cat-manifest").arg(&aci));
        assert_eq!(
            json(&stdout(&ours)),
            json(&stdout(&theirs)),
            "{comp}: manifests differ"
        );
    }
}

#[test]
fn reference_acis_pass_ours_with_the_same_manifest_and_id() {
    let t = tempfile::tempdir().unwrap();
    let l = layout(t.path());
    let reference = reference_tool("actool");
    for (name, flags) in [
        ("ref.aci", vec![]),
        ("ref-plain.aci", vec!["--no-compression"]),
    ] {
        let aci = t.path().join(name);
        let out = run(Command::new(&reference)
            .arg("build")
            .args(&flags)
            .arg(&l)
            .arg(&aci));
        assert!(out.status.success(), "reference build: {}", stderr(&out));
        let v = run(cmd("actool").arg("validate").arg(&aci));
        assert!(
            v.status.success(),
            "we reject the reference's ACI: {}",
            stderr(&v)
        );
        let id = run(cmd("actool").arg("image-id").arg(&aci));
        assert!(id.status.success(), "{}", stderr(&id));
        assert_eq!(stdout(&id).trim(), sha512_of_decompressed(&aci));
        let ours = run(cmd("actool").args(["cat-manifest"]).arg(&aci));
        let theirs = run(Command::new(&reference).arg("cat-manifest").arg(&aci));
        assert_eq!(json(&stdout(&ours)), json(&stdout(&theirs)));
        let ours = run(cmd("actool")
            .args(["cat-manifest", "--pretty-print"])
            .arg(&aci));
        let theirs = run(Command::new(&reference)
            .args(["cat-manifest", "--pretty-print"])
            .arg(&aci));
        assert_eq!(
            stdout(&ours),
            stdout(&theirs),
            "pretty-printed manifests differ"
        );
    }
}

#[test]
fn builds_are_reproducible_with_source_date_epoch() {
    let t = tempfile::tempdir().unwrap();
    let l = layout(t.path());
    let mut ids = Vec::new();
    for i in 0..2 {
        let aci = t.path().join(format!("r{i}.aci"));
        if i == 1 {
            // A later mtime must not change the ID when the epoch is fixed.
            let st = Command::new("touch")
                .arg(l.join("rootfs/etc/hostname"))
                .status()
                .unwrap();
            assert!(st.success());
        }
        let out = run(cmd("actool")
            .args(["build", "--source-date-epoch", "1000"])
            .arg(&l)
            .arg(&aci));
        assert!(out.status.success(), "{}", stderr(&out));
        ids.push(stdout(&run(cmd("actool").arg("image-id").arg(&aci))));
    }
    assert_eq!(ids[0], ids[1]);
    assert!(ids[0].starts_with("sha512-"));
}

#[test]
fn build_to_stdout_pipes_into_validate_from_stdin() {
    let t = tempfile::tempdir().unwrap();
    let l = layout(t.path());
    let mut build = cmd("actool")
        .arg("build")
        .arg(&l)
        .arg("-")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let validate = cmd("actool")
        .args(["--debug", "validate", "-"])
        .stdin(build.stdout.take().unwrap())
        .output()
        .unwrap();
    assert!(build.wait().unwrap().success());
    assert!(validate.status.success(), "{}", stderr(&validate));
}

/// The verdicts of both validators on the manifest corpus, against the recorded expectations.
#[test]
fn manifest_corpus_verdicts_match_the_reference() {
    let reference = reference_tool("actool");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/manifests");
    let table =
        fs::read_to_string(root.join("expected.tsv")).expect("tests/data/manifests/expected.tsv");
    let mut checked = 0;
    for line in table
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let cols: Vec<&str> = line.split('\t').collect();
        let (file, verdict) = (root.join(cols[0]), cols[1]);
        let differs = cols.get(2).is_some_and(|c| c.starts_with("differs"));
        let theirs = run(Command::new(&reference)
            .args(["validate", "--type=manifest"])
            .arg(&file));
        let ours = run(cmd("actool")
            .args(["validate", "--type", "manifest"])
            .arg(&file));
        assert_eq!(
            theirs.status.success(),
            verdict == "valid",
            "{}: the reference's verdict changed: {}",
            cols[0],
            stderr(&theirs)
        );
        let want_ours = if differs {
            verdict != "valid"
        } else {
            verdict == "valid"
        };
        assert_eq!(
            ours.status.success(),
            want_ours,
            "{}: our verdict: {}",
            cols[0],
            stderr(&ours)
        );
        if !ours.status.success() {
            let e = stderr(&ours);
            assert_eq!(
                e.trim_end().lines().count(),
                1,
                "{}: one line expected: {e}",
                cols[0]
            );
            assert!(!e.contains("panicked"), "{e}");
        }
        checked += 1;
    }
    assert!(checked >= 50, "only {checked} manifests in the corpus");
}

#[test]
fn patch_manifest_agrees_with_the_reference() {
    let t = tempfile::tempdir().unwrap();
    let l = layout(t.path());
    let reference = reference_tool("actool");
    let input = t.path().join("in.aci");
    assert!(
        run(cmd("actool").arg("build").arg(&l).arg(&input))
            .status
            .success()
    );
    let cases: &[&[&str]] = &[
        &["--name=example.com/patched"],
        &[
            "--exec=/bin/busybox sh -c date",
            "--user=1000",
            "--group=100",
        ],
        &["--supplementary-groups=10,20"],
        &["--capability=CAP_NET_ADMIN,CAP_SYS_ADMIN"],
        &["--revoke-capability=CAP_MKNOD"],
        &["--mounts=work,path=/opt,readOnly=true:data,path=/data"],
        &["--ports=query,protocol=tcp,port=8080:dns,protocol=udp,port=53,count=2"],
        &["--isolators=resource/cpu,request=50m,limit=100m:resource/memory,limit=1G"],
        &["--isolators=os/linux/no-new-privileges,true"],
        &[
            "--seccomp-mode=retain,errno=EPERM",
            "--seccomp-set=read,write,exit",
        ],
        &["--seccomp-mode=remove", "--seccomp-set=reboot"],
    ];
    for (i, flags) in cases.iter().enumerate() {
        let ours_out = t.path().join(format!("ours{i}.aci"));
        let ref_out = t.path().join(format!("ref{i}.aci"));
        let o = run(cmd("actool")
            .arg("patch-manifest")
            .args(*flags)
            .arg(&input)
            .arg(&ours_out));
        assert!(o.status.success(), "ours {flags:?}: {}", stderr(&o));
        let r = run(Command::new(&reference)
            .arg("patch-manifest")
            .args(*flags)
            .arg(&input)
            .arg(&ref_out));
        assert!(r.status.success(), "reference {flags:?}: {}", stderr(&r));
        let ours = json(&stdout(&run(cmd("actool")
            .arg("cat-manifest")
            .arg(&ours_out))));
        let theirs = json(&stdout(&run(Command::new(&reference)
            .arg("cat-manifest")
            .arg(&ref_out))));
        assert_eq!(ours, theirs, "patch {flags:?} differs");
        let v = run(Command::new(&reference).arg("validate").arg(&ours_out));
        assert!(
            v.status.success(),
            "reference rejects our patched ACI: {}",
            stderr(&v)
        );
    }
    // Errors the reference also gives.
    for flags in [
        &["--seccomp-mode=bogus", "--seccomp-set=read"][..],
        &["--supplementary-groups=1,x"],
        &["--name=Not_An_Identifier"],
        &["--isolators=os/linux/seccomp-retain-set,set=read"],
    ] {
        let out = t.path().join("err.aci");
        let o = run(cmd("actool")
            .arg("patch-manifest")
            .args(flags)
            .arg(&input)
            .arg(&out));
        assert!(!o.status.success(), "{flags:?} should fail");
        assert!(!out.exists(), "{flags:?} left its output behind");
        assert_eq!(stderr(&o).trim_end().lines().count(), 1, "{}", stderr(&o));
    }
}
