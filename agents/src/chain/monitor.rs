//! The chain monitor: backfills a deployment's logs with `eth_getLogs` in chunks from a persisted
//! cursor, then polls the head, and emits typed events over a bounded channel.
//!
//! Delivery is at-least-once and ordered by (block, log index):
//! * The **consumer** owns the cursor: after handling the events before a [`MonitorMessage::Checkpoint`]
//!   it calls [`Checkpoint::commit`], which persists the cursor. A crash between an event and its
//!   checkpoint replays that range on restart; nothing is skipped.
//! * **Reorgs**: every poll re-reads the last `reorg_depth` blocks. A log re-included in a different
//!   block (new block hash) is emitted again; a log already processed in the same block is filtered out
//!   (`processed_logs` in the store, marked by the consumer through [`ChainEvent`] handling with
//!   [`mark_processed`]). Logs that vanish in a reorg are not announced: handlers re-read on-chain state
//!   before every irreversible action (the prover checks a task is still open before proving), which
//!   makes a dropped log harmless too.
//! * Within one life of the monitor a log is handed out once (the re-read of the window skips logs
//!   already sent, by block hash and index), so a slow consumer does not see its in-flight events
//!   twice; across restarts, `processed_logs` and the cursor decide.
//! * A failing `eth_getLogs` range is halved down to one block ([`get_logs_halving`]); the size
//!   that worked is kept for the following reads.
//! * **Backpressure**: the channel is bounded and the monitor awaits capacity; events are never
//!   dropped (a lossy broadcast channel is the classic mistake here).

use std::collections::HashMap;
use std::time::Duration;

use alloy::primitives::{Address, B256};
use alloy::providers::Provider;
use alloy::rpc::types::{Filter, Log};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::ChainProvider;
use super::addresses::Addresses;
use super::events::{ChainEvent, decode_log};
use crate::store::{Store, StoreError};
use crate::supervisor::Service;

/// Why the monitor stopped (the supervisor restarts it with backoff).
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    #[error("[M001] eth_blockNumber failed: {0}")]
    Head(String),
    #[error(
        "[M002] eth_getLogs for blocks {from}..={to} failed even with 1-block ranges: {reason}"
    )]
    Logs { from: u64, to: u64, reason: String },
    #[error("[M003] {0}")]
    Store(#[from] StoreError),
}

/// What the monitor watches and how.
#[derive(Debug, Clone)]
pub struct MonitorConfig {
    /// Cursor name in the store (one per consumer: `prover`, `sequencer`).
    pub cursor: String,
    /// Contracts whose logs to read (usually [`Addresses::labelled`]).
    pub contracts: Vec<Address>,
    /// First block to read when there is no cursor (the deployment block).
    pub start_block: u64,
    /// Blocks re-read behind the last processed one on every poll.
    pub reorg_depth: u64,
    /// Pause between head polls once caught up.
    pub poll_interval: Duration,
    /// Blocks per `eth_getLogs` request (halved on a provider's range error).
    pub chunk_blocks: u64,
}

impl MonitorConfig {
    /// Watches every contract of `addresses` from its deployment block.
    pub fn for_deployment(
        cursor: impl Into<String>,
        addresses: &Addresses,
        reorg_depth: u64,
        poll_interval: Duration,
        chunk_blocks: u64,
    ) -> Self {
        Self {
            cursor: cursor.into(),
            contracts: addresses.labelled().into_iter().map(|(_, a)| a).collect(),
            start_block: addresses.deployed_block,
            reorg_depth,
            poll_interval,
            chunk_blocks: chunk_blocks.max(1),
        }
    }
}

/// A message from the monitor.
#[derive(Debug, Clone)]
pub enum MonitorMessage {
    /// One decoded log.
    Event(Box<ChainEvent>),
    /// Every log up to `block` has been sent; commit once they are handled.
    Checkpoint(Checkpoint),
}

/// "Everything up to `block` was delivered." The consumer commits it after handling those events.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    pub cursor: String,
    pub block: u64,
    /// The chain head when the range was read; `block == head` means the consumer is caught up.
    pub head: u64,
}

impl Checkpoint {
    /// Persists the cursor (and forgets log markers too old to be replayed).
    pub fn commit(&self, store: &Store, reorg_depth: u64) -> Result<(), StoreError> {
        store.advance_cursor(&self.cursor, self.block)?;
        store.prune_processed_logs(self.block.saturating_sub(reorg_depth.saturating_mul(2) + 1))?;
        crate::metrics::cursor(&self.cursor, self.block);
        Ok(())
    }

    /// Whether the consumer has seen the whole chain as of this checkpoint.
    pub fn caught_up(&self) -> bool {
        self.block >= self.head
    }
}

/// Records that `event` was handled; returns false if it had already been (the caller may skip
/// non-idempotent side effects such as metrics).
pub fn mark_processed(store: &Store, event: &ChainEvent) -> Result<bool, StoreError> {
    store.mark_log_processed(
        event.meta.block_hash,
        event.meta.log_index,
        event.meta.block_number,
    )
}

/// The monitor service.
#[derive(Clone)]
pub struct ChainMonitor {
    provider: ChainProvider,
    store: Store,
    addresses: Addresses,
    config: MonitorConfig,
    sender: mpsc::Sender<MonitorMessage>,
}

impl ChainMonitor {
    /// A monitor sending into `sender` (bounded; its capacity is the backpressure window).
    pub fn new(
        provider: ChainProvider,
        store: Store,
        addresses: Addresses,
        config: MonitorConfig,
        sender: mpsc::Sender<MonitorMessage>,
    ) -> Self {
        Self {
            provider,
            store,
            addresses,
            config,
            sender,
        }
    }

    /// Where to start reading: one past the committed cursor, minus the reorg window.
    fn resume_from(&self) -> Result<u64, StoreError> {
        Ok(match self.store.cursor(&self.config.cursor)? {
            Some(cursor) => cursor
                .saturating_add(1)
                .saturating_sub(self.config.reorg_depth)
                .max(self.config.start_block),
            None => self.config.start_block,
        })
    }

    /// Reads `[from, to]`, sending events and a checkpoint; returns false if the consumer is gone.
    /// `sent` holds the logs this life of the monitor has already handed out: the re-read of the
    /// reorg window does not hand them out again while the consumer is still on them.
    async fn read_range(
        &self,
        from: u64,
        to: u64,
        head: u64,
        chunk: &mut u64,
        sent: &mut HashMap<(B256, u64), u64>,
    ) -> Result<bool, MonitorError> {
        let base = Filter::new().address(self.config.contracts.clone());
        let mut start = from;
        while start <= to {
            let (logs, end) = get_logs_halving(&self.provider, &base, start, to, chunk).await?;
            for log in logs {
                let Some(event) = decode_log(&self.addresses, log) else {
                    continue;
                };
                let id = (event.meta.block_hash, event.meta.log_index);
                if sent.contains_key(&id)
                    || self
                        .store
                        .is_log_processed(event.meta.block_hash, event.meta.log_index)?
                {
                    continue;
                }
                sent.insert(id, event.meta.block_number);
                if self
                    .sender
                    .send(MonitorMessage::Event(Box::new(event)))
                    .await
                    .is_err()
                {
                    return Ok(false);
                }
            }
            let checkpoint = Checkpoint {
                cursor: self.config.cursor.clone(),
                block: end,
                head,
            };
            if self
                .sender
                .send(MonitorMessage::Checkpoint(checkpoint))
                .await
                .is_err()
            {
                return Ok(false);
            }
            start = end + 1;
        }
        Ok(true)
    }
}

/// One `eth_getLogs` of `base` from `start` over at most `chunk` blocks (capped at `to`), halving
/// `chunk` on each error — providers cap ranges and result counts — until a 1-block range fails.
/// Returns the logs and the last block they cover; `chunk` keeps the size that worked.
pub async fn get_logs_halving(
    provider: &ChainProvider,
    base: &Filter,
    start: u64,
    to: u64,
    chunk: &mut u64,
) -> Result<(Vec<Log>, u64), MonitorError> {
    *chunk = (*chunk).max(1);
    loop {
        let end = to.min(start.saturating_add(*chunk - 1));
        let filter = base.clone().from_block(start).to_block(end);
        match provider.get_logs(&filter).await {
            Ok(logs) => return Ok((logs, end)),
            Err(e) if *chunk > 1 => {
                *chunk = (*chunk / 2).max(1);
                tracing::debug!(from = start, to = end, chunk = *chunk, error = %e, "eth_getLogs failed; halving the range");
            }
            Err(e) => {
                return Err(MonitorError::Logs {
                    from: start,
                    to: end,
                    reason: e.to_string(),
                });
            }
        }
    }
}

impl Service for ChainMonitor {
    fn name(&self) -> &'static str {
        "chain-monitor"
    }

    async fn run(self, shutdown: CancellationToken) -> eyre::Result<()> {
        let mut next = self.resume_from()?;
        let mut chunk = self.config.chunk_blocks.max(1);
        let mut sent = HashMap::new();
        tracing::info!(cursor = %self.config.cursor, from = next, "chain monitor starting");
        loop {
            if shutdown.is_cancelled() {
                return Ok(());
            }
            let head = tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                head = self.provider.get_block_number() => head.map_err(|e| MonitorError::Head(e.to_string()))?,
            };
            if next <= head {
                let keep_going = tokio::select! {
                    _ = shutdown.cancelled() => return Ok(()),
                    r = self.read_range(next, head, head, &mut chunk, &mut sent) => r?,
                };
                // Forget what fell out of the window: it is never re-read.
                let oldest = (head + 1).saturating_sub(self.config.reorg_depth);
                sent.retain(|_, block| *block >= oldest);
                if !keep_going {
                    tracing::info!("event consumer gone; monitor stopping");
                    return Ok(());
                }
                // Re-read the reorg window next time; already-processed logs are filtered out.
                next = (head + 1)
                    .saturating_sub(self.config.reorg_depth)
                    .max(self.config.start_block);
                if self.config.reorg_depth == 0 {
                    next = head + 1;
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                _ = tokio::time::sleep(self.config.poll_interval) => {}
            }
        }
    }
}
