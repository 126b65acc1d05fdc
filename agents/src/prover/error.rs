//! Errors of the prover service, with stable codes for logs and metrics, and which of them the
//! supervisor must not retry ([`ProverError::is_fatal`]).

use thiserror::Error;

use crate::chain::ChainError;

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
    /// The RPC is not the deployment's chain: wrong chain id, or the contracts have no code there
    /// (a node reset without its state). Restarting cannot help.
    #[error("[P008] {0}")]
    WrongChain(ChainError),
    /// A submission was refused (decoded revert).
    #[error("[P007] submission of task {task_id} refused: {reason}")]
    Refused {
        /// The task.
        task_id: u64,
        /// The decoded revert.
        reason: String,
    },
}

impl ProverError {
    /// A startup check's failure: fatal when the chain is the wrong one, transient when the RPC is
    /// only unreachable.
    pub fn from_chain(e: ChainError) -> Self {
        match e {
            ChainError::WrongChainId { .. } | ChainError::NotDeployed { .. } => Self::WrongChain(e),
            other => Self::Chain(other.to_string()),
        }
    }

    /// Whether retrying cannot help: bad configuration or the wrong chain. Everything else (an RPC
    /// that dropped, a store that was busy, a proof that failed) is worth a restart with backoff,
    /// which resumes from the store.
    pub fn is_fatal(&self) -> bool {
        matches!(self, Self::Config(_) | Self::WrongChain(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_and_wrong_chain_are_fatal_rpc_trouble_is_not() {
        assert!(ProverError::Config("no rollup".into()).is_fatal());
        let wrong = ProverError::from_chain(ChainError::WrongChainId {
            url: "http://x".into(),
            expected: 1,
            actual: 2,
        });
        assert!(wrong.is_fatal());
        assert!(wrong.to_string().starts_with("[P008] [R003]"), "{wrong}");
        assert!(
            ProverError::from_chain(ChainError::NotDeployed {
                chain_id: 1,
                missing: "rollup".into()
            })
            .is_fatal()
        );
        let down = ProverError::from_chain(ChainError::Unreachable {
            url: "http://x".into(),
            reason: "connection refused".into(),
        });
        assert!(!down.is_fatal());
        assert!(!ProverError::Chain("eth_getLogs: connection reset".into()).is_fatal());
        assert!(!ProverError::Store("database is locked".into()).is_fatal());
    }
}
