//! Man pages and shell completions generated from a tool's clap definition, so every flag is
//! described once.

use std::fs;
use std::io;
use std::path::Path;

use clap::Command;
use clap_complete::Shell;

/// Writes `<dir>/<tool>.1`, one `<dir>/<tool>-<sub>.1` per visible subcommand, and completions
/// for bash, zsh and fish under `<dir>/completions/`.
pub fn generate(cmd: Command, dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir.join("completions"))?;
    let mut cmd = cmd;
    cmd.build();
    let name = cmd.get_name().to_string();
    write_man(&cmd, &name, dir)?;
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        clap_complete::generate_to(shell, &mut cmd.clone(), &name, dir.join("completions"))?;
    }
    Ok(())
}

fn write_man(cmd: &Command, page: &str, dir: &Path) -> io::Result<()> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone().name(page.to_owned())).render(&mut buf)?;
    fs::write(dir.join(format!("{page}.1")), buf)?;
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        write_man(sub, &format!("{page}-{}", sub.get_name()), dir)?;
    }
    Ok(())
}
