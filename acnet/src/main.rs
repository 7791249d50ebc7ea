//! `acnet`: parses the command line, calls the library, prints results.

mod cli;

use std::path::PathBuf;
use std::process::ExitCode;

use acnet::ops::{self, AddRequest, Paths};
use acnet::{Error, config, ports};
use clap::{CommandFactory, Parser};

use cli::{Cli, Cmd};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("acnet: {e:#}");
            let usage = e.downcast_ref::<Error>().is_some_and(Error::is_usage);
            ExitCode::from(if usage { 2 } else { 1 })
        }
    }
}

fn print_json(v: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(v)?);
    Ok(())
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let p = &cli.paths;
    let paths = Paths {
        data_dir: p.data_dir.clone(),
        config_dirs: vec![p.config_dir.clone(), p.vendor_config_dir.clone()],
        plugin_dirs: p
            .plugin_path
            .split(':')
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
            .collect(),
        nft_table: p.nft_table.clone(),
    };
    if !paths.nft_table.starts_with("acnet") {
        return Err(Error::Usage("--nft-table must start with \"acnet\"".into()).into());
    }
    match cli.command {
        Cmd::Add(a) => {
            let pod_ports = a
                .pod_ports
                .iter()
                .map(|s| ports::parse_pod_port(s))
                .collect::<Result<Vec<_>, _>>()
                .map_err(Error::from)?;
            let results = ops::add(
                &paths,
                &AddRequest {
                    pod: a.pod,
                    netns: a.netns,
                    nets: a.nets,
                    ports: a.ports,
                    pod_ports,
                },
            )?;
            for r in &results {
                print_json(r)?;
            }
        }
        Cmd::Del(a) => ops::del(&paths, &a.pod)?,
        Cmd::Check(a) => {
            ops::check(&paths, &a.pod)?;
            eprintln!("pod {}: networking in place", a.pod);
        }
        Cmd::Ls { json } => {
            let pods = ops::list(&paths)?;
            if json {
                for pod in &pods {
                    print_json(pod)?;
                }
            } else {
                eprintln!("{:<36}  {:<8}  {:<5}  NETWORKS", "POD", "STATUS", "NETNS");
                for pod in &pods {
                    let nets: Vec<String> = pod
                        .networks
                        .iter()
                        .map(|n| {
                            format!(
                                "{}({}){}",
                                n.name,
                                n.if_name,
                                n.ips.iter().map(|i| format!(" {i}")).collect::<String>()
                            )
                        })
                        .collect();
                    eprintln!(
                        "{:<36}  {:<8}  {:<5}  {}",
                        pod.pod,
                        pod.status,
                        if pod.netns_alive { "alive" } else { "gone" },
                        nets.join(", ")
                    );
                }
            }
        }
        Cmd::Gc => {
            let report = ops::gc(&paths)?;
            eprintln!(
                "removed networking of {} pod(s), freed {} stray lease(s)",
                report.pods.len(),
                report.leases.len()
            );
            print_json(&report)?;
        }
        Cmd::Networks => {
            for (name, source) in config::all_names(&paths.config_dirs) {
                print_json(&serde_json::json!({
                    "name": name,
                    "source": source.map(|s| s.display().to_string()).unwrap_or_else(|| "built-in".into()),
                }))?;
            }
        }
        Cmd::GenerateDocs { dir } => appc::cli_docs::generate(Cli::command(), &dir)?,
    }
    Ok(())
}
