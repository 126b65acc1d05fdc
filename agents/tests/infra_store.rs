//! The SQLite store: migrations, persistence across reopen (what a killed and restarted agent sees),
//! idempotent replays, and refusal of a file from a newer binary.

use alloy::primitives::{Address, B256, U256};
use proofmarket::store::{
    NodeProofRow, SCHEMA_VERSION, Store, StoreError, SubmissionStatus, TaskRow, TaskState,
};

fn task(id: u64) -> TaskRow {
    TaskRow {
        task_id: id,
        circuit_id: B256::repeat_byte(1),
        input_commitment: B256::repeat_byte(2),
        mechanism: Address::repeat_byte(3),
        requester: Address::repeat_byte(4),
        max_payment: U256::from(10u64).pow(U256::from(19)),
        deadline: 1_700_000_000,
        redundancy: 1,
        seen_block: 12,
        state: TaskState::Seen,
        detail: None,
    }
}

#[test]
fn migrations_run_once_and_newer_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agent.db");
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    drop(store);
    // Reopening runs nothing new and keeps the version.
    assert_eq!(
        Store::open(&path).unwrap().schema_version().unwrap(),
        SCHEMA_VERSION
    );

    // A file written by a newer binary is refused, not misread.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(conn);
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::TooNew { found, .. } if found == SCHEMA_VERSION + 1),
        "{err}"
    );
    assert!(err.to_string().starts_with("[S002]"));
}

#[test]
fn a_v1_file_is_migrated_forward() {
    // Build a v1 file by hand (the first migration only), then open it with the current binary.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE submissions (idempotency_key TEXT PRIMARY KEY, task_id INTEGER, kind TEXT NOT NULL,
                nonce INTEGER, tx_hash BLOB, status TEXT NOT NULL, error TEXT, gas_used INTEGER,
                created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);",
        )
        .unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
    }
    // v1's other tables are missing in this hand-made file, so only the v2 step runs: it must succeed.
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    store
        .record_signed("k", None, "kind", 0, B256::repeat_byte(9))
        .unwrap();
    store.set_submission_raw("k", &[1, 2, 3]).unwrap();
    assert_eq!(store.submission_raw("k").unwrap(), Some(vec![1, 2, 3]));
}

#[test]
fn state_survives_a_restart_and_replays_are_harmless() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agent.db");
    let hash = B256::repeat_byte(7);
    {
        let store = Store::open(&path).unwrap();
        store.advance_cursor("prover", 100).unwrap();
        assert!(store.mark_log_processed(hash, 3, 99).unwrap());
        assert!(store.insert_task(&task(7)).unwrap());
        assert!(
            store
                .transition_task(7, TaskState::Seen, TaskState::Committed, Some("raced"))
                .unwrap()
        );
        store
            .record_signed("submit:7", Some(7), "submitProof", 5, B256::repeat_byte(8))
            .unwrap();
        store
            .set_submission_status("submit:7", SubmissionStatus::Pending, None, None)
            .unwrap();
        store
            .put_node_proof(&NodeProofRow {
                node_id: B256::repeat_byte(5),
                circuit_id: B256::repeat_byte(6),
                public_inputs: vec![U256::from(1), U256::MAX],
                prover: Address::repeat_byte(9),
                proof: vec![0xab; 256],
            })
            .unwrap();
    } // the process "dies" here

    let store = Store::open(&path).unwrap();
    assert_eq!(store.cursor("prover").unwrap(), Some(100));
    // A replayed range never rewinds the cursor.
    store.advance_cursor("prover", 90).unwrap();
    assert_eq!(store.cursor("prover").unwrap(), Some(100));
    // The same log again is recognised; the same log in another block (a reorg) is new.
    assert!(store.is_log_processed(hash, 3).unwrap());
    assert!(!store.mark_log_processed(hash, 3, 99).unwrap());
    assert!(
        store
            .mark_log_processed(B256::repeat_byte(0x77), 3, 99)
            .unwrap()
    );
    // A replayed TaskCreated changes nothing: the task keeps its state.
    assert!(!store.insert_task(&task(7)).unwrap());
    let resumed = store.task(7).unwrap().unwrap();
    assert_eq!(resumed.state, TaskState::Committed);
    assert_eq!(resumed.max_payment, task(7).max_payment);
    assert_eq!(store.tasks_in(&[TaskState::Committed]).unwrap().len(), 1);
    // Compare-and-set: a stale transition does nothing.
    assert!(
        !store
            .transition_task(7, TaskState::Seen, TaskState::Declined, None)
            .unwrap()
    );
    // The in-flight transaction is found for re-checking instead of a second send.
    let unsettled = store.unsettled_submissions().unwrap();
    assert_eq!(unsettled.len(), 1);
    assert_eq!(unsettled[0].nonce, Some(5));
    assert_eq!(unsettled[0].status, SubmissionStatus::Pending);
    store
        .set_submission_status("submit:7", SubmissionStatus::Confirmed, Some(210_000), None)
        .unwrap();
    assert!(store.unsettled_submissions().unwrap().is_empty());
    assert_eq!(store.total_gas_used().unwrap(), 210_000);
    let proof = store.node_proof(B256::repeat_byte(5)).unwrap().unwrap();
    assert_eq!(proof.public_inputs, vec![U256::from(1), U256::MAX]);
    assert_eq!(proof.proof.len(), 256);
    // Old log markers are pruned.
    assert_eq!(store.prune_processed_logs(100).unwrap(), 2);
}

#[test]
fn wal_mode_is_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agent.db");
    let _store = Store::open(&path).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}
