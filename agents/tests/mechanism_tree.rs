//! Tree assignment through the real agents on anvil: the Rollup's root tasks open under the
//! `TreeAssignment` instance with `mechanismData = abi.encode(txCount 2, rangeSize 1)` (two ranges of
//! one transfer each), the agents join the bonded pool, draw the tree, prove their ranges, publish
//! the top nodes on the sequencer's node relay and attest them; the root prover fetches the other
//! range's node, verifies it, builds the merge and the root, and each owner is paid its share on
//! L1. The draw an agent sends carries the RLP header of the seed block fixed at opening (the
//! contract checks it against the block hash and seeds the draw with its prevrandao). When a range
//! owner never attests, its uncle covers the range after the range deadline and is paid for it, and
//! the silent owner's bond is slashed.

mod poll_support;
mod prover_support;

use std::time::Duration;

use alloy::consensus::Transaction as _;
use alloy::eips::BlockNumberOrTag;
use alloy::primitives::{Address, B256, Bytes, U256, keccak256};
use alloy::providers::Provider;
use alloy::providers::ext::AnvilApi;
use alloy::rpc::types::{Filter, Log};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolEvent, SolValue};
use poll_support::wait_for;
use proofmarket::prover::mech::{MechanismSettings, TREE};
use proofmarket::prover::service::ProverService;
use proofmarket::sequencer::api;
use proofmarket::store::Store;
use proofmarket_bindings::{IProverRegistry, ProofToken, Rollup, TreeAssignment};
use prover_support::{Net, Running, TOKEN};
use tokio_util::sync::CancellationToken;

const BOND: u128 = 40 * TOKEN;

/// Routes every root task to the tree instance with two ranges of one transfer.
async fn route_to_tree(net: &Net) -> Address {
    let tree = *net.addresses.mechanisms.get(TREE).expect("tree");
    let rollup = Rollup::new(net.addresses.rollup.expect("rollup"), &net.admin);
    let mut config = rollup.config().call().await.expect("config");
    config.mechanism = tree;
    config.mechanismData = Bytes::from((2u32, 1u32).abi_encode());
    rollup
        .setConfig(config)
        .send()
        .await
        .expect("setConfig")
        .get_receipt()
        .await
        .expect("setConfig receipt");
    tree
}

/// Mines a block every 300 ms (the draw needs the seed block to pass).
fn miner(net: &Net) -> CancellationToken {
    let stop = CancellationToken::new();
    let (admin, token) = (net.admin.clone(), stop.clone());
    tokio::spawn(async move {
        while !token.is_cancelled() {
            let _ = admin.anvil_mine(Some(1), None).await;
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    });
    stop
}

/// The sequencer's HTTP API (block data and the node relay) on a free port.
async fn serve_sequencer(net: &Net) -> (String, CancellationToken) {
    let stop = CancellationToken::new();
    let (addr, _handle) = api::serve(
        net.node.clone(),
        "127.0.0.1:0".parse().expect("addr"),
        stop.clone(),
    )
    .await
    .expect("serve");
    (format!("http://{addr}"), stop)
}

async fn start(net: &Net, key: &PrivateKeySigner, name: &str, url: &str) -> Running {
    net.fund(key.address()).await;
    launch(net, key, name, url).await
}

/// Runs the agent of `key` on the store `name` (a second call resumes from that store).
async fn launch(net: &Net, key: &PrivateKeySigner, name: &str, url: &str) -> Running {
    let provider = net.provider(key).await;
    let store = Store::open(&net.dir.path().join(format!("{name}.db"))).expect("store");
    let service = ProverService::new(
        provider,
        key.clone(),
        net.addresses.clone(),
        store.clone(),
        net.settings(Some(url.to_string())),
    )
    .with_mechanisms(MechanismSettings {
        tree_pool_bond: U256::from(BOND),
        ..Default::default()
    });
    let outcomes = service.outcomes();
    let shutdown = CancellationToken::new();
    let handle = tokio::spawn(service.run(shutdown.clone()));
    Running {
        handle,
        shutdown,
        outcomes,
        store,
    }
}

/// A pool member with no agent running: registered, bonded, silent.
async fn silent_member(net: &Net, key: &PrivateKeySigner, tree: Address) {
    net.fund(key.address()).await;
    let provider = net.provider(key).await;
    let token = ProofToken::new(net.addresses.token, &provider);
    for (spender, amount) in [(net.addresses.prover_registry, 100 * TOKEN), (tree, BOND)] {
        token
            .approve(spender, U256::from(amount))
            .send()
            .await
            .expect("approve")
            .get_receipt()
            .await
            .expect("approve receipt");
    }
    IProverRegistry::new(net.addresses.prover_registry, &provider)
        .register(U256::from(100 * TOKEN), 1, 4)
        .send()
        .await
        .expect("register")
        .get_receipt()
        .await
        .expect("register receipt");
    TreeAssignment::new(tree, &provider)
        .joinPool(U256::from(BOND))
        .send()
        .await
        .expect("joinPool")
        .get_receipt()
        .await
        .expect("joinPool receipt");
}

/// Whether `prover` is a capacity member of `tree` in the ProverRegistry, and the slots its holders
/// report there.
async fn held_capacity(net: &Net, tree: Address, prover: Address) -> (bool, u64) {
    let registry = IProverRegistry::new(net.addresses.prover_registry, &net.admin);
    let member = registry
        .isCapacityMember(tree, prover)
        .call()
        .await
        .expect("isCapacityMember");
    let held = registry
        .heldCapacityOf(prover)
        .call()
        .await
        .expect("heldCapacityOf");
    (member, held.saturating_to())
}

async fn pool_size(net: &Net, tree: Address) -> u64 {
    TreeAssignment::new(tree, &net.admin)
        .poolSize()
        .call()
        .await
        .map(|n| n.to::<u64>())
        .unwrap_or(0)
}

/// `(prover, amount)` of every `ContributionPaid` for the task.
async fn contributions(net: &Net, tree: Address, task_id: u64) -> Vec<(Address, U256)> {
    let logs = net
        .admin
        .get_logs(
            &Filter::new()
                .address(tree)
                .event_signature(TreeAssignment::ContributionPaid::SIGNATURE_HASH)
                .from_block(0),
        )
        .await
        .expect("logs");
    logs.iter()
        .filter_map(|l| l.log_decode::<TreeAssignment::ContributionPaid>().ok())
        .filter(|e| e.inner.data.taskId == U256::from(task_id))
        .map(|e| (e.inner.data.prover, e.inner.data.amount))
        .collect()
}

/// Every log of `tree` with event signature `sig`.
async fn tree_logs(net: &Net, tree: Address, sig: B256) -> Vec<Log> {
    net.admin
        .get_logs(
            &Filter::new()
                .address(tree)
                .event_signature(sig)
                .from_block(0),
        )
        .await
        .expect("logs")
}

/// The task's draw as sent: the `TreeOpened` seed block, the header the `draw` transaction that
/// emitted `TreeDrawn` carried, and the seed block's hash on chain.
async fn draw_header(
    net: &Net,
    tree: Address,
    task_id: u64,
) -> (u64, Bytes, alloy::primitives::B256) {
    let opened = tree_logs(net, tree, TreeAssignment::TreeOpened::SIGNATURE_HASH)
        .await
        .iter()
        .filter_map(|l| l.log_decode::<TreeAssignment::TreeOpened>().ok())
        .find(|e| e.inner.data.taskId == U256::from(task_id))
        .expect("TreeOpened");
    let draw_block = opened.inner.data.drawBlock.to::<u64>();
    let drawn = tree_logs(net, tree, TreeAssignment::TreeDrawn::SIGNATURE_HASH)
        .await
        .into_iter()
        .find(|l| {
            l.log_decode::<TreeAssignment::TreeDrawn>()
                .is_ok_and(|e| e.inner.data.taskId == U256::from(task_id))
        })
        .expect("TreeDrawn");
    let tx = net
        .admin
        .get_transaction_by_hash(drawn.transaction_hash.expect("tx hash"))
        .await
        .expect("tx")
        .expect("the draw transaction");
    let call = TreeAssignment::drawCall::abi_decode(tx.input()).expect("a draw call");
    assert_eq!(call.taskId, U256::from(task_id));
    let seed_block = net
        .admin
        .get_block_by_number(BlockNumberOrTag::Number(draw_block))
        .await
        .expect("block")
        .expect("seed block");
    (draw_block, call.header, seed_block.header.hash)
}

/// `(range, prover)` of every `RangeAttested` for the task.
async fn attestations(net: &Net, tree: Address, task_id: u64) -> Vec<(u64, Address)> {
    let logs = net
        .admin
        .get_logs(
            &Filter::new()
                .address(tree)
                .event_signature(TreeAssignment::RangeAttested::SIGNATURE_HASH)
                .from_block(0),
        )
        .await
        .expect("logs");
    logs.iter()
        .filter_map(|l| l.log_decode::<TreeAssignment::RangeAttested>().ok())
        .filter(|e| e.inner.data.taskId == U256::from(task_id))
        .map(|e| (e.inner.data.range.to::<u64>(), e.inner.data.prover))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_range_owners_prove_attest_and_share_the_payout() {
    let net = Net::start(|_| {}).await;
    let tree = route_to_tree(&net).await;
    let (url, stop_api) = serve_sequencer(&net).await;
    let (a, b) = (net.key(1), net.key(2));
    let prover_a = start(&net, &a, "a", &url).await;
    let prover_b = start(&net, &b, "b", &url).await;
    wait_for(
        "both provers in the pool",
        Duration::from_secs(60),
        || async { pool_size(&net, tree).await == 2 },
    )
    .await;
    // Joining made each a capacity member of the tree in the ProverRegistry (the deployment listed
    // the tree as a capacity holder), holding nothing yet.
    for p in [a.address(), b.address()] {
        assert_eq!(held_capacity(&net, tree, p).await, (true, 0));
    }
    let mining = miner(&net);
    let (_, task_id) = net.post_block().await;
    wait_for(
        "the root proof is accepted",
        Duration::from_secs(300),
        || async {
            prover_a.assert_alive();
            prover_b.assert_alive();
            net.registry()
                .taskOf(U256::from(task_id))
                .call()
                .await
                .is_ok_and(|t| t.proofsAccepted == 1)
        },
    )
    .await;
    mining.cancel();
    // The tree settled: the ranges no longer count against either prover's capacity.
    for p in [a.address(), b.address()] {
        assert_eq!(held_capacity(&net, tree, p).await, (true, 0));
    }

    // The draw carried the seed block's own header (not re-anchored: drawn within 256 blocks).
    let (draw_block, header, seed_hash) = draw_header(&net, tree, task_id).await;
    assert_eq!(
        keccak256(&header),
        seed_hash,
        "header of block {draw_block}"
    );
    let reanchored = tree_logs(&net, tree, TreeAssignment::DrawReanchored::SIGNATURE_HASH).await;
    assert!(reanchored.is_empty(), "{reanchored:?}");

    // Each range was attested on L1 by its own (distinct) owner.
    let mut attested = attestations(&net, tree, task_id).await;
    attested.sort();
    assert_eq!(attested.len(), 2, "{attested:?}");
    let owners: Vec<Address> = attested.iter().map(|(_, p)| *p).collect();
    assert!(owners.contains(&a.address()) && owners.contains(&b.address()));
    let root_prover = attested[0].1;
    let other = attested[1].1;
    assert_eq!(net.accepted_for(task_id, root_prover).await, 1);
    assert!(net.submissions_by(other).await.is_empty());

    // The budget split by contribution: 2 leaves, 1 merge, 1 root (weights 1/1/1) = 4 units; range
    // 1's owner proved one base proof (1 unit); the root prover the rest (base, merge, root).
    let budget = net
        .registry()
        .taskOf(U256::from(task_id))
        .call()
        .await
        .expect("task")
        .maxPayment;
    let paid = contributions(&net, tree, task_id).await;
    let to = |p: Address| {
        paid.iter()
            .filter(|(q, _)| *q == p)
            .map(|(_, a)| *a)
            .fold(U256::ZERO, |s, a| s + a)
    };
    assert_eq!(to(other), U256::from(budget) / U256::from(4u64));
    assert_eq!(to(root_prover) + to(other), U256::from(budget));
    for p in [a.address(), b.address()] {
        assert!(net.registry().claimable(p).call().await.expect("claimable") > U256::ZERO);
    }
    // The root prover built on the other owner's relayed node: it proved only its own leaf, the
    // merge and the root (3 nodes), never the other range.
    let outcome = if root_prover == a.address() {
        &prover_a
    } else {
        &prover_b
    }
    .outcomes
    .lock()
    .expect("outcomes")
    .get(&task_id)
    .cloned()
    .expect("the root prover recorded its tree");
    assert_eq!(
        outcome.proven_nodes + outcome.reused_nodes,
        3,
        "own leaf + merge + root; the other leaf came from the relay"
    );
    prover_a.stop().await;
    prover_b.stop().await;
    stop_api.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_range_owner_is_covered_by_its_uncle_and_slashed() {
    let net = Net::start(|_| {}).await;
    let tree = route_to_tree(&net).await;
    let (url, stop_api) = serve_sequencer(&net).await;
    let (silent, online) = (net.key(3), net.key(4));
    silent_member(&net, &silent, tree).await;
    let prover = start(&net, &online, "online", &url).await;
    wait_for("both in the pool", Duration::from_secs(60), || async {
        pool_size(&net, tree).await == 2
    })
    .await;
    let mining = miner(&net);
    let (_, task_id) = net.post_block().await;
    let mechanism = TreeAssignment::new(tree, &net.admin);
    wait_for(
        "the online owner attested its range",
        Duration::from_secs(240),
        || async {
            prover.assert_alive();
            attestations(&net, tree, task_id)
                .await
                .iter()
                .any(|(_, p)| *p == online.address())
        },
    )
    .await;
    let (silent_free_before, _) = {
        let b = mechanism
            .bondOf(silent.address())
            .call()
            .await
            .expect("bondOf");
        (b.freeBond, b.lockedRanges)
    };
    // The range deadline passes with the silent owner's range unattested.
    let t = mechanism
        .treeOf(U256::from(task_id))
        .call()
        .await
        .expect("treeOf");
    let now = net
        .admin
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
        .await
        .expect("head")
        .expect("block")
        .header
        .timestamp;
    let range_deadline = t.rangeDeadline.to::<u64>();
    net.admin
        .anvil_increase_time(range_deadline.saturating_sub(now) + 5)
        .await
        .expect("warp");
    wait_for(
        "the root proof is accepted",
        Duration::from_secs(300),
        || async {
            prover.assert_alive();
            net.registry()
                .taskOf(U256::from(task_id))
                .call()
                .await
                .is_ok_and(|t| t.proofsAccepted == 1)
        },
    )
    .await;
    mining.cancel();

    let covered = net
        .admin
        .get_logs(
            &Filter::new()
                .address(tree)
                .event_signature(TreeAssignment::RangeCovered::SIGNATURE_HASH)
                .from_block(0),
        )
        .await
        .expect("logs");
    let covered: Vec<_> = covered
        .iter()
        .filter_map(|l| l.log_decode::<TreeAssignment::RangeCovered>().ok())
        .map(|e| {
            (
                e.inner.data.failedOwner,
                e.inner.data.uncle,
                e.inner.data.toUncle,
            )
        })
        .collect();
    let range_bond = mechanism.rangeBond().call().await.expect("rangeBond");
    let uncle_bps = mechanism.uncleBps().call().await.expect("uncleBps");
    let to_uncle = U256::from(range_bond) * U256::from(uncle_bps) / U256::from(10_000u64);
    assert_eq!(
        covered,
        vec![(silent.address(), online.address(), to_uncle)],
        "the uncle covered the silent range"
    );
    assert_eq!(net.accepted_for(task_id, online.address()).await, 1);
    // The uncle owns both ranges now: the whole budget is its (root share plus the covered range).
    let budget = net
        .registry()
        .taskOf(U256::from(task_id))
        .call()
        .await
        .expect("task")
        .maxPayment;
    let paid = contributions(&net, tree, task_id).await;
    assert!(paid.iter().all(|(p, _)| *p == online.address()), "{paid:?}");
    assert_eq!(
        paid.iter().fold(U256::ZERO, |s, (_, a)| s + *a),
        U256::from(budget)
    );
    assert_eq!(
        mechanism
            .claimable(online.address())
            .call()
            .await
            .expect("claimable"),
        to_uncle,
        "the uncle's part of the slashed bond"
    );
    let after = mechanism
        .bondOf(silent.address())
        .call()
        .await
        .expect("bondOf");
    assert_eq!(after.lockedRanges, U256::ZERO);
    assert_eq!(
        after.freeBond, silent_free_before,
        "the locked range bond was slashed, not returned"
    );
    prover.stop().await;
    stop_api.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_range_owner_restarted_after_the_draw_still_attests_its_range() {
    let net = Net::start(|_| {}).await;
    let tree = route_to_tree(&net).await;
    let (url, stop_api) = serve_sequencer(&net).await;
    let (a, b) = (net.key(5), net.key(6));
    let prover_a = start(&net, &a, "a", &url).await;
    let prover_b = start(&net, &b, "b", &url).await;
    wait_for(
        "both provers in the pool",
        Duration::from_secs(60),
        || async { pool_size(&net, tree).await == 2 },
    )
    .await;
    let mining = miner(&net);
    let (_, task_id) = net.post_block().await;
    let mechanism = TreeAssignment::new(tree, &net.admin);
    // Stop B as soon as the draw is on chain: its range job (and every log before its cursor) is
    // lost with it, so only the resumed life can attest the range.
    wait_for("the tree is drawn", Duration::from_secs(60), || async {
        mechanism
            .treeOf(U256::from(task_id))
            .call()
            .await
            .is_ok_and(|t| t.status == 2)
    })
    .await;
    prover_b.stop().await;
    let attested_before = attestations(&net, tree, task_id)
        .await
        .iter()
        .any(|(_, p)| *p == b.address());
    assert!(
        !attested_before,
        "B was stopped before its range proof was done (a base proof takes seconds)"
    );
    let prover_b = launch(&net, &b, "b", &url).await;
    wait_for(
        "the root proof is accepted",
        Duration::from_secs(300),
        || async {
            prover_a.assert_alive();
            prover_b.assert_alive();
            net.registry()
                .taskOf(U256::from(task_id))
                .call()
                .await
                .is_ok_and(|t| t.proofsAccepted == 1)
        },
    )
    .await;
    mining.cancel();
    let attested = attestations(&net, tree, task_id).await;
    assert_eq!(attested.len(), 2, "{attested:?}");
    assert!(
        attested.iter().any(|(_, p)| *p == b.address()),
        "the restarted owner attested its range"
    );
    let paid = contributions(&net, tree, task_id).await;
    assert!(paid.iter().any(|(p, _)| *p == b.address()), "{paid:?}");
    assert!(paid.iter().any(|(p, _)| *p == a.address()), "{paid:?}");
    prover_a.stop().await;
    prover_b.stop().await;
    stop_api.cancel();
}
