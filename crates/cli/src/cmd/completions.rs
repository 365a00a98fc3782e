//! `pai-engine completions bash|zsh|fish`: shell completion scripts.

use std::io::Write;
use std::process::ExitCode;

/// The command's arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to complete in.
    #[arg(value_enum)]
    shell: Shell,
}

/// The shells there are scripts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Shell {
    /// Bash: `source <(pai-engine completions bash)`.
    Bash,
    /// Zsh: write it as `_pai-engine` into a directory of `$fpath`.
    Zsh,
    /// Fish: write it into `~/.config/fish/completions/pai-engine.fish`.
    Fish,
}

/// Prints the completion script of `command` for the shell.
pub fn run(args: &Args, mut command: clap::Command) -> anyhow::Result<ExitCode> {
    let shell = match args.shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let name = command.get_name().to_string();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, name, &mut script);
    match std::io::stdout().write_all(&script) {
        // a reader that stops early (`| head`) is not an error
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::Error::new(e).context("cannot write the completion script"))
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}
