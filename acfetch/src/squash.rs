//! Squashes OCI/Docker layers (gzip, zstd or plain tars) into one ACI tar: the manifest, then
//! `rootfs/` holding what a union of the layers shows, with whiteouts (`.wh.NAME`) and opaque
//! directories (`.wh..wh..opq`) applied.
//!
//! Two passes over the layer files: the first (top layer down, headers only) decides which
//! layer provides each path; the second (bottom up) copies just those entries, so parents
//! come before their children as in the original layers.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use appc::aci::Compression;

/// Why squashing failed.
#[derive(Debug, thiserror::Error)]
pub enum SquashError {
    /// A layer could not be read or the output written.
    #[error("layer {layer}: {error}")]
    Io {
        /// Index of the layer (0 = bottom), or the output.
        layer: String,
        /// The error.
        error: io::Error,
    },
    /// A layer is not in a known compression format.
    #[error("layer {0}: not a tar, gzip or zstd stream")]
    Format(usize),
}

const WHITEOUT: &str = ".wh.";
const OPAQUE: &str = ".wh..wh..opq";

/// Cleans an entry path: no leading `./` or `/`, no trailing `/`; `None` for the root itself
/// or paths escaping it.
fn clean(path: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for c in path.components() {
        match c {
            std::path::Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            std::path::Component::CurDir | std::path::Component::RootDir => {}
            _ => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

fn open_layer(
    file: &mut File,
    index: usize,
) -> Result<tar::Archive<Box<dyn Read + Send + '_>>, SquashError> {
    let io_err = |error| SquashError::Io {
        layer: index.to_string(),
        error,
    };
    file.seek(SeekFrom::Start(0)).map_err(io_err)?;
    let mut head = vec![0u8; appc::aci::SNIFF_LEN];
    let mut n = 0;
    while n < head.len() {
        match file.read(&mut head[n..]).map_err(io_err)? {
            0 => break,
            k => n += k,
        }
    }
    head.truncate(n);
    let compression = Compression::sniff(&head).ok_or(SquashError::Format(index))?;
    if !matches!(
        compression,
        Compression::Uncompressed | Compression::Gzip | Compression::Zstd
    ) {
        return Err(SquashError::Format(index));
    }
    file.seek(SeekFrom::Start(0)).map_err(io_err)?;
    let reader = compression.decoder(&mut *file).map_err(io_err)?;
    Ok(tar::Archive::new(reader))
}

fn hidden(path: &str, removed: &HashSet<String>, opaque: &HashSet<String>) -> bool {
    if removed.contains(path) {
        return true;
    }
    let mut p = path;
    while let Some((parent, _)) = p.rsplit_once('/') {
        if removed.contains(parent) || opaque.contains(parent) {
            return true;
        }
        p = parent;
    }
    opaque.contains("")
}

/// One entry of a layer, as far as squashing cares.
enum Item {
    /// A file, directory, link... at this path.
    Entry(String),
    /// `.wh.NAME`: this path of lower layers is deleted.
    Whiteout(String),
    /// `.wh..wh..opq`: the contents of this directory in lower layers are hidden.
    Opaque(String),
}

fn list_layer(file: &mut File, index: usize) -> Result<Vec<Item>, SquashError> {
    let io_err = |error| SquashError::Io {
        layer: index.to_string(),
        error,
    };
    let mut items = Vec::new();
    let mut archive = open_layer(file, index)?;
    for entry in archive.entries().map_err(io_err)? {
        let entry = entry.map_err(io_err)?;
        let Some(path) = clean(&entry.path().map_err(io_err)?) else {
            continue;
        };
        let (dir, base) = match path.rsplit_once('/') {
            Some((d, b)) => (d.to_string(), b.to_string()),
            None => (String::new(), path.clone()),
        };
        if base == OPAQUE {
            items.push(Item::Opaque(dir));
        } else if let Some(name) = base.strip_prefix(WHITEOUT) {
            items.push(Item::Whiteout(if dir.is_empty() {
                name.to_string()
            } else {
                format!("{dir}/{name}")
            }));
        } else {
            items.push(Item::Entry(path));
        }
    }
    Ok(items)
}

/// Writes `manifest` and the squashed `layers` (bottom first) as an uncompressed ACI to `out`.
pub fn squash(manifest: &[u8], layers: &mut [File], out: impl Write) -> Result<(), SquashError> {
    let out_err = |error| SquashError::Io {
        layer: "output".into(),
        error,
    };
    // Pass 1: what each layer holds (read in parallel), then which layer shows each path.
    let listings: Vec<Result<Vec<Item>, SquashError>> = std::thread::scope(|s| {
        let handles: Vec<_> = layers
            .iter_mut()
            .enumerate()
            .map(|(index, file)| s.spawn(move || list_layer(file, index)))
            .collect();
        handles
            .into_iter()
            .enumerate()
            .map(|(index, h)| {
                h.join().unwrap_or_else(|_| {
                    Err(SquashError::Io {
                        layer: index.to_string(),
                        error: io::Error::other("reading the layer panicked"),
                    })
                })
            })
            .collect()
    });
    let mut winner: HashMap<String, usize> = HashMap::new();
    let mut removed: HashSet<String> = HashSet::new();
    let mut opaque: HashSet<String> = HashSet::new();
    for (index, listing) in listings.into_iter().enumerate().rev() {
        let mut new_removed = Vec::new();
        let mut new_opaque = Vec::new();
        for item in listing? {
            match item {
                Item::Opaque(dir) => new_opaque.push(dir),
                Item::Whiteout(target) => new_removed.push(target),
                Item::Entry(path) => {
                    if !winner.contains_key(&path) && !hidden(&path, &removed, &opaque) {
                        winner.insert(path, index);
                    }
                }
            }
        }
        // A layer's whiteouts hide only what is below it.
        removed.extend(new_removed);
        opaque.extend(new_opaque);
    }

    // Pass 2: copy the winning entries, bottom layer first.
    let mut builder = tar::Builder::new(out);
    let mut header = tar::Header::new_gnu();
    header.set_size(manifest.len() as u64);
    header.set_mode(0o644);
    header.set_entry_type(tar::EntryType::Regular);
    builder
        .append_data(&mut header, "manifest", manifest)
        .map_err(out_err)?;
    let mut dir = tar::Header::new_gnu();
    dir.set_entry_type(tar::EntryType::Directory);
    dir.set_mode(0o755);
    dir.set_size(0);
    builder
        .append_data(&mut dir, "rootfs", io::empty())
        .map_err(out_err)?;
    for (index, layer) in layers.iter_mut().enumerate() {
        let io_err = |error| SquashError::Io {
            layer: index.to_string(),
            error,
        };
        let mut archive = open_layer(layer, index)?;
        for entry in archive.entries().map_err(io_err)? {
            let mut entry = entry.map_err(io_err)?;
            let Some(path) = clean(&entry.path().map_err(io_err)?) else {
                continue;
            };
            if winner.get(&path) != Some(&index) {
                continue;
            }
            let mut header = entry.header().clone();
            let target = PathBuf::from("rootfs").join(&path);
            if let Some(link) = entry.link_name().map_err(io_err)?
                && header.entry_type() == tar::EntryType::Link
            {
                let Some(link) = clean(&link) else { continue };
                builder
                    .append_link(&mut header, &target, Path::new("rootfs").join(link))
                    .map_err(out_err)?;
                continue;
            }
            if header.entry_type() == tar::EntryType::Symlink {
                let link = entry.link_name().map_err(io_err)?.unwrap_or_default();
                builder
                    .append_link(&mut header, &target, link)
                    .map_err(out_err)?;
                continue;
            }
            // PAX extensions (xattrs) of the entry are not carried over; the header is.
            builder
                .append_data(&mut header, &target, &mut entry)
                .map_err(out_err)?;
        }
    }
    builder
        .into_inner()
        .map_err(out_err)?
        .flush()
        .map_err(out_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(entries: &[(&str, Option<&str>)]) -> File {
        let mut b = tar::Builder::new(Vec::new());
        for (path, data) in entries {
            let mut h = tar::Header::new_gnu();
            match data {
                Some(d) => {
                    h.set_entry_type(tar::EntryType::Regular);
                    h.set_size(d.len() as u64);
                    h.set_mode(0o644);
                    b.append_data(&mut h, path, d.as_bytes()).unwrap();
                }
                None => {
                    h.set_entry_type(tar::EntryType::Directory);
                    h.set_size(0);
                    h.set_mode(0o755);
                    b.append_data(&mut h, path, io::empty()).unwrap();
                }
            }
        }
        let data = b.into_inner().unwrap();
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(&data).unwrap();
        f
    }

    #[test]
    fn whiteouts_and_opaque_dirs_hide_lower_entries() {
        let mut layers = vec![
            layer(&[
                ("etc/", None),
                ("etc/a", Some("a0")),
                ("etc/b", Some("b0")),
                ("var/", None),
                ("var/old", Some("x")),
                ("keep", Some("k")),
            ]),
            layer(&[
                ("etc/a", Some("a1")),
                ("etc/.wh.b", Some("")),
                ("var/.wh..wh..opq", Some("")),
            ]),
            layer(&[("var/new", Some("n"))]),
        ];
        let mut out = Vec::new();
        squash(b"{}", &mut layers, &mut out).unwrap();
        let mut files = HashMap::new();
        for e in tar::Archive::new(&out[..]).entries().unwrap() {
            let mut e = e.unwrap();
            let p = e.path().unwrap().to_string_lossy().into_owned();
            let mut s = String::new();
            e.read_to_string(&mut s).unwrap();
            files.insert(p, s);
        }
        assert_eq!(files["manifest"], "{}");
        assert_eq!(files["rootfs/etc/a"], "a1");
        assert_eq!(files["rootfs/keep"], "k");
        assert_eq!(files["rootfs/var/new"], "n");
        assert!(!files.contains_key("rootfs/etc/b"));
        assert!(!files.contains_key("rootfs/var/old"));
        assert!(files.keys().all(|k| !k.contains(".wh.")));
    }
}
