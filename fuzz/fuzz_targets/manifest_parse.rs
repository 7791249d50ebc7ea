//! Fuzzes manifest parsing: any bytes must give a manifest or a typed error, never a panic, and
//! what we write from a parsed manifest must read back (and write the same bytes again, for
//! image manifests). Writing
//! may refuse what reading tolerated (the reference reads a pod manifest without acVersion but
//! will not write one), so only a successful write is checked further.
#![no_main]

use appc::schema::{ImageManifest, PodManifest, detect_kind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = detect_kind(data);
    if let Ok(m) = ImageManifest::from_slice(data)
        && let Ok(bytes) = m.to_vec()
    {
        // Raw isolator values keep their source text, which the first write re-escapes as Go
        // does (`<` becomes `\u003c`); from then on writing is stable.
        let again = ImageManifest::from_slice(&bytes).expect("what we write we read");
        assert_eq!(again.to_vec().expect("and write again"), bytes);
    }
    if let Ok(p) = PodManifest::from_slice(data)
        && let Ok(bytes) = p.to_vec()
    {
        PodManifest::from_slice(&bytes).expect("what we write we read");
    }
});
