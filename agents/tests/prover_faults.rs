//! The prover under faults, against anvil, asserted on L1 state:
//! - a copied proof (the agent's `submitProof` calldata, byte for byte, from another registered
//!   prover) reverts with `InvalidProof` and earns nothing; the agent's payment is unaffected;
//! - a sequencer that serves block data other than it posted is ignored (the block is proven from L1
//!   calldata), and a block whose header its own transactions do not produce is never proven;
//! - the Prometheus endpoint shows the proven task's counters, gas and earnings.

mod poll_support;
mod prover_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use alloy::consensus::Transaction as _;
use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use poll_support::wait_for;
use proofmarket::prover::submit::{decode_revert, error_name};
use proofmarket::store::TaskState;
use proofmarket_bindings::{AscendingPriceAuction, ProofToken, ProverRegistry, Rollup};
use proofmarket_circuits::block::BlockWitness;
use proofmarket_circuits::evm::fr_to_b256;
use proofmarket_circuits::state::{
    SignedTransaction, Transaction, devnet_genesis, devnet_key, encode_transactions,
};
use prover_support::{Net, Running, TOKEN};
use tokio_util::sync::CancellationToken;

/// Waits until `prover` has a proof accepted for `task_id` and its store says so.
async fn wait_proven(net: &Net, running: &Running, task_id: u64, prover: Address) {
    let registry = net.registry();
    wait_for("the agent's proof on L1", Duration::from_secs(240), || {
        let registry = registry.clone();
        let alive = !running.handle.is_finished();
        async move {
            assert!(alive, "the prover stopped early");
            registry
                .hasProven(U256::from(task_id), prover)
                .call()
                .await
                .expect("hasProven")
        }
    })
    .await;
    wait_for(
        "the store to record the proof",
        Duration::from_secs(60),
        || {
            let store = running.store.clone();
            async move {
                store
                    .task(task_id)
                    .expect("task row")
                    .is_some_and(|t| t.state == TaskState::Proven)
            }
        },
    )
    .await;
}

fn b256(fr: proofmarket_circuits::Fr) -> B256 {
    B256::from(fr_to_b256(fr).0)
}

fn transfers(amounts: &[(u64, u64)]) -> Vec<SignedTransaction> {
    amounts
        .iter()
        .map(|&(nonce, amount)| {
            Transaction {
                from: 1,
                to: 2,
                amount,
                nonce,
            }
            .sign(&devnet_key(1))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copied_proof_reverts_and_earns_nothing() {
    // Two proof slots per root task: the copy arrives while the task still takes proofs, so what
    // stops it is the proof's binding to its prover, not a closed task.
    let net = Net::start(|p| {
        if let Some(rollup) = p.rollup.as_mut() {
            rollup.redundancy = 2;
        }
    })
    .await;
    let agent = net.key(2);
    let copier = net.key(3);
    net.fund(agent.address()).await;
    net.fund(copier.address()).await;
    let (_, task_id) = net.post_block().await;

    // The copier is a registered prover in good standing.
    let copier_provider = net.provider(&copier).await;
    let stake = U256::from(100 * TOKEN);
    ProofToken::new(net.addresses.token, &copier_provider)
        .approve(net.addresses.prover_registry, stake)
        .send()
        .await
        .expect("approve")
        .get_receipt()
        .await
        .expect("approve receipt");
    let registered = ProverRegistry::new(net.addresses.prover_registry, &copier_provider)
        .register(stake, 0, 1)
        .send()
        .await
        .expect("register")
        .get_receipt()
        .await
        .expect("register receipt");
    assert!(registered.status());

    let dir = net.dir.path().join("agent.db");
    let running = net.start_prover(&agent, &dir, net.settings(None)).await;
    wait_proven(&net, &running, task_id, agent.address()).await;
    running.stop().await;

    let registry = net.registry();
    let agent_paid = registry
        .claimable(agent.address())
        .call()
        .await
        .expect("claimable");
    assert!(agent_paid > U256::ZERO);
    let agent_txs = net.submissions_by(agent.address()).await;
    assert_eq!(agent_txs.len(), 1);
    let original = net
        .admin
        .get_transaction_by_hash(agent_txs[0])
        .await
        .expect("tx")
        .expect("the agent's submitProof");
    let calldata: Bytes = original.input().clone();

    // 1. Simulated: refused with the verifier's named error.
    let copy = TransactionRequest::default()
        .with_from(copier.address())
        .with_to(net.addresses.task_registry)
        .with_input(calldata.clone());
    let err = copier_provider
        .estimate_gas(copy.clone())
        .await
        .expect_err("the copy must not verify");
    let data = err
        .as_error_resp()
        .and_then(|resp| resp.as_revert_data())
        .expect("revert data");
    let decoded = decode_revert(&data).expect("a proofmarket error");
    assert_eq!(error_name(&decoded), "InvalidProof", "{decoded}");

    // 2. Mined anyway (explicit gas limit, no simulation): it reverts on chain.
    let receipt = copier_provider
        .send_transaction(copy.with_gas_limit(2_000_000))
        .await
        .expect("broadcast")
        .get_receipt()
        .await
        .expect("receipt");
    assert!(!receipt.status(), "the copied proof reverts on chain");

    // Nothing earned, nothing recorded; the agent's payment and slot are untouched.
    assert_eq!(
        registry
            .claimable(copier.address())
            .call()
            .await
            .expect("claimable"),
        U256::ZERO
    );
    assert!(
        !registry
            .hasProven(U256::from(task_id), copier.address())
            .call()
            .await
            .expect("hasProven")
    );
    assert_eq!(net.accepted_for(task_id, copier.address()).await, 0);
    assert_eq!(
        registry
            .claimable(agent.address())
            .call()
            .await
            .expect("claimable"),
        agent_paid
    );
    let task = registry
        .taskOf(U256::from(task_id))
        .call()
        .await
        .expect("taskOf");
    assert_eq!(task.proofsAccepted, 1, "only the agent's proof counts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_sequencer_data_is_never_proven() {
    let net = Net::start(|_| {}).await;
    let agent = net.key(5);
    net.fund(agent.address()).await;
    let rollup = Rollup::new(net.addresses.rollup.expect("rollup"), &net.admin);

    // Block 1: posted honestly on L1; the sequencer's HTTP API will serve other (validly signed)
    // transfers for it.
    let genesis = devnet_genesis();
    let honest = transfers(&[(0, 10), (1, 20)]);
    let (block1, state1) = BlockWitness::build(&genesis, &honest, 1).expect("block 1");
    let post1 = rollup
        .postBlockAndRequestProof(
            1,
            b256(genesis.root()),
            b256(block1.new_state_root()),
            b256(block1.txs_commitment()),
            encode_transactions(&honest).into(),
        )
        .send()
        .await
        .expect("post 1")
        .get_receipt()
        .await
        .expect("receipt 1");
    assert!(post1.status());

    // Block 2: its transactions are real, but the header claims a state root they do not produce
    // (the sequencer lies on L1 itself).
    let next = transfers(&[(2, 5), (3, 6)]);
    let (block2, _) = BlockWitness::build(&state1, &next, 2).expect("block 2");
    let mut lie = b256(block2.new_state_root());
    lie.0[31] ^= 1;
    let post2 = rollup
        .postBlockAndRequestProof(
            2,
            b256(block1.new_state_root()),
            lie,
            b256(block2.txs_commitment()),
            encode_transactions(&next).into(),
        )
        .send()
        .await
        .expect("post 2")
        .get_receipt()
        .await
        .expect("receipt 2");
    assert!(post2.status());
    let task_of = |receipt: &alloy::rpc::types::TransactionReceipt| {
        receipt
            .inner
            .logs()
            .iter()
            .find_map(|log| log.log_decode::<Rollup::BlockProofRequested>().ok())
            .map(|e| u64::try_from(e.inner.data.taskId).expect("task id"))
            .expect("BlockProofRequested")
    };
    let (task1, task2) = (task_of(&post1), task_of(&post2));

    // The lying sequencer's API: tampered transfers for block 1, and block 2's (consistent with
    // what it posted, inconsistent with its header).
    let hits = Arc::new(AtomicUsize::new(0));
    let tampered = encode_transactions(&transfers(&[(0, 11), (1, 20)]));
    let served_next = encode_transactions(&next);
    let app = {
        let hits = hits.clone();
        axum::Router::new().route(
            "/blocks/{number}",
            axum::routing::get(
                move |axum::extract::Path(number): axum::extract::Path<u64>| {
                    let hits = hits.clone();
                    let txs = if number == 1 {
                        tampered.clone()
                    } else {
                        served_next.clone()
                    };
                    async move {
                        hits.fetch_add(1, Ordering::SeqCst);
                        axum::Json(serde_json::json!({
                            "number": number,
                            "txs": format!("0x{}", hex::encode(&txs)),
                        }))
                    }
                },
            ),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let stop = CancellationToken::new();
    let server = {
        let stop = stop.clone();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move { stop.cancelled().await })
                .await
        })
    };

    let running = net
        .start_prover(
            &agent,
            &net.dir.path().join("agent.db"),
            net.settings(Some(url)),
        )
        .await;
    wait_proven(&net, &running, task1, agent.address()).await;
    wait_for(
        "the agent to give up block 2",
        Duration::from_secs(60),
        || {
            let store = running.store.clone();
            async move {
                store
                    .task(task2)
                    .expect("row")
                    .is_some_and(|t| t.state == TaskState::Lost)
            }
        },
    )
    .await;
    // A few more polls: nothing else happens to block 2.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let store = running.store.clone();
    running.stop().await;
    stop.cancel();
    let _ = server.await;

    assert!(
        hits.load(Ordering::SeqCst) >= 2,
        "the prover asked the sequencer first"
    );
    // Block 1: proven, and a proof the Rollup accepted is a proof of the committed data, so the
    // tampered transfers were not what it proved.
    assert!(
        rollup
            .isTaskProven(U256::from(task1))
            .call()
            .await
            .expect("isTaskProven")
    );
    // Block 2: no proof was built or sent; the store says why.
    assert!(
        !rollup
            .isTaskProven(U256::from(task2))
            .call()
            .await
            .expect("isTaskProven")
    );
    assert_eq!(net.accepted_for(task2, agent.address()).await, 0);
    assert_eq!(
        net.submissions_by(agent.address()).await.len(),
        1,
        "one submitProof: block 1's"
    );
    let row = store.task(task2).expect("row").expect("task 2");
    assert!(
        row.detail
            .as_deref()
            .is_some_and(|d| d.contains("does not match")),
        "{row:?}"
    );
    assert!(
        store
            .submission(&format!("submit:{task2}"))
            .expect("read")
            .is_none()
    );
}

/// The value of `name{…agent="agent"…}` in a Prometheus text page.
fn metric(page: &str, name: &str, agent: &str) -> Option<f64> {
    let label = format!("agent=\"{agent}\"");
    page.lines()
        .filter(|line| !line.starts_with('#'))
        .find(|line| {
            line.split_once('{')
                .is_some_and(|(n, rest)| n == name && rest.contains(&label))
        })
        .and_then(|line| line.rsplit_once(' '))
        .and_then(|(_, value)| value.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_a_proven_task() {
    let net = Net::start(|_| {}).await;
    let agent = net.key(4);
    let me = agent.address();
    net.fund(me).await;
    let stop = CancellationToken::new();
    let bound = proofmarket::metrics::serve("127.0.0.1:0".parse().expect("addr"), stop.clone())
        .await
        .expect("metrics endpoint");
    let (_, task_id) = net.post_block().await;

    let running = net
        .start_prover(&agent, &net.dir.path().join("agent.db"), net.settings(None))
        .await;
    wait_proven(&net, &running, task_id, me).await;

    // Gas: every transaction the prover sent (approve, register, submitProof), from the receipts.
    let mut gas = 0u64;
    let mut wei = 0u128;
    for to in [
        net.addresses.token,
        net.addresses.prover_registry,
        net.addresses.task_registry,
    ] {
        let head = net.admin.get_block_number().await.expect("head");
        for n in 0..=head {
            let block = net
                .admin
                .get_block_receipts(n.into())
                .await
                .expect("receipts")
                .unwrap_or_default();
            for r in block {
                if r.from == me && r.to == Some(to) {
                    gas += r.gas_used;
                    wei += u128::from(r.gas_used) * r.effective_gas_price;
                }
            }
        }
    }
    assert!(gas > 0);
    // The proof's acceptance reaches the store through the chain monitor, which may run ahead of
    // the submission's own receipt poll: scrape until the sender has settled every transaction.
    let label = me.to_string();
    let scrape = || async {
        reqwest::get(format!("http://{bound}/metrics"))
            .await
            .expect("scrape")
            .text()
            .await
            .expect("body")
    };
    wait_for(
        "the gas-spent metric to reach the receipts' gas",
        Duration::from_secs(60),
        || async {
            metric(&scrape().await, "proofmarket_gas_spent_total", &label) == Some(gas as f64)
        },
    )
    .await;
    let page = scrape().await;
    running.stop().await;
    stop.cancel();
    let get = |name: &str| metric(&page, name, &label).unwrap_or_else(|| panic!("{name}\n{page}"));
    assert_eq!(get("proofmarket_tasks_seen_total"), 1.0);
    assert_eq!(get("proofmarket_tasks_won_total"), 1.0);
    assert_eq!(get("proofmarket_tasks_proven_total"), 1.0);
    assert_eq!(
        metric(&page, "proofmarket_tasks_failed_total", &label),
        None,
        "nothing failed"
    );
    assert_eq!(get("proofmarket_proving_seconds_count"), 1.0);
    assert!(get("proofmarket_proving_seconds_sum") > 0.0);

    assert_eq!(get("proofmarket_gas_spent_total"), gas as f64);
    assert_eq!(get("proofmarket_gas_spent_wei_total"), wei as f64);

    // Earnings: what the registry credited, in tokens.
    let claimable = net
        .registry()
        .claimable(me)
        .call()
        .await
        .expect("claimable");
    let tokens = f64::from(claimable) / 1e18;
    assert!(tokens > 0.0);
    assert!((get("proofmarket_earnings_tokens_total") - tokens).abs() < 1e-9);
    // The log cursor gauge follows the scan.
    assert!(
        page.lines()
            .any(|l| l.starts_with("proofmarket_chain_cursor_block{cursor=\"prover\"}")),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_locker_is_slashed_and_its_block_covered() {
    let net = Net::start(|_| {}).await;
    let dead = net.key(6);
    let agent = net.key(7);
    net.fund(dead.address()).await;
    net.fund(agent.address()).await;
    let rollup_address = net.addresses.rollup.expect("rollup");
    let rollup = Rollup::new(rollup_address, &net.admin);
    let ascending = net.addresses.mechanisms["ascending"];
    let race = net.addresses.mechanisms["race"];

    // Root tasks open under the ascending-price lock auction (an assignment with collateral).
    // Admin transactions go through a fresh connection each time: the sequencer's submitter sends
    // from the same account and a provider's cached nonce would be stale.
    let set_mechanism = |mechanism: Address| {
        let net = &net;
        async move {
            let admin = net.provider(&net.deployer).await;
            let rollup = Rollup::new(rollup_address, &admin);
            let mut config = rollup.config().call().await.expect("config");
            config.mechanism = mechanism;
            config.router = Address::ZERO;
            let receipt = rollup
                .setConfig(config)
                .send()
                .await
                .expect("setConfig")
                .get_receipt()
                .await
                .expect("setConfig receipt");
            assert!(receipt.status());
        }
    };
    set_mechanism(ascending).await;

    // The prover that will vanish: registered, then locks the block's task.
    let dead_provider = net.provider(&dead).await;
    let stake = U256::from(100 * TOKEN);
    ProofToken::new(net.addresses.token, &dead_provider)
        .approve(net.addresses.prover_registry, stake)
        .send()
        .await
        .expect("approve")
        .get_receipt()
        .await
        .expect("approve receipt");
    let provers = ProverRegistry::new(net.addresses.prover_registry, &net.admin);
    assert!(
        ProverRegistry::new(net.addresses.prover_registry, &dead_provider)
            .register(stake, 0, 1)
            .send()
            .await
            .expect("register")
            .get_receipt()
            .await
            .expect("register receipt")
            .status()
    );
    let (number, task_id) = net.post_block().await;
    let locked = AscendingPriceAuction::new(ascending, &dead_provider)
        .lock(U256::from(task_id))
        .send()
        .await
        .expect("lock")
        .get_receipt()
        .await
        .expect("lock receipt");
    assert!(locked.status());
    let registry = net.registry();
    let assignment = registry
        .assignmentOf(U256::from(task_id), dead.address())
        .call()
        .await
        .expect("assignmentOf");
    let collateral = U256::from(assignment.collateral);
    assert!(collateral > U256::ZERO, "the lock put collateral at stake");
    let stake_before = provers
        .proverOf(dead.address())
        .call()
        .await
        .expect("proverOf")
        .stake;
    let token = ProofToken::new(net.addresses.token, &net.admin);
    let held_by_tasks = token
        .balanceOf(net.addresses.task_registry)
        .call()
        .await
        .expect("balance");
    let split = registry.slashSplit().call().await.expect("slashSplit");
    let treasury_before = registry
        .claimable(split._0)
        .call()
        .await
        .expect("claimable");

    // The agent follows the chain; the locker never delivers and the proof window passes.
    let running = net
        .start_prover(&agent, &net.dir.path().join("agent.db"), net.settings(None))
        .await;
    wait_for(
        "the agent to see the task",
        Duration::from_secs(120),
        || {
            let store = running.store.clone();
            async move { store.task(task_id).expect("row").is_some() }
        },
    )
    .await;
    // (after the agent's own registration moved its stake in)
    let held_by_provers = token
        .balanceOf(net.addresses.prover_registry)
        .call()
        .await
        .expect("balance");
    let window = u64::from(rollup.config().call().await.expect("config").proofWindow);
    net.admin
        .raw_request::<_, serde_json::Value>("evm_increaseTime".into(), (window + 1,))
        .await
        .expect("evm_increaseTime");
    net.admin
        .raw_request::<_, serde_json::Value>("evm_mine".into(), ())
        .await
        .expect("evm_mine");

    // The agent sees the overdue assignment and has it slashed.
    let slashed_filter = alloy::rpc::types::Filter::new()
        .address(net.addresses.task_registry)
        .event_signature(<proofmarket_bindings::ITaskRegistry::AssignmentSlashed as alloy::sol_types::SolEvent>::SIGNATURE_HASH)
        .topic1(B256::from(U256::from(task_id)))
        .topic2(dead.address().into_word())
        .from_block(0);
    wait_for("the dead locker's slash", Duration::from_secs(60), || {
        let admin = net.admin.clone();
        let filter = slashed_filter.clone();
        let alive = !running.handle.is_finished();
        async move {
            assert!(alive, "the agent stopped early");
            !admin.get_logs(&filter).await.expect("logs").is_empty()
        }
    })
    .await;
    let logs = net.admin.get_logs(&slashed_filter).await.expect("logs");
    assert_eq!(logs.len(), 1, "slashed once");
    let slash_tx = net
        .admin
        .get_transaction_by_hash(logs[0].transaction_hash.expect("tx hash"))
        .await
        .expect("tx")
        .expect("slash tx");
    assert_eq!(
        slash_tx.inner.signer(),
        agent.address(),
        "the agent sent the transaction that slashed"
    );
    let event = logs[0]
        .log_decode::<proofmarket_bindings::ITaskRegistry::AssignmentSlashed>()
        .expect("decode")
        .inner
        .data;
    // docs/protocol.md's split: treasury and cover shares in bps of the collateral, the rest to the
    // requester (the Rollup).
    let bps = U256::from(10_000u64);
    let to_treasury = collateral * U256::from(split._1) / bps;
    let to_cover = collateral * U256::from(split._2) / bps;
    assert_eq!(event.amount, collateral);
    assert_eq!(event.toTreasury, to_treasury);
    assert_eq!(event.toCover, to_cover);
    assert_eq!(event.toRequester, collateral - to_treasury - to_cover);
    assert_eq!(
        stake_before
            - provers
                .proverOf(dead.address())
                .call()
                .await
                .expect("proverOf")
                .stake,
        collateral.to::<u128>(),
        "the dead prover's stake lost exactly its collateral"
    );
    assert_eq!(
        registry
            .claimable(split._0)
            .call()
            .await
            .expect("claimable")
            - treasury_before,
        to_treasury
    );
    // Funds conserved: the collateral moved from the prover registry to the task registry.
    assert_eq!(
        held_by_provers
            - token
                .balanceOf(net.addresses.prover_registry)
                .call()
                .await
                .expect("balance"),
        collateral
    );
    assert_eq!(
        token
            .balanceOf(net.addresses.task_registry)
            .call()
            .await
            .expect("balance")
            - held_by_tasks,
        collateral
    );

    // Cover: the missed block is pruned and re-posted (what the sequencer's follower does), this time
    // under the race, and the agent proves it and is paid.
    set_mechanism(race).await;
    let posted = net
        .admin
        .get_logs(
            &alloy::rpc::types::Filter::new()
                .address(rollup_address)
                .event_signature(
                    <Rollup::BlockPosted as alloy::sol_types::SolEvent>::SIGNATURE_HASH,
                )
                .from_block(0),
        )
        .await
        .expect("logs");
    let mut header = posted[0]
        .log_decode::<Rollup::BlockPosted>()
        .expect("decode")
        .inner
        .data
        .header;
    // The stored header carries the task and reward set after `BlockPosted` was emitted.
    let requested = net
        .admin
        .get_logs(
            &alloy::rpc::types::Filter::new()
                .address(rollup_address)
                .event_signature(
                    <Rollup::BlockProofRequested as alloy::sol_types::SolEvent>::SIGNATURE_HASH,
                )
                .from_block(0),
        )
        .await
        .expect("logs");
    let requested = requested[0]
        .log_decode::<Rollup::BlockProofRequested>()
        .expect("decode")
        .inner
        .data;
    header.taskId = requested.taskId;
    header.sequencerReward = requested.sequencerReward;
    assert_eq!(header.number, number);
    let admin = net.provider(&net.deployer).await;
    let rollup = Rollup::new(rollup_address, &admin);
    assert!(
        rollup
            .prune(vec![header])
            .send()
            .await
            .expect("prune")
            .get_receipt()
            .await
            .expect("prune receipt")
            .status()
    );
    let body: proofmarket::sequencer::node::BlockBody = serde_json::from_str(
        &net.seq_store
            .block(number)
            .expect("row")
            .expect("block")
            .body,
    )
    .expect("body");
    let reposted = rollup
        .postBlockAndRequestProof(
            body.number,
            body.prev_state_root,
            body.new_state_root,
            body.txs_commitment,
            body.txs.clone(),
        )
        .send()
        .await
        .expect("re-post")
        .get_receipt()
        .await
        .expect("re-post receipt");
    assert!(reposted.status());
    let cover_task = reposted
        .inner
        .logs()
        .iter()
        .find_map(|log| log.log_decode::<Rollup::BlockProofRequested>().ok())
        .map(|e| u64::try_from(e.inner.data.taskId).expect("task id"))
        .expect("BlockProofRequested");
    assert_ne!(cover_task, task_id);
    wait_proven(&net, &running, cover_task, agent.address()).await;
    running.stop().await;
    assert!(
        rollup
            .isTaskProven(U256::from(cover_task))
            .call()
            .await
            .expect("isTaskProven")
    );
    assert!(
        registry
            .claimable(agent.address())
            .call()
            .await
            .expect("claimable")
            > U256::ZERO,
        "the agent that covered was paid"
    );
    assert_eq!(net.accepted_for(task_id, dead.address()).await, 0);
}
