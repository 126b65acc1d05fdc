//! `proofmarket request` (in progress).

use clap::Args;

use crate::cli::ChainArgs;

/// `proofmarket request` arguments.
#[derive(Debug, Clone, Args)]
pub struct RequestArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
}

/// Runs the command.
pub async fn run(_args: RequestArgs) -> eyre::Result<()> {
    Err(eyre::eyre!("`proofmarket request` is not implemented yet"))
}
