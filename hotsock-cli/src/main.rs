//! The `hotsock` command-line tool: make keys, mint tokens and publish messages for a Hotsock installation,
//! and run a local Hotsock for development.
//!
//! A thin `main` over `run`: results go to stdout, diagnostics to stderr as `error: …` with the cause chain;
//! exit 0 on success, 1 on a runtime error, 2 on a usage error (clap's); a closed stdout pipe is not an
//! error.

mod decode;
mod demo;
mod keygen;
mod local;
mod publish;
mod settings;
mod token;

use std::io::Write as _;
use std::process::ExitCode;

use clap::{CommandFactory as _, Parser, Subcommand};

/// Make keys, mint tokens and publish messages for a Hotsock installation.
///
/// Configuration comes from the same HOTSOCK_* environment variables as the library (HOTSOCK_ISSUER_KEY_ID,
/// HOTSOCK_ISSUER_PRIVATE_KEY_FILE, …); flags override them. Keys are read from files or the environment,
/// never from flag values, which other users can see in `ps`.
#[derive(Debug, Parser)]
#[command(name = "hotsock", version = hotsock::VERSION, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Keygen(keygen::Args),
    Token(Box<token::Args>),
    Decode(decode::Args),
    Config(settings::Args),
    Publish(Box<publish::Args>),
    Local(local::Args),
    Demo(demo::Args),
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  hotsock completions bash > ~/.local/share/bash-completion/completions/hotsock\n  hotsock completions zsh > ~/.zfunc/_hotsock"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            #[allow(clippy::print_stderr, reason = "the one place errors are reported")]
            {
                eprintln!("error: {e:#}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match cli.command {
        Command::Keygen(args) => keygen::run(args, &mut stdout)?,
        Command::Token(args) => token::run(*args, &mut stdout)?,
        Command::Decode(args) => decode::run(args, &mut stdout)?,
        Command::Config(args) => settings::run(args, &mut stdout)?,
        Command::Publish(args) => publish::run(*args, &mut stdout)?,
        Command::Local(args) => local::run(args, &mut stdout)?,
        Command::Demo(args) => demo::run(args, &mut stdout)?,
        Command::Completions { shell } => {
            // generated into memory first: clap_complete panics on a failed write (a closed pipe)
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "hotsock", &mut script);
            stdout.write_all(&script)?;
        }
    }
    stdout.flush()?;
    Ok(())
}

/// A reader that went away (`hotsock token | head -c 10`) is not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}
