//! Keeping an agent's [`TaskBook`] of one TaskLedger in step with the chain.
//!
//! [`LedgerSync`] backfills the ledger's logs with `eth_getLogs` in chunks (halving on provider
//! limits, as the chain monitor does) from a cursor persisted in the agent's store, folds them into the
//! book and writes every changed task to the store *before* advancing the cursor: a crash in between
//! only replays logs, which the book ignores by position. A restarted agent restores the book from
//! the store and goes on from the cursor.
//!
//! [`rebuild_task`] folds one task from its own logs (`topic1` = the task id). An agent calls it —
//! through [`LedgerSync::refresh`] — when a call reverts `StaleTask(taskId)`: the task changed in a way
//! its copy missed (a log it has not read yet, or a reorg that dropped one), and the cure is to re-read
//! the logs, not to give up.

use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use proofmarket_bindings::TaskLedger;

use super::book::{BookError, LedgerEvent, TaskBook, TrackedTask, word_matches};
use crate::chain::ChainProvider;
use crate::chain::monitor::{MonitorError, get_logs_halving};
use crate::store::{Store, StoreError};

/// A failure keeping the book in step.
#[derive(Debug, thiserror::Error)]
pub enum LedgerSyncError {
    #[error("[L101] {0}")]
    Book(#[from] BookError),
    #[error("[L102] ledger store: {0}")]
    Store(#[from] StoreError),
    #[error("[L103] reading ledger logs: {0}")]
    Logs(#[from] MonitorError),
    #[error("[L104] RPC call {call} to the ledger failed: {reason}")]
    Rpc { call: &'static str, reason: String },
}

/// What one [`LedgerSync::sync_to`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Logs that changed a task.
    pub applied: usize,
    /// Logs already applied (re-read ranges).
    pub replayed: usize,
    /// Logs of tasks created before the sync's start block (not tracked; see [`LedgerSync::restore`]).
    pub untracked: usize,
    /// Tasks rebuilt from their own logs because a log contradicted the book.
    pub rebuilt: usize,
}

/// One TaskLedger's book, its store and its cursor.
#[derive(Debug)]
pub struct LedgerSync {
    provider: ChainProvider,
    ledger: Address,
    store: Store,
    start_block: u64,
    chunk_blocks: u64,
    book: TaskBook,
}

impl LedgerSync {
    /// The book of `ledger` as `store` left it (empty on a fresh store). Logs are read from the stored
    /// cursor, or from `start_block` (the ledger's deployment block: tasks created earlier are not
    /// tracked) on a fresh store, `chunk_blocks` per `eth_getLogs`.
    pub fn restore(
        provider: ChainProvider,
        ledger: Address,
        store: Store,
        start_block: u64,
        chunk_blocks: u64,
    ) -> Result<Self, LedgerSyncError> {
        let tracked = store
            .ledger_tasks(ledger)?
            .iter()
            .map(TrackedTask::from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            provider,
            ledger,
            store,
            start_block,
            chunk_blocks: chunk_blocks.max(1),
            book: TaskBook::from_tracked(tracked),
        })
    }

    /// The book.
    pub fn book(&self) -> &TaskBook {
        &self.book
    }

    /// The ledger.
    pub fn ledger(&self) -> Address {
        self.ledger
    }

    /// The store cursor this ledger's sync keeps (the last block read).
    pub fn cursor_name(&self) -> String {
        format!("ledger:{:#x}", self.ledger)
    }

    /// Reads the ledger's logs up to the current head.
    pub async fn sync(&mut self) -> Result<SyncReport, LedgerSyncError> {
        let head = self
            .provider
            .get_block_number()
            .await
            .map_err(|e| LedgerSyncError::Rpc {
                call: "eth_blockNumber",
                reason: e.to_string(),
            })?;
        self.sync_to(head).await
    }

    /// Reads the ledger's logs from the cursor up to `head`, folding and persisting them.
    pub async fn sync_to(&mut self, head: u64) -> Result<SyncReport, LedgerSyncError> {
        let cursor = self.cursor_name();
        let mut next = match self.store.cursor(&cursor)? {
            Some(done) => done + 1,
            None => self.start_block,
        };
        let base = Filter::new().address(self.ledger);
        let mut chunk = self.chunk_blocks;
        let mut report = SyncReport::default();
        while next <= head {
            let (logs, end) =
                get_logs_halving(&self.provider, &base, next, head, &mut chunk).await?;
            for log in &logs {
                let (Some(block), Some(index)) = (log.block_number, log.log_index) else {
                    continue;
                };
                let Some(event) = LedgerEvent::decode(log) else {
                    continue;
                };
                self.apply((block, index), &event, head, &mut report)
                    .await?;
            }
            self.store.set_cursor(&cursor, end)?;
            next = end + 1;
        }
        Ok(report)
    }

    async fn apply(
        &mut self,
        at: (u64, u64),
        event: &LedgerEvent,
        head: u64,
        report: &mut SyncReport,
    ) -> Result<(), LedgerSyncError> {
        match self.book.apply(at, event) {
            Ok(Some(tracked)) => {
                self.store.put_ledger_task(&tracked.to_row(self.ledger))?;
                report.applied += 1;
            }
            Ok(None) => report.replayed += 1,
            Err(BookError::UnknownTask { task_id, block }) => {
                tracing::warn!(task = %format!("{task_id:#x}"), block, start = self.start_block,
                    "ledger log of a task created before the sync's start block; not tracked");
                report.untracked += 1;
            }
            Err(BookError::AfterClose { task_id, .. }) => {
                tracing::warn!(task = %format!("{task_id:#x}"), "ledger log after the book closed the task; rebuilding it from its logs");
                self.refresh_to(task_id, head).await?;
                report.rebuilt += 1;
            }
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }

    /// Whether the book's copy of `task_id` is the ledger's live task right now (one `eth_call` of
    /// `taskWord`). False for a task the book does not hold or holds as closed.
    pub async fn is_current(&self, task_id: U256) -> Result<bool, LedgerSyncError> {
        let Some(tracked) = self.book.get(task_id).filter(|t| t.is_live()) else {
            return Ok(false);
        };
        let word = TaskLedger::new(self.ledger, &self.provider)
            .taskWord(task_id)
            .call()
            .await
            .map_err(|e| LedgerSyncError::Rpc {
                call: "taskWord",
                reason: e.to_string(),
            })?;
        Ok(word_matches(word, tracked.hash()))
    }

    /// Rebuilds `task_id` from its own logs up to the current head (after a `StaleTask` revert),
    /// replaces it in the book and the store, and returns it (`None`: the logs do not show it).
    pub async fn refresh(
        &mut self,
        task_id: U256,
    ) -> Result<Option<&TrackedTask>, LedgerSyncError> {
        let head = self
            .provider
            .get_block_number()
            .await
            .map_err(|e| LedgerSyncError::Rpc {
                call: "eth_blockNumber",
                reason: e.to_string(),
            })?;
        self.refresh_to(task_id, head).await?;
        Ok(self.book.get(task_id))
    }

    async fn refresh_to(&mut self, task_id: U256, head: u64) -> Result<(), LedgerSyncError> {
        let from = self
            .book
            .get(task_id)
            .map_or(self.start_block, |t| t.created_block);
        if let Some(rebuilt) = rebuild_task(
            &self.provider,
            self.ledger,
            task_id,
            from,
            head,
            self.chunk_blocks,
        )
        .await?
        {
            self.store.put_ledger_task(&rebuilt.to_row(self.ledger))?;
            self.book.replace(rebuilt);
        }
        Ok(())
    }
}

/// Folds `task_id` from its own logs in `[from_block, to_block]`; `None` when no `TaskCreated` of it
/// is in the range.
pub async fn rebuild_task(
    provider: &ChainProvider,
    ledger: Address,
    task_id: U256,
    from_block: u64,
    to_block: u64,
    chunk_blocks: u64,
) -> Result<Option<TrackedTask>, LedgerSyncError> {
    let base = Filter::new()
        .address(ledger)
        .topic1(B256::from(task_id.to_be_bytes::<32>()));
    let mut book = TaskBook::new();
    let mut chunk = chunk_blocks.max(1);
    let mut next = from_block;
    while next <= to_block {
        let (logs, end) = get_logs_halving(provider, &base, next, to_block, &mut chunk).await?;
        for log in &logs {
            let (Some(block), Some(index)) = (log.block_number, log.log_index) else {
                continue;
            };
            let Some(event) = LedgerEvent::decode(log) else {
                continue;
            };
            if event.task_id() != task_id {
                continue;
            }
            match book.apply((block, index), &event) {
                Ok(_) => {}
                // Logs before the creation in range: the caller's range starts too late.
                Err(BookError::UnknownTask { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        next = end + 1;
    }
    Ok(book.get(task_id).cloned())
}
