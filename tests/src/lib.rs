//! Helpers for the workspace-level end-to-end tests: where the built tools are, and the
//! reference Go tools (built once from Debian's golang-github-appc-spec-dev) to compare with.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The directory holding the workspace's built binaries (`target/debug` for `cargo test`).
pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    // target/debug/deps/<test> -> target/debug
    exe.parent()
        .and_then(Path::parent)
        .expect("target dir")
        .to_path_buf()
}

/// The path of one of our tools, which `scripts/test` builds before the tests run.
pub fn tool(name: &str) -> PathBuf {
    let p = bin_dir().join(name);
    assert!(
        p.exists(),
        "{} is not built: run `cargo build --workspace --bins` (scripts/test does) before these tests",
        p.display()
    );
    p
}

/// A `Command` for one of our tools.
pub fn cmd(name: &str) -> Command {
    Command::new(tool(name))
}

/// The Go source tree of the reference implementation (Debian golang-github-appc-spec-dev).
pub const REFERENCE_GOPATH: &str = "/usr/share/gocode";

/// Builds (once, shared between test processes through a lock file) the reference tool `pkg`
/// (`actool` or `ace`) and returns its path.
pub fn reference_tool(pkg: &str) -> PathBuf {
    let dir = bin_dir().join("reference");
    fs::create_dir_all(&dir).expect("create reference dir");
    let lock = File::create(dir.join(".lock")).expect("lock file");
    lock.lock().expect("lock reference dir");
    let out = dir.join(pkg);
    if !out.exists() {
        let tmp = dir.join(format!(".{pkg}.tmp"));
        let gocache = dir.join("gocache");
        let status = Command::new("go")
            .args(["build", "-o"])
            .arg(&tmp)
            .arg(format!("github.com/appc/spec/{pkg}"))
            .env("GO111MODULE", "off")
            .env("GOPATH", REFERENCE_GOPATH)
            .env("GOCACHE", &gocache)
            .env("GOFLAGS", "-mod=mod")
            .status()
            .expect("run go (scripts/install-deps installs golang-go)");
        assert!(status.success(), "building the reference {pkg} failed");
        fs::rename(&tmp, &out).expect("install reference tool");
    }
    out
}

/// Runs a command and returns its output, failing the test if it could not start.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// Stderr of an output as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Stdout of an output as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Where the test data of the workspace lives.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
}

/// Whether the tests run as root (pods, mounts and device nodes need it).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}
