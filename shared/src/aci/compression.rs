//! Sniffing the ACI container format, and codecs for every format we read and write.

use std::fmt;
use std::io::{self, BufReader, Read, Write};

/// How an ACI's tar stream is wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compression {
    /// A plain tar archive.
    Uncompressed,
    /// gzip; several concatenated members are one stream.
    Gzip,
    /// bzip2; several concatenated streams are one stream.
    Bzip2,
    /// xz; several concatenated streams are one stream.
    Xz,
    /// zstd; several concatenated frames are one stream.
    Zstd,
}

/// How many leading bytes [`Compression::sniff`] wants to see (it copes with fewer).
pub const SNIFF_LEN: usize = 512;

impl Compression {
    /// Every format, in the order they are tried.
    pub const ALL: [Compression; 5] = [
        Compression::Gzip,
        Compression::Bzip2,
        Compression::Xz,
        Compression::Zstd,
        Compression::Uncompressed,
    ];

    /// Identifies the format from the first bytes of a file; `None` if it is none we know.
    pub fn sniff(head: &[u8]) -> Option<Compression> {
        if head.starts_with(&[0x1f, 0x8b]) {
            Some(Compression::Gzip)
        } else if head.starts_with(b"BZh") {
            Some(Compression::Bzip2)
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
            Some(Compression::Xz)
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Compression::Zstd)
        } else if head.get(257..262) == Some(b"ustar") {
            Some(Compression::Uncompressed)
        } else {
            None
        }
    }

    /// The short lowercase name used on command lines and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Compression::Uncompressed => "tar",
            Compression::Gzip => "gzip",
            Compression::Bzip2 => "bzip2",
            Compression::Xz => "xz",
            Compression::Zstd => "zstd",
        }
    }

    /// Parses a name as printed by [`Compression::name`]; `none` also means uncompressed.
    pub fn from_name(name: &str) -> Option<Compression> {
        match name {
            "none" | "tar" => Some(Compression::Uncompressed),
            "gzip" | "gz" => Some(Compression::Gzip),
            "bzip2" | "bz2" => Some(Compression::Bzip2),
            "xz" => Some(Compression::Xz),
            "zstd" | "zst" => Some(Compression::Zstd),
            _ => None,
        }
    }

    /// The level used when the caller gives none.
    ///
    /// gzip defaults to 2: with parallel chunks it keeps `build` about 4x faster than the
    /// reference at ~11% more bytes than level 6, while zlib-rs's level 1 (a different, quick
    /// strategy) is no faster here and ~40% bigger (measurements in docs/aci.md).
    pub fn default_level(self) -> u32 {
        match self {
            Compression::Uncompressed => 0,
            Compression::Gzip => 2,
            Compression::Bzip2 => 6,
            // Preset 6 needs a ~94 MiB encoder; 3 keeps a build under our 64 MiB budget.
            Compression::Xz => 3,
            Compression::Zstd => 3,
        }
    }

    /// Wraps `input` (which must start at the compressed stream) in a decoder for this format.
    pub fn decoder<'a, R: Read + Send + 'a>(
        self,
        input: R,
    ) -> io::Result<Box<dyn Read + Send + 'a>> {
        Ok(match self {
            Compression::Uncompressed => Box::new(input),
            Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(input)),
            Compression::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(input)),
            Compression::Xz => Box::new(lzma_rust2::XzReader::new(
                BufReader::with_capacity(1 << 16, input),
                true,
            )),
            Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(input)?),
        })
    }

    /// Wraps `out` in a streaming encoder for this format at `level`.
    pub fn encoder<'a, W: Write + Send + 'a>(
        self,
        out: W,
        level: u32,
    ) -> io::Result<Encoder<'a, W>> {
        Ok(match self {
            Compression::Uncompressed => Encoder::Plain(out),
            Compression::Gzip => Encoder::Gzip(flate2::write::GzEncoder::new(
                out,
                flate2::Compression::new(level.min(9)),
            )),
            Compression::Bzip2 => Encoder::Bzip2(bzip2::write::BzEncoder::new(
                out,
                bzip2::Compression::new(level.clamp(1, 9)),
            )),
            Compression::Xz => Encoder::Xz(
                lzma_rust2::XzWriter::new(out, lzma_rust2::XzOptions::with_preset(level.min(9)))
                    .map_err(io::Error::other)?,
            ),
            Compression::Zstd => {
                let level = i32::try_from(level.min(22)).unwrap_or(3);
                Encoder::Zstd(zstd::stream::write::Encoder::new(out, level)?)
            }
        })
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A streaming encoder; call [`Encoder::finish`] to write the trailer and get `W` back.
pub enum Encoder<'a, W: Write> {
    /// No compression.
    Plain(W),
    /// gzip.
    Gzip(flate2::write::GzEncoder<W>),
    /// bzip2.
    Bzip2(bzip2::write::BzEncoder<W>),
    /// xz.
    Xz(lzma_rust2::XzWriter<W>),
    /// zstd.
    Zstd(zstd::stream::write::Encoder<'a, W>),
}

impl<W: Write> Encoder<'_, W> {
    /// Ends the compressed stream and returns the inner writer.
    pub fn finish(self) -> io::Result<W> {
        match self {
            Encoder::Plain(w) => Ok(w),
            Encoder::Gzip(e) => e.finish(),
            Encoder::Bzip2(e) => e.finish(),
            Encoder::Xz(e) => e.finish().map_err(io::Error::other),
            Encoder::Zstd(e) => e.finish(),
        }
    }
}

impl<W: Write> Write for Encoder<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Encoder::Plain(w) => w.write(buf),
            Encoder::Gzip(e) => e.write(buf),
            Encoder::Bzip2(e) => e.write(buf),
            Encoder::Xz(e) => e.write(buf),
            Encoder::Zstd(e) => e.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Encoder::Plain(w) => w.flush(),
            Encoder::Gzip(e) => e.flush(),
            Encoder::Bzip2(e) => e.flush(),
            Encoder::Xz(e) => e.flush(),
            Encoder::Zstd(e) => e.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_every_format_and_refuses_text() {
        let mut tar = vec![0u8; 512];
        tar[257..263].copy_from_slice(b"ustar\0");
        assert_eq!(Compression::sniff(&tar), Some(Compression::Uncompressed));
        assert_eq!(
            Compression::sniff(&[0x1f, 0x8b, 8]),
            Some(Compression::Gzip)
        );
        assert_eq!(Compression::sniff(b"BZh91AY"), Some(Compression::Bzip2));
        assert_eq!(
            Compression::sniff(&[0xfd, b'7', b'z', b'X', b'Z', 0]),
            Some(Compression::Xz)
        );
        assert_eq!(
            Compression::sniff(&[0x28, 0xb5, 0x2f, 0xfd]),
            Some(Compression::Zstd)
        );
        assert_eq!(Compression::sniff(b"{\"acKind\": \"ImageManifest\"}"), None);
        assert_eq!(Compression::sniff(&[]), None);
        // One byte short of the magic.
        assert_eq!(Compression::sniff(&tar[..261]), None);
    }

    #[test]
    fn every_codec_round_trips() {
        let data: Vec<u8> = (0..200_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        for c in Compression::ALL {
            let mut enc = c.encoder(Vec::new(), c.default_level()).unwrap();
            enc.write_all(&data).unwrap();
            let packed = enc.finish().unwrap();
            assert_eq!(
                Compression::sniff(&packed).unwrap_or(Compression::Uncompressed),
                c,
                "{c}"
            );
            let mut out = Vec::new();
            c.decoder(&packed[..])
                .unwrap()
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, data, "{c}");
        }
    }
}
