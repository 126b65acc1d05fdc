//! Errors of the prover service, with stable codes for logs and metrics.

use thiserror::Error;

/// Everything that can go wrong in the prover.
#[derive(Debug, Error)]
pub enum ProverError {
    /// The prover's SQLite store failed.
    #[error("[P001] prover store: {0}")]
    Store(String),
    /// The configuration is unusable.
    #[error("[P002] config: {0}")]
    Config(String),
    /// Block data could not be fetched from the sequencer or L1.
    #[error("[P003] fetching block {block}: {reason}")]
    Fetch {
        /// The block.
        block: u64,
        /// What failed.
        reason: String,
    },
    /// Block data does not match the on-chain commitment: never prove on it.
    #[error("[P004] block {block} data does not match its on-chain commitment: {reason}")]
    DataMismatch {
        /// The block.
        block: u64,
        /// Which check failed.
        reason: String,
    },
    /// Building or verifying a proof failed.
    #[error("[P005] proving: {0}")]
    Prove(String),
    /// A chain call failed.
    #[error("[P006] chain: {0}")]
    Chain(String),
    /// A submission was refused (decoded revert).
    #[error("[P007] submission of task {task_id} refused: {reason}")]
    Refused {
        /// The task.
        task_id: u64,
        /// The decoded revert.
        reason: String,
    },
}
