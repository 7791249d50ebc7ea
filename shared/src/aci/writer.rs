//! Writing an image layout directory (`DIR/manifest`, `DIR/rootfs/`) as a deterministic ACI.
//!
//! The tree walk and tar serialisation run on the calling thread, which also hashes the tar
//! stream; compression runs on other threads (gzip on several, as independent members).

use std::collections::HashMap;
use std::fs::{self, File, Metadata};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha512};
use tar::{EntryType, Header};

use super::compression::Compression;
use super::error::BuildError;
use super::reader::MANIFEST_MAX;
use super::xattr;
use crate::id::ImageId;

/// Bytes of tar stream per compression job (and per gzip member).
const CHUNK: usize = 1 << 20;

/// How to write the image.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Output format (default gzip).
    pub compression: Compression,
    /// Compression level; `None` for [`Compression::default_level`].
    pub level: Option<u32>,
    /// Sets every entry's mtime to this (negative values become 0), so a tree always gives
    /// the same image ID.
    pub source_date_epoch: Option<i64>,
    /// Records every entry as owned by 0:0.
    pub owner_root: bool,
    /// Compression threads for gzip; 0 means one per available core.
    pub threads: usize,
    /// Computes the image ID while writing (SHA-512 on a thread of its own). It costs about
    /// 0.25 s of CPU per 100 MB, so tools that do not print the ID can turn it off.
    pub image_id: bool,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            compression: Compression::Gzip,
            level: None,
            source_date_epoch: None,
            owner_root: false,
            threads: 0,
            image_id: true,
        }
    }
}

/// What [`build`] wrote.
#[derive(Debug, Clone)]
pub struct Built {
    /// The image ID of the written archive (`None` unless [`BuildOptions::image_id`]).
    pub id: Option<ImageId>,
    /// Entries written (PAX records not counted).
    pub entries: u64,
    /// Size of the uncompressed tar stream.
    pub tar_size: u64,
}

/// Writes the image layout at `layout` to `out`, returning what was written and `out`.
///
/// Entries: `manifest` first (0644, 0:0), then `rootfs/` and its tree depth-first, each
/// directory's children sorted by byte name. Memory stays constant in the image size.
pub fn build<W: Write + Send>(
    layout: &Path,
    out: W,
    opts: &BuildOptions,
) -> Result<(Built, W), BuildError> {
    let manifest_path = layout.join("manifest");
    let rootfs_path = layout.join("rootfs");
    check_layout(layout, &manifest_path, &rootfs_path)?;

    let level = opts
        .level
        .unwrap_or_else(|| opts.compression.default_level());
    let threads = match opts.threads {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    };
    std::thread::scope(|s| {
        let (tx, rx) = sync_channel::<Chunk>(threads * 2);
        // Used buffers come back here, so the stream reuses a few warm buffers instead of
        // faulting in fresh pages for every MiB.
        let (spare_tx, spare_rx) = sync_channel::<Vec<u8>>(threads * 4 + 8);
        let hash_spare = spare_tx.clone();
        let (hash_tx, hashing) = if opts.image_id {
            let (hash_tx, hash_rx) = sync_channel::<Chunk>(4);
            let hashing = s.spawn(move || {
                let mut hasher = Sha512::new();
                for chunk in hash_rx {
                    hasher.update(&chunk[..]);
                    recycle(chunk, &hash_spare);
                }
                <[u8; 64]>::from(hasher.finalize())
            });
            (Some(hash_tx), Some(hashing))
        } else {
            (None, None)
        };
        let stage = match opts.compression {
            Compression::Gzip if threads > 1 => {
                s.spawn(move || parallel_gzip(rx, out, level, threads, spare_tx))
            }
            c => s.spawn(move || serial(rx, out, c, level, spare_tx)),
        };
        let mut sink = TarSink {
            tx: Some(tx),
            hash_tx,
            buf: Vec::with_capacity(CHUNK),
            spare: spare_rx,
            total: 0,
        };
        let walked = {
            let mut w = Walker {
                tar: tar::Builder::new(&mut sink),
                opts,
                links: HashMap::new(),
                entries: 0,
            };
            w.write_all(&manifest_path, &rootfs_path)
                .and_then(|()| w.tar.finish().map_err(BuildError::Write))
                .map(|()| w.entries)
        };
        let flushed = walked.and_then(|n| sink.close().map(|()| n));
        // On a read error the sender is still open; the stage would wait for it forever.
        sink.tx = None;
        sink.hash_tx = None;
        let digest = hashing.map(|h| h.join());
        // Always join the stage: its error explains a broken channel better than ours.
        let staged = stage
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("compression thread panicked")));
        match (flushed, staged) {
            (Ok(entries), Ok(out)) => {
                let id = match digest {
                    Some(Ok(d)) => Some(ImageId::from_digest(&d)),
                    Some(Err(_)) => {
                        return Err(BuildError::Write(io::Error::other(
                            "hashing thread panicked",
                        )));
                    }
                    None => None,
                };
                Ok((
                    Built {
                        id,
                        entries,
                        tar_size: sink.total,
                    },
                    out,
                ))
            }
            (Err(BuildError::Write(_)), Err(e)) | (Ok(_), Err(e)) => Err(BuildError::Write(e)),
            (Err(e), _) => Err(e),
        }
    })
}

/// Checks an image layout directory as `build` does before writing anything: only `manifest`
/// (a regular file within [`MANIFEST_MAX`]) and `rootfs` (a directory, not a symlink to one).
/// The manifest's content is the caller's to validate.
pub fn validate_layout(layout: &Path) -> Result<(), BuildError> {
    check_layout(layout, &layout.join("manifest"), &layout.join("rootfs"))
}

/// The reference's layout rules, with symlinks not followed.
fn check_layout(layout: &Path, manifest: &Path, rootfs: &Path) -> Result<(), BuildError> {
    let read_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| BuildError::Read { path, source }
    };
    for entry in fs::read_dir(layout).map_err(read_err(layout))? {
        let entry = entry.map_err(read_err(layout))?;
        let name = entry.file_name();
        if name != "manifest" && name != "rootfs" {
            return Err(BuildError::Unrecognized(
                name.to_string_lossy().into_owned(),
            ));
        }
    }
    let m = match fs::symlink_metadata(manifest) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(BuildError::NoManifest),
        Err(e) => return Err(read_err(manifest)(e)),
    };
    if !m.is_file() {
        return Err(BuildError::ManifestNotFile);
    }
    if m.len() > MANIFEST_MAX {
        return Err(BuildError::ManifestTooLarge {
            limit: MANIFEST_MAX,
        });
    }
    match fs::symlink_metadata(rootfs) {
        Ok(r) if r.is_dir() => Ok(()),
        Ok(_) => Err(BuildError::RootfsNotDir),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(BuildError::NoRootfs),
        Err(e) => Err(read_err(rootfs)(e)),
    }
}

/// A piece of the tar stream, shared by the hashing thread and the output stage.
type Chunk = Arc<Vec<u8>>;

/// Receives the tar stream: counts it and cuts it into chunks for the hasher and the stage.
struct TarSink {
    tx: Option<SyncSender<Chunk>>,
    hash_tx: Option<SyncSender<Chunk>>,
    buf: Vec<u8>,
    spare: Receiver<Vec<u8>>,
    total: u64,
}

/// Hands a chunk's buffer back for reuse once its last user is done with it.
fn recycle(chunk: Chunk, spare: &SyncSender<Vec<u8>>) {
    if let Ok(mut v) = Arc::try_unwrap(chunk) {
        v.clear();
        let _ = spare.try_send(v);
    }
}

/// Why copying a file's data into the stream failed.
enum CopyError {
    /// Reading the file failed.
    Read(io::Error),
    /// The file had fewer bytes than `stat` said.
    Shrank,
    /// The output side failed.
    Write(io::Error),
}

impl TarSink {
    fn send(&mut self) -> io::Result<()> {
        let next = self
            .spare
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(CHUNK));
        let full = Arc::new(std::mem::replace(&mut self.buf, next));
        let broken = || io::Error::new(io::ErrorKind::BrokenPipe, "output stage stopped");
        if let Some(h) = &self.hash_tx {
            h.send(Arc::clone(&full)).map_err(|_| broken())?;
        }
        match &self.tx {
            Some(tx) => tx.send(full).map_err(|_| broken()),
            None => Err(io::Error::other("tar stream already closed")),
        }
    }

    /// Appends exactly `size` bytes of `file` and the padding to a block, reading straight
    /// into the chunk buffer (no intermediate copy, few large reads).
    fn copy_file(&mut self, file: &mut File, size: u64) -> Result<(), CopyError> {
        let mut left = size;
        while left > 0 {
            if self.buf.len() == CHUNK {
                self.send().map_err(CopyError::Write)?;
            }
            let want = left.min((CHUNK - self.buf.len()) as u64);
            let got = file
                .take(want)
                .read_to_end(&mut self.buf)
                .map_err(CopyError::Read)? as u64;
            if got < want {
                return Err(CopyError::Shrank);
            }
            self.total += got;
            left -= got;
        }
        let pad = (512 - size % 512) % 512;
        self.write_all(&[0; 512][..pad as usize])
            .map_err(CopyError::Write)
    }

    /// Sends the last partial chunk and hangs up so the stage can finish.
    fn close(&mut self) -> Result<(), BuildError> {
        if !self.buf.is_empty() {
            self.send().map_err(BuildError::Write)?;
        }
        self.tx = None;
        Ok(())
    }
}

impl Write for TarSink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = data.len().min(CHUNK - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        self.total += n as u64;
        if self.buf.len() == CHUNK {
            self.send()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// One streaming encoder fed in order (bzip2, xz, zstd, uncompressed, or single-thread gzip).
fn serial<W: Write + Send>(
    rx: Receiver<Chunk>,
    out: W,
    c: Compression,
    level: u32,
    spare: SyncSender<Vec<u8>>,
) -> io::Result<W> {
    let mut enc = c.encoder(out, level)?;
    for chunk in rx {
        enc.write_all(&chunk)?;
        recycle(chunk, &spare);
    }
    enc.finish()
}

/// Compresses chunks as independent gzip members on `threads` workers, written in order.
///
/// Concatenated members are one valid gzip stream (RFC 1952 §2.2); Go's reader and
/// `gzip -d` read them as one. Fixed chunk boundaries keep the output deterministic.
fn parallel_gzip<W: Write>(
    rx: Receiver<Chunk>,
    mut out: W,
    level: u32,
    threads: usize,
    spare: SyncSender<Vec<u8>>,
) -> io::Result<W> {
    let rx = Arc::new(Mutex::new(rx.into_iter().enumerate()));
    let (done_tx, done_rx) = sync_channel::<(usize, io::Result<Vec<u8>>)>(threads * 2);
    std::thread::scope(|s| {
        for _ in 0..threads {
            let rx = Arc::clone(&rx);
            let done_tx = done_tx.clone();
            let spare = spare.clone();
            s.spawn(move || {
                let mut out_buf = Vec::with_capacity(CHUNK);
                loop {
                    // The lock is held only to take the next job, keeping sequence numbers
                    // in the order of the stream.
                    let job = rx.lock().ok().and_then(|mut it| it.next());
                    let Some((seq, chunk)) = job else { return };
                    let packed = gzip_member(&chunk, level, std::mem::take(&mut out_buf));
                    recycle(chunk, &spare);
                    if done_tx.send((seq, packed)).is_err() {
                        return;
                    }
                    out_buf = Vec::with_capacity(CHUNK);
                }
            });
        }
        drop(done_tx);
        // Reorder: jobs finish out of order, but at most about `threads * 4` are in flight.
        let mut pending: HashMap<usize, Vec<u8>> = HashMap::new();
        let mut next = 0;
        let mut failed = None;
        for (seq, packed) in done_rx.iter() {
            if failed.is_some() {
                continue;
            }
            match packed {
                Ok(p) => {
                    pending.insert(seq, p);
                }
                Err(e) => {
                    failed = Some(e);
                    continue;
                }
            }
            while let Some(p) = pending.remove(&next) {
                if let Err(e) = out.write_all(&p) {
                    failed = Some(e);
                    break;
                }
                next += 1;
            }
        }
        match failed {
            Some(e) => Err(e),
            None => {
                if next == 0 {
                    // An empty stream still needs one (empty) member to be valid gzip.
                    out.write_all(&gzip_member(&[], level, Vec::new())?)?;
                }
                out.flush()?;
                Ok(out)
            }
        }
    })
}

fn gzip_member(data: &[u8], level: u32, buf: Vec<u8>) -> io::Result<Vec<u8>> {
    let mut enc = flate2::GzBuilder::new()
        .mtime(0)
        .write(buf, flate2::Compression::new(level.min(9)));
    enc.write_all(data)?;
    enc.finish()
}

/// Walks the layout and writes entries.
struct Walker<'a> {
    tar: tar::Builder<&'a mut TarSink>,
    opts: &'a BuildOptions,
    /// (dev, ino) of multiply-linked files already written, to their archive names.
    links: HashMap<(u64, u64), Vec<u8>>,
    entries: u64,
}

/// Fields of a header we fill in ourselves, before PAX overflow handling.
struct Meta {
    kind: EntryType,
    mode: u32,
    uid: u64,
    gid: u64,
    mtime: u64,
    size: u64,
    link: Option<Vec<u8>>,
    device: Option<(u32, u32)>,
    xattrs: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Walker<'_> {
    fn write_all(&mut self, manifest: &Path, rootfs: &Path) -> Result<(), BuildError> {
        let m = fs::symlink_metadata(manifest).map_err(|e| read_err(manifest, e))?;
        let meta = Meta {
            kind: EntryType::Regular,
            mode: 0o644,
            uid: 0,
            gid: 0,
            mtime: self.mtime(&m),
            size: m.len(),
            link: None,
            device: None,
            xattrs: Vec::new(),
        };
        let file = File::open(manifest).map_err(|e| read_err(manifest, e))?;
        self.append(b"manifest", &meta, Some((file, manifest)), true)?;
        self.walk(rootfs, b"rootfs".to_vec())
    }

    fn mtime(&self, m: &Metadata) -> u64 {
        let t = self.opts.source_date_epoch.unwrap_or_else(|| m.mtime());
        u64::try_from(t).unwrap_or(0)
    }

    /// Writes `path` (archive name `name`) and, for a directory, everything under it.
    fn walk(&mut self, path: &Path, name: Vec<u8>) -> Result<(), BuildError> {
        let m = fs::symlink_metadata(path).map_err(|e| read_err(path, e))?;
        let ft = m.file_type();
        let (uid, gid) = if self.opts.owner_root {
            (0, 0)
        } else {
            (u64::from(m.uid()), u64::from(m.gid()))
        };
        let mut meta = Meta {
            kind: EntryType::Regular,
            mode: m.mode() & 0o7777,
            uid,
            gid,
            mtime: self.mtime(&m),
            size: 0,
            link: None,
            device: None,
            xattrs: xattr::list(path).map_err(|e| read_err(path, e))?,
        };
        if ft.is_dir() {
            meta.kind = EntryType::Directory;
            let mut dir_name = name.clone();
            dir_name.push(b'/');
            self.append(&dir_name, &meta, None, false)?;
            let mut children: Vec<_> = fs::read_dir(path)
                .map_err(|e| read_err(path, e))?
                .map(|e| e.map(|e| e.file_name()))
                .collect::<Result<_, _>>()
                .map_err(|e| read_err(path, e))?;
            children.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
            for child in children {
                let mut child_name = name.clone();
                child_name.push(b'/');
                child_name.extend_from_slice(child.as_bytes());
                self.walk(&path.join(&child), child_name)?;
            }
            return Ok(());
        }
        if ft.is_file() {
            if m.nlink() > 1 {
                let key = (m.dev(), m.ino());
                if let Some(first) = self.links.get(&key) {
                    meta.kind = EntryType::Link;
                    meta.link = Some(first.clone());
                    return self.append(&name, &meta, None, false);
                }
                self.links.insert(key, name.clone());
            }
            meta.size = m.len();
            let file = File::open(path).map_err(|e| read_err(path, e))?;
            return self.append(&name, &meta, Some((file, path)), false);
        }
        if ft.is_symlink() {
            meta.kind = EntryType::Symlink;
            let target = fs::read_link(path).map_err(|e| read_err(path, e))?;
            meta.link = Some(target.as_os_str().as_bytes().to_vec());
        } else if ft.is_char_device() || ft.is_block_device() {
            meta.kind = if ft.is_char_device() {
                EntryType::Char
            } else {
                EntryType::Block
            };
            meta.device = Some(split_dev(m.rdev()));
        } else if ft.is_fifo() {
            meta.kind = EntryType::Fifo;
        } else {
            // Sockets belong to a running process, not an image.
            return Ok(());
        }
        self.append(&name, &meta, None, false)
    }

    /// Writes one entry, preceded by a PAX record when a field does not fit ustar.
    fn append(
        &mut self,
        name: &[u8],
        meta: &Meta,
        data: Option<(File, &Path)>,
        root_names: bool,
    ) -> Result<(), BuildError> {
        let mut pax: Vec<u8> = Vec::new();
        let mut h = Header::new_ustar();
        h.set_entry_type(meta.kind);
        h.set_mode(meta.mode);
        h.set_mtime(meta.mtime);
        if !set_name(&mut h, name) {
            pax_record(&mut pax, b"path", name);
        }
        for (id, key, set) in [
            (
                meta.uid,
                &b"uid"[..],
                Header::set_uid as fn(&mut Header, u64),
            ),
            (meta.gid, &b"gid"[..], Header::set_gid),
        ] {
            if id > 0o7777777 {
                pax_record(&mut pax, key, id.to_string().as_bytes());
                set(&mut h, 0);
            } else {
                set(&mut h, id);
            }
        }
        if meta.size > 0o77777777777 {
            pax_record(&mut pax, b"size", meta.size.to_string().as_bytes());
        }
        h.set_size(meta.size);
        if let Some(link) = &meta.link {
            match h.as_ustar_mut() {
                Some(u) if link.len() <= u.linkname.len() => {
                    u.linkname[..link.len()].copy_from_slice(link);
                }
                _ => pax_record(&mut pax, b"linkpath", link),
            }
        }
        if let Some((major, minor)) = meta.device {
            h.set_device_major(major).map_err(BuildError::Write)?;
            h.set_device_minor(minor).map_err(BuildError::Write)?;
        }
        if root_names && let Some(u) = h.as_ustar_mut() {
            u.uname[..4].copy_from_slice(b"root");
            u.gname[..4].copy_from_slice(b"root");
        }
        for (k, v) in &meta.xattrs {
            let mut key = b"SCHILY.xattr.".to_vec();
            key.extend_from_slice(k);
            pax_record(&mut pax, &key, v);
        }
        h.set_cksum();

        if !pax.is_empty() {
            let mut ph = Header::new_ustar();
            ph.set_entry_type(EntryType::XHeader);
            ph.set_mode(0o644);
            ph.set_mtime(meta.mtime);
            ph.set_size(pax.len() as u64);
            let mut pname = b"PaxHeaders/".to_vec();
            let base = name
                .rsplit(|&b| b == b'/')
                .find(|p| !p.is_empty())
                .unwrap_or(b"x");
            pname.extend_from_slice(&base[..base.len().min(80)]);
            set_name(&mut ph, &pname);
            ph.set_cksum();
            self.tar.append(&ph, &pax[..]).map_err(BuildError::Write)?;
        }
        match data {
            Some((mut file, path)) => {
                // With empty data, `append` writes the header alone; the data follows.
                self.tar
                    .append(&h, io::empty())
                    .map_err(BuildError::Write)?;
                self.tar
                    .get_mut()
                    .copy_file(&mut file, meta.size)
                    .map_err(|e| match e {
                        CopyError::Read(e) => read_err(path, e),
                        CopyError::Shrank => BuildError::FileShrank(path.to_path_buf()),
                        CopyError::Write(e) => BuildError::Write(e),
                    })?;
            }
            None => self
                .tar
                .append(&h, io::empty())
                .map_err(BuildError::Write)?,
        }
        self.entries += 1;
        Ok(())
    }
}

fn read_err(path: &Path, source: io::Error) -> BuildError {
    BuildError::Read {
        path: PathBuf::from(path),
        source,
    }
}

/// Stores `name` in the ustar name/prefix fields; false if it does not fit.
fn set_name(h: &mut Header, name: &[u8]) -> bool {
    let Some(u) = h.as_ustar_mut() else {
        return false;
    };
    if name.len() <= u.name.len() {
        u.name[..name.len()].copy_from_slice(name);
        return true;
    }
    // Split at a slash so that the prefix fits 155 bytes and the rest 100 (and is non-empty).
    let split = name
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'/' && i <= u.prefix.len() && name.len() - i - 1 <= u.name.len())
        .map(|(i, _)| i)
        .find(|&i| i + 1 < name.len());
    match split {
        Some(i) => {
            u.prefix[..i].copy_from_slice(&name[..i]);
            u.name[..name.len() - i - 1].copy_from_slice(&name[i + 1..]);
            true
        }
        None => {
            // The PAX `path` record carries the real name; keep a readable truncation here.
            let n = u.name.len();
            u.name.copy_from_slice(&name[..n]);
            false
        }
    }
}

/// Appends one PAX record, `"<len> <key>=<value>\n"`, where len counts the whole record.
fn pax_record(out: &mut Vec<u8>, key: &[u8], value: &[u8]) {
    let body = key.len() + value.len() + 3;
    let mut len = body + 1;
    while len != body + len.to_string().len() {
        len = body + len.to_string().len();
    }
    out.extend_from_slice(len.to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(key);
    out.push(b'=');
    out.extend_from_slice(value);
    out.push(b'\n');
}

/// Splits a Linux `dev_t` into major and minor numbers (glibc's encoding).
fn split_dev(dev: u64) -> (u32, u32) {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    (major as u32, minor as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pax_record_length_counts_itself() {
        let mut out = Vec::new();
        pax_record(&mut out, b"path", b"abc");
        assert_eq!(out, b"12 path=abc\n");
        let mut long = Vec::new();
        pax_record(&mut long, b"k", &[b'v'; 95]);
        let s = String::from_utf8(long).unwrap();
        let (len, _) = s.split_once(' ').unwrap();
        assert_eq!(len.parse::<usize>().unwrap(), s.len());
    }

    #[test]
    fn ustar_names_split_or_overflow() {
        let mut h = Header::new_ustar();
        let name = format!("rootfs/{}/{}", "d".repeat(120), "f".repeat(90));
        assert!(set_name(&mut h, name.as_bytes()));
        assert_eq!(h.path_bytes().as_ref(), name.as_bytes());
        let mut h = Header::new_ustar();
        assert!(!set_name(
            &mut h,
            format!("rootfs/{}", "x".repeat(300)).as_bytes()
        ));
    }

    #[test]
    fn device_numbers_split_like_glibc() {
        assert_eq!(split_dev(0x0103), (1, 3));
        assert_eq!(
            split_dev((259 << 8) | 5 | (0x12 << 12) << 8),
            (259, 5 | 0x1200)
        );
    }
}
