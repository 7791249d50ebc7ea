//! Copies a tar stream block for block, replacing the data of one entry (the manifest).
//!
//! Every other byte passes through unchanged — PAX and GNU long-name records, xattrs, device
//! numbers, padding, trailing blocks — so patching a manifest changes nothing else in the image.

use std::io::{self, Read, Write};

const BLOCK: usize = 512;

/// Why the copy failed.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// Reading or writing failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The stream ended inside an entry.
    #[error("corrupt or truncated tar archive: {0}")]
    Corrupt(String),
    /// The manifest could not be replaced.
    #[error("{0}")]
    Replace(String),
    /// No `manifest` entry.
    #[error("no image manifest found in layout")]
    NoManifest,
}

/// Copies `input` to `output`; the data of the entry named `manifest` goes through `replace`,
/// whose result becomes the entry's new data (its header's size and checksum are rewritten).
pub fn copy_replacing_manifest(
    mut input: impl Read,
    mut output: impl Write,
    mut replace: impl FnMut(Vec<u8>) -> Result<Vec<u8>, String>,
) -> Result<(), CopyError> {
    let mut header = [0u8; BLOCK];
    let mut long_name: Option<Vec<u8>> = None;
    let mut pax_path: Option<Vec<u8>> = None;
    let mut found = false;
    loop {
        if !read_block(&mut input, &mut header)? {
            return if found {
                Ok(())
            } else {
                Err(CopyError::NoManifest)
            };
        }
        if header.iter().all(|&b| b == 0) {
            // End of archive: pass the zero blocks and anything after them through.
            output.write_all(&header)?;
            io::copy(&mut input, &mut output)?;
            return if found {
                Ok(())
            } else {
                Err(CopyError::NoManifest)
            };
        }
        let size = parse_size(&header[124..136])
            .ok_or_else(|| CopyError::Corrupt("bad size field".into()))?;
        let typ = header[156];
        let padded = size.div_ceil(BLOCK as u64) * BLOCK as u64;
        match typ {
            b'L' | b'x' => {
                // GNU long name / PAX header: read (bounded) to learn the next entry's name.
                if size > 1 << 20 {
                    return Err(CopyError::Corrupt("oversized extended header".into()));
                }
                let mut data = vec![0u8; padded as usize];
                input.read_exact(&mut data).map_err(truncated)?;
                output.write_all(&header)?;
                output.write_all(&data)?;
                data.truncate(size as usize);
                if typ == b'L' {
                    long_name = Some(data.split(|&b| b == 0).next().unwrap_or_default().to_vec());
                } else {
                    pax_path = pax_value(&data, b"path");
                }
                continue;
            }
            _ => {}
        }
        let name = pax_path
            .take()
            .or(long_name.take())
            .unwrap_or_else(|| ustar_name(&header));
        let is_manifest = matches!(typ, b'0' | 0 | b'7') && clean(&name) == b"manifest";
        if is_manifest && !found {
            found = true;
            let mut data = vec![0u8; padded as usize];
            input.read_exact(&mut data).map_err(truncated)?;
            data.truncate(size as usize);
            let new = replace(data).map_err(CopyError::Replace)?;
            write_size(&mut header[124..136], new.len() as u64);
            set_checksum(&mut header);
            output.write_all(&header)?;
            output.write_all(&new)?;
            let pad = (BLOCK - new.len() % BLOCK) % BLOCK;
            output.write_all(&vec![0u8; pad])?;
        } else {
            output.write_all(&header)?;
            let copied = io::copy(&mut (&mut input).take(padded), &mut output)?;
            if copied != padded {
                return Err(truncated(io::ErrorKind::UnexpectedEof.into()));
            }
        }
    }
}

fn truncated(e: io::Error) -> CopyError {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        CopyError::Corrupt("unexpected end of archive".into())
    } else {
        CopyError::Io(e)
    }
}

/// Reads one block; false at a clean end of stream.
fn read_block(r: &mut impl Read, buf: &mut [u8; BLOCK]) -> Result<bool, CopyError> {
    let mut n = 0;
    while n < BLOCK {
        match r.read(&mut buf[n..]) {
            Ok(0) if n == 0 => return Ok(false),
            Ok(0) => return Err(CopyError::Corrupt("unexpected end of archive".into())),
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(true)
}

/// The size field: octal, or base-256 when the high bit is set.
fn parse_size(f: &[u8]) -> Option<u64> {
    if f[0] & 0x80 != 0 {
        return f[1..].iter().try_fold(u64::from(f[0] & 0x7f), |acc, &b| {
            acc.checked_mul(256).map(|v| v + u64::from(b))
        });
    }
    let s: Vec<u8> = f
        .iter()
        .copied()
        .take_while(|&b| b != 0 && b != b' ')
        .skip_while(|&b| b == b' ')
        .collect();
    if s.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(std::str::from_utf8(&s).ok()?, 8).ok()
}

fn write_size(f: &mut [u8], size: u64) {
    let s = format!("{size:011o}\0");
    f.copy_from_slice(s.as_bytes());
}

fn set_checksum(h: &mut [u8; BLOCK]) {
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    let s = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(s.as_bytes());
}

fn ustar_name(h: &[u8; BLOCK]) -> Vec<u8> {
    let field =
        |r: std::ops::Range<usize>| h[r].split(|&b| b == 0).next().unwrap_or_default().to_vec();
    let name = field(0..100);
    if &h[257..262] == b"ustar" {
        let prefix = field(345..500);
        if !prefix.is_empty() {
            return [prefix, b"/".to_vec(), name].concat();
        }
    }
    name
}

/// A PAX record's value: records are `LEN KEY=VALUE\n`.
fn pax_value(data: &[u8], key: &[u8]) -> Option<Vec<u8>> {
    let mut rest = data;
    while !rest.is_empty() {
        let sp = rest.iter().position(|&b| b == b' ')?;
        let len: usize = std::str::from_utf8(&rest[..sp]).ok()?.parse().ok()?;
        if len <= sp || len > rest.len() {
            return None;
        }
        let rec = &rest[sp + 1..len];
        let rec = rec.strip_suffix(b"\n").unwrap_or(rec);
        if let Some(eq) = rec.iter().position(|&b| b == b'=')
            && &rec[..eq] == key
        {
            return Some(rec[eq + 1..].to_vec());
        }
        rest = &rest[len..];
    }
    None
}

/// `./manifest` and `manifest/` name the manifest too (Go's filepath.Clean).
fn clean(name: &[u8]) -> &[u8] {
    let n = name.strip_prefix(b"./").unwrap_or(name);
    n.strip_suffix(b"/").unwrap_or(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = appc::aci::tar::Builder::new(Vec::new());
        for (name, data) in entries {
            let mut h = appc::aci::tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn replaces_only_the_manifest() {
        let long = format!("rootfs/{}", "x".repeat(150));
        let input = tar_with(&[
            ("rootfs/a", b"aaa"),
            ("manifest", b"{old}"),
            (&long, b"long"),
        ]);
        let mut out = Vec::new();
        copy_replacing_manifest(&input[..], &mut out, |old| {
            assert_eq!(old, b"{old}");
            Ok(b"{new manifest}".to_vec())
        })
        .unwrap();
        let mut a = appc::aci::tar::Archive::new(&out[..]);
        let got: Vec<(String, Vec<u8>)> = a
            .entries()
            .unwrap()
            .map(|e| {
                let mut e = e.unwrap();
                let mut d = Vec::new();
                e.read_to_end(&mut d).unwrap();
                (e.path().unwrap().display().to_string(), d)
            })
            .collect();
        assert_eq!(got[1], ("manifest".to_string(), b"{new manifest}".to_vec()));
        assert_eq!(got[2].0, long);
        assert_eq!(out.len() % 512, 0);
    }

    #[test]
    fn missing_manifest_and_truncation_are_errors() {
        let input = tar_with(&[("rootfs/a", b"aaa")]);
        assert!(matches!(
            copy_replacing_manifest(&input[..], Vec::new(), Ok),
            Err(CopyError::NoManifest)
        ));
        let input = tar_with(&[("manifest", &[b'x'; 2000])]);
        let r = copy_replacing_manifest(&input[..1000], Vec::new(), Ok);
        assert!(matches!(r, Err(CopyError::Corrupt(_))), "{r:?}");
    }
}
