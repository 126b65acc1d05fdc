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
//! * [`call`]: the one way a strategy acts on a task — a call encoded from the book's live copy, sent
//!   through the agent's `Submitter`, rebuilt once from the logs on `StaleTask`; its error
//!   ([`LedgerCallError`]) and the chain clock every decision uses.
//! * [`race`]: the first strategy over the ledger — the open race's pure prove-or-decline decision
//!   and the submission with the book's copy (rebuilt once on `StaleTask`), exercised end to end on
//!   anvil with tasks opened through the one-word router (`agents/tests/ledger_race_routed.rs`).
//!   Its [`race::submit_proof`] is the one proof submission every ledger strategy uses.
//! * [`ascending`]: the ascending-price lock auction — lock when the ramp reaches the reservation
//!   price, prove a lock of ours, slash and cover another's lapsed lock (`agents/tests/ledger_ascending.rs`).
//! * [`order_book`]: the order book — post and withdraw the standing offer, prove what the book
//!   matched to us, and the requester's `matchTask` (`agents/tests/ledger_order_book.rs`).
//! * [`sealed_bid`]: the sealed-bid auction (`LedgerSealedBidAuction`) — a pure commit / reveal /
//!   finalize / prove-or-decline decision priced by the stored policy, and those calls with the bid
//!   persisted before its commitment (`agents/tests/ledger_sealed_bid.rs`).
//! * [`election`]: election-then-race (`LedgerElectionRace`) — a pure draw / prove-as-elected /
//!   race-after-the-window decision on the race's own economics, and the draw with the target's
//!   header (`agents/tests/ledger_election.rs`).
//! * [`runner`]: one prover over a whole ledger market — each task to its instance family's strategy,
//!   the decision carried out, statements from a [`runner::ProofSource`]
//!   (`agents/tests/ledger_market.rs`: all five families at once).
//! * [`rollup_source`]: the source of the LedgerRollup's root tasks — each posted block learned from
//!   the rollup's logs, its data fetched and checked by `prover::data`, its root proof built on the
//!   worker pool (`agents/tests/ledger_rollup_loop.rs`: sequencer, runner and rollup on anvil).
//!
//! Every ported family has its strategy here; the prover service (which proves rollup blocks) and
//! the stored Rollup still run on the stored-task `TaskRegistry` until the switch-over
//! (docs/one-word-tasks.md, step 4), and the tree has no ledger port.

pub mod ascending;
pub mod book;
pub mod call;
pub mod election;
pub mod order_book;
pub mod race;
pub mod rollup_source;
pub mod runner;
pub mod sealed_bid;
pub mod service;
pub mod sync;

pub use book::{BookError, Closing, LedgerEvent, TaskBook, TrackedTask, task_hash, word_matches};
pub use call::{LedgerCallError, TaskCallSent, chain_time, send_task_call};
pub use sync::{LedgerSync, LedgerSyncError, rebuild_task};
