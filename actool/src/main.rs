//! `actool`: parses arguments, runs the command, prints. Errors are one line on stderr naming
//! the file and the problem; the exit status is 1 for them and 2 for usage errors.

use std::io::{self, Write};
use std::process::ExitCode;

use actool::cli::{Cli, Command};
use actool::{build, discover, input, manifest, validate};
use anyhow::{Context, Result, anyhow};
use clap::{CommandFactory, Parser};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("actool: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let debug = cli.debug;
    let mut out = io::stdout().lock();
    match cli.command {
        Command::Build(args) => {
            let (built, warning) = build::run(&args, debug)?;
            if let Some(w) = warning {
                eprintln!("actool: {}: warning: {w}", args.dir.display());
            }
            if debug {
                let id = built.id.map(|i| i.to_string()).unwrap_or_default();
                eprintln!(
                    "actool: {}: built {id} ({} entries)",
                    args.out.display(),
                    built.entries
                );
            }
        }
        Command::Validate(args) => {
            let mut failed = false;
            for f in &args.files {
                match validate::validate(f, args.kind) {
                    Ok(v) => {
                        if let Some(w) = v.warning {
                            eprintln!("actool: {}: warning: {w}", f.display());
                        }
                        if debug {
                            eprintln!("actool: {}: {}", f.display(), v.kind.describe());
                        }
                    }
                    Err(e) => {
                        eprintln!("actool: {}: {e}", f.display());
                        failed = true;
                    }
                }
            }
            if failed {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::CatManifest(args) => {
            let bytes = manifest::cat(&args.aci, args.pretty_print)
                .with_context(|| args.aci.display().to_string())?;
            out.write_all(&bytes)?;
            out.write_all(b"\n")?;
        }
        Command::PatchManifest(args) => {
            manifest::patch(&args).with_context(|| args.input_aci.display().to_string())?;
        }
        Command::Discover(args) => {
            let client = discover::client(&args)?;
            for app in &args.apps {
                let d = discover::discover(&client, app, &args).with_context(|| app.clone())?;
                if args.json {
                    writeln!(out, "{}", serde_json::to_string_pretty(&d)?)?;
                } else {
                    out.write_all(discover::human(&d).as_bytes())?;
                }
            }
        }
        Command::ImageId(args) => {
            for f in &args.acis {
                let r = input::open(f).map_err(anyhow::Error::from);
                let scanned = r
                    .and_then(|r| appc::aci::validate(r).map_err(|e| anyhow!(e)))
                    .and_then(|s| {
                        // An archive whose manifest is invalid is not an image: say so rather
                        // than print an ID nothing will accept.
                        appc::schema::ImageManifest::from_slice(&s.manifest)
                            .map_err(|e| anyhow!("invalid ImageManifest: {e}"))?;
                        Ok(s)
                    })
                    .with_context(|| f.display().to_string())?;
                writeln!(out, "{}", scanned.id)?;
            }
        }
        Command::Version => {
            writeln!(
                out,
                "actool {}\nappc spec {}",
                env!("CARGO_PKG_VERSION"),
                appc::schema::AC_VERSION
            )?;
        }
        Command::GenerateDocs { dir } => {
            appc::cli_docs::generate(Cli::command(), &dir)
                .with_context(|| dir.display().to_string())?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
