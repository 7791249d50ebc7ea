//! Command-line argument types shared by the tools, so a flag that means the same thing in two
//! tools is defined once.

use clap::ValueEnum;

use crate::aci::Compression;

/// `--compression` of a written ACI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompressionArg {
    /// gzip, compressed on all cores.
    Gzip,
    /// bzip2.
    Bzip2,
    /// xz.
    Xz,
    /// zstd.
    Zstd,
    /// A plain tar.
    None,
}

impl From<CompressionArg> for Compression {
    fn from(c: CompressionArg) -> Compression {
        match c {
            CompressionArg::Gzip => Compression::Gzip,
            CompressionArg::Bzip2 => Compression::Bzip2,
            CompressionArg::Xz => Compression::Xz,
            CompressionArg::Zstd => Compression::Zstd,
            CompressionArg::None => Compression::Uncompressed,
        }
    }
}
