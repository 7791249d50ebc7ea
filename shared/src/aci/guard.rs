//! A tar block tracker in front of the tar parser, refusing oversized extension records
//! before they are read.
//!
//! The tar crate buffers PAX (`x`, `g`) and GNU long-name (`L`, `K`) records whole, so a
//! small compressed image could declare a multi-gigabyte record and exhaust memory. This
//! wrapper follows the header chain as the bytes flow past and fails the read as soon as such
//! a header appears.

use std::io::{self, Read};

/// The largest PAX or GNU long-name record we accept, in bytes.
pub const EXTENSION_MAX: u64 = 1 << 20;

const BLOCK: u64 = 512;

/// Wraps a tar stream; see the module docs.
pub struct Guard<R> {
    inner: R,
    pos: u64,
    next_header: u64,
    header: [u8; 512],
    filled: usize,
    /// Data of the PAX record being read, to find a `size` that overrides the next header.
    pax: Option<Vec<u8>>,
    pax_size: Option<u64>,
    /// Past the end marker, or lost track: stop looking (the tar parser reports what it finds).
    done: bool,
    /// Set when an oversized record was refused.
    pub refused: Option<u64>,
}

impl<R> Guard<R> {
    /// Starts tracking at the first header.
    pub fn new(inner: R) -> Self {
        Guard {
            inner,
            pos: 0,
            next_header: 0,
            header: [0; 512],
            filled: 0,
            pax: None,
            pax_size: None,
            done: false,
            refused: None,
        }
    }

    /// The wrapped reader.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// Follows the bytes `buf`, which start at stream offset `self.pos`.
    fn track(&mut self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() && !self.done {
            if self.pos < self.next_header {
                let n = (self.next_header - self.pos).min(buf.len() as u64) as usize;
                if let Some(pax) = &mut self.pax {
                    pax.extend_from_slice(&buf[..n]);
                }
                self.pos += n as u64;
                buf = &buf[n..];
                continue;
            }
            if let Some(pax) = self.pax.take() {
                self.pax_size = pax_size(&pax);
            }
            let n = (512 - self.filled).min(buf.len());
            self.header[self.filled..self.filled + n].copy_from_slice(&buf[..n]);
            self.filled += n;
            self.pos += n as u64;
            buf = &buf[n..];
            if self.filled == 512 {
                self.filled = 0;
                self.header_done()?;
            }
        }
        Ok(())
    }

    fn header_done(&mut self) -> io::Result<()> {
        if self.header.iter().all(|&b| b == 0) {
            self.done = true;
            return Ok(());
        }
        let Some(size) = parse_size(&self.header[124..136]) else {
            self.done = true;
            return Ok(());
        };
        let kind = self.header[156];
        let size = if matches!(kind, b'x' | b'g' | b'L' | b'K') {
            if size > EXTENSION_MAX {
                self.refused = Some(size);
                return Err(io::Error::other("tar extension record too large"));
            }
            if kind == b'x' {
                self.pax = Some(Vec::with_capacity(size as usize));
            }
            size
        } else {
            self.pax_size.take().unwrap_or(size)
        };
        let padded = size
            .checked_add(BLOCK - 1)
            .map(|s| s & !(BLOCK - 1))
            .and_then(|s| s.checked_add(self.pos));
        match padded {
            Some(next) => self.next_header = next,
            None => self.done = true,
        }
        Ok(())
    }
}

impl<R: Read> Read for Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.refused.is_some() {
            return Err(io::Error::other("tar extension record too large"));
        }
        let n = self.inner.read(buf)?;
        self.track(&buf[..n])?;
        Ok(n)
    }
}

/// A tar numeric field: octal, or base-256 when the high bit of the first byte is set.
fn parse_size(field: &[u8]) -> Option<u64> {
    if field[0] & 0x80 != 0 {
        let mut v: u64 = 0;
        for (i, &b) in field.iter().enumerate() {
            let b = if i == 0 { b & 0x7f } else { b };
            v = v.checked_mul(256)?.checked_add(u64::from(b))?;
        }
        return Some(v);
    }
    let text = std::str::from_utf8(field).ok()?;
    let text = text.trim_matches(|c| c == ' ' || c == '\0');
    if text.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(text, 8).ok()
}

/// The `size` record of PAX data, if any (the last one wins, as in the tar crate).
fn pax_size(data: &[u8]) -> Option<u64> {
    let mut found = None;
    let mut rest = data;
    while !rest.is_empty() {
        let space = rest.iter().position(|&b| b == b' ')?;
        let len: usize = std::str::from_utf8(&rest[..space]).ok()?.parse().ok()?;
        if len <= space || len > rest.len() {
            return found;
        }
        let record = &rest[space + 1..len];
        let record = record.strip_suffix(b"\n").unwrap_or(record);
        if let Some(v) = record.strip_prefix(b"size=") {
            found = std::str::from_utf8(v).ok().and_then(|s| s.parse().ok());
        }
        rest = &rest[len..];
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_octal_base256_and_pax_sizes() {
        assert_eq!(parse_size(b"00000001750\0"), Some(1000));
        assert_eq!(parse_size(b"\0\0\0\0\0\0\0\0\0\0\0\0"), Some(0));
        let mut b256 = [0u8; 12];
        b256[0] = 0x80;
        b256[11] = 5;
        b256[10] = 1;
        assert_eq!(parse_size(&b256), Some(261));
        assert_eq!(pax_size(b"12 path=abc\n15 size=123456\n"), Some(123456));
        assert_eq!(pax_size(b"12 path=abc\n"), None);
    }
}
