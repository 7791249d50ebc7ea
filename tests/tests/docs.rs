//! The man pages and completions in man/ are what the tools' clap definitions generate, and
//! every tool's --help shows examples.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use appc_tests::{bin_dir, run, stderr, stdout};

const TOOLS: &[&str] = &["actool", "acstore", "acfetch", "acrun", "acnet"];

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for sub in ["", "completions"] {
        for e in fs::read_dir(dir.join(sub)).unwrap().flatten() {
            if e.file_type().unwrap().is_file() {
                let name = format!("{sub}/{}", e.file_name().to_string_lossy());
                out.insert(name, fs::read(e.path()).unwrap());
            }
        }
    }
    out
}

#[test]
fn man_pages_are_up_to_date() {
    let man = Path::new(env!("CARGO_MANIFEST_DIR")).join("../man");
    let committed = files(&man);
    let t = tempfile::tempdir().unwrap();
    let mut built = 0;
    for tool in TOOLS {
        let exe = bin_dir().join(tool);
        if !exe.exists() {
            continue;
        }
        built += 1;
        let o = run(std::process::Command::new(&exe)
            .arg("generate-docs")
            .arg(t.path()));
        assert!(o.status.success(), "{tool}: {}", stderr(&o));
    }
    assert!(built >= 2, "actool and acstore must be built");
    let generated = files(t.path());
    for (name, data) in &generated {
        assert!(
            committed.get(name) == Some(data),
            "man/{name} is stale or missing: run scripts/gen-docs"
        );
    }
}

#[test]
fn every_help_has_examples() {
    for tool in TOOLS {
        let exe = bin_dir().join(tool);
        if !exe.exists() {
            continue;
        }
        let o = run(std::process::Command::new(&exe).arg("--help"));
        assert!(o.status.success());
        assert!(
            stdout(&o).contains("Examples:"),
            "{tool} --help has no examples"
        );
    }
}
