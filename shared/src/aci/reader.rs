//! The single streaming pass over an ACI: sniff, decompress, hash, check the layout, and hand
//! every entry to a visitor.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::io::{self, Cursor, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use tar::EntryType;

use super::compression::{Compression, SNIFF_LEN};
use super::error::{AciError, VisitError};
use super::guard::{EXTENSION_MAX, Guard};
use super::path::{clean, lossy};
use super::pipe;
use crate::id::ImageId;

/// The largest manifest we accept, in bytes.
///
/// Real manifests are a few KiB; the cap keeps a hostile archive from making us buffer
/// gigabytes. The entry is refused from its header size, before any of it is read.
pub const MANIFEST_MAX: u64 = 1 << 20;

/// One archive entry, as a [`Visitor`] sees it.
///
/// Its name has passed the layout checks; ownership and times have PAX overrides applied.
pub struct Entry<'a> {
    /// The cleaned name: `manifest`, `rootfs` or `rootfs/...`.
    pub path: &'a Path,
    /// The raw tar header (for device numbers and fields not lifted out here).
    pub header: &'a tar::Header,
    /// The entry type.
    pub kind: EntryType,
    /// Hardlinks: the cleaned target, checked to be an earlier entry under `rootfs/`.
    /// Symlinks: the target exactly as stored.
    pub link_name: Option<&'a Path>,
    /// Permission bits, including setuid/setgid/sticky.
    pub mode: u32,
    /// Numeric owner.
    pub uid: u64,
    /// Numeric group.
    pub gid: u64,
    /// Modification time in seconds since the epoch.
    pub mtime: i64,
    /// Size of the data in bytes.
    pub size: u64,
    /// Extended attributes from PAX `SCHILY.xattr.NAME` records, as (NAME, value).
    pub xattrs: &'a [(Vec<u8>, Vec<u8>)],
    /// The entry's data; what the visitor leaves unread is skipped (and still hashed).
    pub data: &'a mut dyn Read,
}

/// Receives every entry during the pass, in archive order.
///
/// Missing-manifest and missing-rootfs errors can only be known at the end, so a visitor that
/// writes something must treat it as provisional until the pass returns `Ok`.
pub trait Visitor {
    /// Called once per entry; an error stops the pass with [`AciError::Visitor`].
    fn visit(&mut self, entry: &mut Entry<'_>) -> Result<(), VisitError>;
}

impl<F: FnMut(&mut Entry<'_>) -> Result<(), VisitError>> Visitor for F {
    fn visit(&mut self, entry: &mut Entry<'_>) -> Result<(), VisitError> {
        self(entry)
    }
}

/// A visitor that ignores every entry.
pub struct NoVisit;

impl Visitor for NoVisit {
    fn visit(&mut self, _: &mut Entry<'_>) -> Result<(), VisitError> {
        Ok(())
    }
}

/// What a full pass found.
#[derive(Debug, Clone)]
pub struct Scanned {
    /// The manifest bytes, unparsed (the caller validates them).
    pub manifest: Vec<u8>,
    /// SHA-512 of the whole decompressed tar stream, trailing blocks included.
    pub id: ImageId,
    /// The container format that was detected.
    pub compression: Compression,
    /// Entries in the archive (PAX and GNU name records not counted).
    pub entries: u64,
    /// Size of the decompressed tar stream in bytes.
    pub tar_size: u64,
}

/// Reads a whole ACI once: decompressing on a second thread, hashing and checking here, and
/// calling `visitor` for each entry.
pub fn scan<R: Read + Send>(input: R, visitor: &mut dyn Visitor) -> Result<Scanned, AciError> {
    let (compression, input) = open(input)?;
    std::thread::scope(|s| {
        let (producer, mut consumer, hasher) = pipe::pipeline();
        s.spawn(move || match compression.decoder(input) {
            Ok(dec) => producer.run(dec),
            Err(e) => producer.run(FailingReader(Some(e))),
        });
        let hashing = s.spawn(move || hasher.run());
        let mut layout = Layout::default();
        let mut guarded = Guard::new(&mut consumer);
        let walked = walk(&mut guarded, &mut layout, visitor, false);
        let refused = guarded.refused;
        let walked = walked.and_then(|_| consumer.drain().map_err(tar_err));
        if let Err(e) = walked {
            return Err(blame(e, compression, consumer.take_failure(), refused));
        }
        let manifest = layout.finish()?;
        let entries = layout.entries;
        consumer.close();
        let (digest, tar_size) = hashing
            .join()
            .map_err(|_| AciError::Io(io::Error::other("hashing thread panicked")))?;
        Ok(Scanned {
            manifest,
            id: ImageId::from_digest(&digest),
            compression,
            entries,
            tar_size,
        })
    })
}

/// What [`check`] found.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The manifest bytes, unparsed.
    pub manifest: Vec<u8>,
    /// The container format that was detected.
    pub compression: Compression,
    /// Entries in the archive.
    pub entries: u64,
}

/// The layout checks of [`validate`] over the whole archive (decompressed to its end, so a
/// corrupt or truncated stream is found), without computing the image ID: validating needs no
/// hash, and SHA-512 is the most expensive stage of a pass.
pub fn check<R: Read + Send>(input: R) -> Result<Checked, AciError> {
    let (compression, input) = open(input)?;
    std::thread::scope(|s| {
        let (producer, consumer, hasher) = pipe::pipeline();
        drop(hasher);
        let mut consumer = consumer.without_hash();
        s.spawn(move || match compression.decoder(input) {
            Ok(dec) => producer.run(dec),
            Err(e) => producer.run(FailingReader(Some(e))),
        });
        let mut layout = Layout::default();
        let mut guarded = Guard::new(&mut consumer);
        let walked = walk(&mut guarded, &mut layout, &mut NoVisit, false);
        let refused = guarded.refused;
        let walked = walked.and_then(|_| consumer.drain().map_err(tar_err));
        if let Err(e) = walked {
            return Err(blame(e, compression, consumer.take_failure(), refused));
        }
        let manifest = layout.finish()?;
        consumer.close();
        Ok(Checked {
            manifest,
            compression,
            entries: layout.entries,
        })
    })
}

/// [`scan`] without a visitor: the image ID, manifest and layout check.
pub fn validate<R: Read + Send>(input: R) -> Result<Scanned, AciError> {
    scan(input, &mut NoVisit)
}

/// Returns the manifest, stopping as soon as it is read.
///
/// For our own (manifest-first) ACIs this reads a few blocks. Entries before the manifest are
/// checked; the rest of the archive is not, and no image ID is computed.
pub fn read_manifest<R: Read + Send>(input: R) -> Result<Vec<u8>, AciError> {
    let (compression, input) = open(input)?;
    let mut src = Guard::new(Tracking {
        inner: compression.decoder(input).map_err(AciError::Io)?,
        failure: None,
    });
    let mut layout = Layout::default();
    let walked = walk(&mut src, &mut layout, &mut NoVisit, true);
    let refused = src.refused;
    match walked {
        // Stopped early: rootfs may simply not have been reached yet.
        Ok(()) if layout.manifest.is_some() => layout.manifest.take().ok_or(AciError::NoManifest),
        Ok(()) => layout.finish(),
        Err(e) => Err(blame(e, compression, src.get_mut().failure.take(), refused)),
    }
}

/// Reads the first bytes, identifies the format and gives back a reader from the start.
fn open<R: Read + Send>(mut input: R) -> Result<(Compression, impl Read + Send), AciError> {
    let mut head = vec![0u8; SNIFF_LEN];
    let mut n = 0;
    while n < SNIFF_LEN {
        match input.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(AciError::Io(e)),
        }
    }
    head.truncate(n);
    let compression = Compression::sniff(&head).ok_or(AciError::UnknownFileType)?;
    Ok((compression, Cursor::new(head).chain(input)))
}

/// Sniffs the format of `input` and returns it with a reader of the decompressed tar stream,
/// for callers that need the raw stream itself (storing it, copying it) rather than a pass.
pub fn decompress<'a, R: Read + Send + 'a>(
    input: R,
) -> Result<(Compression, Box<dyn Read + Send + 'a>), AciError> {
    let (compression, input) = open(input)?;
    Ok((
        compression,
        compression.decoder(input).map_err(AciError::Io)?,
    ))
}

/// Replaces a tar-level error by its real cause: the decoder's error or the guard's refusal.
fn blame(
    e: AciError,
    compression: Compression,
    failure: Option<io::Error>,
    refused: Option<u64>,
) -> AciError {
    match (e, failure) {
        (AciError::Tar(_), _) if refused.is_some() => AciError::ExtensionTooLarge {
            size: refused.unwrap_or(0),
            limit: EXTENSION_MAX,
        },
        (AciError::Tar(_), Some(f)) if compression == Compression::Uncompressed => AciError::Io(f),
        (AciError::Tar(_), Some(f)) => AciError::Decompress {
            format: compression,
            message: f.to_string(),
        },
        (e, _) => e,
    }
}

fn tar_err(e: io::Error) -> AciError {
    AciError::Tar(e.to_string())
}

/// What the layout checks have seen so far.
#[derive(Default)]
struct Layout {
    seen: HashSet<Vec<u8>>,
    manifest: Option<Vec<u8>>,
    rootfs: bool,
    entries: u64,
}

impl Layout {
    /// Checks one cleaned name and records it.
    fn admit(&mut self, name: &[u8], kind: EntryType) -> Result<(), AciError> {
        match name {
            b"manifest" => {
                if !matches!(kind, EntryType::Regular | EntryType::Continuous) {
                    return Err(AciError::ManifestNotFile);
                }
            }
            b"rootfs" => {
                if !kind.is_dir() {
                    return Err(AciError::RootfsNotDir);
                }
                self.rootfs = true;
            }
            // The reference only tests the `rootfs` prefix, which lets `rootfsX` through.
            n if n.starts_with(b"rootfs/") => {}
            n => return Err(AciError::Unrecognized(lossy(n))),
        }
        if !self.seen.insert(name.to_vec()) {
            return Err(AciError::Duplicate(lossy(name)));
        }
        Ok(())
    }

    /// Checks a hardlink's target: under rootfs and already in the archive.
    fn check_link(&self, name: &[u8], raw_target: &[u8]) -> Result<Vec<u8>, AciError> {
        let target = clean(raw_target).map_err(|_| AciError::LinkOutsideRootfs {
            name: lossy(name),
            target: lossy(raw_target),
        })?;
        if !target.starts_with(b"rootfs/") {
            return Err(AciError::LinkOutsideRootfs {
                name: lossy(name),
                target: lossy(raw_target),
            });
        }
        if target == name || !self.seen.contains(&target) {
            return Err(AciError::LinkUnknownTarget {
                name: lossy(name),
                target: lossy(raw_target),
            });
        }
        Ok(target)
    }

    /// The end-of-archive checks, in the reference's order.
    fn finish(&mut self) -> Result<Vec<u8>, AciError> {
        let manifest = self.manifest.take().ok_or(AciError::NoManifest)?;
        if !self.rootfs {
            return Err(AciError::NoRootfs);
        }
        Ok(manifest)
    }
}

/// Walks the tar stream in `src`, checking names and calling the visitor.
fn walk<R: Read>(
    src: R,
    layout: &mut Layout,
    visitor: &mut dyn Visitor,
    stop_at_manifest: bool,
) -> Result<(), AciError> {
    let mut archive = tar::Archive::new(src);
    for entry in archive.entries().map_err(tar_err)? {
        let mut entry = entry.map_err(tar_err)?;
        let header = entry.header().clone();
        let kind = header.entry_type();
        if kind.is_pax_global_extensions() {
            continue;
        }
        let name = clean(&entry.path_bytes())?;
        if name.is_empty() {
            continue;
        }
        layout.admit(&name, kind)?;
        layout.entries += 1;

        let link_name = match (kind, entry.link_name_bytes()) {
            (EntryType::Link, Some(raw)) => Some(layout.check_link(&name, &raw)?),
            (EntryType::Link, None) => {
                return Err(AciError::LinkOutsideRootfs {
                    name: lossy(&name),
                    target: String::new(),
                });
            }
            (EntryType::Symlink, raw) => Some(raw.map(|r| r.into_owned()).unwrap_or_default()),
            _ => None,
        };

        let old = header.as_old();
        let mut mtime = i64::try_from(numeric(&old.mtime, header.mtime())?).unwrap_or(i64::MAX);
        let mut xattrs = Vec::new();
        if let Some(pax) = entry.pax_extensions().map_err(tar_err)? {
            for ext in pax {
                let ext = ext.map_err(tar_err)?;
                let key = ext.key_bytes();
                if let Some(attr) = key.strip_prefix(b"SCHILY.xattr.") {
                    xattrs.push((attr.to_vec(), ext.value_bytes().to_vec()));
                } else if key == b"mtime" {
                    let v = ext.value_bytes();
                    let whole = v.split(|&b| b == b'.').next().unwrap_or(v);
                    if let Some(t) = std::str::from_utf8(whole).ok().and_then(|s| s.parse().ok()) {
                        mtime = t;
                    }
                }
            }
        }
        let size = entry.size();
        let mode = numeric(&old.mode, header.mode().map(u64::from))? as u32;
        let uid = numeric(&old.uid, header.uid())?;
        let gid = numeric(&old.gid, header.gid())?;

        let is_manifest = name == b"manifest";
        let mut manifest_buf = Vec::new();
        if is_manifest {
            if size > MANIFEST_MAX {
                return Err(AciError::ManifestTooLarge {
                    limit: MANIFEST_MAX,
                });
            }
            entry.read_to_end(&mut manifest_buf).map_err(tar_err)?;
            if manifest_buf.len() as u64 != size {
                return Err(AciError::Tar(
                    "unexpected end of archive in manifest".into(),
                ));
            }
        }
        let mut manifest_reader: &[u8] = &manifest_buf;
        let data: &mut dyn Read = if is_manifest {
            &mut manifest_reader
        } else {
            &mut entry
        };
        let mut visible = Entry {
            path: Path::new(OsStr::from_bytes(&name)),
            header: &header,
            kind,
            link_name: link_name
                .as_deref()
                .map(|l| Path::new(OsStr::from_bytes(l))),
            mode,
            uid,
            gid,
            mtime,
            size,
            xattrs: &xattrs,
            data,
        };
        visitor.visit(&mut visible).map_err(AciError::Visitor)?;
        if is_manifest {
            layout.manifest = Some(manifest_buf);
            if stop_at_manifest {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// A numeric header field; blank (all NUL or space) reads as 0, as in Go's tar reader.
fn numeric(raw: &[u8], parsed: io::Result<u64>) -> Result<u64, AciError> {
    if raw.iter().all(|&b| b == 0 || b == b' ') {
        return Ok(0);
    }
    parsed.map_err(tar_err)
}

/// A reader that remembers the first error of the reader it wraps.
struct Tracking<R> {
    inner: R,
    failure: Option<io::Error>,
}

impl<R: Read> Read for Tracking<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            let msg = e.to_string();
            self.failure.get_or_insert(e);
            io::Error::other(msg)
        })
    }
}

/// A reader that fails once with a stored error, so a decoder that could not start reports
/// through the same path as one that fails later.
struct FailingReader(Option<io::Error>);

impl Read for FailingReader {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(self
            .0
            .take()
            .unwrap_or_else(|| io::Error::other("decoder failed to start")))
    }
}
