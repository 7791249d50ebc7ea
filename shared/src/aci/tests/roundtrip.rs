use std::ffi::CString;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use tar::EntryType;

use super::{MANIFEST, id_of};
use crate::aci::{
    AciError, BuildError, BuildOptions, Compression, Entry, VisitError, build, read_manifest, scan,
    validate,
};

/// What a visitor saw of one entry.
#[derive(Debug)]
struct Seen {
    path: PathBuf,
    kind: EntryType,
    link: Option<PathBuf>,
    mtime: i64,
    data: Vec<u8>,
    xattrs: Vec<(Vec<u8>, Vec<u8>)>,
    device: Option<(u32, u32)>,
}

fn collect(image: &[u8]) -> (crate::aci::Scanned, Vec<Seen>) {
    let mut seen = Vec::new();
    let mut visit = |e: &mut Entry<'_>| -> Result<(), VisitError> {
        let mut data = Vec::new();
        e.data.read_to_end(&mut data)?;
        let device = match e.kind {
            EntryType::Char | EntryType::Block => Some((
                e.header.device_major()?.unwrap_or(0),
                e.header.device_minor()?.unwrap_or(0),
            )),
            _ => None,
        };
        seen.push(Seen {
            path: e.path.to_path_buf(),
            kind: e.kind,
            link: e.link_name.map(Path::to_path_buf),
            mtime: e.mtime,
            data,
            xattrs: e.xattrs.to_vec(),
            device,
        });
        Ok(())
    };
    let scanned = scan(image, &mut visit).expect("our image reads back");
    (scanned, seen)
}

fn set_xattr(path: &Path, name: &str, value: &[u8]) -> bool {
    let p = CString::new(path.as_os_str().as_bytes()).unwrap();
    let n = CString::new(name).unwrap();
    // SAFETY: valid C strings and a buffer of the given length.
    unsafe {
        libc::lsetxattr(
            p.as_ptr(),
            n.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        ) == 0
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

const LONG_DIR: &str = "a-directory-name-long-enough-to-need-the-ustar-prefix-field-and-then-some-more-characters-added";

/// A layout with one of every kind of entry we write.
fn sample_layout() -> (tempfile::TempDir, bool) {
    sample_layout_in(&std::env::temp_dir())
}

/// [`sample_layout`] on a given filesystem (xattr support differs between them).
fn sample_layout_in(base: &Path) -> (tempfile::TempDir, bool) {
    let dir = tempfile::tempdir_in(base).unwrap();
    let root = dir.path();
    fs::write(root.join("manifest"), MANIFEST).unwrap();
    let rootfs = root.join("rootfs");
    fs::create_dir_all(rootfs.join("bin")).unwrap();
    fs::create_dir_all(rootfs.join("empty")).unwrap();
    fs::write(rootfs.join("bin/hello"), b"#!/bin/sh\necho hello\n").unwrap();
    fs::set_permissions(rootfs.join("bin/hello"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::hard_link(rootfs.join("bin/hello"), rootfs.join("bin/hello-again")).unwrap();
    std::os::unix::fs::symlink("hello", rootfs.join("bin/sym")).unwrap();
    let fifo = CString::new(rootfs.join("fifo").as_os_str().as_bytes()).unwrap();
    // SAFETY: valid path string.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    if is_root() {
        let null = CString::new(rootfs.join("null").as_os_str().as_bytes()).unwrap();
        // SAFETY: valid path string; makedev(1, 3).
        let rc = unsafe { libc::mknod(null.as_ptr(), libc::S_IFCHR | 0o666, libc::makedev(1, 3)) };
        assert_eq!(rc, 0);
    }
    let deep = rootfs.join(LONG_DIR).join(LONG_DIR);
    fs::create_dir_all(&deep).unwrap();
    fs::write(deep.join("f".repeat(120)), b"long").unwrap();
    fs::write(rootfs.join("attrs"), b"x").unwrap();
    let xattrs = set_xattr(&rootfs.join("attrs"), "user.appc.test", b"value\0with nul");
    (dir, xattrs)
}

fn opts(compression: Compression) -> BuildOptions {
    BuildOptions {
        compression,
        source_date_epoch: Some(1_700_000_000),
        ..BuildOptions::default()
    }
}

#[test]
fn every_kind_of_entry_survives_a_round_trip() {
    // /tmp is ext4 here and /dev/shm is tmpfs: both keep user.* xattrs.
    let mut bases = vec![std::env::temp_dir()];
    if Path::new("/dev/shm").is_dir() {
        bases.push(PathBuf::from("/dev/shm"));
    }
    for base in bases {
        round_trip_in(&base);
    }
}

fn round_trip_in(base: &Path) {
    let (dir, has_xattrs) = sample_layout_in(base);
    let (built, image) = build(dir.path(), Vec::new(), &opts(Compression::Uncompressed)).unwrap();
    assert_eq!(built.id, Some(id_of(&image)));
    assert_eq!(built.tar_size, image.len() as u64);

    let (scanned, seen) = collect(&image);
    assert_eq!(Some(scanned.id), built.id);
    assert_eq!(scanned.manifest, MANIFEST);
    assert_eq!(scanned.entries, built.entries);
    assert_eq!(seen.len() as u64, built.entries);
    assert_eq!(seen[0].path, Path::new("manifest"), "manifest comes first");
    assert_eq!(seen[1].path, Path::new("rootfs"));
    assert!(seen.iter().all(|s| s.mtime == 1_700_000_000));

    let find = |p: &str| {
        seen.iter()
            .find(|s| s.path == Path::new(p))
            .unwrap_or_else(|| panic!("{p} missing from {seen:#?}"))
    };
    assert_eq!(find("rootfs/bin/hello").data, b"#!/bin/sh\necho hello\n");
    let again = find("rootfs/bin/hello-again");
    assert_eq!(again.kind, EntryType::Link);
    assert_eq!(again.link.as_deref(), Some(Path::new("rootfs/bin/hello")));
    assert_eq!(
        find("rootfs/bin/sym").link.as_deref(),
        Some(Path::new("hello"))
    );
    assert_eq!(find("rootfs/fifo").kind, EntryType::Fifo);
    assert_eq!(find("rootfs/empty").kind, EntryType::Directory);
    let long = format!("rootfs/{LONG_DIR}/{LONG_DIR}/{}", "f".repeat(120));
    assert!(long.len() > 255);
    assert_eq!(find(&long).data, b"long");
    if is_root() {
        let null = find("rootfs/null");
        assert_eq!((null.kind, null.device), (EntryType::Char, Some((1, 3))));
    }
    if has_xattrs {
        assert_eq!(
            find("rootfs/attrs").xattrs,
            vec![(b"user.appc.test".to_vec(), b"value\0with nul".to_vec())]
        );
    }

    // Sorted: every directory's children come in byte order.
    let bin: Vec<_> = seen
        .iter()
        .filter(|s| s.path.starts_with("rootfs/bin/"))
        .collect();
    let names: Vec<_> = bin.iter().map(|s| s.path.clone()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);

    assert_eq!(read_manifest(&image[..]).unwrap(), MANIFEST);
}

#[test]
fn source_date_epoch_makes_the_id_reproducible() {
    let (dir, _) = sample_layout();
    let (first, _) = build(dir.path(), Vec::new(), &opts(Compression::Gzip)).unwrap();
    let hello = dir.path().join("rootfs/bin/hello");
    let f = fs::File::options().write(true).open(&hello).unwrap();
    f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(12345))
        .unwrap();
    let (second, _) = build(dir.path(), Vec::new(), &opts(Compression::Gzip)).unwrap();
    assert_eq!(first.id, second.id);
    // Without the option the changed mtime shows.
    let plain = BuildOptions::default();
    let (a, _) = build(dir.path(), Vec::new(), &plain).unwrap();
    f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(54321))
        .unwrap();
    let (b, _) = build(dir.path(), Vec::new(), &plain).unwrap();
    assert_ne!(a.id, b.id);
}

#[test]
fn every_compression_gives_the_same_id_and_is_detected() {
    let (dir, _) = sample_layout();
    // Enough data for several parallel gzip members.
    let noise: Vec<u8> = (0..3_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    fs::write(dir.path().join("rootfs/noise"), &noise).unwrap();
    let (plain, tar) = build(dir.path(), Vec::new(), &opts(Compression::Uncompressed)).unwrap();
    for c in Compression::ALL {
        for threads in [1, 3] {
            let o = BuildOptions { threads, ..opts(c) };
            let (built, image) = build(dir.path(), Vec::new(), &o).unwrap();
            assert_eq!(built.id, plain.id, "{c}");
            let s = validate(&image[..]).unwrap();
            assert_eq!((Some(s.id), s.compression), (plain.id.clone(), c));
            assert_eq!(s.tar_size, tar.len() as u64);
            if c != Compression::Uncompressed {
                assert!(image.len() < tar.len(), "{c} compresses");
            }
        }
    }
}

#[test]
fn owner_root_records_zero_owners() {
    let (dir, _) = sample_layout();
    let o = BuildOptions {
        owner_root: true,
        ..opts(Compression::Uncompressed)
    };
    let (_, image) = build(dir.path(), Vec::new(), &o).unwrap();
    let mut owners = Vec::new();
    let mut visit = |e: &mut Entry<'_>| -> Result<(), VisitError> {
        owners.push((e.uid, e.gid));
        Ok(())
    };
    scan(&image[..], &mut visit).unwrap();
    assert!(owners.iter().all(|&o| o == (0, 0)));
}

#[test]
fn bad_layouts_are_refused_with_the_reference_wording() {
    let dir = tempfile::tempdir().unwrap();
    let run = |d: &Path| {
        build(d, Vec::new(), &BuildOptions::default())
            .map(|_| ())
            .unwrap_err()
    };
    fs::create_dir(dir.path().join("rootfs")).unwrap();
    assert_eq!(
        run(dir.path()).to_string(),
        "no image manifest found in layout"
    );
    fs::write(dir.path().join("manifest"), MANIFEST).unwrap();
    fs::write(dir.path().join("extra"), b"").unwrap();
    assert!(matches!(run(dir.path()), BuildError::Unrecognized(_)));
    fs::remove_file(dir.path().join("extra")).unwrap();
    fs::remove_dir(dir.path().join("rootfs")).unwrap();
    assert_eq!(run(dir.path()).to_string(), "no rootfs found in layout");
    std::os::unix::fs::symlink("/", dir.path().join("rootfs")).unwrap();
    assert_eq!(run(dir.path()).to_string(), "rootfs is not a directory");
}

#[test]
fn read_manifest_stops_early_on_manifest_first_images() {
    let (dir, _) = sample_layout();
    let (_, tar) = build(dir.path(), Vec::new(), &opts(Compression::Uncompressed)).unwrap();
    // The rest of the archive is cut off: a full pass fails, the early one does not.
    let head = &tar[..2048 + 100];
    assert!(matches!(validate(head), Err(AciError::Tar(_))));
    assert_eq!(read_manifest(head).unwrap(), MANIFEST);
}

#[test]
fn a_visitor_error_stops_the_pass() {
    let (dir, _) = sample_layout();
    let (built, image) = build(dir.path(), Vec::new(), &opts(Compression::Gzip)).unwrap();
    let mut count = 0;
    let mut visit = |e: &mut Entry<'_>| -> Result<(), VisitError> {
        count += 1;
        if e.path == Path::new("rootfs/bin/hello") {
            return Err("disk full".into());
        }
        Ok(())
    };
    let e = scan(&image[..], &mut visit).unwrap_err();
    assert_eq!(e.to_string(), "disk full");
    assert!(count < built.entries, "{count} of {}", built.entries);
}

/// An output that accepts a few bytes, then fails.
struct FailingOutput(usize);

impl std::io::Write for FailingOutput {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.0 < buf.len() {
            return Err(std::io::Error::other("device full"));
        }
        self.0 -= buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn output_errors_are_reported_for_every_compression() {
    let (dir, _) = sample_layout();
    let noise: Vec<u8> = (0..4_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    fs::write(dir.path().join("rootfs/noise"), &noise).unwrap();
    for c in Compression::ALL {
        let e = build(dir.path(), FailingOutput(1000), &opts(c))
            .map(|_| ())
            .unwrap_err();
        assert!(matches!(e, BuildError::Write(_)), "{c}: {e}");
        assert!(e.to_string().contains("device full"), "{c}: {e}");
    }
}

#[test]
fn skipping_the_id_writes_the_same_bytes() {
    let (dir, _) = sample_layout();
    let (with, a) = build(dir.path(), Vec::new(), &opts(Compression::Gzip)).unwrap();
    let o = BuildOptions {
        image_id: false,
        ..opts(Compression::Gzip)
    };
    let (without, b) = build(dir.path(), Vec::new(), &o).unwrap();
    assert_eq!(without.id, None);
    assert_eq!(
        a, b,
        "gzip output is deterministic and independent of hashing"
    );
    assert_eq!(Some(validate(&b[..]).unwrap().id), with.id);
}
