//! Fuzzes manifest parsing: any bytes must give a manifest or a typed error, never a panic, and
//! a manifest we accept must survive a write and re-read unchanged.
#![no_main]

use appc::schema::{ImageManifest, PodManifest, detect_kind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = detect_kind(data);
    if let Ok(m) = ImageManifest::from_slice(data) {
        let bytes = m.to_vec().expect("a parsed manifest writes");
        let again = ImageManifest::from_slice(&bytes).expect("what we write we read");
        assert_eq!(again, m);
    }
    if let Ok(p) = PodManifest::from_slice(data) {
        let bytes = p.to_vec().expect("a parsed pod manifest writes");
        PodManifest::from_slice(&bytes).expect("what we write we read");
    }
});
