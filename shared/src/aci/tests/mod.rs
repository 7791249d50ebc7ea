//! Behaviour tests for reading and writing ACIs: round trips, the reference tool, and a
//! hostile corpus built here.

mod hostile;
mod reference;
mod roundtrip;

use std::io::Write;

use sha2::{Digest, Sha512};
use tar::{EntryType, Header};

use crate::id::ImageId;

/// The image ID a byte string would have as a tar stream.
fn id_of(tar: &[u8]) -> ImageId {
    ImageId::from_digest(&Sha512::digest(tar).into())
}

/// A hand-made tar, with names written raw so that hostile ones survive.
#[derive(Default)]
struct RawTar(Vec<u8>);

impl RawTar {
    fn entry(mut self, name: &str, kind: EntryType, data: &[u8], link: &str) -> Self {
        self.header(name, kind, data.len() as u64, link);
        self.0.extend_from_slice(data);
        let pad = (512 - data.len() % 512) % 512;
        self.0.extend(std::iter::repeat_n(0, pad));
        self
    }

    fn header(&mut self, name: &str, kind: EntryType, size: u64, link: &str) {
        let mut h = Header::new_ustar();
        let u = h.as_ustar_mut().expect("ustar");
        u.name[..name.len()].copy_from_slice(name.as_bytes());
        u.linkname[..link.len()].copy_from_slice(link.as_bytes());
        h.set_entry_type(kind);
        h.set_mode(if kind.is_dir() { 0o755 } else { 0o644 });
        h.set_size(size);
        h.set_cksum();
        self.0.extend_from_slice(h.as_bytes());
    }

    fn file(self, name: &str, data: &[u8]) -> Self {
        self.entry(name, EntryType::Regular, data, "")
    }

    fn dir(self, name: &str) -> Self {
        self.entry(name, EntryType::Directory, b"", "")
    }

    /// A valid start: manifest and rootfs.
    fn good() -> Self {
        RawTar::default().file("manifest", MANIFEST).dir("rootfs/")
    }

    fn end(mut self) -> Vec<u8> {
        self.0.extend_from_slice(&[0; 1024]);
        self.0
    }
}

const MANIFEST: &[u8] =
    br#"{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/test"}"#;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}
