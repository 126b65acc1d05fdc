//! The local worker pool and the tree walk: proves a block's proof tree bottom-up, at most
//! `workers` proofs at once, reusing cached node proofs, and verifying every child proof before the
//! parent that builds on it is proven (without recursion a merge proof does not itself prove its
//! children, so the composing prover must check them — see docs/architecture.md).
//!
//! The walk is independent of the circuits: a [`TreeJob`] says what the tree looks like and how to
//! prove and verify one node; `circuit_job.rs` implements it over `proofmarket-circuits`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use alloy::primitives::{Address, B256, U256};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::error::ProverError;
use crate::store::{NodeProofRow, Store};

/// A proof of one node, made by one prover.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeProof {
    /// The circuit that proves the node.
    pub circuit_id: B256,
    /// Public inputs without the prover.
    pub public_inputs: Vec<U256>,
    /// The proof in EVM form (`abi.encode(uint256[8])`).
    pub proof: Vec<u8>,
}

/// One block's proof tree, as the pool needs to see it.
pub trait TreeJob: Send + Sync + 'static {
    /// Number of nodes; nodes are `0..len()`.
    fn len(&self) -> usize;
    /// Whether the tree has no node (never true for a planned block).
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The top node (the root circuit's node).
    fn top(&self) -> usize;
    /// The nodes `node` builds on (empty for a leaf).
    fn children(&self, node: usize) -> Vec<usize>;
    /// The content address of `node` (`keccak256(circuit id, public inputs without prover)`).
    fn node_id(&self, node: usize) -> B256;
    /// Proves `node` as `prover` (CPU-bound; runs on a blocking thread).
    fn prove(&self, node: usize, prover: Address) -> Result<NodeProof, ProverError>;
    /// Verifies a proof of `node` made by `prover`; `Ok(false)` if it does not verify.
    fn verify(&self, node: usize, prover: Address, proof: &NodeProof) -> Result<bool, ProverError>;
}

/// What proving a tree did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TreeReport {
    /// Nodes proven now.
    pub proven: usize,
    /// Nodes taken from the cache (after verifying them).
    pub reused: usize,
    /// Child proofs verified before their parents were built.
    pub children_verified: usize,
    /// Cached proofs that failed verification and were rebuilt.
    pub rejected_cache: usize,
    /// Nodes taken from other provers (verified against their prover before use).
    pub fetched: usize,
    /// Wall-clock milliseconds for the whole tree.
    pub wall_ms: u64,
}

/// A worker pool shared by every task of one prover.
#[derive(Clone)]
pub struct WorkerPool {
    permits: Arc<Semaphore>,
    workers: usize,
}

impl WorkerPool {
    /// A pool running at most `workers` proofs at once (at least one).
    pub fn new(workers: usize) -> Self {
        let workers = workers.max(1);
        Self {
            permits: Arc::new(Semaphore::new(workers)),
            workers,
        }
    }

    /// The pool's size.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Runs a CPU-bound closure on a blocking thread once a worker is free.
    ///
    /// The worker's permit travels with the closure: a blocking thread cannot be interrupted, so
    /// when the awaiting task is cancelled the computation still holds its worker until it ends
    /// (its result is then dropped, nothing is written). [`WorkerPool::idle`] waits for that.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> Result<T, ProverError> + Send + 'static,
    ) -> Result<T, ProverError> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ProverError::Prove("worker pool closed".into()))?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            f()
        })
        .await
        .map_err(|e| ProverError::Prove(format!("worker panicked: {e}")))?
    }

    /// Waits until no computation runs on the pool (every worker free), e.g. the proofs of
    /// cancelled jobs still finishing on their blocking threads, so that one life of the prover
    /// ends with its CPU work and the next does not prove next to it.
    pub async fn idle(&self) {
        let all = u32::try_from(self.workers).unwrap_or(u32::MAX);
        // A closed semaphore (never closed here) has no computation left either.
        let _all = self.permits.acquire_many(all).await;
    }

    /// Proves the whole tree of `job` as `prover`, returning the top node's proof and a report.
    pub async fn prove_tree<J: TreeJob>(
        &self,
        job: Arc<J>,
        db: Store,
        prover: Address,
    ) -> Result<(NodeProof, TreeReport), ProverError> {
        let top = job.top();
        self.prove_subtree(job, top, db, prover, HashMap::new())
            .await
    }

    /// Proves the subtree of `job` under `top` as `prover` (a tree-assignment range, or the nodes
    /// above the ranges), returning `top`'s proof and a report. `given` holds node proofs made by
    /// other provers (`node → (its prover, proof)`): each is used instead of proving the node and its
    /// subtree, but only after it verifies against its own prover, like every child proof.
    pub async fn prove_subtree<J: TreeJob>(
        &self,
        job: Arc<J>,
        top: usize,
        db: Store,
        prover: Address,
        given: HashMap<usize, (Address, NodeProof)>,
    ) -> Result<(NodeProof, TreeReport), ProverError> {
        if job.is_empty() || top >= job.len() {
            return Err(ProverError::Prove(format!(
                "node {top} is not in a tree of {} nodes",
                job.len()
            )));
        }
        let started = Instant::now();
        let mut report = TreeReport::default();
        // Post-order: every node after its children. Nodes of one level are independent, so each
        // wave (nodes whose children are all done) is proven concurrently on the pool. A node given
        // by another prover is a leaf of the walk.
        let mut done: Vec<Option<(Address, NodeProof)>> = vec![None; job.len()];
        let mut remaining = Vec::new();
        for node in post_order_from(job.as_ref(), top, &given) {
            match given.get(&node) {
                Some((owner, proof)) => {
                    done[node] = Some((*owner, proof.clone()));
                    report.fetched += 1;
                }
                None => remaining.push(node),
            }
        }
        if given.contains_key(&top) {
            return Err(ProverError::Prove(format!(
                "node {top} to prove was given by another prover"
            )));
        }
        while !remaining.is_empty() {
            let (ready, later): (Vec<usize>, Vec<usize>) = remaining
                .iter()
                .partition(|&&n| job.children(n).iter().all(|&c| done[c].is_some()));
            if ready.is_empty() {
                return Err(ProverError::Prove("proof tree has a cycle".into()));
            }
            // The wave's node tasks belong to this walk: cancelling the walk (an abandoned task,
            // the end of a life) drops the set, which aborts them.
            let mut wave = JoinSet::new();
            for node in ready {
                let children: Vec<(usize, Address, NodeProof)> = job
                    .children(node)
                    .into_iter()
                    .filter_map(|c| done[c].clone().map(|(owner, p)| (c, owner, p)))
                    .collect();
                let (job, db, pool) = (job.clone(), db.clone(), self.clone());
                wave.spawn(async move {
                    let outcome = pool.prove_node(job, db, prover, node, children).await;
                    (node, outcome)
                });
            }
            while let Some(joined) = wave.join_next().await {
                let (node, outcome) =
                    joined.map_err(|e| ProverError::Prove(format!("node task failed: {e}")))?;
                let (proof, step) = outcome?;
                report.proven += step.proven;
                report.reused += step.reused;
                report.children_verified += step.children_verified;
                report.rejected_cache += step.rejected_cache;
                done[node] = Some((prover, proof));
            }
            remaining = later;
        }
        report.wall_ms = started.elapsed().as_millis() as u64;
        let (_, top) = done[top]
            .take()
            .ok_or_else(|| ProverError::Prove("top node not proven".into()))?;
        Ok((top, report))
    }

    /// One node: verify its children's proofs, then reuse a (verified) cached proof or prove it.
    async fn prove_node<J: TreeJob>(
        &self,
        job: Arc<J>,
        db: Store,
        prover: Address,
        node: usize,
        children: Vec<(usize, Address, NodeProof)>,
    ) -> Result<(NodeProof, TreeReport), ProverError> {
        let mut step = TreeReport::default();
        for (child, owner, proof) in children {
            let j = job.clone();
            let ok = self.run(move || j.verify(child, owner, &proof)).await?;
            if !ok {
                return Err(ProverError::Prove(format!(
                    "child node {child} ({}) by {owner} does not verify; refusing to build on it",
                    job.node_id(child)
                )));
            }
            step.children_verified += 1;
        }
        let node_id = job.node_id(node);
        let cached = db
            .node_proof(node_id)
            .map_err(|e| ProverError::Store(e.to_string()))?;
        if let Some(row) = cached.filter(|row| row.prover == prover) {
            let proof = NodeProof {
                circuit_id: row.circuit_id,
                public_inputs: row.public_inputs,
                proof: row.proof,
            };
            let (j, p) = (job.clone(), proof.clone());
            if self.run(move || j.verify(node, prover, &p)).await? {
                step.reused += 1;
                return Ok((proof, step));
            }
            // Corrupt or made with another key: rebuild (the cache keeps its first entry, so the
            // rebuilt proof is used from memory; a content-addressed row is never overwritten).
            step.rejected_cache += 1;
        }
        let j = job.clone();
        let proof = self.run(move || j.prove(node, prover)).await?;
        db.put_node_proof(&NodeProofRow {
            node_id,
            circuit_id: proof.circuit_id,
            public_inputs: proof.public_inputs.clone(),
            prover,
            proof: proof.proof.clone(),
        })
        .map_err(|e| ProverError::Store(e.to_string()))?;
        step.proven += 1;
        Ok((proof, step))
    }
}

/// Nodes of the subtree under `top` in post-order (children before parents), each once; the
/// subtrees under `stop` nodes are not entered (the `stop` nodes themselves are listed).
fn post_order_from<J: TreeJob + ?Sized, V>(
    job: &J,
    top: usize,
    stop: &HashMap<usize, V>,
) -> Vec<usize> {
    let mut out = Vec::with_capacity(job.len());
    let mut seen = vec![false; job.len()];
    let mut stack = vec![(top, false)];
    while let Some((node, expanded)) = stack.pop() {
        if node >= job.len() || seen[node] {
            continue;
        }
        if expanded || (node != top && stop.contains_key(&node)) {
            seen[node] = true;
            out.push(node);
        } else {
            stack.push((node, true));
            for child in job.children(node).into_iter().rev() {
                stack.push((child, false));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::keccak256;

    /// A 2-leaf tree (0, 1 → merge 2 → root 3) whose "proof" of a node is
    /// `keccak256(node ‖ prover)`: enough to check the walk (what is proven, what is taken from
    /// others and against which prover it is verified) without the circuits.
    struct Toy;

    fn toy_proof(node: usize, prover: Address) -> NodeProof {
        let mut preimage = vec![node as u8];
        preimage.extend_from_slice(prover.as_slice());
        NodeProof {
            circuit_id: B256::ZERO,
            public_inputs: vec![U256::from(node)],
            proof: keccak256(&preimage).to_vec(),
        }
    }

    impl TreeJob for Toy {
        fn len(&self) -> usize {
            4
        }
        fn top(&self) -> usize {
            3
        }
        fn children(&self, node: usize) -> Vec<usize> {
            match node {
                2 => vec![0, 1],
                3 => vec![2],
                _ => Vec::new(),
            }
        }
        fn node_id(&self, node: usize) -> B256 {
            B256::from(U256::from(node + 100))
        }
        fn prove(&self, node: usize, prover: Address) -> Result<NodeProof, ProverError> {
            Ok(toy_proof(node, prover))
        }
        fn verify(
            &self,
            node: usize,
            prover: Address,
            proof: &NodeProof,
        ) -> Result<bool, ProverError> {
            Ok(*proof == toy_proof(node, prover))
        }
    }

    const ME: Address = Address::repeat_byte(0xaa);
    const OTHER: Address = Address::repeat_byte(0xbb);

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("p.db")).expect("store");
        (dir, store)
    }

    #[tokio::test]
    async fn a_node_given_by_another_prover_is_verified_against_it_and_not_reproven() {
        let (_dir, db) = store();
        let pool = WorkerPool::new(1);
        let given = HashMap::from([(1, (OTHER, toy_proof(1, OTHER)))]);
        let (top, report) = pool
            .prove_subtree(Arc::new(Toy), 3, db, ME, given)
            .await
            .expect("root over the given leaf");
        assert_eq!(top, toy_proof(3, ME));
        assert_eq!(report.fetched, 1);
        assert_eq!(report.proven, 3, "own leaf, merge, root");
        assert_eq!(report.children_verified, 3, "both leaves, then the merge");
    }

    #[tokio::test]
    async fn a_given_proof_that_does_not_verify_is_refused() {
        let (_dir, db) = store();
        let pool = WorkerPool::new(1);
        // Claimed by OTHER but made for ME: bound to the wrong prover.
        let given = HashMap::from([(1, (OTHER, toy_proof(1, ME)))]);
        let err = pool
            .prove_subtree(Arc::new(Toy), 3, db, ME, given)
            .await
            .expect_err("refused");
        assert!(err.to_string().contains("does not verify"), "{err}");
    }

    #[tokio::test]
    async fn a_subtree_proves_only_its_own_nodes() {
        let (_dir, db) = store();
        let pool = WorkerPool::new(1);
        let (top, report) = pool
            .prove_subtree(Arc::new(Toy), 0, db.clone(), ME, HashMap::new())
            .await
            .expect("one leaf");
        assert_eq!(top, toy_proof(0, ME));
        assert_eq!((report.proven, report.children_verified), (1, 0));
        // The whole tree afterwards reuses the cached leaf.
        let (_, report) = pool.prove_tree(Arc::new(Toy), db, ME).await.expect("tree");
        assert_eq!((report.proven, report.reused), (3, 1));
        let (_dir2, db2) = store();
        assert!(
            pool.prove_subtree(Arc::new(Toy), 9, db2, ME, HashMap::new())
                .await
                .is_err()
        );
    }

    /// The toy tree with a slow leaf 0 (the others are instant), to cancel a walk mid-proof.
    struct SlowLeaf {
        started: std::sync::atomic::AtomicBool,
    }

    impl TreeJob for SlowLeaf {
        fn len(&self) -> usize {
            Toy.len()
        }
        fn top(&self) -> usize {
            Toy.top()
        }
        fn children(&self, node: usize) -> Vec<usize> {
            Toy.children(node)
        }
        fn node_id(&self, node: usize) -> B256 {
            Toy.node_id(node)
        }
        fn prove(&self, node: usize, prover: Address) -> Result<NodeProof, ProverError> {
            if node == 0 {
                self.started
                    .store(true, std::sync::atomic::Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(600));
            }
            Toy.prove(node, prover)
        }
        fn verify(
            &self,
            node: usize,
            prover: Address,
            proof: &NodeProof,
        ) -> Result<bool, ProverError> {
            Toy.verify(node, prover, proof)
        }
    }

    /// A walk cancelled while a proof runs on a blocking thread: its node tasks go with it, nothing
    /// reaches the cache, and `idle` returns only once that computation has ended.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cancelled_walk_leaves_nothing_running_once_the_pool_is_idle() {
        let (_dir, db) = store();
        let pool = WorkerPool::new(1);
        let job = Arc::new(SlowLeaf {
            started: std::sync::atomic::AtomicBool::new(false),
        });
        let walk = tokio::spawn({
            let (pool, job, db) = (pool.clone(), job.clone(), db.clone());
            async move { pool.prove_tree(job, db, ME).await }
        });
        while !job.started.load(std::sync::atomic::Ordering::SeqCst) {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let cancelled_at = Instant::now();
        walk.abort();
        assert!(walk.await.is_err_and(|e| e.is_cancelled()));
        pool.idle().await;
        assert!(
            cancelled_at.elapsed() >= std::time::Duration::from_millis(400),
            "idle waited for the proof on the blocking thread ({:?})",
            cancelled_at.elapsed()
        );
        // Give an escaped node task every chance to write its result. (Leaf 1 may have been
        // proven and cached before leaf 0 started: it is not asserted on.)
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        for node in [0, 2, 3] {
            assert!(
                db.node_proof(Toy.node_id(node)).expect("read").is_none(),
                "node {node} was not written by a cancelled walk"
            );
        }
    }
}
