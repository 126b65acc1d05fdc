//! `proofmarket status` (in progress).

use clap::Args;

use crate::cli::ChainArgs;

/// `proofmarket status` arguments.
#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
}

/// Runs the command.
pub async fn run(_args: StatusArgs) -> eyre::Result<()> {
    Err(eyre::eyre!("`proofmarket status` is not implemented yet"))
}
