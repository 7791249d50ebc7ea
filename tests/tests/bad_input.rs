//! Bad input to actool: every case exits non-zero with one line on stderr naming the file and
//! the problem, never a panic, and leaves no output file behind.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::Command;

use appc_tests::{cmd, run, stderr};

/// Writes a tar built by GNU tar from `entries` (created under a staging dir by `setup`).
fn gnu_tar(dir: &Path, name: &str, setup: impl Fn(&Path), members: &[&str]) -> std::path::PathBuf {
    let stage = dir.join(format!("stage-{name}"));
    fs::create_dir_all(&stage).unwrap();
    setup(&stage);
    let out = dir.join(name);
    let st = Command::new("tar")
        .arg("-cf")
        .arg(&out)
        .arg("-C")
        .arg(&stage)
        .args(["--format=gnu", "--no-recursion", "-P"])
        .args(members)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "tar for {name} failed: {}",
        String::from_utf8_lossy(&st.stderr)
    );
    out
}

const M: &str = r#"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/bad"}"#;

fn assert_one_line_error(out: &std::process::Output, file: &Path, want: &str) {
    let e = stderr(out);
    assert!(
        !out.status.success(),
        "{} unexpectedly accepted",
        file.display()
    );
    assert_eq!(out.status.code(), Some(1), "{}: {e}", file.display());
    assert_eq!(
        e.trim_end().lines().count(),
        1,
        "{}: not one line: {e}",
        file.display()
    );
    assert!(!e.contains("panicked"), "{e}");
    assert!(
        e.contains(&*file.to_string_lossy()),
        "error does not name {}: {e}",
        file.display()
    );
    assert!(
        e.to_lowercase().contains(want),
        "{}: expected '{want}' in: {e}",
        file.display()
    );
}

#[test]
fn hostile_and_broken_archives_are_refused_with_one_line() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let base = |s: &Path| {
        fs::write(s.join("manifest"), M).unwrap();
        fs::create_dir_all(s.join("rootfs/etc")).unwrap();
        fs::write(s.join("rootfs/etc/x"), "x").unwrap();
    };
    let good = gnu_tar(
        d,
        "good.aci",
        base,
        &["manifest", "rootfs", "rootfs/etc", "rootfs/etc/x"],
    );
    assert!(
        run(cmd("actool").arg("validate").arg(&good))
            .status
            .success()
    );

    let mut cases: Vec<(std::path::PathBuf, &str)> = Vec::new();
    let garbage = d.join("garbage.aci");
    fs::write(&garbage, vec![0x42u8; 4096]).unwrap();
    cases.push((garbage, "")); // like the reference, non-archive input validates as a manifest
    let bytes = fs::read(&good).unwrap();
    let truncated = d.join("truncated.aci");
    fs::write(&truncated, &bytes[..700]).unwrap();
    cases.push((truncated, "truncated"));
    let gz = d.join("good.aci.gz");
    let st = Command::new("sh")
        .arg("-c")
        .arg(format!("gzip -c {} > {}", good.display(), gz.display()))
        .status();
    assert!(st.unwrap().success());
    let gzbytes = fs::read(&gz).unwrap();
    let truncgz = d.join("truncated-gzip.aci");
    fs::write(&truncgz, &gzbytes[..gzbytes.len() / 2]).unwrap();
    cases.push((truncgz, ""));
    let dotdot = gnu_tar(
        d,
        "dotdot.aci",
        |s| {
            base(s);
            fs::write(s.join("escape"), "x").unwrap();
        },
        &[
            "manifest",
            "rootfs",
            "rootfs/etc",
            "rootfs/etc/../../escape",
        ],
    );
    cases.push((dotdot, ".."));
    let abs = gnu_tar(
        d,
        "absolute.aci",
        base,
        &["manifest", "rootfs", "/etc/hostname"],
    );
    cases.push((abs, "/etc/hostname"));
    let no_rootfs = gnu_tar(d, "no-rootfs.aci", base, &["manifest"]);
    cases.push((no_rootfs, "rootfs"));
    let no_manifest = gnu_tar(d, "no-manifest.aci", base, &["rootfs", "rootfs/etc"]);
    cases.push((no_manifest, "manifest"));
    let dup = gnu_tar(
        d,
        "duplicate.aci",
        base,
        &["manifest", "rootfs", "rootfs/etc/x", "rootfs/etc/x"],
    );
    cases.push((dup, "duplicate"));
    let symlinked = gnu_tar(
        d,
        "symlinked-rootfs.aci",
        |s| {
            fs::write(s.join("manifest"), M).unwrap();
            std::os::unix::fs::symlink("/", s.join("rootfs")).unwrap();
        },
        &["manifest", "rootfs"],
    );
    cases.push((symlinked, "rootfs"));
    let not_json = gnu_tar(
        d,
        "not-json.aci",
        |s| {
            fs::write(s.join("manifest"), "this is not json").unwrap();
            fs::create_dir_all(s.join("rootfs")).unwrap();
        },
        &["manifest", "rootfs"],
    );
    cases.push((not_json, "manifest"));
    let huge = gnu_tar(
        d,
        "huge-manifest.aci",
        |s| {
            let mut f = fs::File::create(s.join("manifest")).unwrap();
            f.write_all(b"{\"x\":\"").unwrap();
            f.write_all(&vec![b'a'; 32 << 20]).unwrap();
            f.write_all(b"\"}").unwrap();
            fs::create_dir_all(s.join("rootfs")).unwrap();
        },
        &["manifest", "rootfs"],
    );
    cases.push((huge, "manifest"));
    let outside = gnu_tar(
        d,
        "outside.aci",
        |s| {
            base(s);
            fs::write(s.join("rootfsX"), "x").unwrap();
        },
        &["manifest", "rootfs", "rootfsX"],
    );
    cases.push((outside, "rootfsx"));

    for (file, want) in &cases {
        for sub in [&["validate"][..], &["image-id"], &["cat-manifest"]] {
            if sub[0] == "cat-manifest"
                && ![
                    "garbage.aci",
                    "not-json.aci",
                    "huge-manifest.aci",
                    "no-manifest.aci",
                ]
                .iter()
                .any(|n| file.ends_with(n))
            {
                continue; // cat-manifest may stop at the manifest, before the bad entry
            }
            let out = run(cmd("actool").args(sub).arg(file));
            assert_one_line_error(&out, file, if sub[0] == "validate" { want } else { "" });
        }
    }
}

#[test]
fn bad_layouts_and_outputs_are_refused_without_leftovers() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let missing = d.join("missing");
    let out = d.join("out.aci");
    let o = run(cmd("actool").arg("build").arg(&missing).arg(&out));
    assert_one_line_error(&o, &missing, "");
    assert!(!out.exists());

    let l = d.join("layout");
    fs::create_dir_all(&l).unwrap();
    fs::write(l.join("manifest"), M).unwrap();
    let o = run(cmd("actool").arg("build").arg(&l).arg(&out));
    assert_one_line_error(&o, &l, "rootfs");
    assert!(!out.exists());

    fs::create_dir_all(l.join("rootfs")).unwrap();
    let wrong_ext = d.join("out.tar");
    let o = run(cmd("actool").arg("build").arg(&l).arg(&wrong_ext));
    assert_one_line_error(&o, &wrong_ext, ".aci");

    assert!(
        run(cmd("actool").arg("build").arg(&l).arg(&out))
            .status
            .success()
    );
    let before = fs::read(&out).unwrap();
    fs::write(l.join("rootfs/new"), "new").unwrap();
    let o = run(cmd("actool").arg("build").arg(&l).arg(&out));
    assert_one_line_error(&o, &out, "exists");
    assert_eq!(
        fs::read(&out).unwrap(),
        before,
        "an existing output was touched"
    );

    fs::write(l.join("manifest"), "{\"acKind\":\"ImageManifest\"").unwrap();
    let o = run(cmd("actool")
        .args(["build", "--overwrite"])
        .arg(&l)
        .arg(&out));
    assert_one_line_error(&o, &l.join("manifest"), "");
    assert_eq!(
        fs::read(&out).unwrap(),
        before,
        "a failed --overwrite build clobbered the output"
    );
}
