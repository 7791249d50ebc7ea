//! Times the ACI reader and writer, for comparison with the reference `actool` and with
//! `gzip -dc` / `sha512sum` (run it under `hyperfine`, or read the printed timings).
//!
//! ```text
//! aci_bench validate FILE.aci
//! aci_bench manifest FILE.aci
//! aci_bench build LAYOUT_DIR OUT.aci [none|gzip|bzip2|xz|zstd] [LEVEL] [EPOCH] [noid]
//! ```

use std::error::Error;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use appc::aci::{self, BuildOptions, Compression};

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let started = Instant::now();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["validate", file] => {
            let s = aci::validate(File::open(file)?)?;
            println!(
                "{} {} entries={} tar_size={} manifest={}B",
                s.id,
                s.compression,
                s.entries,
                s.tar_size,
                s.manifest.len()
            );
        }
        ["manifest", file] => {
            let m = aci::read_manifest(File::open(file)?)?;
            io::stdout().write_all(&m)?;
            println!();
        }
        ["build", dir, out, rest @ ..] => {
            let compression = match rest.first() {
                Some(name) => Compression::from_name(name).ok_or("unknown compression")?,
                None => Compression::Gzip,
            };
            let opts = BuildOptions {
                compression,
                level: rest
                    .get(1)
                    .filter(|l| **l != "-")
                    .map(|l| l.parse())
                    .transpose()?,
                source_date_epoch: rest
                    .get(2)
                    .filter(|e| **e != "-")
                    .map(|e| e.parse())
                    .transpose()?,
                image_id: rest.get(3) != Some(&"noid"),
                ..BuildOptions::default()
            };
            let out = BufWriter::with_capacity(1 << 20, File::create(out)?);
            let (built, out) = aci::build(Path::new(dir), out, &opts)?;
            out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            let id = built
                .id
                .map_or_else(|| "-".to_string(), |id| id.to_string());
            println!("{id} entries={} tar_size={}", built.entries, built.tar_size);
        }
        _ => {
            return Err(
                "usage: aci_bench validate|manifest FILE | build DIR OUT [C] [LEVEL] [EPOCH]"
                    .into(),
            );
        }
    }
    eprintln!(
        "{:.3}s, peak RSS {} KiB",
        started.elapsed().as_secs_f64(),
        peak_rss_kib()
    );
    Ok(())
}

/// The process's peak resident set size, to show that memory does not grow with the image.
fn peak_rss_kib() -> i64 {
    // SAFETY: getrusage only writes into the zeroed struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above; RUSAGE_SELF is always valid.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } == 0 {
        usage.ru_maxrss
    } else {
        -1
    }
}
