//! Typed chain events: a log is decoded by its emitting contract's role (from the deployment's
//! addresses) and its `topic0`, so that events with the same signature on different contracts
//! (`Withdrawn` on the task registry and on the rollup) are never confused.

use alloy::primitives::{Address, B256};
use alloy::rpc::types::Log;
use alloy::sol_types::SolEvent;
use proofmarket_bindings::{ProverRegistry, Rollup, TaskRegistry};

use super::addresses::Addresses;

/// Where a log came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LogMeta {
    pub address: Address,
    pub block_number: u64,
    pub block_hash: B256,
    pub tx_hash: B256,
    pub log_index: u64,
}

impl LogMeta {
    /// Reads the position fields of an RPC log; `None` for a pending log (no block yet).
    pub fn of(log: &Log) -> Option<Self> {
        Some(Self {
            address: log.address(),
            block_number: log.block_number?,
            block_hash: log.block_hash?,
            tx_hash: log.transaction_hash.unwrap_or_default(),
            log_index: log.log_index?,
        })
    }
}

/// A decoded event the agents act on. Logs of watched contracts that have no variant here arrive as
/// [`EventKind::Other`] with the raw log, for role-specific decoding (`log.log_decode::<T>()`).
#[derive(Debug, Clone)]
pub enum EventKind {
    // TaskRegistry
    TaskCreated(TaskRegistry::TaskCreated),
    ProverAssigned(TaskRegistry::ProverAssigned),
    ProverUnassigned(TaskRegistry::ProverUnassigned),
    ProofAccepted(TaskRegistry::ProofAccepted),
    TaskFulfilled(TaskRegistry::TaskFulfilled),
    AssignmentSlashed(TaskRegistry::AssignmentSlashed),
    TaskExpiredFinal(TaskRegistry::TaskExpiredFinal),
    TaskReopened(TaskRegistry::TaskReopened),
    TaskCancelled(TaskRegistry::TaskCancelled),
    TaskPayoutWithdrawn(TaskRegistry::Withdrawn),
    // ProverRegistry
    ProverRegistered(ProverRegistry::ProverRegistered),
    ProverSlashed(ProverRegistry::Slashed),
    // Rollup
    BlockPosted(Rollup::BlockPosted),
    BlockProofRequested(Rollup::BlockProofRequested),
    RootTaskFulfilled(Rollup::RootTaskFulfilled),
    RootTaskExpired(Rollup::RootTaskExpired),
    BlockFinalized(Rollup::BlockFinalized),
    BlocksPruned(Rollup::BlocksPruned),
    /// Any other log of a watched contract (mechanism events, admin events).
    Other,
}

/// One event with its position.
#[derive(Debug, Clone)]
pub struct ChainEvent {
    pub meta: LogMeta,
    pub kind: EventKind,
    /// The raw log (for [`EventKind::Other`] and for anything the typed variant leaves out).
    pub log: Log,
}

/// Which contract of the deployment emitted a log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    TaskRegistry,
    ProverRegistry,
    Rollup,
    Other,
}

fn role_of(addresses: &Addresses, address: Address) -> Role {
    if address == addresses.task_registry {
        Role::TaskRegistry
    } else if address == addresses.prover_registry {
        Role::ProverRegistry
    } else if addresses.rollup == Some(address)
        || addresses.ledger.as_ref().and_then(|l| l.rollup) == Some(address)
    {
        // A LedgerRollup emits the stored Rollup's events with the same signatures.
        Role::Rollup
    } else {
        Role::Other
    }
}

fn decode<E: SolEvent>(log: &Log) -> Option<E> {
    log.log_decode::<E>().ok().map(|decoded| decoded.inner.data)
}

/// Decodes a log of a watched contract. Returns `None` for a pending log or one whose topics do not
/// match the ABI of the event its `topic0` names (a malformed log is skipped, never a panic).
pub fn decode_log(addresses: &Addresses, log: Log) -> Option<ChainEvent> {
    let meta = LogMeta::of(&log)?;
    let topic0 = *log.topic0()?;
    let kind = match role_of(addresses, meta.address) {
        Role::TaskRegistry => match topic0 {
            TaskRegistry::TaskCreated::SIGNATURE_HASH => EventKind::TaskCreated(decode(&log)?),
            TaskRegistry::ProverAssigned::SIGNATURE_HASH => {
                EventKind::ProverAssigned(decode(&log)?)
            }
            TaskRegistry::ProverUnassigned::SIGNATURE_HASH => {
                EventKind::ProverUnassigned(decode(&log)?)
            }
            TaskRegistry::ProofAccepted::SIGNATURE_HASH => EventKind::ProofAccepted(decode(&log)?),
            TaskRegistry::TaskFulfilled::SIGNATURE_HASH => EventKind::TaskFulfilled(decode(&log)?),
            TaskRegistry::AssignmentSlashed::SIGNATURE_HASH => {
                EventKind::AssignmentSlashed(decode(&log)?)
            }
            TaskRegistry::TaskExpiredFinal::SIGNATURE_HASH => {
                EventKind::TaskExpiredFinal(decode(&log)?)
            }
            TaskRegistry::TaskReopened::SIGNATURE_HASH => EventKind::TaskReopened(decode(&log)?),
            TaskRegistry::TaskCancelled::SIGNATURE_HASH => EventKind::TaskCancelled(decode(&log)?),
            TaskRegistry::Withdrawn::SIGNATURE_HASH => {
                EventKind::TaskPayoutWithdrawn(decode(&log)?)
            }
            _ => EventKind::Other,
        },
        Role::ProverRegistry => match topic0 {
            ProverRegistry::ProverRegistered::SIGNATURE_HASH => {
                EventKind::ProverRegistered(decode(&log)?)
            }
            ProverRegistry::Slashed::SIGNATURE_HASH => EventKind::ProverSlashed(decode(&log)?),
            _ => EventKind::Other,
        },
        Role::Rollup => match topic0 {
            Rollup::BlockPosted::SIGNATURE_HASH => EventKind::BlockPosted(decode(&log)?),
            Rollup::BlockProofRequested::SIGNATURE_HASH => {
                EventKind::BlockProofRequested(decode(&log)?)
            }
            Rollup::RootTaskFulfilled::SIGNATURE_HASH => {
                EventKind::RootTaskFulfilled(decode(&log)?)
            }
            Rollup::RootTaskExpired::SIGNATURE_HASH => EventKind::RootTaskExpired(decode(&log)?),
            Rollup::BlockFinalized::SIGNATURE_HASH => EventKind::BlockFinalized(decode(&log)?),
            Rollup::BlocksPruned::SIGNATURE_HASH => EventKind::BlocksPruned(decode(&log)?),
            _ => EventKind::Other,
        },
        Role::Other => EventKind::Other,
    };
    Some(ChainEvent { meta, kind, log })
}
