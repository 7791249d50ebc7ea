//! `acrun`: parses arguments, calls the library, prints.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use acrun::cli::{Cli, Command, RunArgs, split_images};
use acrun::prepare::{self, PodOptions};
use acrun::{EXIT_ACRUN_FAILURE, manage, poddir, run};
use acstore::store::Store;
use anyhow::{Context, Result};
use clap::{CommandFactory, Parser};

fn main() -> ExitCode {
    let cli = Cli::parse_from(default_to_run(std::env::args_os().collect()));
    if matches!(cli.command, Command::Init) {
        return ExitCode::from(acrun::init::main().clamp(0, 255) as u8);
    }
    match dispatch(cli) {
        Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
        Err(e) => {
            eprintln!("acrun: {e:#}");
            ExitCode::from(EXIT_ACRUN_FAILURE)
        }
    }
}

/// `acfetch IMAGE | acrun`: with no subcommand (only global options, if any) and image lines on
/// stdin, the command is `run`.
fn default_to_run(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let cmd = Cli::command();
    let names: Vec<&str> = cmd.get_subcommands().map(|c| c.get_name()).collect();
    let has_command = args.iter().skip(1).any(|a| {
        a.to_str().is_some_and(|a| {
            names.contains(&a) || matches!(a, "-h" | "--help" | "-V" | "--version")
        })
    });
    if !has_command && !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        args.push("run".into());
    }
    args
}

fn store(cli: &Cli) -> Result<Store> {
    let dir = cli
        .store_dir
        .clone()
        .unwrap_or_else(acstore::layout::default_store_dir);
    Store::open(&dir).with_context(|| format!("opening the store at {}", dir.display()))
}

fn prepare_pod(
    cli: &Cli,
    args: &RunArgs,
) -> Result<(
    acrun::poddir::PodDir,
    acstore::lock::Lock,
    Store,
    PodOptions,
)> {
    let dir = cli.dir.clone().unwrap_or_else(poddir::default_dir);
    let store = store(cli)?;
    let opts = PodOptions::from_args(args);
    opts.net_mode()?;
    let manifest = match &args.pod_manifest {
        Some(p) => {
            let bytes = std::fs::read(p).with_context(|| p.display().to_string())?;
            let m = appc::schema::PodManifest::from_slice(&bytes)
                .with_context(|| p.display().to_string())?;
            for a in m.apps.iter().flatten() {
                if a.image.id.is_none() {
                    anyhow::bail!(
                        "{}: app {} has no image id (not reified)",
                        p.display(),
                        a.name.as_str()
                    );
                }
            }
            m
        }
        None => {
            let mut words = args.images.clone();
            if words.is_empty() && !std::io::stdin().is_terminal() {
                words = prepare::images_from_lines(std::io::stdin().lock())?;
            }
            let images = split_images(&words).map_err(anyhow::Error::msg)?;
            prepare::manifest_from_args(&store, args, images)?
        }
    };
    let (pod, lock) = run::prepare(&dir, &manifest, &opts)?;
    if let Some(f) = &args.uuid_file_save {
        appc::fsutil::atomic_write(f, format!("{}\n", pod.uuid).as_bytes())
            .with_context(|| f.display().to_string())?;
    }
    Ok((pod, lock, store, opts))
}

fn dispatch(cli: Cli) -> Result<i32> {
    let dir = cli.dir.clone().unwrap_or_else(poddir::default_dir);
    let mut out = std::io::stdout().lock();
    match &cli.command {
        Command::Init => unreachable!("handled in main"),
        Command::GenerateDocs { dir } => {
            appc::cli_docs::generate(Cli::command(), dir)
                .with_context(|| dir.display().to_string())?;
        }
        Command::Run(args) => {
            let (pod, lock, store, opts) = prepare_pod(&cli, args)?;
            eprintln!("acrun: pod {}", pod.uuid);
            return Ok(run::run_prepared(
                &dir,
                &pod,
                lock,
                &store,
                &opts,
                args.interactive,
            )?);
        }
        Command::Prepare(args) => {
            let (pod, _lock, _, _) = prepare_pod(&cli, args)?;
            writeln!(out, "{}", pod.uuid)?;
        }
        Command::RunPrepared { uuid, grace } => {
            let pod = poddir::PodDir::find(&dir, uuid)?;
            let lock = pod.lock_exclusive()?;
            let (st, _) = pod.state()?;
            if st != poddir::State::Prepared && pod.state_file()?.state != "prepared" {
                anyhow::bail!("pod {} is {}, not prepared", pod.uuid, st.as_str());
            }
            let mut opts = run::options(&pod)?;
            opts.grace_ms = *grace;
            return Ok(run::run_prepared(
                &dir,
                &pod,
                lock,
                &store(&cli)?,
                &opts,
                false,
            )?);
        }
        Command::List { json } => {
            let pods = manage::list(&dir)?;
            if *json {
                for p in pods {
                    writeln!(out, "{p}")?;
                }
            } else {
                writeln!(out, "UUID\tSTATE\tAPPS\tEXIT")?;
                for p in pods {
                    let apps: Vec<&str> = p["apps"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|a| a["name"].as_str())
                        .collect();
                    writeln!(
                        out,
                        "{}\t{}\t{}\t{}",
                        p["uuid"].as_str().unwrap_or(""),
                        p["state"].as_str().unwrap_or(""),
                        apps.join(","),
                        p.get("exitCode").map(|c| c.to_string()).unwrap_or_default()
                    )?;
                }
            }
        }
        Command::Status { uuid, wait } => {
            let v = manage::status(&dir, uuid, *wait)?;
            writeln!(out, "{v}")?;
        }
        Command::Stop { force, uuid } => manage::stop(&dir, uuid, *force)?,
        Command::Rm { uuids } => {
            let mut failed = false;
            for u in uuids {
                if let Err(e) = manage::rm(&dir, u) {
                    eprintln!("acrun: rm {u}: {e}");
                    failed = true;
                }
            }
            if failed {
                return Ok(EXIT_ACRUN_FAILURE.into());
            }
        }
        Command::Gc { grace_period } => {
            for u in manage::gc(&dir, *grace_period)? {
                writeln!(out, "{}", serde_json::json!({ "uuid": u, "removed": true }))?;
            }
        }
        Command::Enter { app, uuid, cmd } => {
            return Ok(manage::enter(&dir, uuid, app.as_deref(), cmd)?);
        }
        Command::CatManifest { uuid } => {
            out.write_all(&manage::cat_manifest(&dir, uuid)?)?;
            writeln!(out)?;
        }
    }
    Ok(0)
}
