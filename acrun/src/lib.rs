//! `acrun`: the App Container pod executor, as a library (the `acrun` binary parses flags and
//! calls it).
//!
//! One `acrun run` is the pod's supervisor: it reifies the pod manifest, renders the images
//! (holding their trees), starts the pod's own pid 1 (`acrun init`, the same binary) in fresh
//! pid, mount, ipc, uts (and, unless `--net=host`, net) namespaces, serves the metadata
//! service, and waits. No daemon: a pod is its directory plus whether its lock is held.

pub mod caps;
pub mod cgroups;
pub mod cli;
pub mod error;
pub mod hmac;
pub mod init;
pub mod manage;
pub mod metadata;
pub mod mounts;
pub mod plan;
pub mod poddir;
pub mod prepare;
pub mod run;
pub mod seccomp;
pub mod spawn;
pub mod sys;
pub mod tty;
pub mod user;

pub use error::{Error, Result};

/// Exit code of acrun's own failures (as rkt's), distinct from the usual app codes.
pub const EXIT_ACRUN_FAILURE: u8 = 254;

/// The value of `container=` in every app's environment.
pub const EXECUTOR_NAME: &str = "acrun";

/// The PATH every app starts with (appc spec, executor section).
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
