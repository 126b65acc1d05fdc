//! The `proofmarket` binary: parses the command line, sets up logging and hands over to the library.
//! Errors surface here as a readable `eyre` report and a non-zero exit code, never a panic.

use clap::Parser;
use proofmarket::cli::{Cli, Command};

#[tokio::main]
async fn main() -> eyre::Result<()> {
    let cli = Cli::parse();
    cli.log.init()?;
    match cli.command {
        Command::Prover(args) => proofmarket::prover::run(args).await,
        Command::Sequencer(args) => proofmarket::sequencer::run(args).await,
        Command::Request(args) => proofmarket::request::run(args).await,
        Command::Status(args) => proofmarket::status::run(args).await,
        Command::Deploy(args) => proofmarket::deploy::run(args).await,
        Command::Devnet(args) => proofmarket::devnet::run(args).await,
    }
}
