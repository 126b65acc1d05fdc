//! The agent's side of the one-word task core, the `TaskLedger` (docs/one-word-tasks.md, migration
//! step 4). The ledger keeps one word per live task — the hash of its `LedgerTask` and two counters —
//! and every call that acts on a task (`submitProof`, `expire`, a mechanism's `lock`, `commit`, …)
//! passes the whole task back, reverting `StaleTask(taskId)` unless it hashes to the word. So an agent
//! must know each task's current version, and the chain gives it only the logs.
//!
//! * [`book`]: the pure part — decoding the ledger's logs into [`book::LedgerEvent`]s and folding them,
//!   in log order, into each task's current version ([`book::TaskBook`]); replays are ignored by log
//!   position, so a re-read reorg window is harmless.
//! * [`sync`]: the chain part — backfilling a ledger's logs into the book and the store from a persisted
//!   cursor (so a restart loses nothing), rebuilding one task from its own logs after a `StaleTask`
//!   revert (a reorg or a missed log: "re-read the logs", not a fault), and checking a task against its
//!   live word.
//!
//! Nothing else in the agents uses the ledger yet: the mechanisms, router and Rollup still run on the
//! stored-task `TaskRegistry` until the switch-over (docs/one-word-tasks.md, steps 2-4).

pub mod book;
pub mod sync;

pub use book::{BookError, Closing, LedgerEvent, TaskBook, TrackedTask, task_hash, word_matches};
pub use sync::{LedgerSync, LedgerSyncError, rebuild_task};
