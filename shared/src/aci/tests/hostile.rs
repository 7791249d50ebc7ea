use tar::EntryType;

use super::{MANIFEST, RawTar, gzip, id_of};
use crate::aci::{AciError, Compression, EXTENSION_MAX, MANIFEST_MAX, read_manifest, validate};

fn refused(bytes: &[u8]) -> AciError {
    match validate(bytes) {
        Ok(s) => panic!("accepted a bad archive: {}", s.id),
        Err(e) => e,
    }
}

#[test]
fn garbage_and_empty_input_are_unknown_filetypes() {
    for input in [
        &b"this is not an image at all"[..],
        &[][..],
        &[0u8; 4096][..],
    ] {
        let e = refused(input);
        assert!(matches!(e, AciError::UnknownFileType), "{e}");
        assert_eq!(e.to_string(), "unknown image filetype");
    }
}

#[test]
fn corrupt_compressed_data_is_a_decompress_error_for_every_codec() {
    let magics: [(&[u8], Compression); 4] = [
        (&[0x1f, 0x8b, 8, 0], Compression::Gzip),
        (b"BZh9", Compression::Bzip2),
        (&[0xfd, b'7', b'z', b'X', b'Z', 0], Compression::Xz),
        (&[0x28, 0xb5, 0x2f, 0xfd], Compression::Zstd),
    ];
    for (magic, format) in magics {
        let mut bytes = magic.to_vec();
        bytes.extend((0..3000u32).map(|i| (i * 7 + 3) as u8));
        match refused(&bytes) {
            AciError::Decompress { format: f, .. } => assert_eq!(f, format),
            e => panic!("{format}: {e}"),
        }
    }
}

#[test]
fn truncated_gzip_and_truncated_tar_are_errors() {
    let mut big = RawTar::good();
    big = big.file("rootfs/data", &vec![7u8; 300_000]);
    let tar = big.end();
    let gz = gzip(&tar);
    let e = refused(&gz[..gz.len() / 2]);
    assert!(
        matches!(
            e,
            AciError::Decompress {
                format: Compression::Gzip,
                ..
            }
        ),
        "{e}"
    );
    let e = refused(&tar[..100_000]);
    assert!(matches!(e, AciError::Tar(_)), "{e}");
    assert!(
        e.to_string()
            .starts_with("corrupt or truncated tar archive"),
        "{e}"
    );
    // Cut inside a header block.
    let e = refused(&tar[..1024 + 200]);
    assert!(matches!(e, AciError::Tar(_)), "{e}");
}

#[test]
fn escaping_and_absolute_names_are_refused() {
    for name in ["../x", "rootfs/../../x", "rootfs/../manifest"] {
        let e = refused(&RawTar::good().file(name, b"x").end());
        assert!(matches!(e, AciError::ParentComponent(_)), "{name}: {e}");
    }
    let e = refused(&RawTar::good().file("/etc/passwd", b"x").end());
    assert!(matches!(e, AciError::AbsolutePath(_)), "{e}");
}

#[test]
fn symlinked_rootfs_is_refused() {
    let tar = RawTar::default()
        .file("manifest", MANIFEST)
        .entry("rootfs", EntryType::Symlink, b"", "/")
        .end();
    let e = refused(&tar);
    assert!(matches!(e, AciError::RootfsNotDir), "{e}");
    assert_eq!(e.to_string(), "rootfs is not a directory");
}

#[test]
fn duplicates_after_cleaning_are_refused() {
    let e = refused(
        &RawTar::good()
            .file("rootfs/a", b"1")
            .file("./rootfs//a", b"2")
            .end(),
    );
    assert_eq!(e.to_string(), "duplicate file entry in archive: rootfs/a");
    // The reference misses a second manifest; we do not.
    let e = refused(&RawTar::good().file("manifest", MANIFEST).end());
    assert_eq!(e.to_string(), "duplicate file entry in archive: manifest");
}

#[test]
fn names_outside_the_layout_are_refused_including_rootfs_prefix_lookalikes() {
    for name in ["rootfsX", "rootfs-evil/x", "etc/passwd"] {
        let e = refused(&RawTar::good().file(name, b"x").end());
        assert!(matches!(e, AciError::Unrecognized(_)), "{name}: {e}");
        assert!(
            e.to_string()
                .starts_with("unrecognized file path in layout")
        );
    }
}

#[test]
fn missing_manifest_or_rootfs_use_the_reference_wording() {
    let e = refused(&RawTar::default().dir("rootfs").end());
    assert_eq!(e.to_string(), "no image manifest found in layout");
    let e = refused(
        &RawTar::default()
            .file("manifest", MANIFEST)
            .file("rootfs/x", b"")
            .end(),
    );
    assert_eq!(e.to_string(), "no rootfs found in layout");
    let e = refused(&RawTar::default().dir("manifest").dir("rootfs").end());
    assert!(matches!(e, AciError::ManifestNotFile), "{e}");
}

#[test]
fn oversized_manifest_is_refused_from_its_header_without_reading_it() {
    // Only the header is present: reading the data would fail with a tar error instead.
    let mut t = RawTar::default();
    t.header("manifest", EntryType::Regular, MANIFEST_MAX + 1, "");
    let e = refused(&t.0);
    assert!(
        matches!(
            e,
            AciError::ManifestTooLarge {
                limit: MANIFEST_MAX
            }
        ),
        "{e}"
    );
    let e = read_manifest(&t.0[..]).unwrap_err();
    assert!(matches!(e, AciError::ManifestTooLarge { .. }), "{e}");
}

#[test]
fn oversized_extension_records_are_refused_before_buffering() {
    for kind in [EntryType::XHeader, EntryType::GNULongName] {
        let mut t = RawTar::good();
        t.header("PaxHeaders/x", kind, EXTENSION_MAX + 1, "");
        // No data follows: a parser that tried to buffer it would hit EOF instead.
        let e = refused(&gzip(&t.0));
        assert!(
            matches!(e, AciError::ExtensionTooLarge { .. }),
            "{kind:?}: {e}"
        );
    }
    // A PAX size record that overrides the header is followed correctly.
    let mut t = RawTar::good();
    let pax = b"16 size=1000000\n";
    t = t.entry("PaxHeaders/big", EntryType::XHeader, pax, "");
    t.header("rootfs/big", EntryType::Regular, 0, "");
    t.0.extend(std::iter::repeat_n(7u8, 1_000_448));
    let s = validate(&t.end()[..]).expect("PAX size honoured");
    assert_eq!(s.entries, 3);
}

#[test]
fn hardlinks_must_point_to_earlier_entries_inside_rootfs() {
    let link = |target: &str| {
        RawTar::good()
            .file("rootfs/a", b"x")
            .entry("rootfs/l", EntryType::Link, b"", target)
            .end()
    };
    for target in ["manifest", "../etc/passwd", "/etc/passwd", "rootfs"] {
        let e = refused(&link(target));
        assert!(
            matches!(e, AciError::LinkOutsideRootfs { .. }),
            "{target}: {e}"
        );
    }
    for target in ["rootfs/later", "rootfs/l"] {
        let e = refused(&link(target));
        assert!(
            matches!(e, AciError::LinkUnknownTarget { .. }),
            "{target}: {e}"
        );
    }
    let ok = validate(&link("./rootfs/a")[..]).expect("valid hardlink");
    assert_eq!(ok.entries, 4);
}

#[test]
fn tolerated_shapes_match_the_reference() {
    // Manifest last, `./` prefixes, a `.` entry, and no end-of-archive blocks.
    let t = RawTar::default()
        .dir("./")
        .dir("./rootfs/")
        .file("./rootfs/x", b"data")
        .file("./manifest", MANIFEST);
    let bare = t.0.clone();
    let s = validate(&bare[..]).expect("no end blocks");
    assert_eq!(s.manifest, MANIFEST);
    assert_eq!(s.entries, 3);
    assert_eq!(s.id, id_of(&bare));
    // Whatever follows the end blocks is part of the stream, and of the ID.
    let mut trailing = t.end();
    trailing.extend_from_slice(&[0; 9 * 512]);
    let s = validate(&trailing[..]).expect("trailing zeros");
    assert_eq!(s.id, id_of(&trailing));
    assert_eq!(s.tar_size, trailing.len() as u64);
}

#[test]
fn flipping_any_byte_of_a_small_image_never_panics() {
    let tar = RawTar::good()
        .file("rootfs/a", b"hello")
        .dir("rootfs/d/")
        .end();
    // Every byte of the gzip image; the tar's first two headers and the manifest block.
    let gz = gzip(&tar);
    for (image, span) in [(&gz, gz.len()), (&tar, 1536)] {
        for i in 0..span {
            let mut bad = image.clone();
            bad[i] ^= if i % 2 == 0 { 0x01 } else { 0x80 };
            let _ = validate(&bad[..]);
            let _ = read_manifest(&bad[..]);
        }
    }
}
