//! Interoperability with the reference Go `actool` (skipped with a note when it is absent).

use std::path::Path;
use std::process::Command;

use super::MANIFEST;
use crate::aci::{BuildOptions, Compression, build, validate};

const ACTOOL: &str = "/tmp/ref/actool";

fn reference() -> Option<&'static Path> {
    let p = Path::new(ACTOOL);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("{ACTOOL} not found: reference interoperability not checked");
        None
    }
}

fn layout() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("manifest"), MANIFEST).unwrap();
    let rootfs = dir.path().join("rootfs");
    std::fs::create_dir_all(rootfs.join("etc")).unwrap();
    std::fs::write(rootfs.join("etc/hostname"), b"appc\n").unwrap();
    std::fs::hard_link(rootfs.join("etc/hostname"), rootfs.join("etc/hn")).unwrap();
    std::os::unix::fs::symlink("hostname", rootfs.join("etc/link")).unwrap();
    let big: Vec<u8> = (0..2_500_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(rootfs.join("big"), big).unwrap();
    dir
}

fn sh(cmd: &str) -> String {
    let out = Command::new("sh").arg("-c").arg(cmd).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn reference_built_images_read_with_the_sha512sum_id() {
    let Some(actool) = reference() else { return };
    let dir = layout();
    let out = tempfile::tempdir().unwrap();
    let aci = out.path().join("ref.aci");
    let status = Command::new(actool)
        .arg("build")
        .arg(dir.path())
        .arg(&aci)
        .status()
        .unwrap();
    assert!(status.success());
    let expected = sh(&format!("gzip -dc '{}' | sha512sum", aci.display()));
    let expected = expected.split_whitespace().next().unwrap();
    let s = validate(std::fs::File::open(&aci).unwrap()).unwrap();
    assert_eq!(s.id.hex(), expected);
    assert_eq!(s.manifest, MANIFEST);
    assert_eq!(s.compression, Compression::Gzip);
}

#[test]
fn the_reference_validates_our_images_in_every_format_it_reads() {
    let Some(actool) = reference() else { return };
    let dir = layout();
    let out = tempfile::tempdir().unwrap();
    for c in [
        Compression::Gzip,
        Compression::Uncompressed,
        Compression::Bzip2,
        Compression::Xz,
    ] {
        let path = out.path().join(format!("ours.{c}.aci"));
        let o = BuildOptions {
            compression: c,
            threads: 2,
            ..BuildOptions::default()
        };
        let (built, _) = build(dir.path(), std::fs::File::create(&path).unwrap(), &o).unwrap();
        let res = Command::new(actool)
            .arg("validate")
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            res.status.success(),
            "{c}: {}",
            String::from_utf8_lossy(&res.stderr)
        );
        if c == Compression::Gzip {
            // Several gzip members decode as one stream for gzip(1) too.
            let sum = sh(&format!("gzip -dc '{}' | sha512sum", path.display()));
            assert_eq!(
                sum.split_whitespace().next().unwrap(),
                built.id.unwrap().hex()
            );
        }
    }
}
