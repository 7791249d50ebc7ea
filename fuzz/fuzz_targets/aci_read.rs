//! Any byte string given to the ACI reader yields a result or a typed error, never a panic,
//! and the early manifest reader agrees with the full pass on manifest-first images.
#![no_main]


use appc::aci::{self, Entry, VisitError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut visit = |e: &mut Entry<'_>| -> Result<(), VisitError> {
        // Read some of each entry, as an extractor would, to exercise partial reads.
        let mut buf = [0u8; 700];
        let _ = e.data.read(&mut buf)?;
        Ok(())
    };
    let full = aci::scan(data, &mut visit);
    let early = aci::read_manifest(data);
    if let Ok(s) = &full {
        assert!(s.tar_size as usize >= s.manifest.len());
        if let Ok(m) = &early {
            assert_eq!(m, &s.manifest);
        }
    }
});
