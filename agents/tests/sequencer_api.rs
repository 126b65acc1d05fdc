//! The sequencer's HTTP API and L2 node without a chain: good transfers are accepted, bad ones are
//! rejected with a reason, blocks are built and served with data that matches their commitments, a
//! restarted node rebuilds the same view from its state file, and a prune requeues the transfers.

use alloy::primitives::keccak256;
use proofmarket::sequencer::api;
use proofmarket::sequencer::node::{BlockBody, L2Node, encode_hex};
use proofmarket::store::Store;
use proofmarket_circuits::block::BlockWitness;
use proofmarket_circuits::evm::fr_to_b256;
use proofmarket_circuits::state::{self, Transaction, devnet_genesis, devnet_key};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

fn transfer(from: u32, to: u32, amount: u64, nonce: u64) -> state::SignedTransaction {
    Transaction {
        from,
        to,
        amount,
        nonce,
    }
    .sign(&devnet_key(from))
}

async fn post(client: &reqwest::Client, base: &str, body: Value) -> (u16, Value) {
    let response = client
        .post(format!("{base}/tx"))
        .json(&body)
        .send()
        .await
        .expect("POST /tx");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON answer"))
}

#[tokio::test]
async fn accepts_good_transfers_and_rejects_bad_ones_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sequencer.db");
    let node = L2Node::restore(Store::open(&path).unwrap(), devnet_genesis(), 100).unwrap();
    let shutdown = CancellationToken::new();
    let (addr, server) = api::serve(
        node.clone(),
        "127.0.0.1:0".parse().unwrap(),
        shutdown.clone(),
    )
    .await
    .unwrap();
    let base = format!("http://{addr}");
    let client = reqwest::Client::new();

    // Good: encoded form, then the fields form with the next nonce.
    let first = transfer(1, 2, 500, 0);
    let (code, body) = post(&client, &base, json!({ "tx": encode_hex(&first) })).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["accepted"], true);
    let second = transfer(1, 3, 100, 1);
    let (code, body) = post(
        &client,
        &base,
        json!({ "from": 1, "to": 3, "amount": 100, "nonce": 1,
                "signature": format!("0x{}", hex::encode(second.signature.to_bytes())) }),
    )
    .await;
    assert_eq!(code, 200, "{body}");

    // Bad: each with its stable code and a reason.
    let cases = [
        (
            json!({ "tx": encode_hex(&transfer(1, 2, 5, 0)) }),
            422,
            "bad_nonce",
        ),
        (
            json!({ "tx": encode_hex(&Transaction { from: 4, to: 2, amount: 5, nonce: 0 }.sign(&devnet_key(5))) }),
            422,
            "bad_signature",
        ),
        (
            json!({ "tx": encode_hex(&transfer(6, 2, state::GENESIS_BALANCE + 1, 0)) }),
            422,
            "insufficient_balance",
        ),
        (
            json!({ "tx": encode_hex(&transfer(1, 2, 500, 0)) }),
            422,
            "duplicate",
        ),
        (json!({ "tx": "0x1234" }), 400, "malformed"),
        (json!({ "tx": "not hex" }), 400, "malformed"),
        (json!({ "nonsense": true }), 400, "malformed"),
    ];
    for (request, expected_status, expected_code) in cases {
        let (code, body) = post(&client, &base, request.clone()).await;
        assert_eq!(code, expected_status, "{request} -> {body}");
        assert_eq!(body["accepted"], false, "{body}");
        assert_eq!(body["code"], expected_code, "{request} -> {body}");
        assert!(
            !body["reason"].as_str().unwrap_or_default().is_empty(),
            "{body}"
        );
    }
    let account: Value = client
        .get(format!("{base}/accounts/1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(account["nonce"], 2);
    assert_eq!(account["balance"], state::GENESIS_BALANCE - 600);

    // Build: the served block matches the native state machine and its data hash.
    let built = node.build_block(8).unwrap().expect("a block");
    assert_eq!(built.body.number, 1);
    let served: Value = client
        .get(format!("{base}/blocks/1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let body: BlockBody = serde_json::from_value(served.clone()).unwrap();
    assert_eq!(served["status"], "built");
    let (witness, _) = BlockWitness::build(&devnet_genesis(), &[first, second], 1).unwrap();
    assert_eq!(body.txs.to_vec(), witness.calldata());
    assert_eq!(body.txs_data_hash, keccak256(&body.txs));
    assert_eq!(body.new_state_root, fr_to_b256(witness.new_state_root()));
    assert_eq!(body.txs_commitment, fr_to_b256(witness.txs_commitment()));
    let missing = client.get(format!("{base}/blocks/9")).send().await.unwrap();
    assert_eq!(missing.status().as_u16(), 404);

    // A third transfer waits in the mempool across a restart.
    let third = transfer(2, 1, 7, 0);
    let (code, _) = post(&client, &base, json!({ "tx": encode_hex(&third) })).await;
    assert_eq!(code, 200);
    shutdown.cancel();
    server.await.unwrap();
    drop(node);

    let restored = L2Node::restore(Store::open(&path).unwrap(), devnet_genesis(), 100).unwrap();
    assert_eq!(restored.tip().unwrap(), 1);
    assert_eq!(restored.mempool_len().unwrap(), 1);
    assert_eq!(
        restored.account(1).unwrap(),
        Some((state::GENESIS_BALANCE - 600 + 7, 2))
    );

    // L1 pruned block 1: its transfers go back to the mempool ahead of the queued one, still valid.
    let requeued = restored.rollback(1).unwrap();
    assert_eq!(requeued, 3);
    assert_eq!(restored.tip().unwrap(), 0);
    let rebuilt = restored.build_block(8).unwrap().expect("rebuilt block");
    assert_eq!(rebuilt.body.number, 1);
    assert_eq!(rebuilt.body.tx_hashes.len(), 3);
}
