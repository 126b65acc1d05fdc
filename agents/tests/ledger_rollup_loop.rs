//! The ledger rollup's loop closed on anvil, with real Groth16 proofs: `proofmarket deploy --ledger`'s
//! deployment (the TaskLedger, its instances and the LedgerRollup), the `proofmarket sequencer
//! --ledger` binary posting L2 transfers as blocks whose root tasks open under the ledger race (the
//! LedgerRollup's default mechanism), and a [`LedgerProver`] over that race whose
//! [`RollupSource`] learns the block from the rollup's logs, fetches its transactions from the
//! sequencer, checks them (`prover::data`) and proves the block's tree (base, merge, root). The
//! sequencer's follower finalizes: the rollup's proven tip advances, the prover is paid the race's
//! payment in the ledger and the sequencer's share is credited in the rollup.
//!
//! And the refusal: a block posted directly with a header its own transactions do not produce, and a
//! block on top of it (a parent state the prover never holds), are declined by the source (their
//! reasons kept), and the runner sends nothing for their tasks.

mod poll_support;
mod prover_support;
#[macro_use]
mod ledger_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy::primitives::{Address, B256, Bytes, U256, keccak256};
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolEvent;
use ledger_support::cost_model;
use poll_support::wait_for;
use proofmarket::chain::submitter::{Submitter, SubmitterConfig};
use proofmarket::chain::{ChainProvider, connect};
use proofmarket::deploy::{DeployParams, deploy};
use proofmarket::ledger::race::RaceTerms;
use proofmarket::ledger::rollup_source::{RollupSource, root_input_commitment, root_public_inputs};
use proofmarket::ledger::runner::{Acted, LedgerProver};
use proofmarket::ledger::{LedgerSync, rebuild_task};
use proofmarket::prover::data::{L2States, SequencerClient};
use proofmarket::prover::policy::StrategySection;
use proofmarket::prover::pool::WorkerPool;
use proofmarket::store::Store;
use proofmarket_bindings::{LedgerRollup, ProofToken, ProverRegistry, TaskLedger};
use proofmarket_circuits::block::BlockWitness;
use proofmarket_circuits::evm::fr_to_b256;
use proofmarket_circuits::keys::{Keys, default_key_dir};
use proofmarket_circuits::state::{self, Transaction, devnet_key, encode_transactions};
use prover_support::{TOKEN, anvil};

/// Deploys the ledger market with its LedgerRollup (account 0 deploys and sequences) and stakes
/// account 1 as a prover in the ledger's ProverRegistry. Returns the deployment and both signers.
async fn ledger_rollup(
    anvil: &alloy::node_bindings::AnvilInstance,
) -> (
    proofmarket::chain::addresses::Addresses,
    [PrivateKeySigner; 2],
    ChainProvider,
) {
    let sequencer: PrivateKeySigner = anvil.keys()[0].clone().into();
    let prover: PrivateKeySigner = anvil.keys()[1].clone().into();
    let admin = connect(&anvil.endpoint(), Some(sequencer.clone()))
        .await
        .unwrap();
    let mut params = DeployParams::devnet(sequencer.address());
    params.ledger = true;
    params.fund = vec![prover.address()];
    let addresses = deploy(&admin, sequencer.address(), &params)
        .await
        .expect("deploy");
    let market = addresses.ledger.clone().expect("the ledger market");
    let p = connect(&anvil.endpoint(), Some(prover.clone()))
        .await
        .unwrap();
    let stake = U256::from(500 * TOKEN);
    send!(ProofToken::new(addresses.token, &p).approve(market.prover_registry, stake)).await;
    send!(ProverRegistry::new(market.prover_registry, &p).register(stake, 0, 4)).await;
    (addresses, [sequencer, prover], admin)
}

/// A runner for `key` over the ledger race with a [`RollupSource`] on `sequencer` (or L1 calldata
/// only), its state in `dir`.
async fn race_runner(
    anvil: &alloy::node_bindings::AnvilInstance,
    addresses: &proofmarket::chain::addresses::Addresses,
    key: &PrivateKeySigner,
    sequencer: Option<SequencerClient>,
    dir: &std::path::Path,
) -> LedgerProver<RollupSource> {
    let market = addresses.ledger.clone().expect("the ledger market");
    let provider = connect(&anvil.endpoint(), Some(key.clone())).await.unwrap();
    let store = Store::open(&dir.join("prover.db")).unwrap();
    let sync = LedgerSync::restore(
        provider.clone(),
        market.ledger,
        store.clone(),
        addresses.deployed_block,
        50,
    )
    .unwrap();
    let submitter = Submitter::new(
        provider.clone(),
        key.clone(),
        store.clone(),
        SubmitterConfig::default(),
        "ledger-rollup-test",
    );
    let keys = Arc::new(Keys::load_or_setup(&default_key_dir()).expect("proving keys"));
    let source = RollupSource::new(
        provider,
        market.rollup.expect("a LedgerRollup"),
        addresses.deployed_block,
        sequencer,
        L2States::devnet(),
        keys,
        WorkerPool::new(2),
        store.clone(),
    );
    LedgerProver::start(
        sync,
        submitter,
        store,
        &[market.mechanisms["race"]],
        cost_model(0.01),
        &StrategySection::default(),
        4,
        source,
    )
    .await
    .expect("start the runner")
}

/// The LedgerRollup's `BlockProofRequested` logs: (block, task id, sequencer reward).
async fn requested(provider: &ChainProvider, rollup: Address) -> Vec<(u64, U256, u128)> {
    provider
        .get_logs(
            &Filter::new()
                .address(rollup)
                .event_signature(LedgerRollup::BlockProofRequested::SIGNATURE_HASH)
                .from_block(0),
        )
        .await
        .expect("logs")
        .iter()
        .map(|log| {
            let e = log
                .log_decode::<LedgerRollup::BlockProofRequested>()
                .expect("BlockProofRequested")
                .inner
                .data;
            (e.number, e.taskId, e.sequencerReward.to())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sequenced_block_is_proven_through_the_ledger_race_and_finalized() {
    // The proving keys first: a cold cache is set up once, outside the loop's timings.
    Keys::load_or_setup(&default_key_dir()).expect("proving keys");
    let started = Instant::now();
    let anvil = anvil();
    let (addresses, [sequencer_key, prover_key], admin) = ledger_rollup(&anvil).await;
    let market = addresses.ledger.clone().unwrap();
    let rollup = market.rollup.unwrap();
    let race = market.mechanisms["race"];
    let (me, prover) = (sequencer_key.address(), prover_key.address());

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
    // No --mechanism: the root tasks open under the LedgerRollup's default, the ledger race.
    let mut sequencer = std::process::Command::new(env!("CARGO_BIN_EXE_proofmarket"))
        .args(["sequencer", "--rpc-url", &anvil.endpoint(), "--addresses"])
        .arg(&addresses_path)
        .arg("--config")
        .arg(&config)
        .args(["--max-block-txs", "2"])
        .env(
            "PROOFMARKET_PRIVATE_KEY",
            hex::encode(sequencer_key.to_bytes()),
        )
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
    for (from, to, amount) in [(1u32, 2u32, 10u64), (2, 3, 20)] {
        let tx = Transaction {
            from,
            to,
            amount,
            nonce: 0,
        }
        .sign(&devnet_key(from));
        let response = client
            .post(format!("{base}/tx"))
            .json(&serde_json::json!({ "tx": proofmarket::sequencer::node::encode_hex(&tx) }))
            .send()
            .await
            .expect("POST /tx");
        assert_eq!(response.status().as_u16(), 200);
    }
    wait_for(
        "block 1's root task on the ledger",
        Duration::from_secs(30),
        || {
            let admin = admin.clone();
            async move { !requested(&admin, rollup).await.is_empty() }
        },
    )
    .await;
    let (number, task_id, sequencer_reward) = requested(&admin, rollup).await[0];
    assert_eq!(number, 1);
    let head = admin.get_block_number().await.unwrap();
    let task = rebuild_task(&admin, market.ledger, task_id, 0, head, 5_000)
        .await
        .unwrap()
        .expect("the root task's TaskCreated")
        .task;
    assert_eq!((task.requester, task.mechanism), (rollup, race));
    let set_up = started.elapsed();

    // The prover: passes until its proof is accepted (the first pass learns, checks and proves).
    let ledger = TaskLedger::new(market.ledger, &admin);
    let before = ledger.balanceOf(prover).call().await.unwrap();
    let client = SequencerClient::new(&base).unwrap();
    let mut runner = race_runner(&anvil, &addresses, &prover_key, Some(client), dir.path()).await;
    let proving = Instant::now();
    let mut credited = None;
    for _ in 0..5 {
        let done = runner.step().await.expect("a pass");
        if let Some((id, Acted::Proved { credited: paid })) = done.first() {
            assert_eq!(*id, task_id);
            credited = Some(*paid);
            break;
        }
        assert!(done.is_empty(), "nothing but the proof: {done:?}");
    }
    let credited = credited.expect("the root task proven within five passes");
    let proved_in = proving.elapsed();
    // What the source learned: block 1, its task, its two transfers; and the inputs it proved are
    // what the LedgerRollup's own view gives for the posted header.
    let learned = runner.proofs().latest(1).expect("block 1 learned");
    assert_eq!(learned.task_id, Some(task_id));
    assert_eq!(learned.data.as_ref().map(|w| w.plan.tx_count()), Ok(2));
    let posted = admin
        .get_logs(
            &Filter::new()
                .address(rollup)
                .event_signature(LedgerRollup::BlockPosted::SIGNATURE_HASH)
                .from_block(0),
        )
        .await
        .unwrap()[0]
        .log_decode::<LedgerRollup::BlockPosted>()
        .unwrap()
        .inner
        .data
        .header;
    assert_eq!(
        LedgerRollup::new(rollup, &admin)
            .rootPublicInputs(posted)
            .call()
            .await
            .unwrap(),
        root_public_inputs(&learned.posted)
    );
    assert_eq!(root_input_commitment(&learned.posted), task.inputCommitment);

    // The race's payment, in the ledger.
    let accepted = admin
        .get_logs(
            &Filter::new()
                .address(market.ledger)
                .event_signature(TaskLedger::ProofAccepted::SIGNATURE_HASH)
                .from_block(0),
        )
        .await
        .unwrap();
    assert_eq!(accepted.len(), 1, "one proof accepted");
    let accepted_at = admin
        .get_block_by_number(accepted[0].block_number.unwrap().into())
        .await
        .unwrap()
        .unwrap()
        .header
        .timestamp;
    let e = accepted[0]
        .log_decode::<TaskLedger::ProofAccepted>()
        .unwrap()
        .inner
        .data;
    assert_eq!((e.taskId, e.prover), (task_id, prover));
    let terms = RaceTerms::read(&admin, race).await.unwrap();
    let due = U256::from(terms.payment_at(&task, accepted_at));
    assert!(due > U256::ZERO);
    assert_eq!(e.credited, due, "the race's payment at acceptance");
    assert_eq!(credited, due);
    let after = ledger.balanceOf(prover).call().await.unwrap();
    assert_eq!(after - before, due, "credited to the prover in the ledger");

    // The sequencer's follower finalizes: the proven tip is block 1, the sequencer's share credited.
    let contract = LedgerRollup::new(rollup, &admin);
    wait_for(
        "the LedgerRollup's proven tip at block 1",
        Duration::from_secs(30),
        || {
            let contract = contract.clone();
            async move { contract.provenTip().call().await.unwrap().number == 1 }
        },
    )
    .await;
    let tip = contract.provenTip().call().await.unwrap();
    let header_root = LedgerRollup::new(rollup, &admin)
        .pendingTip()
        .call()
        .await
        .unwrap();
    assert_eq!(tip.stateRoot, header_root.stateRoot);
    assert!(sequencer_reward > 0);
    assert_eq!(
        contract.claimable(me).call().await.unwrap(),
        U256::from(sequencer_reward),
        "the sequencer's reward credited at finalisation"
    );
    let finalized = admin
        .get_logs(
            &Filter::new()
                .address(rollup)
                .event_signature(LedgerRollup::BlockFinalized::SIGNATURE_HASH)
                .from_block(0),
        )
        .await
        .unwrap();
    assert_eq!(finalized.len(), 1);

    sequencer.kill().expect("stop the sequencer");
    sequencer.wait().expect("the sequencer exits");
    eprintln!(
        "ledger rollup loop: set-up {:.1}s, learn + check + prove + submit {:.1}s, total {:.1}s",
        set_up.as_secs_f64(),
        proved_in.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_its_transactions_do_not_produce_and_the_block_above_are_declined_and_nothing_sent()
{
    let anvil = anvil();
    let (addresses, [_, prover_key], admin) = ledger_rollup(&anvil).await;
    let market = addresses.ledger.clone().unwrap();
    let rollup = market.rollup.unwrap();

    // The sequencer posts block 1 itself: honest transactions and commitment, a new state root
    // they do not produce (a field element, so the rollup takes it).
    let genesis = state::devnet_genesis();
    let txs = encode_transactions(&[Transaction {
        from: 1,
        to: 2,
        amount: 5,
        nonce: 0,
    }
    .sign(&devnet_key(1))]);
    let (block, _) =
        BlockWitness::build(&genesis, &state::decode_transactions(&txs).unwrap(), 1).unwrap();
    let wrong_root = B256::from(U256::from(12_345u64));
    send!(LedgerRollup::new(rollup, &admin).postBlockAndRequestProof(
        1,
        fr_to_b256(genesis.root()),
        wrong_root,
        fr_to_b256(block.txs_commitment()),
        Bytes::from(txs.clone()),
    ))
    .await;
    // And block 2 on top of it: whatever its data, its parent state is one the prover never holds.
    send!(LedgerRollup::new(rollup, &admin).postBlockAndRequestProof(
        2,
        wrong_root,
        B256::from(U256::from(67_890u64)),
        fr_to_b256(block.txs_commitment()),
        Bytes::from(txs.clone()),
    ))
    .await;
    let tasks = requested(&admin, rollup).await;
    let (task_id, above) = (tasks[0].1, tasks[1].1);

    // A prover without a sequencer API rebuilds the block from the posting calldata, whose hash
    // matches the header; the state root does not, so the block is refused and its task declined.
    let dir = tempfile::tempdir().unwrap();
    let mut runner = race_runner(&anvil, &addresses, &prover_key, None, dir.path()).await;
    let nonce = admin
        .get_transaction_count(prover_key.address())
        .await
        .unwrap();
    for _ in 0..2 {
        let done = runner.step().await.expect("a pass");
        assert!(done.is_empty(), "the task is declined: {done:?}");
    }
    assert!(
        runner.sync().book().get(task_id).is_some() && runner.sync().book().get(above).is_some(),
        "the runner's book tracks the tasks it declines"
    );
    assert_eq!(
        admin
            .get_transaction_count(prover_key.address())
            .await
            .unwrap(),
        nonce,
        "nothing sent"
    );
    let word = TaskLedger::new(market.ledger, &admin)
        .taskWord(task_id)
        .call()
        .await
        .unwrap();
    assert!(!word.is_zero(), "the root task is still open");
    let above_block = runner.proofs().latest(2).expect("block 2 learned");
    assert_eq!(above_block.task_id, Some(above));
    let reason = above_block.data.as_ref().expect_err("block 2 refused");
    assert!(reason.contains("parent state"), "{reason}");
    let learned = runner.proofs().latest(1).expect("block 1 learned");
    assert_eq!(learned.posted.txs_data_hash, keccak256(&txs));
    assert_eq!(learned.task_id, Some(task_id));
    let reason = learned.data.as_ref().expect_err("block 1 refused");
    assert!(reason.contains("new state root"), "{reason}");
}
