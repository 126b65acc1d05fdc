//! `proofmarket devnet`: the whole system on one machine, end to end, on the stored-task market
//! ([`stored`]) or, with `--ledger`, on the one-word market ([`ledger`]).
//!
//! 1. Starts anvil (the repo's pinned binary from `node_modules`, else `anvil` on `PATH`) as a child
//!    process that is killed when the devnet returns (the `AnvilInstance` guard).
//! 2. Deploys every contract with [`crate::deploy::deploy`] (anvil account 0 deploys and is the
//!    sequencer; with `--ledger` the one-word market and its `LedgerRollup` too) and mints stake
//!    tokens to the provers (anvil accounts 1..=n).
//! 3. Starts one sequencer (HTTP API, block poster, chain monitor and rollup follower under a
//!    [`crate::supervisor::Supervisor`]) posting to the stored Rollup or the LedgerRollup, and
//!    `--provers` provers as in-process tokio tasks (`ProverService`s, or `LedgerProverService`s),
//!    each with its own key and its own SQLite file in a fresh temporary directory (removed on exit).
//! 4. Submits `--blocks × --txs-per-block` L2 transfers, signed with the circuits crate's devnet
//!    genesis keys, to the sequencer's `POST /tx`, one block's worth at a time; the sequencer builds
//!    and posts each block, which opens its root-proof task on L1.
//! 5. Waits until every block's task is proven on L1 (real Groth16 root proofs checked by the
//!    generated verifier) and finalized, logging progress, then reads the market's events and prints
//!    a summary table. A block not proven within `--timeout` seconds is an error (non-zero exit).
//!
//! What both modes share is in [`shared`].

use alloy::primitives::Address;
use clap::Args;

use crate::sequencer::route::{ProvingRoute, RouteError};

pub mod ledger;
mod ledger_summary;
mod shared;
pub mod stored;

pub use ledger::run_ledger_devnet;
pub use ledger_summary::{
    LedgerAssignment, LedgerBlockSummary, LedgerDevnetSummary, LedgerProof, LedgerProverSummary,
    LedgerTerms, render as render_ledger,
};
pub use stored::{
    AcceptedProof, BlockSummary, DevnetSummary, ProverSummary, TaskBudget, Terms, render,
    run_devnet,
};

/// Anvil's default mnemonic yields ten funded accounts: one deployer/sequencer, up to nine provers.
const MAX_PROVERS: usize = 9;

/// A devnet failure.
#[derive(Debug, thiserror::Error)]
pub enum DevnetError {
    #[error("[V001] invalid flag --{flag}: {reason}")]
    InvalidFlag { flag: &'static str, reason: String },
    #[error("[V002] cannot start anvil ({binary}): {reason}")]
    Anvil { binary: String, reason: String },
    #[error("[V003] the sequencer rejected transfer {from}->{to} nonce {nonce}: {reason}")]
    Rejected {
        from: u32,
        to: u32,
        nonce: u64,
        reason: String,
    },
    #[error("[V004] block {block} was not {what} within {secs} s")]
    Timeout {
        block: u64,
        what: &'static str,
        secs: u64,
    },
    #[error("[V005] prover {prover} stopped early: {reason}")]
    ProverStopped { prover: Address, reason: String },
    #[error("[V006] the sequencer stopped early: {reason}")]
    SequencerStopped { reason: String },
    #[error(
        "[V007] --mechanism {name} cannot run with --ledger: {reason}; the ledger devnet's provers serve {served}"
    )]
    UnservedOnLedger {
        name: String,
        reason: &'static str,
        served: String,
    },
}

/// `proofmarket devnet` arguments.
#[derive(Debug, Clone, Args)]
pub struct DevnetArgs {
    /// Number of blocks to prove end to end.
    #[arg(long, env = "PROOFMARKET_DEVNET_BLOCKS", default_value_t = 3)]
    pub blocks: u64,
    /// L2 transfers per block (a block of n transfers is a tree of 2n−1 proofs).
    #[arg(long, env = "PROOFMARKET_DEVNET_TXS_PER_BLOCK", default_value_t = 4)]
    pub txs_per_block: usize,
    /// Number of in-process provers (anvil accounts 1..=n), at most 9.
    #[arg(long, env = "PROOFMARKET_DEVNET_PROVERS", default_value_t = 3)]
    pub provers: usize,
    /// Seconds allowed for all blocks to be proven on L1 once the provers have started.
    #[arg(long, env = "PROOFMARKET_DEVNET_TIMEOUT", default_value_t = 300)]
    pub timeout: u64,
    /// Pin every block's root task to this mechanism instance (race, sealed-bid, sealed-bid-first,
    /// ascending, election-race, order-book, tree). Default: race, unless --qos is given.
    #[arg(long, env = "PROOFMARKET_MECHANISM", conflicts_with = "qos")]
    pub mechanism: Option<String>,
    /// Let the router choose each block's mechanism by this QoS profile: a persona (arbitrage,
    /// daily-rollup, cost-sensitive, rollup-block) or speed=…,cost=…,safety=…,censorship=….
    #[arg(long, env = "PROOFMARKET_QOS")]
    pub qos: Option<String>,
    /// Run on the one-word market instead (TaskLedger, its instances and router, a LedgerRollup):
    /// --mechanism and --qos then name the ledger's instances (race, sealed-bid, ascending,
    /// election-race, order-book) and its router.
    #[arg(long, env = "PROOFMARKET_DEVNET_LEDGER")]
    pub ledger: bool,
}

impl DevnetArgs {
    /// How the devnet's blocks are proven.
    pub fn route(&self) -> Result<ProvingRoute, RouteError> {
        match (&self.qos, &self.mechanism) {
            (Some(qos), _) => Ok(ProvingRoute::Qos(qos.parse()?)),
            (None, Some(name)) => Ok(ProvingRoute::Pinned(name.clone())),
            (None, None) => Ok(ProvingRoute::Pinned("race".into())),
        }
    }
}

impl Default for DevnetArgs {
    fn default() -> Self {
        Self {
            blocks: 3,
            txs_per_block: 4,
            provers: 3,
            timeout: 300,
            mechanism: None,
            qos: None,
            ledger: false,
        }
    }
}

fn validate(args: &DevnetArgs) -> Result<(), DevnetError> {
    if args.blocks == 0 {
        return Err(DevnetError::InvalidFlag {
            flag: "blocks",
            reason: "must be at least 1".into(),
        });
    }
    if args.txs_per_block == 0 || args.txs_per_block > 64 {
        return Err(DevnetError::InvalidFlag {
            flag: "txs-per-block",
            reason: format!("{} is outside 1..=64", args.txs_per_block),
        });
    }
    if args.provers == 0 || args.provers > MAX_PROVERS {
        return Err(DevnetError::InvalidFlag {
            flag: "provers",
            reason: format!("{} is outside 1..={MAX_PROVERS}", args.provers),
        });
    }
    if args.timeout == 0 {
        return Err(DevnetError::InvalidFlag {
            flag: "timeout",
            reason: "must be at least 1 second".into(),
        });
    }
    Ok(())
}

/// Runs the devnet (`--ledger`: on the one-word market) and prints its summary.
pub async fn run(args: DevnetArgs) -> eyre::Result<()> {
    let summary = if args.ledger {
        render_ledger(&run_ledger_devnet(&args).await?)
    } else {
        render(&run_devnet(&args).await?)
    };
    println!("{summary}");
    Ok(())
}
