//! The command line of `acrun` (every flag defined once, here).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Runs App Container pods from the image store, with its own pid 1 and no daemon.
#[derive(Debug, Parser)]
#[command(
    name = "acrun",
    version,
    after_help = "Examples:\n  acstore import app.aci | acrun run --net=host\n  acrun run example.com/app:1.0 --exec=/bin/sh -- -c 'echo hi' ---\n  acrun list --json\n  acrun status --wait UUID\n\nExit codes: the first failing app's code; 254 for acrun's own failures."
)]
pub struct Cli {
    /// Pod data directory (default /var/lib/appc/pods).
    #[arg(long, global = true, env = "ACRUN_DIR", value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Image store directory (as acstore's --store-dir).
    #[arg(long, global = true, env = "ACSTORE_DIR", value_name = "DIR")]
    pub store_dir: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs a pod of one or more images (or of image JSON lines on stdin) and waits for it.
    #[command(
        after_help = "Examples:\n  acrun run example.com/app:1.0\n  acstore import app.aci | acrun run --net=host\n  acrun run --volume data,kind=empty db.example.com/db web.example.com/web --exec=/bin/httpd -- -f ---\n  acrun run --pod-manifest pod.json\n\nExit status: the first failing app's; 254 for acrun's own failures."
    )]
    Run(RunArgs),
    /// Prepares a pod without starting it; prints its UUID.
    #[command(
        after_help = "Examples:\n  UUID=$(acrun prepare example.com/app)\n  acrun run-prepared $UUID"
    )]
    Prepare(RunArgs),
    /// Runs a prepared pod.
    RunPrepared {
        /// The pod's UUID (or a unique prefix).
        uuid: String,
        /// Grace period between SIGTERM and SIGKILL on stop.
        #[arg(long, default_value = "10s", value_parser = parse_duration_ms)]
        grace: u64,
    },
    /// Lists pods.
    List {
        /// JSON lines on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Prints a pod's state as JSON.
    Status {
        /// The pod.
        uuid: String,
        /// Wait until it exits.
        #[arg(long)]
        wait: bool,
    },
    /// Stops a running pod: SIGTERM, then SIGKILL after its grace period.
    #[command(after_help = "Examples:\n  acrun stop 6a0f5e1c\n  acrun stop --force 6a0f5e1c")]
    Stop {
        /// SIGKILL at once.
        #[arg(long)]
        force: bool,
        /// The pod.
        uuid: String,
    },
    /// Removes a pod that is not running.
    Rm {
        /// The pods.
        #[arg(required = true)]
        uuids: Vec<String>,
    },
    /// Removes exited pods older than the grace period.
    #[command(after_help = "Examples:\n  acrun gc\n  acrun gc --grace-period 0s")]
    Gc {
        /// Keep exited pods younger than this.
        #[arg(long, default_value = "30m", value_parser = parse_duration_ms)]
        grace_period: u64,
    },
    /// Runs a command inside a running app (its root, namespaces and capabilities).
    #[command(
        after_help = "Examples:\n  acrun enter 6a0f5e1c\n  acrun enter --app web 6a0f5e1c /bin/ps"
    )]
    Enter {
        /// The app (default: the pod's only app).
        #[arg(long)]
        app: Option<String>,
        /// The pod.
        uuid: String,
        /// Command and arguments (default /bin/sh).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        cmd: Vec<String>,
    },
    /// Prints a pod's reified manifest.
    CatManifest {
        /// The pod.
        uuid: String,
    },
    /// The pod's pid 1 (started by run; not for direct use).
    #[command(hide = true)]
    Init,
    /// Writes man pages and shell completions into DIR.
    #[command(hide = true)]
    GenerateDocs {
        /// Output directory.
        dir: PathBuf,
    },
}

/// Flags of `run` and `prepare`. Flags written after an image apply to that image only:
/// `--exec`, `--name`, `--user`, `--group`, `--working-dir`, `--set-env`, `--mount`,
/// `--readonly-rootfs`, `--caps-retain`, `--caps-remove`, `--memory`, `--cpu`; then
/// `-- ARGS ---` gives its arguments.
#[derive(Debug, Args, Clone, Default)]
pub struct RunArgs {
    /// A pod manifest to run instead of images.
    #[arg(long, value_name = "FILE")]
    pub pod_manifest: Option<PathBuf>,
    /// Volume `NAME,kind=host,source=PATH[,readOnly=true][,recursive=false]` or
    /// `NAME,kind=empty[,mode=0755][,uid=N][,gid=N]`.
    #[arg(long, value_name = "VOLUME")]
    pub volume: Vec<String>,
    /// Networks: `host`, `none`, or acnet network names (repeatable).
    #[arg(long, value_name = "NET", default_value = "none")]
    pub net: Vec<String>,
    /// Expose a port: `NAME:HOSTPORT` (through acnet).
    #[arg(long, value_name = "NAME:HOSTPORT")]
    pub port: Vec<String>,
    /// DNS server for /etc/resolv.conf (repeatable).
    #[arg(long, value_name = "IP")]
    pub dns: Vec<String>,
    /// The pod's hostname (default acrun-<uuid prefix>).
    #[arg(long)]
    pub hostname: Option<String>,
    /// Pass the host environment to the apps (the apps' own values win).
    #[arg(long)]
    pub inherit_env: bool,
    /// Read NAME=VALUE lines from FILE into every app's environment.
    #[arg(long, value_name = "FILE")]
    pub set_env_file: Vec<PathBuf>,
    /// Grace period between SIGTERM and SIGKILL.
    #[arg(long, default_value = "10s", value_parser = parse_duration_ms)]
    pub grace: u64,
    /// Connect stdin to the (single) app.
    #[arg(long)]
    pub interactive: bool,
    /// Write the pod UUID to FILE.
    #[arg(long, value_name = "FILE")]
    pub uuid_file_save: Option<PathBuf>,
    /// Copy each image's tree into the pod instead of overlayfs (slower; for filesystems
    /// where overlayfs cannot be used).
    #[arg(long)]
    pub no_overlay: bool,
    /// Do not serve the metadata service.
    #[arg(long)]
    pub no_metadata: bool,
    /// Default app flags for every image.
    #[command(flatten)]
    pub app: AppFlags,
    /// Images and their per-image flags.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "IMAGE"
    )]
    pub images: Vec<String>,
}

/// Flags that apply to one app (after its image) or, before any image, to all.
#[derive(Debug, Args, Clone, Default)]
pub struct AppFlags {
    /// Replace the image's command.
    #[arg(long)]
    pub exec: Option<String>,
    /// The pod app name (default from the image name).
    #[arg(long)]
    pub name: Option<String>,
    /// User (name, uid or /path).
    #[arg(long)]
    pub user: Option<String>,
    /// Group (name, gid or /path).
    #[arg(long)]
    pub group: Option<String>,
    /// Working directory.
    #[arg(long)]
    pub working_dir: Option<String>,
    /// NAME=VALUE for the environment (repeatable).
    #[arg(long, value_name = "NAME=VALUE")]
    pub set_env: Vec<String>,
    /// `volume=NAME,target=PATH`: mount a volume into the app.
    #[arg(long, value_name = "volume=NAME,target=PATH")]
    pub mount: Vec<String>,
    /// Mount the app's root read-only.
    #[arg(long)]
    pub readonly_rootfs: bool,
    /// Keep only these capabilities (comma separated).
    #[arg(long, value_delimiter = ',')]
    pub caps_retain: Vec<String>,
    /// Remove these capabilities from the default set (comma separated).
    #[arg(long, value_delimiter = ',')]
    pub caps_remove: Vec<String>,
    /// Seccomp: `mode=remove|retain[,errno=ENAME],SYSCALL,...` (default: a filter that
    /// blocks kernel-level calls with EPERM).
    #[arg(long)]
    pub seccomp: Option<String>,
    /// Memory limit (resource/memory, e.g. 512Mi).
    #[arg(long)]
    pub memory: Option<String>,
    /// CPU limit (resource/cpu, e.g. 500m).
    #[arg(long)]
    pub cpu: Option<String>,
}

/// Per-image flags, parsed from the words after an image.
#[derive(Debug, Parser, Clone, Default)]
#[command(name = "IMAGE", no_binary_name = true, disable_help_flag = true)]
pub struct ImageFlags {
    /// The flags.
    #[command(flatten)]
    pub app: AppFlags,
}

/// Parses `10s`, `500ms`, `2m`, `1h` or plain seconds into milliseconds.
pub fn parse_duration_ms(s: &str) -> Result<u64, String> {
    let (num, mult) = if let Some(n) = s.strip_suffix("ms") {
        (n, 1)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1000)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60_000)
    } else if let Some(n) = s.strip_suffix('h') {
        (n, 3_600_000)
    } else {
        (s, 1000)
    };
    num.parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("bad duration {s:?} (e.g. 10s, 500ms, 2m)"))
}

/// One image of a command line: its reference, its flags, and its arguments if given.
pub type ImageSpec = (String, ImageFlags, Option<Vec<String>>);

/// Splits the words after the global flags into images with their flags and arguments:
/// `IMAGE [FLAGS] [-- ARGS ---] IMAGE ...`.
pub fn split_images(words: &[String]) -> Result<Vec<ImageSpec>, String> {
    let mut out: Vec<(String, Vec<String>, Option<Vec<String>>)> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        if w == "--" {
            let cur = out.last_mut().ok_or("arguments (--) before any image")?;
            let mut args = Vec::new();
            i += 1;
            while i < words.len() && words[i] != "---" {
                args.push(words[i].clone());
                i += 1;
            }
            cur.2 = Some(args);
            i += 1;
            continue;
        }
        if w.starts_with("--") {
            let cur = out
                .last_mut()
                .ok_or_else(|| format!("unexpected flag {w}"))?;
            cur.1.push(w.clone());
            let boolean = w == "--readonly-rootfs";
            if !w.contains('=') && !boolean {
                let v = words
                    .get(i + 1)
                    .ok_or_else(|| format!("{w} needs a value"))?;
                cur.1.push(v.clone());
                i += 1;
            }
        } else {
            out.push((w.clone(), Vec::new(), None));
        }
        i += 1;
    }
    out.into_iter()
        .map(|(img, flags, args)| {
            let f = ImageFlags::try_parse_from(&flags).map_err(|e| format!("{img}: {e}"))?;
            Ok((img, f, args))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn images_flags_and_args() {
        let v = split_images(&w(&[
            "a",
            "--exec",
            "/bin/echo",
            "--user=5",
            "--",
            "x",
            "--y",
            "---",
            "b",
            "--readonly-rootfs",
        ]))
        .unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].1.app.exec.as_deref(), Some("/bin/echo"));
        assert_eq!(v[0].1.app.user.as_deref(), Some("5"));
        assert_eq!(v[0].2, Some(w(&["x", "--y"])));
        assert!(v[1].1.app.readonly_rootfs);
        assert!(split_images(&w(&["a", "--bogus=1"])).is_err());
        assert!(split_images(&w(&["--", "x"])).is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("10s"), Ok(10_000));
        assert_eq!(parse_duration_ms("250ms"), Ok(250));
        assert_eq!(parse_duration_ms("3"), Ok(3000));
        assert!(parse_duration_ms("x").is_err());
    }
}
