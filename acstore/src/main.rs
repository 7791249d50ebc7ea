//! `acstore`: parses arguments, calls the store library, prints.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use acstore::cli::{Cli, Command, ExportArgs, LsArgs};
use acstore::record::{FIELDS, ImageInfo};
use acstore::store::{ImportOptions, Store};
use anyhow::{Context, Result, bail};
use appc::aci::Compression;
use clap::{CommandFactory, Parser};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("acstore: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    if let Command::GenerateDocs { dir } = &cli.command {
        appc::cli_docs::generate(Cli::command(), dir).with_context(|| dir.display().to_string())?;
        return Ok(());
    }
    let dir = cli
        .store_dir
        .clone()
        .unwrap_or_else(acstore::layout::default_store_dir);
    let store =
        Store::open(&dir).with_context(|| format!("opening the store at {}", dir.display()))?;
    let mut out = BufWriter::new(io::stdout().lock());
    match cli.command {
        Command::Import(args) => {
            for file in &args.files {
                let opts = ImportOptions {
                    max_size: args.max_size,
                    source: source_of(file),
                };
                let imported = if file == Path::new("-") {
                    store.import(appc::fsutil::stdin_file()?, &opts)
                } else {
                    let f = File::open(file).with_context(|| file.display().to_string())?;
                    store.import(f, &opts)
                }
                .with_context(|| file.display().to_string())?;
                writeln!(out, "{}", imported.info.to_json())?;
                out.flush()?;
            }
        }
        Command::Ls(args) => ls(&store, &args, &mut out)?,
        Command::Find { reference } => {
            writeln!(out, "{}", store.resolve(&reference)?.record.id)?;
        }
        Command::CatManifest {
            pretty_print,
            reference,
        } => {
            let info = store.resolve(&reference)?;
            let bytes = store.manifest_bytes(&info.record.id)?;
            if pretty_print {
                let v: serde_json::Value =
                    serde_json::from_slice(&bytes).context("stored manifest")?;
                writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
            } else {
                out.write_all(&bytes)?;
                writeln!(out)?;
            }
        }
        Command::Export(args) => export(&store, &args)?,
        Command::Extract { reference, dest } => {
            let info = store.resolve(&reference)?;
            store.extract(&info.record.id, &dest)?;
        }
        Command::Render { reference, dest } => {
            let info = store.resolve(&reference)?;
            match dest {
                None => {
                    let tree = store.render(&info.record.id)?;
                    writeln!(out, "{}", tree.rootfs.display())?;
                }
                Some(dest) => store.render_to(&info.record.id, &dest)?,
            }
        }
        Command::Rm { references } => {
            let mut failed = false;
            for r in &references {
                match store
                    .resolve(r)
                    .and_then(|i| store.remove(&i.record.id).map(|_| i))
                {
                    Ok(i) => eprintln!(
                        "acstore: removed {} ({})",
                        i.record.id.short(),
                        i.record.name
                    ),
                    Err(e) => {
                        eprintln!("acstore: {e}");
                        failed = true;
                    }
                }
            }
            if failed {
                bail!("some images were not removed");
            }
        }
        Command::Gc { grace_period } => {
            let r = store.gc(grace_period)?;
            for id in &r.images {
                eprintln!("acstore: removed image {}", id.short());
            }
            eprintln!(
                "acstore: gc removed {} images, {} trees, {} leftovers",
                r.images.len(),
                r.trees.len(),
                r.debris
            );
        }
        Command::Verify { repair, references } => {
            let ids = references
                .iter()
                .map(|r| store.resolve(r).map(|i| i.record.id))
                .collect::<Result<Vec<_>, _>>()?;
            let r = store.verify(&ids, repair)?;
            for p in &r.problems {
                eprintln!("acstore: {p}");
            }
            eprintln!(
                "acstore: verified {} images: {} problems, {} repaired",
                r.checked,
                r.problems.len(),
                r.repaired
            );
            if !r.problems.is_empty() && r.repaired < r.problems.len() {
                bail!("the store has damaged objects (run acstore verify --repair)");
            }
        }
        Command::GenerateDocs { .. } => unreachable!("handled above"),
    }
    out.flush()?;
    Ok(())
}

fn source_of(file: &Path) -> Option<String> {
    if file == Path::new("-") {
        return None;
    }
    Some(
        std::fs::canonicalize(file)
            .unwrap_or_else(|_| file.to_path_buf())
            .display()
            .to_string(),
    )
}

fn ls(store: &Store, args: &LsArgs, out: &mut impl Write) -> Result<()> {
    let mut images = store.list()?;
    let key = args.sort.to_ascii_lowercase();
    if !FIELDS.contains(&key.as_str()) {
        bail!(
            "--sort {}: unknown field (one of {})",
            args.sort,
            FIELDS.join(",")
        );
    }
    images.sort_by_key(|i| sort_key(i, &key));
    if args.json {
        for i in &images {
            writeln!(out, "{}", i.to_json())?;
        }
        return Ok(());
    }
    let fields: Vec<String> = args.fields.iter().map(|f| f.to_ascii_lowercase()).collect();
    if let Some(bad) = fields.iter().find(|f| !FIELDS.contains(&f.as_str())) {
        bail!(
            "--fields {bad}: unknown field (one of {})",
            FIELDS.join(",")
        );
    }
    let rows: Vec<Vec<String>> = images
        .iter()
        .map(|i| {
            fields
                .iter()
                .map(|f| {
                    let v = i.field(f).unwrap_or_default();
                    if f == "id" && !args.full {
                        i.record.id.short().to_string()
                    } else {
                        v
                    }
                })
                .collect()
        })
        .collect();
    let header: Vec<String> = fields.iter().map(|f| f.to_ascii_uppercase()).collect();
    let widths: Vec<usize> = (0..fields.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].len())
                .chain([header[c].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in std::iter::once(&header).chain(rows.iter()) {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(v, w)| format!("{v:<w$}"))
            .collect();
        writeln!(out, "{}", line.join("  ").trim_end())?;
    }
    Ok(())
}

fn sort_key(i: &ImageInfo, key: &str) -> (String, i64) {
    match key {
        "importtime" => (String::new(), i.record.import_time),
        "lastused" => (String::new(), i.last_used),
        "size" => (String::new(), i.record.size as i64),
        _ => (i.field(key).unwrap_or_default(), 0),
    }
}

fn export(store: &Store, args: &ExportArgs) -> Result<()> {
    let info = store.resolve(&args.reference)?;
    let compression: Compression = args.compression.into();
    if args.output == Path::new("-") {
        let stdout = io::stdout();
        if stdout.is_terminal() {
            bail!("refusing to write an image to a terminal: use -o FILE or a pipe");
        }
        store.export(
            &info.record.id,
            BufWriter::with_capacity(1 << 20, appc::fsutil::stdout_file()?),
            compression,
        )?;
        return Ok(());
    }
    if args.output.exists() && !args.overwrite {
        bail!("{}: file exists (try --overwrite)", args.output.display());
    }
    let dir = args
        .output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut f =
        appc::fsutil::AtomicFile::new(&args.output).with_context(|| dir.display().to_string())?;
    store.export(
        &info.record.id,
        BufWriter::with_capacity(1 << 20, &mut *f),
        compression,
    )?;
    f.commit()
        .with_context(|| args.output.display().to_string())?;
    Ok(())
}
