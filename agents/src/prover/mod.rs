//! The prover agent (owned by the prover workstream; this is the initial hand-off only).

use clap::Args;

use crate::cli::{ChainArgs, KeyArgs};

/// `proofmarket prover` arguments.
#[derive(Debug, Clone, Args)]
pub struct ProverArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
    #[command(flatten)]
    pub key: KeyArgs,
    /// Prover config file (see agents/examples/prover.toml).
    #[arg(long, env = "PROOFMARKET_CONFIG")]
    pub config: Option<std::path::PathBuf>,
}

/// Runs the prover.
pub async fn run(_args: ProverArgs) -> eyre::Result<()> {
    Err(eyre::eyre!("`proofmarket prover` is not implemented yet"))
}
