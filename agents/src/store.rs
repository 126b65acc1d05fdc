//! The agent's state in one SQLite file (WAL mode), so that a killed and restarted agent resumes where
//! it stopped: the last processed L1 block, every task it has seen and what it decided, every
//! transaction it started (keyed by an idempotency key, so it never submits twice), the node-proof cache,
//! and the sequencer's mempool and blocks.
//!
//! Schema changes are append-only migrations tracked by SQLite's `user_version`; opening a file runs
//! the missing ones in one transaction each. A file written by a newer binary is refused rather than
//! misread. Every write is an upsert or an insert-or-ignore keyed by what identifies it on chain, so a
//! replayed or reorged log range is harmless.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use alloy::primitives::{Address, B256, U256};
use rusqlite::{Connection, OptionalExtension, params};

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("[S001] cannot open state file {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "[S002] state file {path} has schema version {found}, newer than this binary's {supported}; upgrade proofmarket"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("[S003] migration to schema version {version} failed: {source}")]
    Migration {
        version: i64,
        source: rusqlite::Error,
    },
    #[error("[S004] database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("[S005] corrupt row in {table}: {message}")]
    Corrupt {
        table: &'static str,
        message: String,
    },
    #[error("[S006] state lock poisoned (a thread panicked while writing)")]
    Poisoned,
}

/// Migrations, in order; entry `i` takes the schema from version `i` to `i + 1`. Append only.
const MIGRATIONS: &[&str] = &[
    // v1: chain cursor and log dedup, tasks, submissions, node proofs, sequencer state, key-value.
    r#"
    CREATE TABLE cursors (
        name        TEXT PRIMARY KEY,
        block       INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL
    );
    CREATE TABLE processed_logs (
        block_hash   BLOB NOT NULL,
        log_index    INTEGER NOT NULL,
        block_number INTEGER NOT NULL,
        PRIMARY KEY (block_hash, log_index)
    );
    CREATE INDEX processed_logs_by_number ON processed_logs (block_number);
    CREATE TABLE tasks (
        task_id          INTEGER PRIMARY KEY,
        circuit_id       BLOB NOT NULL,
        input_commitment BLOB NOT NULL,
        mechanism        BLOB NOT NULL,
        requester        BLOB NOT NULL,
        max_payment      TEXT NOT NULL,
        deadline         INTEGER NOT NULL,
        redundancy       INTEGER NOT NULL,
        seen_block       INTEGER NOT NULL,
        state            TEXT NOT NULL,
        detail           TEXT,
        updated_at       INTEGER NOT NULL
    );
    CREATE INDEX tasks_by_state ON tasks (state);
    CREATE TABLE submissions (
        idempotency_key TEXT PRIMARY KEY,
        task_id         INTEGER,
        kind            TEXT NOT NULL,
        nonce           INTEGER,
        tx_hash         BLOB,
        status          TEXT NOT NULL,
        error           TEXT,
        gas_used        INTEGER,
        created_at      INTEGER NOT NULL,
        updated_at      INTEGER NOT NULL
    );
    CREATE TABLE node_proofs (
        node_id       BLOB PRIMARY KEY,
        circuit_id    BLOB NOT NULL,
        public_inputs TEXT NOT NULL,
        prover        BLOB NOT NULL,
        proof         BLOB NOT NULL,
        created_at    INTEGER NOT NULL
    );
    CREATE TABLE mempool (
        tx_hash     BLOB PRIMARY KEY,
        body        TEXT NOT NULL,
        received_at INTEGER NOT NULL
    );
    CREATE TABLE blocks (
        number         INTEGER PRIMARY KEY,
        status         TEXT NOT NULL,
        prev_root      BLOB NOT NULL,
        new_root       BLOB NOT NULL,
        txs_commitment BLOB NOT NULL,
        body           TEXT NOT NULL,
        l1_tx          BLOB,
        task_id        INTEGER,
        created_at     INTEGER NOT NULL,
        updated_at     INTEGER NOT NULL
    );
    CREATE TABLE kv (
        namespace TEXT NOT NULL,
        key       TEXT NOT NULL,
        value     TEXT NOT NULL,
        PRIMARY KEY (namespace, key)
    );
    "#,
    // v2: keep the signed transaction so that a restarted agent can rebroadcast it instead of signing
    // a second one.
    r#"
    ALTER TABLE submissions ADD COLUMN raw_tx BLOB;
    "#,
    // v3: the TaskLedger's tasks as the agent rebuilt them from the logs (one-word tasks keep only a
    // hash on chain, so a restarted agent needs its own copy to pass back). Closed tasks stay as
    // tombstones until pruned, so that a replayed log of a closed task is recognised.
    r#"
    CREATE TABLE ledger_tasks (
        ledger           BLOB NOT NULL,
        task_id          BLOB NOT NULL,
        task             BLOB NOT NULL,
        proofs_accepted  INTEGER NOT NULL,
        created_block    INTEGER NOT NULL,
        last_block       INTEGER NOT NULL,
        last_log_index   INTEGER NOT NULL,
        closed           TEXT,
        updated_at       INTEGER NOT NULL,
        PRIMARY KEY (ledger, task_id)
    );
    CREATE INDEX ledger_tasks_open ON ledger_tasks (ledger, closed);
    "#,
];

/// The schema version this binary writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// A handle on the state file; cheap to clone and share between services.
#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// Where a task stands for this agent. Stored as text; the prover decides the transitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskState {
    /// Seen on chain, not yet decided.
    Seen,
    /// Decided not to take part.
    Declined,
    /// A bid or lock is in flight or placed, not yet assigned.
    Bidding,
    /// Assigned to us (collateral locked) or racing: we owe a proof.
    Committed,
    /// Proof being computed.
    Proving,
    /// Proof transaction sent.
    Submitted,
    /// Our proof was accepted.
    Proven,
    /// Someone else fulfilled it, or we lost the auction.
    Lost,
    /// The task expired or was cancelled.
    Closed,
    /// We gave up on it after an error.
    Failed,
}

impl TaskState {
    /// Every state, for parsing.
    pub const ALL: [TaskState; 10] = [
        Self::Seen,
        Self::Declined,
        Self::Bidding,
        Self::Committed,
        Self::Proving,
        Self::Submitted,
        Self::Proven,
        Self::Lost,
        Self::Closed,
        Self::Failed,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Seen => "seen",
            Self::Declined => "declined",
            Self::Bidding => "bidding",
            Self::Committed => "committed",
            Self::Proving => "proving",
            Self::Submitted => "submitted",
            Self::Proven => "proven",
            Self::Lost => "lost",
            Self::Closed => "closed",
            Self::Failed => "failed",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Whether the task still needs work from us after a restart.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            Self::Seen | Self::Bidding | Self::Committed | Self::Proving | Self::Submitted
        )
    }
}

/// A TaskLedger task as the agent rebuilt it from the logs (`crate::ledger` encodes and decodes it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerTaskRow {
    /// The TaskLedger contract.
    pub ledger: Address,
    pub task_id: U256,
    /// `abi.encode(LedgerTask)`: the 17 words the ledger hashes.
    pub task: Vec<u8>,
    pub proofs_accepted: u8,
    /// Block of the `TaskCreated` log (where a rebuild from logs starts).
    pub created_block: u64,
    /// Position of the last log applied (block number, log index): older logs are replays.
    pub last_block: u64,
    pub last_log_index: u64,
    /// How it ended (`fulfilled`, `expired`, `cancelled`), `None` while live.
    pub closed: Option<String>,
}

/// A task as the agent recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRow {
    pub task_id: u64,
    pub circuit_id: B256,
    pub input_commitment: B256,
    pub mechanism: Address,
    pub requester: Address,
    pub max_payment: U256,
    pub deadline: u64,
    pub redundancy: u8,
    /// L1 block the creation log was in.
    pub seen_block: u64,
    pub state: TaskState,
    pub detail: Option<String>,
}

/// Status of a transaction the agent started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmissionStatus {
    /// Signed with this nonce and hash; broadcast may or may not have happened.
    Signed,
    /// Broadcast; waiting for a receipt.
    Pending,
    /// Mined and succeeded.
    Confirmed,
    /// Mined and reverted, or refused in simulation with a decoded revert.
    Reverted,
    /// Never reached the chain (a transport error before broadcast); may be retried.
    Failed,
}

impl SubmissionStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Signed => "signed",
            Self::Pending => "pending",
            Self::Confirmed => "confirmed",
            Self::Reverted => "reverted",
            Self::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            Self::Signed,
            Self::Pending,
            Self::Confirmed,
            Self::Reverted,
            Self::Failed,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }
}

/// A transaction the agent started, by idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    pub key: String,
    pub task_id: Option<u64>,
    pub kind: String,
    pub nonce: Option<u64>,
    pub tx_hash: Option<B256>,
    pub status: SubmissionStatus,
    pub error: Option<String>,
    pub gas_used: Option<u64>,
}

/// A cached node proof (content-addressed by node id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeProofRow {
    pub node_id: B256,
    pub circuit_id: B256,
    /// Public inputs without the prover, as 0x-hex words.
    pub public_inputs: Vec<U256>,
    pub prover: Address,
    pub proof: Vec<u8>,
}

/// The sequencer's view of one L2 block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockRow {
    pub number: u64,
    /// `built`, `posted`, `proven`, `pruned` (the sequencer defines the transitions).
    pub status: String,
    pub prev_root: B256,
    pub new_root: B256,
    pub txs_commitment: B256,
    /// The block's data as JSON (what `GET /blocks/:n` serves).
    pub body: String,
    pub l1_tx: Option<B256>,
    pub task_id: Option<u64>,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn b256(bytes: Vec<u8>, table: &'static str) -> Result<B256, StoreError> {
    B256::try_from(bytes.as_slice()).map_err(|_| StoreError::Corrupt {
        table,
        message: format!("{} bytes, not 32", bytes.len()),
    })
}

fn address(bytes: Vec<u8>, table: &'static str) -> Result<Address, StoreError> {
    Address::try_from(bytes.as_slice()).map_err(|_| StoreError::Corrupt {
        table,
        message: format!("{} bytes, not 20", bytes.len()),
    })
}

impl Store {
    /// Opens (creating if needed) the state file, switches it to WAL and runs pending migrations.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            // A missing directory surfaces as the open error below, with the path in it.
            let _ = std::fs::create_dir_all(parent);
        }
        let conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        Self::init(conn, path.to_path_buf())
    }

    /// An in-memory store (tests, one-shot commands).
    pub fn in_memory() -> Result<Self, StoreError> {
        let conn = Connection::open_in_memory().map_err(|source| StoreError::Open {
            path: ":memory:".into(),
            source,
        })?;
        Self::init(conn, ":memory:".into())
    }

    fn init(mut conn: Connection, path: PathBuf) -> Result<Self, StoreError> {
        // WAL: readers never block the writer and a crash mid-write leaves the last commit intact.
        // `synchronous = NORMAL` is durable across process crashes in WAL mode (only an OS crash can
        // lose the last transactions), which is the failure this store must survive.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&mut conn, &path)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            path,
        })
    }

    /// The file this store writes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        self.conn.lock().map_err(|_| StoreError::Poisoned)
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn()?
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    // ---- chain cursor and log dedup -------------------------------------------------------------

    /// The last fully processed L1 block for the cursor `name`.
    pub fn cursor(&self, name: &str) -> Result<Option<u64>, StoreError> {
        Ok(self
            .conn()?
            .query_row("SELECT block FROM cursors WHERE name = ?1", [name], |r| {
                r.get::<_, i64>(0)
            })
            .optional()?
            .map(|b| b as u64))
    }

    /// Records that every block up to `block` was processed.
    pub fn set_cursor(&self, name: &str, block: u64) -> Result<(), StoreError> {
        self.conn()?.execute(
            "INSERT INTO cursors (name, block, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET block = excluded.block, updated_at = excluded.updated_at",
            params![name, block as i64, now()],
        )?;
        Ok(())
    }

    /// Moves the cursor forward to `block` (never back: a replayed range must not rewind it).
    pub fn advance_cursor(&self, name: &str, block: u64) -> Result<(), StoreError> {
        self.conn()?.execute(
            "INSERT INTO cursors (name, block, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET block = MAX(block, excluded.block), updated_at = excluded.updated_at",
            params![name, block as i64, now()],
        )?;
        Ok(())
    }

    /// Marks a log as processed; returns false when it already was (a replay), so the caller skips it.
    /// Keyed by block hash: a log re-included in a different block after a reorg is new.
    pub fn mark_log_processed(
        &self,
        block_hash: B256,
        log_index: u64,
        block_number: u64,
    ) -> Result<bool, StoreError> {
        let n = self.conn()?.execute(
            "INSERT OR IGNORE INTO processed_logs (block_hash, log_index, block_number) VALUES (?1, ?2, ?3)",
            params![block_hash.as_slice(), log_index as i64, block_number as i64],
        )?;
        Ok(n == 1)
    }

    /// Whether a log was already marked processed.
    pub fn is_log_processed(&self, block_hash: B256, log_index: u64) -> Result<bool, StoreError> {
        Ok(self
            .conn()?
            .query_row(
                "SELECT 1 FROM processed_logs WHERE block_hash = ?1 AND log_index = ?2",
                params![block_hash.as_slice(), log_index as i64],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// Forgets processed-log markers below `block` (they can no longer be replayed).
    pub fn prune_processed_logs(&self, below_block: u64) -> Result<usize, StoreError> {
        Ok(self.conn()?.execute(
            "DELETE FROM processed_logs WHERE block_number < ?1",
            [below_block as i64],
        )?)
    }

    // ---- tasks ----------------------------------------------------------------------------------

    /// Records a newly seen task; a replay of the same task changes nothing. Returns whether it was new.
    pub fn insert_task(&self, task: &TaskRow) -> Result<bool, StoreError> {
        let n = self.conn()?.execute(
            "INSERT OR IGNORE INTO tasks (task_id, circuit_id, input_commitment, mechanism, requester,
                max_payment, deadline, redundancy, seen_block, state, detail, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                task.task_id as i64,
                task.circuit_id.as_slice(),
                task.input_commitment.as_slice(),
                task.mechanism.as_slice(),
                task.requester.as_slice(),
                task.max_payment.to_string(),
                task.deadline as i64,
                task.redundancy,
                task.seen_block as i64,
                task.state.as_str(),
                task.detail,
                now(),
            ],
        )?;
        Ok(n == 1)
    }

    /// Moves a task to `state`. Returns false when the task is unknown.
    pub fn set_task_state(
        &self,
        task_id: u64,
        state: TaskState,
        detail: Option<&str>,
    ) -> Result<bool, StoreError> {
        let n = self.conn()?.execute(
            "UPDATE tasks SET state = ?2, detail = ?3, updated_at = ?4 WHERE task_id = ?1",
            params![task_id as i64, state.as_str(), detail, now()],
        )?;
        Ok(n == 1)
    }

    /// Moves a task to `to` only if it is in `from` (compare-and-set: two services never both claim it).
    pub fn transition_task(
        &self,
        task_id: u64,
        from: TaskState,
        to: TaskState,
        detail: Option<&str>,
    ) -> Result<bool, StoreError> {
        let n = self.conn()?.execute(
            "UPDATE tasks SET state = ?3, detail = ?4, updated_at = ?5 WHERE task_id = ?1 AND state = ?2",
            params![task_id as i64, from.as_str(), to.as_str(), detail, now()],
        )?;
        Ok(n == 1)
    }

    /// One task.
    pub fn task(&self, task_id: u64) -> Result<Option<TaskRow>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(&format!("{TASK_SELECT} WHERE task_id = ?1"))?;
        let row = stmt.query_row([task_id as i64], raw_task).optional()?;
        row.map(task_from_raw).transpose()
    }

    /// Tasks in any of `states`, oldest first (a restarted agent resumes its live ones).
    pub fn tasks_in(&self, states: &[TaskState]) -> Result<Vec<TaskRow>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(&format!("{TASK_SELECT} ORDER BY task_id"))?;
        let rows = stmt
            .query_map([], raw_task)?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(task_from_raw)
            .filter(|t| t.as_ref().map_or(true, |t| states.contains(&t.state)))
            .collect()
    }

    // ---- ledger tasks (one-word tasks) -----------------------------------------------------------

    /// Writes a ledger task's current version (insert or replace).
    pub fn put_ledger_task(&self, row: &LedgerTaskRow) -> Result<(), StoreError> {
        self.conn()?.execute(
            "INSERT INTO ledger_tasks (ledger, task_id, task, proofs_accepted, created_block, last_block,
                last_log_index, closed, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (ledger, task_id) DO UPDATE SET task = excluded.task,
                proofs_accepted = excluded.proofs_accepted, created_block = excluded.created_block,
                last_block = excluded.last_block, last_log_index = excluded.last_log_index,
                closed = excluded.closed, updated_at = excluded.updated_at",
            params![
                row.ledger.as_slice(),
                row.task_id.to_be_bytes::<32>().as_slice(),
                row.task,
                row.proofs_accepted,
                row.created_block as i64,
                row.last_block as i64,
                row.last_log_index as i64,
                row.closed,
                now(),
            ],
        )?;
        Ok(())
    }

    /// One ledger task (live or a tombstone).
    pub fn ledger_task(
        &self,
        ledger: Address,
        task_id: U256,
    ) -> Result<Option<LedgerTaskRow>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(&format!(
            "{LEDGER_TASK_SELECT} WHERE ledger = ?1 AND task_id = ?2"
        ))?;
        let raw = stmt
            .query_row(
                params![ledger.as_slice(), task_id.to_be_bytes::<32>().as_slice()],
                raw_ledger_task,
            )
            .optional()?;
        raw.map(ledger_task_from_raw).transpose()
    }

    /// Every ledger task of `ledger`, tombstones included, by task id.
    pub fn ledger_tasks(&self, ledger: Address) -> Result<Vec<LedgerTaskRow>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(&format!(
            "{LEDGER_TASK_SELECT} WHERE ledger = ?1 ORDER BY task_id"
        ))?;
        let rows = stmt
            .query_map([ledger.as_slice()], raw_ledger_task)?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().map(ledger_task_from_raw).collect()
    }

    /// Drops the tombstones of ledger tasks closed before `below_block` (their logs are beyond the
    /// reorg window, never re-read). Returns how many went.
    pub fn prune_closed_ledger_tasks(&self, below_block: u64) -> Result<usize, StoreError> {
        Ok(self.conn()?.execute(
            "DELETE FROM ledger_tasks WHERE closed IS NOT NULL AND last_block < ?1",
            [below_block as i64],
        )?)
    }

    // ---- submissions ----------------------------------------------------------------------------

    /// The submission recorded under `key`, if any.
    pub fn submission(&self, key: &str) -> Result<Option<Submission>, StoreError> {
        let conn = self.conn()?;
        let raw = conn
            .query_row(
                "SELECT idempotency_key, task_id, kind, nonce, tx_hash, status, error, gas_used
                 FROM submissions WHERE idempotency_key = ?1",
                [key],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<i64>>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<i64>>(3)?,
                        r.get::<_, Option<Vec<u8>>>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, Option<String>>(6)?,
                        r.get::<_, Option<i64>>(7)?,
                    ))
                },
            )
            .optional()?;
        raw.map(
            |(key, task_id, kind, nonce, tx_hash, status, error, gas_used)| {
                Ok(Submission {
                    key,
                    task_id: task_id.map(|t| t as u64),
                    kind,
                    nonce: nonce.map(|n| n as u64),
                    tx_hash: tx_hash.map(|h| b256(h, "submissions")).transpose()?,
                    status: SubmissionStatus::parse(&status).ok_or_else(|| {
                        StoreError::Corrupt {
                            table: "submissions",
                            message: format!("unknown status {status:?}"),
                        }
                    })?,
                    error,
                    gas_used: gas_used.map(|g| g as u64),
                })
            },
        )
        .transpose()
    }

    /// Records a signed transaction before it is broadcast, so that a crash between signing and the
    /// receipt leaves the hash to look up instead of a reason to send again.
    pub fn record_signed(
        &self,
        key: &str,
        task_id: Option<u64>,
        kind: &str,
        nonce: u64,
        tx_hash: B256,
    ) -> Result<(), StoreError> {
        self.conn()?.execute(
            "INSERT INTO submissions (idempotency_key, task_id, kind, nonce, tx_hash, status, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'signed', ?6, ?6)
             ON CONFLICT (idempotency_key) DO UPDATE SET nonce = excluded.nonce, tx_hash = excluded.tx_hash,
                status = 'signed', error = NULL, updated_at = excluded.updated_at",
            params![key, task_id.map(|t| t as i64), kind, nonce as i64, tx_hash.as_slice(), now()],
        )?;
        Ok(())
    }

    /// Keeps the signed transaction's bytes next to its hash (for rebroadcast after a restart).
    pub fn set_submission_raw(&self, key: &str, raw_tx: &[u8]) -> Result<(), StoreError> {
        self.conn()?.execute(
            "UPDATE submissions SET raw_tx = ?2 WHERE idempotency_key = ?1",
            params![key, raw_tx],
        )?;
        Ok(())
    }

    /// The signed transaction kept for `key`, if any.
    pub fn submission_raw(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .conn()?
            .query_row(
                "SELECT raw_tx FROM submissions WHERE idempotency_key = ?1",
                [key],
                |r| r.get::<_, Option<Vec<u8>>>(0),
            )
            .optional()?
            .flatten())
    }

    /// Updates a submission's status (and gas used / error when known).
    pub fn set_submission_status(
        &self,
        key: &str,
        status: SubmissionStatus,
        gas_used: Option<u64>,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        self.conn()?.execute(
            "UPDATE submissions SET status = ?2, gas_used = COALESCE(?3, gas_used), error = ?4, updated_at = ?5
             WHERE idempotency_key = ?1",
            params![key, status.as_str(), gas_used.map(|g| g as i64), error, now()],
        )?;
        Ok(())
    }

    /// Records a submission that failed before reaching the chain (simulation revert, bad input).
    pub fn record_failed(
        &self,
        key: &str,
        task_id: Option<u64>,
        kind: &str,
        status: SubmissionStatus,
        error: &str,
    ) -> Result<(), StoreError> {
        self.conn()?.execute(
            "INSERT INTO submissions (idempotency_key, task_id, kind, status, error, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
             ON CONFLICT (idempotency_key) DO UPDATE SET status = excluded.status, error = excluded.error,
                updated_at = excluded.updated_at",
            params![key, task_id.map(|t| t as i64), kind, status.as_str(), error, now()],
        )?;
        Ok(())
    }

    /// Submissions still waiting for a receipt (a restarted submitter re-checks them first).
    pub fn unsettled_submissions(&self) -> Result<Vec<Submission>, StoreError> {
        let keys: Vec<String> = {
            let conn = self.conn()?;
            let mut stmt = conn.prepare(
                "SELECT idempotency_key FROM submissions WHERE status IN ('signed', 'pending') ORDER BY nonce",
            )?;
            stmt.query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?
        };
        keys.iter()
            .filter_map(|k| self.submission(k).transpose())
            .collect()
    }

    /// Sum of gas used by confirmed or reverted transactions.
    pub fn total_gas_used(&self) -> Result<u64, StoreError> {
        let total: Option<i64> = self.conn()?.query_row(
            "SELECT SUM(gas_used) FROM submissions WHERE status IN ('confirmed', 'reverted')",
            [],
            |r| r.get(0),
        )?;
        Ok(total.unwrap_or(0) as u64)
    }

    // ---- node proofs ----------------------------------------------------------------------------

    /// Caches a node proof (first writer wins: node ids are content-addressed).
    pub fn put_node_proof(&self, row: &NodeProofRow) -> Result<(), StoreError> {
        let inputs =
            serde_json::to_string(&row.public_inputs).map_err(|e| StoreError::Corrupt {
                table: "node_proofs",
                message: e.to_string(),
            })?;
        self.conn()?.execute(
            "INSERT OR IGNORE INTO node_proofs (node_id, circuit_id, public_inputs, prover, proof, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                row.node_id.as_slice(),
                row.circuit_id.as_slice(),
                inputs,
                row.prover.as_slice(),
                row.proof,
                now()
            ],
        )?;
        Ok(())
    }

    /// A cached node proof.
    pub fn node_proof(&self, node_id: B256) -> Result<Option<NodeProofRow>, StoreError> {
        let raw = self
            .conn()?
            .query_row(
                "SELECT circuit_id, public_inputs, prover, proof FROM node_proofs WHERE node_id = ?1",
                [node_id.as_slice()],
                |r| {
                    Ok((
                        r.get::<_, Vec<u8>>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Vec<u8>>(2)?,
                        r.get::<_, Vec<u8>>(3)?,
                    ))
                },
            )
            .optional()?;
        raw.map(|(circuit_id, inputs, prover, proof)| {
            Ok(NodeProofRow {
                node_id,
                circuit_id: b256(circuit_id, "node_proofs")?,
                public_inputs: serde_json::from_str(&inputs).map_err(|e| StoreError::Corrupt {
                    table: "node_proofs",
                    message: e.to_string(),
                })?,
                prover: address(prover, "node_proofs")?,
                proof,
            })
        })
        .transpose()
    }

    // ---- sequencer: mempool and blocks ----------------------------------------------------------

    /// Adds a transaction to the mempool; false if it is already there.
    pub fn mempool_insert(&self, tx_hash: B256, body: &str) -> Result<bool, StoreError> {
        let n = self.conn()?.execute(
            "INSERT OR IGNORE INTO mempool (tx_hash, body, received_at) VALUES (?1, ?2, ?3)",
            params![tx_hash.as_slice(), body, now()],
        )?;
        Ok(n == 1)
    }

    /// The mempool in arrival order.
    pub fn mempool(&self) -> Result<Vec<(B256, String)>, StoreError> {
        let conn = self.conn()?;
        let mut stmt =
            conn.prepare("SELECT tx_hash, body FROM mempool ORDER BY received_at, rowid")?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(h, b)| Ok((b256(h, "mempool")?, b)))
            .collect()
    }

    /// Saves a built block and removes its transactions from the mempool, atomically.
    pub fn commit_block(&self, block: &BlockRow, included: &[B256]) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO blocks (number, status, prev_root, new_root, txs_commitment, body, l1_tx, task_id,
                created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
            params![
                block.number as i64,
                block.status,
                block.prev_root.as_slice(),
                block.new_root.as_slice(),
                block.txs_commitment.as_slice(),
                block.body,
                block.l1_tx.map(|h| h.to_vec()),
                block.task_id.map(|t| t as i64),
                now(),
            ],
        )?;
        for hash in included {
            tx.execute("DELETE FROM mempool WHERE tx_hash = ?1", [hash.as_slice()])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Removes transactions from the mempool (e.g. invalidated by a pruned block's replay).
    pub fn mempool_remove(&self, hashes: &[B256]) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        for hash in hashes {
            tx.execute("DELETE FROM mempool WHERE tx_hash = ?1", [hash.as_slice()])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Updates a block's status and, when given, its L1 transaction and task id.
    pub fn update_block(
        &self,
        number: u64,
        status: &str,
        l1_tx: Option<B256>,
        task_id: Option<u64>,
    ) -> Result<bool, StoreError> {
        let n = self.conn()?.execute(
            "UPDATE blocks SET status = ?2, l1_tx = COALESCE(?3, l1_tx), task_id = COALESCE(?4, task_id),
                updated_at = ?5 WHERE number = ?1",
            params![number as i64, status, l1_tx.map(|h| h.to_vec()), task_id.map(|t| t as i64), now()],
        )?;
        Ok(n == 1)
    }

    /// Deletes blocks above `number` (a prune rolled L2 back to it).
    pub fn delete_blocks_above(&self, number: u64) -> Result<usize, StoreError> {
        Ok(self
            .conn()?
            .execute("DELETE FROM blocks WHERE number > ?1", [number as i64])?)
    }

    /// One block.
    pub fn block(&self, number: u64) -> Result<Option<BlockRow>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(&format!("{BLOCK_SELECT} WHERE number = ?1"))?;
        let raw = stmt.query_row([number as i64], raw_block).optional()?;
        raw.map(block_from_raw).transpose()
    }

    /// Every block in order.
    pub fn blocks(&self) -> Result<Vec<BlockRow>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(&format!("{BLOCK_SELECT} ORDER BY number"))?;
        let rows = stmt
            .query_map([], raw_block)?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().map(block_from_raw).collect()
    }

    /// The highest block number stored.
    pub fn last_block(&self) -> Result<Option<BlockRow>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(&format!("{BLOCK_SELECT} ORDER BY number DESC LIMIT 1"))?;
        let raw = stmt.query_row([], raw_block).optional()?;
        raw.map(block_from_raw).transpose()
    }

    // ---- key-value ------------------------------------------------------------------------------

    /// Small state a service keeps that needs no table of its own (JSON values).
    pub fn kv_set(&self, namespace: &str, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn()?.execute(
            "INSERT INTO kv (namespace, key, value) VALUES (?1, ?2, ?3)
             ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value",
            params![namespace, key, value],
        )?;
        Ok(())
    }

    /// Reads a key-value entry.
    pub fn kv_get(&self, namespace: &str, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()?
            .query_row(
                "SELECT value FROM kv WHERE namespace = ?1 AND key = ?2",
                [namespace, key],
                |r| r.get(0),
            )
            .optional()?)
    }
}

fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let version = index as i64 + 1;
        let tx = conn
            .transaction()
            .map_err(|source| StoreError::Migration { version, source })?;
        tx.execute_batch(sql)
            .map_err(|source| StoreError::Migration { version, source })?;
        tx.pragma_update(None, "user_version", version)
            .map_err(|source| StoreError::Migration { version, source })?;
        tx.commit()
            .map_err(|source| StoreError::Migration { version, source })?;
    }
    Ok(())
}

const LEDGER_TASK_SELECT: &str = "SELECT ledger, task_id, task, proofs_accepted, created_block,
    last_block, last_log_index, closed FROM ledger_tasks";

type RawLedgerTask = (Vec<u8>, Vec<u8>, Vec<u8>, u8, i64, i64, i64, Option<String>);

fn raw_ledger_task(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawLedgerTask> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ))
}

fn ledger_task_from_raw(raw: RawLedgerTask) -> Result<LedgerTaskRow, StoreError> {
    let (ledger, task_id, task, proofs_accepted, created, last_block, last_log, closed) = raw;
    let task_id = b256(task_id, "ledger_tasks")?;
    Ok(LedgerTaskRow {
        ledger: address(ledger, "ledger_tasks")?,
        task_id: U256::from_be_bytes(task_id.0),
        task,
        proofs_accepted,
        created_block: created as u64,
        last_block: last_block as u64,
        last_log_index: last_log as u64,
        closed,
    })
}

const TASK_SELECT: &str =
    "SELECT task_id, circuit_id, input_commitment, mechanism, requester, max_payment,
    deadline, redundancy, seen_block, state, detail FROM tasks";

type RawTask = (
    i64,
    Vec<u8>,
    Vec<u8>,
    Vec<u8>,
    Vec<u8>,
    String,
    i64,
    u8,
    i64,
    String,
    Option<String>,
);

fn raw_task(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawTask> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
        r.get(10)?,
    ))
}

fn task_from_raw(raw: RawTask) -> Result<TaskRow, StoreError> {
    let (
        task_id,
        circuit_id,
        commitment,
        mechanism,
        requester,
        max_payment,
        deadline,
        redundancy,
        seen,
        state,
        detail,
    ) = raw;
    Ok(TaskRow {
        task_id: task_id as u64,
        circuit_id: b256(circuit_id, "tasks")?,
        input_commitment: b256(commitment, "tasks")?,
        mechanism: address(mechanism, "tasks")?,
        requester: address(requester, "tasks")?,
        max_payment: max_payment.parse().map_err(|_| StoreError::Corrupt {
            table: "tasks",
            message: format!("max_payment {max_payment:?}"),
        })?,
        deadline: deadline as u64,
        redundancy,
        seen_block: seen as u64,
        state: TaskState::parse(&state).ok_or_else(|| StoreError::Corrupt {
            table: "tasks",
            message: format!("unknown state {state:?}"),
        })?,
        detail,
    })
}

const BLOCK_SELECT: &str =
    "SELECT number, status, prev_root, new_root, txs_commitment, body, l1_tx, task_id FROM blocks";

type RawBlock = (
    i64,
    String,
    Vec<u8>,
    Vec<u8>,
    Vec<u8>,
    String,
    Option<Vec<u8>>,
    Option<i64>,
);

fn raw_block(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawBlock> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ))
}

fn block_from_raw(raw: RawBlock) -> Result<BlockRow, StoreError> {
    let (number, status, prev_root, new_root, txs_commitment, body, l1_tx, task_id) = raw;
    Ok(BlockRow {
        number: number as u64,
        status,
        prev_root: b256(prev_root, "blocks")?,
        new_root: b256(new_root, "blocks")?,
        txs_commitment: b256(txs_commitment, "blocks")?,
        body,
        l1_tx: l1_tx.map(|h| b256(h, "blocks")).transpose()?,
        task_id: task_id.map(|t| t as u64),
    })
}
