//! The `proofmarket sequencer --ledger` binary against a real LedgerRollup on anvil: blocks are posted
//! to the rollup whose root tasks live on the one-word TaskLedger, proven through the ledger instance
//! the sequencer pins (`--mechanism ascending`); a block whose root task a prover locked and then
//! abandoned is pruned past its window with the task's *current* version rebuilt from the ledger's
//! logs (the LedgerRollup refuses a stale copy), so the ledger slashes the locker, and the L2 rolls
//! back and posts the block again under a new task.

mod poll_support;

use std::path::PathBuf;
use std::time::Duration;

use alloy::node_bindings::{Anvil, AnvilInstance};
use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolEvent;
use poll_support::wait_for;
use proofmarket::chain::{ChainProvider, connect};
use proofmarket::deploy::{DeployParams, deploy};
use proofmarket::ledger::call::task_as;
use proofmarket::ledger::rebuild_task;
use proofmarket_bindings::{
    LedgerAscendingPriceAuction, LedgerRollup, ProofToken, ProverRegistry, TaskLedger,
};
use proofmarket_circuits::state::{Transaction, devnet_key};

const TOKEN: u128 = 1_000_000_000_000_000_000;

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

/// The LedgerRollup's posted block numbers, pruned ranges and requested root tasks, in chain order.
async fn rollup_log(
    provider: &ChainProvider,
    rollup: Address,
) -> (Vec<u64>, Vec<(u64, u64)>, Vec<U256>) {
    let logs = provider
        .get_logs(&Filter::new().address(rollup).from_block(0))
        .await
        .expect("logs");
    let (mut posted, mut pruned, mut tasks) = (Vec::new(), Vec::new(), Vec::new());
    for log in logs {
        match log.topic0().copied() {
            Some(LedgerRollup::BlockPosted::SIGNATURE_HASH) => {
                let e = log
                    .log_decode::<LedgerRollup::BlockPosted>()
                    .expect("BlockPosted");
                posted.push(e.inner.data.header.number);
            }
            Some(LedgerRollup::BlocksPruned::SIGNATURE_HASH) => {
                let e = log
                    .log_decode::<LedgerRollup::BlocksPruned>()
                    .expect("BlocksPruned");
                pruned.push((e.inner.data.fromBlock, e.inner.data.toBlock));
            }
            Some(LedgerRollup::BlockProofRequested::SIGNATURE_HASH) => {
                let e = log
                    .log_decode::<LedgerRollup::BlockProofRequested>()
                    .expect("BlockProofRequested");
                tasks.push(e.inner.data.taskId);
            }
            _ => {}
        }
    }
    (posted, pruned, tasks)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_then_abandoned_ledger_root_task_is_slashed_at_the_prune_and_the_block_reposted() {
    let anvil = anvil();
    let signer: PrivateKeySigner = anvil.keys()[0].clone().into();
    let locker_key: PrivateKeySigner = anvil.keys()[1].clone().into();
    let me = signer.address();
    let locker = locker_key.address();
    let provider = connect(&anvil.endpoint(), Some(signer.clone()))
        .await
        .unwrap();
    let locker_provider = connect(&anvil.endpoint(), Some(locker_key.clone()))
        .await
        .unwrap();
    let mut params = DeployParams::devnet(me);
    params.ledger = true;
    params.fund = vec![locker];
    params.fund_amount = U256::from(1_000 * TOKEN);
    let window = params.rollup.as_ref().expect("rollup").proof_window;
    let lock_collateral = params.mechanisms.ascending_lock_collateral;
    let addresses = deploy(&provider, me, &params).await.unwrap();
    let market = addresses.ledger.clone().expect("a ledger market");
    let rollup = market.rollup.expect("a LedgerRollup beside the ledger");
    let ascending = market.mechanisms["ascending"];

    // The locker stakes in the ledger's ProverRegistry.
    let stake = U256::from(200 * TOKEN);
    ProofToken::new(addresses.token, &locker_provider)
        .approve(market.prover_registry, stake)
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    ProverRegistry::new(market.prover_registry, &locker_provider)
        .register(stake, 1, 4)
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();

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
            "[chain]\npoll_interval_ms = 200\n\n[store]\npath = {:?}\n\n[sequencer]\nlisten = \"{api_addr}\"\nblock_interval_ms = 300\nledger = true\n",
            dir.path().join("sequencer.db")
        ),
    )
    .unwrap();
    // The ledger's tree has no prover strategy: pinning it is refused by name before anything is sent.
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_proofmarket"))
        .args(["sequencer", "--rpc-url", &anvil.endpoint(), "--addresses"])
        .arg(&addresses_path)
        .arg("--config")
        .arg(&config)
        .args(["--mechanism", "tree"])
        .env("PROOFMARKET_PRIVATE_KEY", hex::encode(signer.to_bytes()))
        .current_dir(dir.path())
        .output()
        .expect("run the sequencer");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{stderr}");
    assert!(
        stderr.contains("[Q006] --mechanism tree on the ledger"),
        "{stderr}"
    );

    let mut sequencer = std::process::Command::new(env!("CARGO_BIN_EXE_proofmarket"))
        .args(["sequencer", "--rpc-url", &anvil.endpoint(), "--addresses"])
        .arg(&addresses_path)
        .arg("--config")
        .arg(&config)
        .args(["--mechanism", "ascending", "--max-block-txs", "2"])
        .env("PROOFMARKET_PRIVATE_KEY", hex::encode(signer.to_bytes()))
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
    wait_for(
        "block 1 posted to the LedgerRollup",
        Duration::from_secs(30),
        || {
            let provider = provider.clone();
            async move { rollup_log(&provider, rollup).await.0 == vec![1] }
        },
    )
    .await;
    let first_task = rollup_log(&provider, rollup).await.2[0];

    // The root task is on the ledger, under the pinned instance, with the Rollup as its requester.
    let head = provider.get_block_number().await.unwrap();
    let tracked = rebuild_task(&provider, market.ledger, first_task, 0, head, 5_000)
        .await
        .unwrap()
        .expect("the root task's TaskCreated");
    assert_eq!(tracked.task.requester, rollup);
    assert_eq!(tracked.task.mechanism, ascending);
    assert_eq!(
        tracked.task.circuitId,
        proofmarket_circuits::circuits::CircuitKind::Root.id()
    );

    // A prover locks it, then vanishes: the task's current version now names an assignee.
    LedgerAscendingPriceAuction::new(ascending, &locker_provider)
        .lock(first_task, task_as(&tracked.task))
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let locked_stake = ProverRegistry::new(market.prover_registry, &provider)
        .proverOf(locker)
        .call()
        .await
        .unwrap();
    assert_eq!(U256::from(locked_stake.locked), lock_collateral);

    // Past the proof window the sequencer prunes with the locked version, the ledger slashes the
    // locker, and the requeued transfers are posted as block 1 again under a new root task.
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
        async move {
            let (posted, pruned, _) = rollup_log(&provider, rollup).await;
            posted == vec![1, 1] && pruned == vec![(1, 1)]
        }
    })
    .await;
    let tasks = rollup_log(&provider, rollup).await.2;
    assert_eq!(tasks.len(), 2);
    assert_ne!(
        tasks[1], first_task,
        "a new root task for the re-posted block"
    );

    let slashes = provider
        .get_logs(
            &Filter::new()
                .address(market.ledger)
                .event_signature(TaskLedger::AssignmentSlashed::SIGNATURE_HASH)
                .from_block(0),
        )
        .await
        .unwrap();
    assert_eq!(slashes.len(), 1, "one slash: the abandoned lock");
    let slash = slashes[0]
        .log_decode::<TaskLedger::AssignmentSlashed>()
        .unwrap()
        .inner
        .data;
    assert_eq!(slash.taskId, first_task);
    assert_eq!(slash.prover, locker);
    assert_eq!(slash.amount, lock_collateral);
    let after = ProverRegistry::new(market.prover_registry, &provider)
        .proverOf(locker)
        .call()
        .await
        .unwrap();
    assert_eq!(U256::from(after.locked), U256::ZERO, "the lock is released");
    assert_eq!(
        U256::from(after.stake),
        stake - lock_collateral,
        "and its collateral slashed"
    );
    let word = TaskLedger::new(market.ledger, &provider)
        .taskWord(first_task)
        .call()
        .await
        .unwrap();
    assert!(word.is_zero(), "the pruned block's task expired for good");

    sequencer.kill().expect("stop the sequencer");
    sequencer.wait().expect("the sequencer exits");
    let log = std::fs::read_to_string(dir.path().join("sequencer.log")).unwrap();
    assert!(log.contains("pinned to ascending"), "{log}");
    assert!(log.contains("proof window closed: pruned"), "{log}");
    assert!(log.contains("L1 pruned blocks; L2 rolled back"), "{log}");
}
