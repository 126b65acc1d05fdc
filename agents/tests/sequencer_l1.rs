//! The sequencer against a real Rollup on anvil: a built block is posted (its root-proof task opened),
//! the post is never repeated under the same key, and a call that would revert is refused with the
//! decoded error; the `proofmarket sequencer` binary prunes a block nobody proved within its window,
//! rolls its L2 back and posts the block again; a post taken by a reorg before the submitter saw its
//! receipt is rebroadcast from its recorded bytes within a second and lands once, same hash.

mod poll_support;
mod prover_support;

use std::path::PathBuf;
use std::time::Duration;

use alloy::node_bindings::{Anvil, AnvilInstance};
use alloy::primitives::U256;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use poll_support::wait_for;
use proofmarket::chain::connect;
use proofmarket::chain::submitter::{SubmitError, Submitter, SubmitterConfig};
use proofmarket::deploy::{DeployParams, deploy};
use proofmarket::sequencer::l1::{BlockPoster, BuildPolicy};
use proofmarket::sequencer::node::{L2Node, status};
use proofmarket::store::Store;
use proofmarket_bindings::Rollup;
use proofmarket_circuits::state::{Transaction, devnet_genesis, devnet_key};

fn anvil() -> AnvilInstance {
    let repo_anvil = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
    let launcher = if repo_anvil.exists() {
        Anvil::at(repo_anvil)
    } else {
        Anvil::new()
    };
    launcher
        .try_spawn()
        .expect("anvil (from node_modules or PATH) must start")
}

#[tokio::test]
async fn posts_a_block_once_and_decodes_reverts() {
    let anvil = anvil();
    let signer: PrivateKeySigner = anvil.keys()[0].clone().into();
    let me = signer.address();
    let provider = connect(&anvil.endpoint(), Some(signer.clone()))
        .await
        .unwrap();
    let addresses = deploy(&provider, me, &DeployParams::devnet(me))
        .await
        .unwrap();
    let rollup = addresses.rollup.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("sequencer.db")).unwrap();
    let node = L2Node::restore(store.clone(), devnet_genesis(), 100).unwrap();
    let submitter = Submitter::new(
        provider.clone(),
        signer,
        store.clone(),
        SubmitterConfig::default(),
        "test",
    );

    // A revert is refused before signing, decoded by name.
    let finalize_nothing = Rollup::finalizeCall { headers: vec![] }.abi_encode();
    let err = submitter
        .send(
            "finalize",
            Some("finalize:none"),
            None,
            rollup,
            finalize_nothing.into(),
            U256::ZERO,
        )
        .await
        .unwrap_err();
    match &err {
        SubmitError::WouldRevert { revert, .. } => assert_eq!(revert.display, "NoBlocks()"),
        other => panic!("expected a decoded revert, got {other}"),
    }
    assert!(
        err.to_string()
            .starts_with("[T001] finalize would revert: NoBlocks()"),
        "{err}"
    );

    // Two transfers, one block, posted.
    for (nonce, amount) in [(0u64, 10u64), (1, 20)] {
        let tx = Transaction {
            from: 1,
            to: 2,
            amount,
            nonce,
        }
        .sign(&devnet_key(1));
        node.submit(tx).unwrap().unwrap();
    }
    let built = node.build_block(8).unwrap().unwrap();
    let poster = BlockPoster {
        node: node.clone(),
        submitter: submitter.clone(),
        rollup,
        policy: BuildPolicy {
            max_block_txs: 8,
            block_interval: Duration::from_millis(50),
        },
    };
    poster.post_pending().await.unwrap();
    let row = store.block(1).unwrap().unwrap();
    assert_eq!(row.status, status::POSTED);
    let task_id = row.task_id.expect("the Rollup opened a root-proof task");
    assert!(task_id >= 1);

    let rollup_contract = Rollup::new(rollup, &provider);
    let pending = rollup_contract.pendingTip().call().await.unwrap();
    assert_eq!(pending.number, 1);
    assert_eq!(pending.stateRoot, built.body.new_state_root);
    // The task commits to the root statement the provers will prove.
    let task = proofmarket_bindings::TaskRegistry::new(addresses.task_registry, &provider)
        .taskOf(U256::from(task_id))
        .call()
        .await
        .unwrap();
    assert_eq!(
        task.circuitId,
        proofmarket_circuits::circuits::CircuitKind::Root.id()
    );
    assert_eq!(task.requester, rollup);

    // Posting again (a restart) finds the key confirmed and sends nothing.
    let nonce_before = alloy::providers::Provider::get_transaction_count(&provider, me)
        .await
        .unwrap();
    store.update_block(1, status::BUILT, None, None).unwrap();
    poster.post_pending().await.unwrap();
    let nonce_after = alloy::providers::Provider::get_transaction_count(&provider, me)
        .await
        .unwrap();
    assert_eq!(
        nonce_before, nonce_after,
        "the same block must not be posted twice"
    );
    assert_eq!(store.block(1).unwrap().unwrap().status, status::POSTED);
}

/// The Rollup's `BlockPosted` numbers and `BlocksPruned` ranges so far, in chain order.
async fn rollup_log(
    provider: &proofmarket::chain::ChainProvider,
    rollup: alloy::primitives::Address,
) -> (Vec<u64>, Vec<(u64, u64)>) {
    use alloy::providers::Provider;
    use alloy::sol_types::SolEvent;
    let logs = provider
        .get_logs(
            &alloy::rpc::types::Filter::new()
                .address(rollup)
                .from_block(0),
        )
        .await
        .expect("logs");
    let mut posted = Vec::new();
    let mut pruned = Vec::new();
    for log in logs {
        match log.topic0().copied() {
            Some(Rollup::BlockPosted::SIGNATURE_HASH) => {
                let e = log
                    .log_decode::<Rollup::BlockPosted>()
                    .expect("BlockPosted");
                posted.push(e.inner.data.header.number);
            }
            Some(Rollup::BlocksPruned::SIGNATURE_HASH) => {
                let e = log
                    .log_decode::<Rollup::BlocksPruned>()
                    .expect("BlocksPruned");
                pruned.push((e.inner.data.fromBlock, e.inner.data.toBlock));
            }
            _ => {}
        }
    }
    (posted, pruned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overdue_block_is_pruned_rolled_back_and_posted_again() {
    use alloy::providers::Provider;
    let started = std::time::Instant::now();
    let anvil = anvil();
    let signer: PrivateKeySigner = anvil.keys()[0].clone().into();
    let me = signer.address();
    let provider = connect(&anvil.endpoint(), Some(signer.clone()))
        .await
        .unwrap();
    let params = DeployParams::devnet(me);
    let window = params.rollup.as_ref().expect("rollup").proof_window;
    let addresses = deploy(&provider, me, &params).await.unwrap();
    let rollup = addresses.rollup.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let addresses_path = dir.path().join("addresses.json");
    addresses.save(&addresses_path).unwrap();
    let api = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let api_addr = api.local_addr().unwrap();
    drop(api);
    let config = dir.path().join("sequencer.toml");
    std::fs::write(
        &config,
        format!(
            "[chain]\npoll_interval_ms = 200\n\n[store]\npath = {:?}\n\n[sequencer]\nlisten = \"{api_addr}\"\nblock_interval_ms = 300\n",
            dir.path().join("sequencer.db")
        ),
    )
    .unwrap();

    // The real binary, blocks of two transfers from the env fallback of --max-block-txs.
    let mut sequencer = std::process::Command::new(env!("CARGO_BIN_EXE_proofmarket"))
        .args(["sequencer", "--rpc-url", &anvil.endpoint(), "--addresses"])
        .arg(&addresses_path)
        .arg("--config")
        .arg(&config)
        .env("PROOFMARKET_PRIVATE_KEY", hex::encode(signer.to_bytes()))
        .env("PROOFMARKET_MAX_BLOCK_TXS", "2")
        .env("PROOFMARKET_LOG", "info")
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("sequencer.log")).unwrap())
        .spawn()
        .expect("spawn the sequencer");
    let base = format!("http://{api_addr}");
    let client = reqwest::Client::new();
    wait_for("the sequencer API", Duration::from_secs(30), || {
        let (client, base) = (client.clone(), base.clone());
        async move { client.get(format!("{base}/health")).send().await.is_ok() }
    })
    .await;
    for (nonce, amount) in [(0u64, 10u64), (1, 20)] {
        let tx = Transaction {
            from: 1,
            to: 2,
            amount,
            nonce,
        }
        .sign(&devnet_key(1));
        let response = client
            .post(format!("{base}/tx"))
            .json(&serde_json::json!({ "tx": proofmarket::sequencer::node::encode_hex(&tx) }))
            .send()
            .await
            .expect("POST /tx");
        assert_eq!(response.status().as_u16(), 200);
    }
    wait_for("block 1 posted", Duration::from_secs(30), || {
        let provider = provider.clone();
        async move { rollup_log(&provider, rollup).await.0 == vec![1] }
    })
    .await;
    let block_one = || {
        let (client, base) = (client.clone(), base.clone());
        async move {
            client
                .get(format!("{base}/blocks/1"))
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    // The post is on chain before the sequencer has read its receipt and recorded it (header,
    // then the row's status and L1 tx): wait for the record, so that the re-post below is told
    // apart from this first post's own record.
    wait_for(
        "the sequencer to record the first post",
        Duration::from_secs(30),
        || {
            let block = block_one();
            async move {
                let first = block.await;
                first["status"] == "posted" && !first["l1Tx"].is_null()
            }
        },
    )
    .await;
    let first = block_one().await;

    // Nobody proves it: past its proof window the sequencer prunes it, rolls back, and posts the
    // requeued transfers as block 1 again.
    provider
        .raw_request::<_, serde_json::Value>("evm_increaseTime".into(), (u64::from(window) + 1,))
        .await
        .expect("evm_increaseTime");
    provider
        .raw_request::<_, serde_json::Value>("evm_mine".into(), ())
        .await
        .expect("evm_mine");
    wait_for("the prune and the re-post", Duration::from_secs(60), || {
        let provider = provider.clone();
        async move { rollup_log(&provider, rollup).await == (vec![1, 1], vec![(1, 1)]) }
    })
    .await;
    let rollup_contract = Rollup::new(rollup, &provider);
    let tip = rollup_contract.pendingTip().call().await.unwrap();
    assert_eq!(tip.number, 1, "block 1 is pending again");
    // The sequencer records the re-post once it has read its receipt.
    wait_for(
        "the sequencer to record the re-post",
        Duration::from_secs(30),
        || {
            let (block, first) = (block_one(), first.clone());
            async move {
                let again = block.await;
                again["status"] == "posted"
                    && !again["l1Tx"].is_null()
                    && again["l1Tx"] != first["l1Tx"]
            }
        },
    )
    .await;
    let again = block_one().await;
    assert_eq!(
        again["txs"], first["txs"],
        "the same transfers, requeued in order"
    );
    assert_eq!(again["newStateRoot"], first["newStateRoot"]);
    assert_ne!(again["taskId"], first["taskId"], "a new root-proof task");

    sequencer.kill().expect("stop the sequencer");
    sequencer.wait().expect("the sequencer exits");
    let log = std::fs::read_to_string(dir.path().join("sequencer.log")).unwrap();
    assert!(log.contains("proof window closed: pruned"), "{log}");
    assert!(log.contains("L1 pruned blocks; L2 rolled back"), "{log}");
    println!("wall {:.1}s", started.elapsed().as_secs_f64());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_a_reorg_took_before_its_receipt_is_rebroadcast_and_lands_once() {
    use alloy::providers::Provider;
    use prover_support::{Net, RpcProxy};
    let net = Net::start(|_| {}).await;
    let me = net.deployer.address();
    let rollup = net.addresses.rollup.expect("rollup");
    let proxy = RpcProxy::start(
        &net.anvil.endpoint(),
        Rollup::postBlockAndRequestProofCall::SELECTOR,
    )
    .await;
    let via_proxy = connect(&proxy.url, Some(net.deployer.clone()))
        .await
        .expect("connect");
    let poster = BlockPoster {
        node: net.node.clone(),
        submitter: Submitter::new(
            via_proxy,
            net.deployer.clone(),
            net.seq_store.clone(),
            SubmitterConfig {
                presence_interval: Duration::from_millis(200),
                ..SubmitterConfig::default()
            },
            "test-sequencer",
        ),
        rollup,
        policy: BuildPolicy {
            max_block_txs: 8,
            block_interval: Duration::from_millis(50),
        },
    };
    for (nonce, amount) in [(0u64, 10u64), (1, 20)] {
        let tx = Transaction {
            from: 1,
            to: 2,
            amount,
            nonce,
        }
        .sign(&devnet_key(1));
        net.node.submit(tx).unwrap().unwrap();
    }
    let built = net.node.build_block(8).unwrap().unwrap();
    let nonce_before = net.admin.get_transaction_count(me).await.unwrap();

    let snapshot: serde_json::Value = net
        .admin
        .raw_request("evm_snapshot".into(), ())
        .await
        .unwrap();
    // The submitter's first receipt poll after the broadcast is held until after the reorg.
    proxy.hold_next_call_of("eth_getTransactionReceipt");
    let posting = tokio::spawn(async move { poster.post_pending().await });
    wait_for(
        "the post broadcast and its first receipt poll held",
        Duration::from_secs(30),
        || {
            let held = proxy.calls_held();
            async move { held == 1 }
        },
    )
    .await;
    let recorded = net.seq_store.unsettled_submissions().unwrap();
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    let key = recorded[0].key.clone();
    let hash = recorded[0].tx_hash.expect("hash");
    let raw = net.seq_store.submission_raw(&key).unwrap().expect("raw");
    assert!(
        net.admin
            .get_transaction_receipt(hash)
            .await
            .unwrap()
            .is_some(),
        "mined at once"
    );
    let reverted: bool = net
        .admin
        .raw_request("evm_revert".into(), (snapshot,))
        .await
        .unwrap();
    assert!(reverted);
    assert!(
        net.admin
            .get_transaction_by_hash(hash)
            .await
            .unwrap()
            .is_none()
    );
    let released = std::time::Instant::now();
    proxy.release_held_calls();
    tokio::time::timeout(Duration::from_secs(30), posting)
        .await
        .expect("the post settles long before the 120 s receipt timeout")
        .expect("join")
        .expect("posted");
    let settled_in = released.elapsed();
    assert!(
        settled_in < Duration::from_secs(5),
        "rebroadcast and mined within a few seconds, took {settled_in:?}"
    );
    assert_eq!(
        proxy.forwarded(),
        vec![
            alloy::primitives::Bytes::from(raw.clone()),
            alloy::primitives::Bytes::from(raw)
        ],
        "the recorded bytes, broadcast again"
    );
    let row = net.seq_store.block(built.body.number).unwrap().unwrap();
    assert_eq!(row.status, status::POSTED);
    assert_eq!(row.l1_tx, Some(hash), "posted by the recorded transaction");
    assert!(row.task_id.is_some(), "its task id read from the receipt");
    assert_eq!(
        net.admin.get_transaction_count(me).await.unwrap(),
        nonce_before + 1,
        "one transaction: nothing re-signed"
    );
    let pending = Rollup::new(rollup, &net.admin)
        .pendingTip()
        .call()
        .await
        .unwrap();
    assert_eq!(pending.number, built.body.number);
    assert_eq!(pending.stateRoot, built.body.new_state_root);
    let (posted, _) = rollup_log(&net.admin, rollup).await;
    assert_eq!(
        posted,
        vec![built.body.number],
        "posted once on the canonical chain"
    );
    assert_eq!(
        net.seq_store.submission(&key).unwrap().unwrap().status,
        proofmarket::store::SubmissionStatus::Confirmed
    );
    println!("settled {:.2}s after the reorg", settled_in.as_secs_f64());
}
