//! Folding the TaskLedger's logs into each task's current `LedgerTask`.
//!
//! What each log does to the task (the ledger's own rules, `contracts/TaskLedger.sol`):
//!
//! | log | effect |
//! |---|---|
//! | `TaskCreated(id, mechanism, task)` | the task, proofs 0 |
//! | `TaskReopened(id, mechanism, task)` | the whole task replaced (fallback, assignment cleared); proofs kept |
//! | `ProverAssigned(id, prover, price, collateral, state)` | assignee, price, collateral, mechanismState set |
//! | `ProverUnassigned(id, prover, state)` | assignment cleared, mechanismState set |
//! | `AssignmentSlashed(id, prover, amount, _, toCover, _, state)` | assignment cleared, mechanismState set, coverBounty += toCover, flags gain `FLAG_SLASHED` |
//! | `MechanismStateSet(id, state)` | mechanismState set |
//! | `ProofAccepted(id, prover, _, _, proofs)` | proofs accepted = proofs; closed (fulfilled) at the redundancy |
//! | `TaskExpiredFinal(id, _)`, `TaskCancelled(id, _)` | closed |
//!
//! On expiry with a fallback the ledger logs `AssignmentSlashed` and then `TaskReopened`, whose task
//! already holds the slash's cover share: replacing the task there is what keeps the fold exact.
//! The mechanism counter (a sealed auction's commitments) lives in the word outside the hash and has
//! no log; an agent that needs it reads `checkTask`.
//!
//! Events of one task apply in log order, and a log at or before the last one applied is a replay
//! and changes nothing, so re-reading a range (the monitor's reorg window, a restart) is harmless. A
//! log that *removes* history (a reorg that drops a block) cannot be undone by folding: the task then
//! fails its `StaleTask` check and is rebuilt from its own logs ([`super::sync::rebuild_task`]).

use std::collections::BTreeMap;

use alloy::primitives::{Address, B256, U256, keccak256};
use alloy::rpc::types::Log;
use alloy::sol_types::{SolEvent, SolValue};
use proofmarket_bindings::TaskLedger::{self, LedgerTask};

use crate::store::LedgerTaskRow;

/// `LedgerTaskLib.FLAG_SLASHED`: the ledger sets it in the task's flags when `slashAssignment` slashes its
/// assignment (the router learns from it that the task was slashed under its mechanism).
pub const FLAG_SLASHED: u8 = 64;

/// A log's place in the chain: (block number, log index). One task's logs apply in this order.
pub type LogPosition = (u64, u64);

/// A folding failure: the book cannot tell the task's current version, so the caller rebuilds it
/// from the chain (or backfills from an earlier block).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookError {
    #[error(
        "[L001] ledger log for task {task_id:#x} at block {block} before its TaskCreated was seen (backfill from the task's creation block)"
    )]
    UnknownTask { task_id: U256, block: u64 },
    #[error(
        "[L002] ledger log for task {task_id:#x} at block {block} after the task closed ({closing}); the chain and the book disagree (rebuild it)"
    )]
    AfterClose {
        task_id: U256,
        block: u64,
        closing: Closing,
    },
    #[error("[L003] stored ledger task {task_id:#x} is corrupt: {reason}")]
    Corrupt { task_id: U256, reason: String },
}

/// How a ledger task ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Closing {
    /// Its last slot was proven.
    Fulfilled,
    /// It expired with no fallback left (or the fallback refused it).
    Expired,
    /// Its requester cancelled it.
    Cancelled,
}

impl Closing {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fulfilled => "fulfilled",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Fulfilled, Self::Expired, Self::Cancelled]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

impl std::fmt::Display for Closing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A TaskLedger log that changes a task, decoded.
#[derive(Debug, Clone)]
pub enum LedgerEvent {
    Created(TaskLedger::TaskCreated),
    Reopened(TaskLedger::TaskReopened),
    Assigned(TaskLedger::ProverAssigned),
    Unassigned(TaskLedger::ProverUnassigned),
    Slashed(TaskLedger::AssignmentSlashed),
    StateSet(TaskLedger::MechanismStateSet),
    ProofAccepted(TaskLedger::ProofAccepted),
    ExpiredFinal(TaskLedger::TaskExpiredFinal),
    Cancelled(TaskLedger::TaskCancelled),
}

impl LedgerEvent {
    /// Decodes a log of the ledger; `None` for a log that changes no task (deposits, admin) or whose
    /// data does not match the event its `topic0` names (skipped, never a panic).
    pub fn decode(log: &Log) -> Option<Self> {
        fn data<E: SolEvent>(log: &Log) -> Option<E> {
            log.log_decode::<E>().ok().map(|decoded| decoded.inner.data)
        }
        Some(match *log.topic0()? {
            TaskLedger::TaskCreated::SIGNATURE_HASH => Self::Created(data(log)?),
            TaskLedger::TaskReopened::SIGNATURE_HASH => Self::Reopened(data(log)?),
            TaskLedger::ProverAssigned::SIGNATURE_HASH => Self::Assigned(data(log)?),
            TaskLedger::ProverUnassigned::SIGNATURE_HASH => Self::Unassigned(data(log)?),
            TaskLedger::AssignmentSlashed::SIGNATURE_HASH => Self::Slashed(data(log)?),
            TaskLedger::MechanismStateSet::SIGNATURE_HASH => Self::StateSet(data(log)?),
            TaskLedger::ProofAccepted::SIGNATURE_HASH => Self::ProofAccepted(data(log)?),
            TaskLedger::TaskExpiredFinal::SIGNATURE_HASH => Self::ExpiredFinal(data(log)?),
            TaskLedger::TaskCancelled::SIGNATURE_HASH => Self::Cancelled(data(log)?),
            _ => return None,
        })
    }

    /// The task the event is about.
    pub fn task_id(&self) -> U256 {
        match self {
            Self::Created(e) => e.taskId,
            Self::Reopened(e) => e.taskId,
            Self::Assigned(e) => e.taskId,
            Self::Unassigned(e) => e.taskId,
            Self::Slashed(e) => e.taskId,
            Self::StateSet(e) => e.taskId,
            Self::ProofAccepted(e) => e.taskId,
            Self::ExpiredFinal(e) => e.taskId,
            Self::Cancelled(e) => e.taskId,
        }
    }
}

/// `keccak256(abi.encode(task))`: what the ledger's word holds the high 240 bits of.
pub fn task_hash(task: &LedgerTask) -> B256 {
    keccak256(task.abi_encode())
}

/// Whether `word` (the ledger's `taskWord`) is a live task whose hash is `hash`: the ledger's own
/// `TaskWordLib.matches` (the low 16 bits are the two counters).
pub fn word_matches(word: U256, hash: B256) -> bool {
    !word.is_zero() && (word >> 16) == (U256::from_be_bytes(hash.0) >> 16)
}

/// One task as the logs leave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedTask {
    pub task_id: U256,
    /// The current version: what every call on the task must pass.
    pub task: LedgerTask,
    /// Accepted proofs (the word's low counter).
    pub proofs_accepted: u8,
    /// Block of its `TaskCreated` log.
    pub created_block: u64,
    /// The last log applied.
    pub last_event: LogPosition,
    /// How it ended; `None` while live.
    pub closed: Option<Closing>,
}

impl TrackedTask {
    /// Whether the task is still open on the ledger (as far as the logs tell).
    pub fn is_live(&self) -> bool {
        self.closed.is_none()
    }

    /// `keccak256(abi.encode(task))` of the current version.
    pub fn hash(&self) -> B256 {
        task_hash(&self.task)
    }

    /// The store's row for `ledger`.
    pub fn to_row(&self, ledger: Address) -> LedgerTaskRow {
        LedgerTaskRow {
            ledger,
            task_id: self.task_id,
            task: self.task.abi_encode(),
            proofs_accepted: self.proofs_accepted,
            created_block: self.created_block,
            last_block: self.last_event.0,
            last_log_index: self.last_event.1,
            closed: self.closed.map(|c| c.as_str().to_string()),
        }
    }

    /// Reads a stored row back.
    pub fn from_row(row: &LedgerTaskRow) -> Result<Self, BookError> {
        let corrupt = |reason: String| BookError::Corrupt {
            task_id: row.task_id,
            reason,
        };
        let task = LedgerTask::abi_decode(&row.task).map_err(|e| corrupt(e.to_string()))?;
        let closed = match &row.closed {
            None => None,
            Some(name) => {
                Some(Closing::parse(name).ok_or_else(|| corrupt(format!("closing {name:?}")))?)
            }
        };
        Ok(Self {
            task_id: row.task_id,
            task,
            proofs_accepted: row.proofs_accepted,
            created_block: row.created_block,
            last_event: (row.last_block, row.last_log_index),
            closed,
        })
    }
}

/// The current version of every task the logs have shown, live ones and tombstones.
#[derive(Debug, Clone, Default)]
pub struct TaskBook {
    tasks: BTreeMap<U256, TrackedTask>,
}

impl TaskBook {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// A book of stored tasks (a restarted agent's).
    pub fn from_tracked(tasks: impl IntoIterator<Item = TrackedTask>) -> Self {
        Self {
            tasks: tasks.into_iter().map(|t| (t.task_id, t)).collect(),
        }
    }

    /// A task, live or closed.
    pub fn get(&self, task_id: U256) -> Option<&TrackedTask> {
        self.tasks.get(&task_id)
    }

    /// The live tasks, by id.
    pub fn live(&self) -> impl Iterator<Item = &TrackedTask> {
        self.tasks.values().filter(|t| t.is_live())
    }

    /// Every task the book holds, tombstones included.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether the book holds nothing.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Replaces one task (after a rebuild from its own logs).
    pub fn replace(&mut self, tracked: TrackedTask) {
        self.tasks.insert(tracked.task_id, tracked);
    }

    /// Applies one log at `at`. Returns the task's new state, or `None` when the log is a replay (at or
    /// before the last log applied to that task).
    pub fn apply(
        &mut self,
        at: LogPosition,
        event: &LedgerEvent,
    ) -> Result<Option<&TrackedTask>, BookError> {
        let task_id = event.task_id();
        if let LedgerEvent::Created(created) = event {
            if self.tasks.get(&task_id).is_some_and(|t| at <= t.last_event) {
                return Ok(None);
            }
            self.tasks.insert(
                task_id,
                TrackedTask {
                    task_id,
                    task: created.task.clone(),
                    proofs_accepted: 0,
                    created_block: at.0,
                    last_event: at,
                    closed: None,
                },
            );
            return Ok(self.tasks.get(&task_id));
        }
        let Some(tracked) = self.tasks.get_mut(&task_id) else {
            return Err(BookError::UnknownTask {
                task_id,
                block: at.0,
            });
        };
        if at <= tracked.last_event {
            return Ok(None);
        }
        if let Some(closing) = tracked.closed {
            return Err(BookError::AfterClose {
                task_id,
                block: at.0,
                closing,
            });
        }
        let task = &mut tracked.task;
        match event {
            LedgerEvent::Created(_) => unreachable!("handled above"),
            LedgerEvent::Reopened(e) => *task = e.task.clone(),
            LedgerEvent::Assigned(e) => {
                task.assignee = e.prover;
                task.price = e.price;
                task.collateral = e.collateral;
                task.mechanismState = e.mechanismState;
            }
            LedgerEvent::Unassigned(e) => clear_assignment(task, e.mechanismState),
            LedgerEvent::Slashed(e) => {
                clear_assignment(task, e.mechanismState);
                // The cover share is at most the collateral, a uint96: it fits.
                task.coverBounty += e.toCover.to::<alloy::primitives::Uint<96, 2>>();
                task.flags |= FLAG_SLASHED;
            }
            LedgerEvent::StateSet(e) => task.mechanismState = e.mechanismState,
            LedgerEvent::ProofAccepted(e) => {
                tracked.proofs_accepted = e.proofsAccepted;
                if e.proofsAccepted >= tracked.task.redundancy {
                    tracked.closed = Some(Closing::Fulfilled);
                }
            }
            LedgerEvent::ExpiredFinal(_) => tracked.closed = Some(Closing::Expired),
            LedgerEvent::Cancelled(_) => tracked.closed = Some(Closing::Cancelled),
        }
        tracked.last_event = at;
        Ok(Some(tracked))
    }
}

fn clear_assignment(task: &mut LedgerTask, mechanism_state: u64) {
    task.assignee = Address::ZERO;
    task.price = Default::default();
    task.collateral = Default::default();
    task.mechanismState = mechanism_state;
}

/// A live task as its `TaskCreated` leaves it, for the strategies' unit tests: id 7, `max_payment`
/// for one proof under `mechanism`, opened at `opened_at` and due an hour later, nothing assigned,
/// created at block 1.
#[cfg(test)]
pub(crate) fn test_task(mechanism: Address, max_payment: u128, opened_at: u32) -> TrackedTask {
    use alloy::primitives::Uint;
    TrackedTask {
        task_id: U256::from(7u64),
        task: LedgerTask {
            requester: Address::repeat_byte(0x02),
            maxPayment: Uint::from(max_payment),
            mechanism,
            circuitId: B256::ZERO,
            inputCommitment: B256::ZERO,
            openedAt: opened_at,
            deadline: opened_at + 3_600,
            redundancy: 1,
            flags: 0,
            fallbackMechanism: Address::ZERO,
            fallbackWindow: 0,
            minCollateral: Uint::ZERO,
            assignee: Address::ZERO,
            price: Uint::ZERO,
            collateral: Uint::ZERO,
            coverBounty: Uint::ZERO,
            mechanismState: 0,
        },
        proofs_accepted: 0,
        created_block: 1,
        last_event: (1, 0),
        closed: None,
    }
}

#[cfg(test)]
mod tests {
    use alloy::primitives::{Uint, address};

    use super::*;

    type U96 = Uint<96, 2>;

    const ID: U256 = U256::from_limbs([7, 0, 0, 0]);
    const PROVER: Address = address!("70997970C51812dc3A010C7d01b50e0d17dc79C8");

    fn task(redundancy: u8) -> LedgerTask {
        LedgerTask {
            requester: address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
            maxPayment: U96::from(100u64),
            mechanism: Address::repeat_byte(9),
            circuitId: B256::repeat_byte(1),
            inputCommitment: B256::repeat_byte(2),
            openedAt: 1_000,
            deadline: 2_000,
            redundancy,
            flags: 0,
            fallbackMechanism: Address::repeat_byte(8),
            fallbackWindow: 600,
            minCollateral: U96::from(5u64),
            assignee: Address::ZERO,
            price: U96::ZERO,
            collateral: U96::ZERO,
            coverBounty: U96::ZERO,
            mechanismState: 0,
        }
    }

    fn created(redundancy: u8) -> LedgerEvent {
        LedgerEvent::Created(TaskLedger::TaskCreated {
            taskId: ID,
            mechanism: Address::repeat_byte(9),
            task: task(redundancy),
        })
    }

    fn assigned(state: u64) -> LedgerEvent {
        LedgerEvent::Assigned(TaskLedger::ProverAssigned {
            taskId: ID,
            prover: PROVER,
            price: U96::from(60u64),
            collateral: U96::from(20u64),
            mechanismState: state,
        })
    }

    fn slashed(to_cover: u64, state: u64) -> LedgerEvent {
        LedgerEvent::Slashed(TaskLedger::AssignmentSlashed {
            taskId: ID,
            prover: PROVER,
            amount: U256::from(20u64),
            toTreasury: U256::from(2u64),
            toCover: U256::from(to_cover),
            toRequester: U256::from(20 - 2 - to_cover),
            mechanismState: state,
        })
    }

    fn accepted(proofs: u8) -> LedgerEvent {
        LedgerEvent::ProofAccepted(TaskLedger::ProofAccepted {
            taskId: ID,
            prover: PROVER,
            credited: U256::from(50u64),
            refunded: U256::ZERO,
            proofsAccepted: proofs,
        })
    }

    #[test]
    fn the_hash_is_the_seventeen_word_encoding() {
        let t = task(1);
        assert_eq!(t.abi_encode().len(), 17 * 32);
        let hash = task_hash(&t);
        let word = (U256::from_be_bytes(hash.0) >> 16 << 16) | U256::from(0x0102u64);
        assert!(word_matches(word, hash), "counters are outside the hash");
        assert!(!word_matches(U256::ZERO, hash), "a zero word is no task");
        let mut other = t.clone();
        other.mechanismState = 1;
        assert!(!word_matches(word, task_hash(&other)));
        // A fixed vector, so that a change in the encoding is caught here and not on chain.
        let zero = LedgerTask {
            requester: Address::ZERO,
            maxPayment: U96::ZERO,
            mechanism: Address::ZERO,
            circuitId: B256::ZERO,
            inputCommitment: B256::ZERO,
            openedAt: 0,
            deadline: 0,
            redundancy: 0,
            flags: 0,
            fallbackMechanism: Address::ZERO,
            fallbackWindow: 0,
            minCollateral: U96::ZERO,
            assignee: Address::ZERO,
            price: U96::ZERO,
            collateral: U96::ZERO,
            coverBounty: U96::ZERO,
            mechanismState: 0,
        };
        assert_eq!(task_hash(&zero), keccak256([0u8; 17 * 32]));
    }

    #[test]
    fn assignment_slash_and_state_follow_the_ledger() {
        let mut book = TaskBook::new();
        book.apply((10, 0), &created(1)).unwrap();
        book.apply((11, 0), &assigned(99)).unwrap();
        let t = &book.get(ID).unwrap().task;
        assert_eq!(
            (t.assignee, t.price, t.collateral),
            (PROVER, U96::from(60u64), U96::from(20u64))
        );
        assert_eq!(t.mechanismState, 99);

        book.apply((12, 3), &slashed(9, 5)).unwrap();
        let t = &book.get(ID).unwrap().task;
        assert_eq!(
            (t.assignee, t.price, t.collateral),
            (Address::ZERO, U96::ZERO, U96::ZERO)
        );
        assert_eq!((t.coverBounty, t.mechanismState), (U96::from(9u64), 5));
        assert_eq!(
            t.flags & FLAG_SLASHED,
            FLAG_SLASHED,
            "a slash marks the task"
        );

        book.apply((13, 0), &assigned(7)).unwrap();
        book.apply(
            (13, 1),
            &LedgerEvent::Unassigned(TaskLedger::ProverUnassigned {
                taskId: ID,
                prover: PROVER,
                mechanismState: 8,
            }),
        )
        .unwrap();
        book.apply(
            (14, 0),
            &LedgerEvent::StateSet(TaskLedger::MechanismStateSet {
                taskId: ID,
                mechanismState: 42,
            }),
        )
        .unwrap();
        let tracked = book.get(ID).unwrap();
        assert_eq!(tracked.task.assignee, Address::ZERO);
        assert_eq!(
            tracked.task.coverBounty,
            U96::from(9u64),
            "unassigning is no slash"
        );
        assert_eq!(tracked.task.mechanismState, 42);
        assert_eq!((tracked.created_block, tracked.last_event), (10, (14, 0)));
    }

    #[test]
    fn replays_change_nothing() {
        let mut book = TaskBook::new();
        book.apply((10, 0), &created(1)).unwrap();
        book.apply((11, 0), &assigned(1)).unwrap();
        book.apply((12, 0), &slashed(9, 2)).unwrap();
        let before = book.get(ID).unwrap().clone();
        // The whole range again, as the monitor re-reads its reorg window.
        for (at, event) in [
            ((10, 0), created(1)),
            ((11, 0), assigned(1)),
            ((12, 0), slashed(9, 2)),
        ] {
            assert!(
                book.apply(at, &event).unwrap().is_none(),
                "replay at {at:?}"
            );
        }
        assert_eq!(
            book.get(ID).unwrap(),
            &before,
            "the cover bounty is not added twice"
        );
    }

    #[test]
    fn a_reopen_replaces_the_task_and_keeps_the_proofs() {
        let mut book = TaskBook::new();
        book.apply((10, 0), &created(2)).unwrap();
        book.apply((11, 0), &accepted(1)).unwrap();
        let mut reopened = task(2);
        reopened.mechanism = Address::repeat_byte(8);
        reopened.fallbackMechanism = Address::ZERO;
        reopened.fallbackWindow = 0;
        reopened.openedAt = 2_001;
        reopened.deadline = 2_601;
        reopened.coverBounty = U96::from(9u64);
        book.apply(
            (12, 1),
            &LedgerEvent::Reopened(TaskLedger::TaskReopened {
                taskId: ID,
                mechanism: Address::repeat_byte(8),
                task: reopened.clone(),
            }),
        )
        .unwrap();
        let tracked = book.get(ID).unwrap();
        assert_eq!(tracked.task, reopened);
        assert_eq!(tracked.proofs_accepted, 1);
        assert!(tracked.is_live());
        book.apply((13, 0), &accepted(2)).unwrap();
        assert_eq!(book.get(ID).unwrap().closed, Some(Closing::Fulfilled));
        assert_eq!(book.live().count(), 0);
    }

    #[test]
    fn endings_close_and_later_logs_are_refused() {
        let mut book = TaskBook::new();
        book.apply((10, 0), &created(1)).unwrap();
        book.apply(
            (11, 0),
            &LedgerEvent::Cancelled(TaskLedger::TaskCancelled {
                taskId: ID,
                refunded: U256::from(100u64),
            }),
        )
        .unwrap();
        assert_eq!(book.get(ID).unwrap().closed, Some(Closing::Cancelled));
        assert_eq!(
            book.apply((12, 0), &assigned(1)).unwrap_err(),
            BookError::AfterClose {
                task_id: ID,
                block: 12,
                closing: Closing::Cancelled
            }
        );

        let mut book = TaskBook::new();
        assert_eq!(
            book.apply((5, 0), &accepted(1)).unwrap_err(),
            BookError::UnknownTask {
                task_id: ID,
                block: 5
            }
        );
        book.apply((10, 0), &created(1)).unwrap();
        book.apply(
            (11, 0),
            &LedgerEvent::ExpiredFinal(TaskLedger::TaskExpiredFinal {
                taskId: ID,
                refunded: U256::from(100u64),
            }),
        )
        .unwrap();
        assert_eq!(book.get(ID).unwrap().closed, Some(Closing::Expired));
    }

    #[test]
    fn rows_round_trip_and_corrupt_rows_are_named() {
        let mut book = TaskBook::new();
        book.apply((10, 0), &created(1)).unwrap();
        book.apply((11, 2), &assigned(3)).unwrap();
        let tracked = book.get(ID).unwrap().clone();
        let ledger = Address::repeat_byte(0x11);
        let row = tracked.to_row(ledger);
        assert_eq!(TrackedTask::from_row(&row).unwrap(), tracked);

        let mut bad = row.clone();
        bad.task.truncate(100);
        assert!(matches!(
            TrackedTask::from_row(&bad),
            Err(BookError::Corrupt { task_id, .. }) if task_id == ID
        ));
        let mut bad = row;
        bad.closed = Some("vanished".into());
        assert!(matches!(
            TrackedTask::from_row(&bad),
            Err(BookError::Corrupt { .. })
        ));
    }
}
