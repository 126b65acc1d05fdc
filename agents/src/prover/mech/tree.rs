//! Tree assignment on chain: decoding `TreeAssignment` logs (enriched with the task's budget, the
//! instance's terms and each range's sibling), `draw`, the range job (prove a range's subtree,
//! publish its top node on the relay, `attest` or `cover`), the root prover's tree-aware proof
//! (wait for the ranges, fetch and verify their top nodes, build the rest), and joining the pool.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use alloy::eips::BlockNumberOrTag;
use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::providers::Provider;
use alloy::rpc::types::Log;
use alloy::sol_types::{SolCall, SolEvent};
use proofmarket_bindings::{ITaskRegistry, TreeAssignment};
use proofmarket_circuits::block::BlockWitness;
use proofmarket_circuits::evm::fr_to_b256;
use proofmarket_circuits::keys::Keys;
use proofmarket_circuits::tree::{PlanNodeKind, TreePlan};
use tracing::{info, warn};

use super::chain_err;
use crate::chain::ChainProvider;
use crate::prover::circuit_job::BlockJob;
use crate::prover::error::ProverError;
use crate::prover::policy::tree::{TreeAction, TreeEvent, TreeTerms};
use crate::prover::pool::{NodeProof, TreeJob, TreeReport, WorkerPool};
use crate::prover::strategy::TaskId;
use crate::prover::submit::Sender;
use crate::sequencer::relay::{RelayClient, RelayedNode};
use crate::store::Store;

/// `TreeAssignment.RangeState`: attested by its owner.
const ATTESTED: u8 = 2;
/// `TreeAssignment.RangeState`: covered by the uncle.
const COVERED: u8 = 3;
/// `TreeShape.NO_SIBLING`.
const NO_SIBLING: u8 = u8::MAX;

/// The instance's terms.
pub async fn terms(provider: &ChainProvider, mechanism: Address) -> Result<TreeTerms, ProverError> {
    let tree = TreeAssignment::new(mechanism, provider);
    let err = |what: &str, e: alloy::contract::Error| chain_err(what, e);
    Ok(TreeTerms {
        range_bond: tree
            .rangeBond()
            .call()
            .await
            .map_err(|e| err("rangeBond", e))?
            .to::<u128>(),
        uncle_bps: tree
            .uncleBps()
            .call()
            .await
            .map_err(|e| err("uncleBps", e))?,
        base_weight: tree
            .baseWeight()
            .call()
            .await
            .map_err(|e| err("baseWeight", e))?,
        merge_weight: tree
            .mergeWeight()
            .call()
            .await
            .map_err(|e| err("mergeWeight", e))?,
        root_weight: tree
            .rootWeight()
            .call()
            .await
            .map_err(|e| err("rootWeight", e))?,
    })
}

/// The tree event of a `TreeAssignment` log (views fill in what the log does not carry).
pub async fn decode(
    provider: &ChainProvider,
    task_registry: Address,
    log: &Log,
) -> Result<Option<TreeEvent>, ProverError> {
    let Some(topic) = log.topic0().copied() else {
        return Ok(None);
    };
    let mechanism = log.address();
    let id =
        |t: U256| TaskId::try_from(t).map_err(|_| ProverError::Chain("task id over u64".into()));
    let num = |t: U256| u64::try_from(t).unwrap_or(u64::MAX);
    if topic == TreeAssignment::TreeOpened::SIGNATURE_HASH {
        let e = log
            .log_decode::<TreeAssignment::TreeOpened>()
            .map_err(|e| chain_err("TreeOpened", e))?;
        let d = &e.inner.data;
        let task = ITaskRegistry::new(task_registry, provider)
            .taskOf(d.taskId)
            .call()
            .await
            .map_err(|e| chain_err("taskOf", e))?;
        return Ok(Some(TreeEvent::Opened {
            task_id: id(d.taskId)?,
            txs: u64::from(d.txCount),
            draw_block: num(d.drawBlock),
            max_payment: task.maxPayment.to::<u128>(),
            deadline: task.deadline,
            terms: terms(provider, mechanism).await?,
        }));
    }
    if topic == TreeAssignment::DrawReanchored::SIGNATURE_HASH {
        let e = log
            .log_decode::<TreeAssignment::DrawReanchored>()
            .map_err(|e| chain_err("DrawReanchored", e))?;
        return Ok(Some(TreeEvent::Reanchored {
            task_id: id(e.inner.data.taskId)?,
            draw_block: num(e.inner.data.drawBlock),
        }));
    }
    if topic == TreeAssignment::RangeDrawn::SIGNATURE_HASH {
        let e = log
            .log_decode::<TreeAssignment::RangeDrawn>()
            .map_err(|e| chain_err("RangeDrawn", e))?;
        let d = &e.inner.data;
        // The range as drawn (a later cover changes the owner, not the shape).
        let range = TreeAssignment::new(mechanism, provider)
            .rangeOf(d.taskId, d.range)
            .call()
            .await
            .map_err(|e| chain_err("rangeOf", e))?;
        return Ok(Some(TreeEvent::RangeDrawn {
            task_id: id(d.taskId)?,
            range: u8::try_from(d.range).unwrap_or(u8::MAX),
            owner: d.owner,
            start: d.start,
            count: d.count,
            merges_led: range.mergesLed,
            sibling: (range.sibling != NO_SIBLING).then_some(range.sibling),
        }));
    }
    if topic == TreeAssignment::TreeDrawn::SIGNATURE_HASH {
        let e = log
            .log_decode::<TreeAssignment::TreeDrawn>()
            .map_err(|e| chain_err("TreeDrawn", e))?;
        let d = &e.inner.data;
        return Ok(Some(TreeEvent::Drawn {
            task_id: id(d.taskId)?,
            root_prover: d.rootProver,
            range_deadline: num(d.rangeDeadline),
        }));
    }
    if topic == TreeAssignment::RangeAttested::SIGNATURE_HASH {
        let e = log
            .log_decode::<TreeAssignment::RangeAttested>()
            .map_err(|e| chain_err("RangeAttested", e))?;
        let d = &e.inner.data;
        return Ok(Some(TreeEvent::Attested {
            task_id: id(d.taskId)?,
            range: u8::try_from(d.range).unwrap_or(u8::MAX),
            prover: d.prover,
        }));
    }
    if topic == TreeAssignment::RangeCovered::SIGNATURE_HASH {
        let e = log
            .log_decode::<TreeAssignment::RangeCovered>()
            .map_err(|e| chain_err("RangeCovered", e))?;
        let d = &e.inner.data;
        return Ok(Some(TreeEvent::Covered {
            task_id: id(d.taskId)?,
            range: u8::try_from(d.range).unwrap_or(u8::MAX),
            uncle: d.uncle,
        }));
    }
    Ok(None)
}

/// The plan node at the top of the range `[start, start + count)` (never the root node).
pub fn range_node(plan: &TreePlan, start: u32, count: u32) -> Option<usize> {
    plan.nodes.iter().position(|n| {
        !matches!(n.kind, PlanNodeKind::Root { .. })
            && n.first_tx == start as usize
            && n.tx_count == count as usize
    })
}

/// What a range job and the root job need from the service.
#[derive(Clone)]
pub struct TreeCtx {
    /// Chain connection.
    pub provider: ChainProvider,
    /// Idempotent transactions.
    pub sender: Sender,
    /// The prover's store (node cache).
    pub store: Store,
    /// This prover.
    pub me: Address,
    /// The node relay (the sequencer's URL), if any.
    pub relay: Option<RelayClient>,
    /// The worker pool.
    pub pool: WorkerPool,
    /// Proving keys.
    pub keys: Arc<Keys>,
    /// How often to re-read the ranges while waiting for them.
    pub poll: Duration,
}

fn relayed(me: Address, proof: &NodeProof) -> RelayedNode {
    RelayedNode {
        prover: me,
        circuit_id: proof.circuit_id,
        public_inputs: proof.public_inputs.clone(),
        proof: Bytes::from(proof.proof.clone()),
    }
}

/// The range job: proves the range's subtree, publishes its top node, then attests (or covers).
pub async fn range_job(
    ctx: TreeCtx,
    mechanism: Address,
    witness: Arc<BlockWitness>,
    action: TreeAction,
) -> TreeEvent {
    let TreeAction::ProveRange {
        task_id,
        range,
        start,
        count,
        cover,
    } = action
    else {
        return TreeEvent::RangeDone {
            task_id: 0,
            range: 0,
            result: Err("not a range job".into()),
        };
    };
    let result = prove_and_attest(
        &ctx, mechanism, witness, task_id, range, start, count, cover,
    )
    .await;
    match &result {
        Ok(line) => info!(prover = %ctx.me, task_id, range, cover, "{line}"),
        Err(e) => warn!(prover = %ctx.me, task_id, range, cover, error = %e, "range job failed"),
    }
    TreeEvent::RangeDone {
        task_id,
        range,
        result: result.map(|_| ()),
    }
}

#[allow(clippy::too_many_arguments)]
async fn prove_and_attest(
    ctx: &TreeCtx,
    mechanism: Address,
    witness: Arc<BlockWitness>,
    task_id: TaskId,
    range: u8,
    start: u32,
    count: u32,
    cover: bool,
) -> Result<String, String> {
    let job = Arc::new(BlockJob::new(ctx.keys.clone(), witness));
    let node = range_node(&job.block().plan, start, count)
        .ok_or_else(|| format!("no node covers leaves [{start}, {})", start + count))?;
    let (proof, report) = ctx
        .pool
        .prove_subtree(job.clone(), node, ctx.store.clone(), ctx.me, HashMap::new())
        .await
        .map_err(|e| e.to_string())?;
    let statement = &job.block().statements[node];
    let node_id: B256 = statement.node_id().0;
    let commitment = B256::from(fr_to_b256(statement.commitment()).0);
    if let Some(relay) = &ctx.relay {
        // A failed publication is not fatal: the root prover then builds the range itself.
        if let Err(e) = relay.put(&relayed(ctx.me, &proof)).await {
            warn!(task_id, range, error = %e, "could not publish the range's top node");
        }
    }
    let (key, label, calldata) = if cover {
        (
            format!("tree:cover:{task_id}:{range}"),
            "cover",
            TreeAssignment::coverCall {
                taskId: U256::from(task_id),
                range: U256::from(range),
                topCommitment: commitment,
                nodeId: node_id,
            }
            .abi_encode(),
        )
    } else {
        (
            format!("tree:attest:{task_id}:{range}"),
            "attest",
            TreeAssignment::attestCall {
                taskId: U256::from(task_id),
                range: U256::from(range),
                topCommitment: commitment,
                nodeId: node_id,
            }
            .abi_encode(),
        )
    };
    let sent = ctx
        .sender
        .send_once(&key, Some(task_id), label, mechanism, calldata.into())
        .await
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "range proven ({} nodes, {} ms) and {label}ed: node {node_id}, tx {}",
        report.proven + report.reused,
        report.wall_ms,
        sent.tx_hash
    ))
}

/// The root prover's proof: waits until every range is attested or covered (or the range deadline
/// passed), takes each other owner's top node from the relay once it verifies against that owner,
/// and proves everything else itself up to the root.
pub async fn root_job(
    ctx: TreeCtx,
    mechanism: Address,
    witness: Arc<BlockWitness>,
    task_id: TaskId,
) -> Result<(NodeProof, TreeReport), ProverError> {
    let tree = TreeAssignment::new(mechanism, &ctx.provider);
    let job = Arc::new(BlockJob::new(ctx.keys.clone(), witness));
    let ranges = loop {
        let t = tree
            .treeOf(U256::from(task_id))
            .call()
            .await
            .map_err(|e| chain_err("treeOf", e))?;
        let mut ranges = Vec::with_capacity(usize::from(t.rangeCount));
        for i in 0..t.rangeCount {
            ranges.push(
                tree.rangeOf(U256::from(task_id), U256::from(i))
                    .call()
                    .await
                    .map_err(|e| chain_err("rangeOf", e))?,
            );
        }
        let settled = ranges
            .iter()
            .all(|r| r.state == ATTESTED || r.state == COVERED);
        let now = ctx
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(|e| chain_err("head block", e))?
            .map(|b| b.header.timestamp)
            .unwrap_or_default();
        if settled || now > t.rangeDeadline.to::<u64>() || t.rangeCount == 0 {
            break ranges;
        }
        tokio::time::sleep(ctx.poll).await;
    };
    let mut given = HashMap::new();
    let mut start = 0u32;
    for r in &ranges {
        let (first, count) = (start, r.count);
        start += r.count;
        if r.owner == ctx.me || !(r.state == ATTESTED || r.state == COVERED) {
            continue;
        }
        let Some(relay) = &ctx.relay else {
            continue;
        };
        let Some(node) = range_node(&job.block().plan, first, count) else {
            continue;
        };
        let candidates = match relay.get(job.node_id(node)).await {
            Ok(c) => c,
            Err(e) => {
                warn!(task_id, error = %e, "relay unavailable: building the range myself");
                continue;
            }
        };
        // The attested owner's proof first; any other verified proof of the node is as good.
        let mut ordered: Vec<RelayedNode> = candidates;
        ordered.sort_by_key(|c| c.prover != r.owner);
        for candidate in ordered {
            let proof = NodeProof {
                circuit_id: candidate.circuit_id,
                public_inputs: candidate.public_inputs.clone(),
                proof: candidate.proof.to_vec(),
            };
            let (j, p, owner) = (job.clone(), proof.clone(), candidate.prover);
            if ctx.pool.run(move || j.verify(node, owner, &p)).await? {
                given.insert(node, (owner, proof));
                break;
            }
            warn!(task_id, node = %job.node_id(node), prover = %owner, "relayed node proof does not verify; ignored");
        }
    }
    info!(prover = %ctx.me, task_id, fetched = given.len(), ranges = ranges.len(), "building the root over the ranges");
    let top = job.top();
    ctx.pool
        .prove_subtree(job, top, ctx.store.clone(), ctx.me, given)
        .await
}

/// Carries out `draw` with the seed block's header (the contract reads its prevrandao after checking
/// it against the block hash); returns a line for the log. Keyed by the seed block, so that a draw
/// re-anchored to a later block is sent again.
pub async fn draw(
    provider: &ChainProvider,
    sender: &Sender,
    mechanism: Address,
    task_id: TaskId,
    draw_block: u64,
) -> Result<String, String> {
    let header = super::header_rlp(provider, draw_block)
        .await
        .map_err(|e| e.to_string())?;
    let call = TreeAssignment::drawCall {
        taskId: U256::from(task_id),
        header: header.into(),
    };
    let sent = sender
        .send_once(
            &format!("tree:draw:{task_id}:{draw_block}"),
            Some(task_id),
            "draw",
            mechanism,
            call.abi_encode().into(),
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(format!("drew the tree (tx {})", sent.tx_hash))
}

alloy::sol! {
    /// The ERC-20 approval the pool deposit needs.
    #[sol(rpc)]
    interface IBondToken {
        function approve(address spender, uint256 amount) external returns (bool);
    }
}

/// Tops the prover's free pool bond up to `bond` (joining the pool if needed). Returns what it added.
pub async fn ensure_pool_bond(
    provider: &ChainProvider,
    sender: &Sender,
    token: Address,
    mechanism: Address,
    me: Address,
    bond: U256,
) -> Result<U256, ProverError> {
    if bond.is_zero() {
        return Ok(U256::ZERO);
    }
    let tree = TreeAssignment::new(mechanism, provider);
    let held = tree
        .bondOf(me)
        .call()
        .await
        .map_err(|e| chain_err("bondOf", e))?;
    let free = held.freeBond;
    if free >= bond {
        return Ok(U256::ZERO);
    }
    let add = bond - free;
    let approve = IBondToken::approveCall {
        spender: mechanism,
        amount: add,
    };
    let send = |key: String, label: &'static str, to: Address, data: Vec<u8>| {
        let sender = sender.clone();
        async move {
            sender
                .send_once(&key, None, label, to, data.into())
                .await
                .map_err(|e| ProverError::Chain(format!("{label}: {e}")))
        }
    };
    send(
        format!("tree:pool:approve:{free}:{add}"),
        "approve",
        token,
        approve.abi_encode(),
    )
    .await?;
    send(
        format!("tree:pool:join:{free}:{add}"),
        "joinPool",
        mechanism,
        TreeAssignment::joinPoolCall { amount: add }.abi_encode(),
    )
    .await?;
    info!(prover = %me, %add, "joined the tree pool");
    Ok(add)
}
