//! `proofmarket sequencer` (in progress).

use clap::Args;

use crate::cli::ChainArgs;

/// `proofmarket sequencer` arguments.
#[derive(Debug, Clone, Args)]
pub struct SequencerArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
}

/// Runs the command.
pub async fn run(_args: SequencerArgs) -> eyre::Result<()> {
    Err(eyre::eyre!(
        "`proofmarket sequencer` is not implemented yet"
    ))
}
