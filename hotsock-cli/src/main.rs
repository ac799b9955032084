//! The `hotsock` command-line tool.

use std::process::ExitCode;

use clap::Parser;

/// Make keys, mint tokens and publish messages for a Hotsock installation.
#[derive(Debug, Parser)]
#[command(name = "hotsock", version = hotsock::VERSION, about)]
struct Cli {}

fn main() -> ExitCode {
    let _cli = Cli::parse();
    ExitCode::SUCCESS
}
