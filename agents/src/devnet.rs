//! `proofmarket devnet` (owned by the prover workstream; this is the initial hand-off only).

use clap::Args;

/// `proofmarket devnet` arguments.
#[derive(Debug, Clone, Args)]
pub struct DevnetArgs {
    /// Number of blocks to prove end to end.
    #[arg(long, default_value_t = 3)]
    pub blocks: u64,
}

/// Runs the devnet.
pub async fn run(_args: DevnetArgs) -> eyre::Result<()> {
    Err(eyre::eyre!("`proofmarket devnet` is not implemented yet"))
}
