//! `proofmarket deploy` (in progress).

use clap::Args;

use crate::cli::ChainArgs;

/// `proofmarket deploy` arguments.
#[derive(Debug, Clone, Args)]
pub struct DeployArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
}

/// Runs the command.
pub async fn run(_args: DeployArgs) -> eyre::Result<()> {
    Err(eyre::eyre!("`proofmarket deploy` is not implemented yet"))
}
