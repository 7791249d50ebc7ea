//! The command line, defined once for parsing, `--help`, man pages and completions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use acnet::ops::NetArg;

/// Gives pod network namespaces their networking and takes it away again, without a daemon.
#[derive(Debug, Parser)]
#[command(
    name = "acnet",
    version,
    after_help = "Examples:\n  \
  acnet add --pod 6a0f5e1c-1d2b-4c1e-9a59-3e0c1f2a4b5c --netns /run/netns/pod1\n  \
  acnet add --pod $UUID --netns /proc/$PID/ns/net --net default --port http:8080 --pod-port http:tcp:80\n  \
  acnet del --pod $UUID\n  \
  acnet ls --json\n  \
  acnet gc\n\n\
Exit status: 0 on success, 1 when acnet fails, 2 for usage errors."
)]
pub struct Cli {
    /// Locations.
    #[command(flatten)]
    pub paths: PathArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Cmd,
}

/// Locations, each overridable by flag or environment.
#[derive(Debug, Args)]
pub struct PathArgs {
    /// State directory (IPAM leases, pod records).
    #[arg(long, global = true, env = "ACNET_DATA_DIR", default_value = acnet::ops::DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
    /// Network configuration directory (CNI *.conf, *.conflist).
    #[arg(long, global = true, env = "ACNET_CONFIG_DIR", default_value = acnet::ops::DEFAULT_CONFIG_DIR)]
    pub config_dir: PathBuf,
    /// Vendor network configuration directory, searched after --config-dir.
    #[arg(long, global = true, env = "ACNET_VENDOR_CONFIG_DIR", default_value = acnet::ops::DEFAULT_VENDOR_CONFIG_DIR)]
    pub vendor_config_dir: PathBuf,
    /// CNI plugin directories, colon-separated, searched in order.
    #[arg(
        long,
        global = true,
        env = "ACNET_PLUGIN_PATH",
        default_value = acnet::ops::DEFAULT_PLUGIN_PATH
    )]
    pub plugin_path: String,
    /// nftables table (family inet) for masquerade and port forwards.
    #[arg(long, global = true, env = "ACNET_NFT_TABLE", default_value = "acnet")]
    pub nft_table: String,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Sets up the pod's networks and prints one CNI result per network (JSON lines).
    #[command(after_help = "Examples:\n  \
  acnet add --pod $UUID --netns /run/netns/pod1\n  \
  acnet add --pod $UUID --netns /run/netns/pod1 --net default-restricted --net mynet:IP=10.1.0.9\n  \
  acnet add --pod $UUID --netns /run/netns/pod1 --port 80-tcp:8080:127.0.0.1")]
    Add(AddArgs),
    /// Removes everything `add` did for the pod (addresses, links, rules, leases).
    #[command(after_help = "Example:\n  acnet del --pod $UUID")]
    Del(PodArgs),
    /// Checks that the pod's networking is still in place (CNI CHECK for CNI networks).
    #[command(after_help = "Example:\n  acnet check --pod $UUID")]
    Check(PodArgs),
    /// Lists pods with their networks and addresses.
    #[command(after_help = "Examples:\n  acnet ls\n  acnet ls --json")]
    Ls {
        /// Print JSON lines on stdout instead of a table on stderr.
        #[arg(long)]
        json: bool,
    },
    /// Removes the networking of pods whose network namespace no longer exists.
    #[command(after_help = "Example:\n  acnet gc")]
    Gc,
    /// Lists the networks that --net accepts (built-in and configured).
    #[command(after_help = "Example:\n  acnet networks")]
    Networks,
    /// Writes man pages and shell completions into DIR.
    #[command(hide = true)]
    GenerateDocs {
        /// Output directory.
        dir: PathBuf,
    },
}

/// `acnet add` arguments.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The pod's UUID.
    #[arg(long)]
    pub pod: String,
    /// Path of the pod's network namespace (a bind mount or /proc/PID/ns/net).
    #[arg(long)]
    pub netns: PathBuf,
    /// Network to join, NAME[:K=V;...] (repeatable; default: default). K=V become CNI_ARGS.
    #[arg(long = "net", value_name = "NAME[:K=V;...]")]
    pub nets: Vec<NetArg>,
    /// Forward a host port to the named pod port, NAME:HOSTPORT[:HOSTIP] (repeatable).
    #[arg(long = "port", value_name = "NAME:HOSTPORT[:HOSTIP]")]
    pub ports: Vec<String>,
    /// Declare a named pod port, NAME:tcp|udp:PORT (repeatable; names like 80-tcp need none).
    #[arg(long = "pod-port", value_name = "NAME:PROTO:PORT")]
    pub pod_ports: Vec<String>,
}

/// Arguments naming a pod; the others that `add` took are accepted and ignored, so `del` can
/// be called with the same arguments as `add`.
#[derive(Debug, Args)]
pub struct PodArgs {
    /// The pod's UUID.
    #[arg(long)]
    pub pod: String,
    /// Accepted for symmetry with add; the recorded namespace is used.
    #[arg(long)]
    pub netns: Option<PathBuf>,
    /// Accepted for symmetry with add; the recorded networks are used.
    #[arg(long = "net", value_name = "NAME[:K=V;...]")]
    pub nets: Vec<String>,
    /// Accepted for symmetry with add; the recorded forwards are used.
    #[arg(long = "port", value_name = "NAME:HOSTPORT[:HOSTIP]")]
    pub ports: Vec<String>,
    /// Accepted for symmetry with add.
    #[arg(long = "pod-port", value_name = "NAME:PROTO:PORT")]
    pub pod_ports: Vec<String>,
}
