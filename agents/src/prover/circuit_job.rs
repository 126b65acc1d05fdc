//! The circuits side of the tree walk: a block's proof tree from `proofmarket-circuits` as a
//! [`TreeJob`], and the calibration run that measures this machine's proving speed per circuit.
//!
//! Proofs are stored in their EVM form (`abi.encode(uint256[8])`, 256 bytes), which is what L1 takes
//! and what another prover can check; verification decodes them and checks the points first.

use std::sync::Arc;
use std::time::Instant;

use alloy::primitives::{Address, B256};
use proofmarket_circuits::{
    block::BlockWitness,
    evm::{EvmProof, fr_to_u256},
    keys::Keys,
    prove::{self, proving_rng},
    state::{self, Transaction},
};

use super::cost::ProvingSpeed;
use super::error::ProverError;
use super::pool::{NodeProof, TreeJob};

/// One block's proof tree over the real circuits.
pub struct BlockJob {
    keys: Arc<Keys>,
    block: Arc<BlockWitness>,
}

impl BlockJob {
    /// The job of proving `block` with `keys`.
    pub fn new(keys: Arc<Keys>, block: Arc<BlockWitness>) -> Self {
        Self { keys, block }
    }

    /// The block.
    pub fn block(&self) -> &BlockWitness {
        &self.block
    }

    /// The root statement's public inputs (without the prover) as EVM words: what `submitProof` takes.
    pub fn root_public_inputs(&self) -> Vec<alloy::primitives::U256> {
        self.block
            .root_statement()
            .public_inputs()
            .into_iter()
            .map(fr_to_u256)
            .collect()
    }
}

impl TreeJob for BlockJob {
    fn len(&self) -> usize {
        self.block.plan.nodes.len()
    }

    fn top(&self) -> usize {
        self.block.plan.root()
    }

    fn children(&self, node: usize) -> Vec<usize> {
        self.block
            .plan
            .nodes
            .get(node)
            .map(|n| n.children())
            .unwrap_or_default()
    }

    fn node_id(&self, node: usize) -> B256 {
        self.block
            .statements
            .get(node)
            .map(|s| s.node_id().0)
            .unwrap_or_default()
    }

    fn prove(&self, node: usize, prover: Address) -> Result<NodeProof, ProverError> {
        let statement =
            self.block.statements.get(node).ok_or_else(|| {
                ProverError::Prove(format!("node {node} is not in the block's tree"))
            })?;
        let proof = prove::prove_node(&self.keys, &self.block, node, prover, &mut proving_rng())
            .map_err(|e| ProverError::Prove(e.to_string()))?;
        Ok(NodeProof {
            circuit_id: statement.kind().id(),
            public_inputs: statement
                .public_inputs()
                .into_iter()
                .map(fr_to_u256)
                .collect(),
            proof: EvmProof::from_proof(&proof).abi_encode(),
        })
    }

    fn verify(&self, node: usize, prover: Address, proof: &NodeProof) -> Result<bool, ProverError> {
        let Some(statement) = self.block.statements.get(node) else {
            return Err(ProverError::Prove(format!(
                "node {node} is not in the block's tree"
            )));
        };
        let Ok(evm) = EvmProof::abi_decode(&proof.proof) else {
            return Ok(false);
        };
        Ok(prove::verify_evm_proof(&self.keys, statement, prover, &evm).is_ok())
    }
}

/// Measures this machine's proving speed: proves a two-transfer devnet block (two base proofs, one
/// merge, one root) once, timing each circuit. Takes a few seconds; the result is cached by the caller.
pub fn calibrate(keys: &Keys, workers: usize) -> Result<ProvingSpeed, ProverError> {
    let genesis = state::devnet_genesis();
    let txs = [
        Transaction {
            from: 0,
            to: 1,
            amount: 1,
            nonce: 0,
        }
        .sign(&state::devnet_key(0)),
        Transaction {
            from: 1,
            to: 0,
            amount: 1,
            nonce: 0,
        }
        .sign(&state::devnet_key(1)),
    ];
    let (block, _) = BlockWitness::build(&genesis, &txs, 1)
        .map_err(|e| ProverError::Prove(format!("calibration block: {e}")))?;
    let prover = Address::ZERO;
    let mut secs = [0.0f64; 3];
    for (index, node) in block.plan.nodes.iter().enumerate() {
        let started = Instant::now();
        prove::prove_node(keys, &block, index, prover, &mut proving_rng())
            .map_err(|e| ProverError::Prove(format!("calibration: {e}")))?;
        let elapsed = started.elapsed().as_secs_f64();
        let slot = match node.kind {
            proofmarket_circuits::tree::PlanNodeKind::Base { .. } => 0,
            proofmarket_circuits::tree::PlanNodeKind::Merge { .. } => 1,
            proofmarket_circuits::tree::PlanNodeKind::Root { .. } => 2,
        };
        // Two base proofs: keep the slower (a cold cache on the first one is part of real life).
        secs[slot] = secs[slot].max(elapsed);
    }
    Ok(ProvingSpeed {
        base_secs: secs[0],
        merge_secs: secs[1],
        root_secs: secs[2],
        workers: workers.max(1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NodeProofRow, Store};
    use proofmarket_circuits::keys::default_key_dir;
    use proofmarket_circuits::state::SignedTransaction;

    use super::super::pool::WorkerPool;

    fn transfers(n: u32) -> Vec<SignedTransaction> {
        (0..n)
            .map(|i| {
                Transaction {
                    from: i,
                    to: i + 1,
                    amount: 3,
                    nonce: 0,
                }
                .sign(&state::devnet_key(i))
            })
            .collect()
    }

    fn job(n: u32) -> (Arc<Keys>, Arc<BlockJob>) {
        let keys = Arc::new(Keys::load_or_setup(&default_key_dir()).expect("proving keys"));
        let (block, _) =
            BlockWitness::build(&state::devnet_genesis(), &transfers(n), 1).expect("block");
        (keys.clone(), Arc::new(BlockJob::new(keys, Arc::new(block))))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn proves_a_tree_children_first_and_reuses_the_cache() {
        let (_, job) = job(3);
        let store = Store::in_memory().expect("store");
        let pool = WorkerPool::new(2);
        let me = Address::repeat_byte(7);
        let (top, report) = pool
            .prove_tree(job.clone(), store.clone(), me)
            .await
            .expect("tree");
        // 3 leaves, 2 merges, 1 root; every non-leaf verified its children first.
        assert_eq!(
            (report.proven, report.reused, report.children_verified),
            (6, 0, 5)
        );
        assert!(job.verify(job.top(), me, &top).expect("verify"));
        // Bound to its prover: the same proof does not verify for anyone else.
        assert!(
            !job.verify(job.top(), Address::repeat_byte(8), &top)
                .expect("verify")
        );
        assert_eq!(top.public_inputs, job.root_public_inputs());
        // A second run (a restarted prover) proves nothing again.
        let (again, report) = pool
            .prove_tree(job.clone(), store, me)
            .await
            .expect("tree again");
        assert_eq!((report.proven, report.reused), (0, 6));
        assert_eq!(again, top);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cached_proof_that_does_not_verify_is_not_built_on() {
        let (_, job) = job(2);
        let store = Store::in_memory().expect("store");
        let pool = WorkerPool::new(1);
        let (me, other) = (Address::repeat_byte(7), Address::repeat_byte(8));
        // A leaf proof made by `other`, cached as if it were ours (a copied or corrupt entry).
        let leaf = 0;
        let foreign = job.prove(leaf, other).expect("prove leaf");
        store
            .put_node_proof(&NodeProofRow {
                node_id: job.node_id(leaf),
                circuit_id: foreign.circuit_id,
                public_inputs: foreign.public_inputs.clone(),
                prover: me,
                proof: foreign.proof.clone(),
            })
            .expect("cache");
        let (top, report) = pool.prove_tree(job.clone(), store, me).await.expect("tree");
        assert_eq!(report.rejected_cache, 1);
        assert_eq!(report.proven, 4);
        assert!(job.verify(job.top(), me, &top).expect("verify"));
    }

    #[test]
    fn calibration_measures_every_circuit() {
        let (keys, _) = job(1);
        let speed = calibrate(&keys, 2).expect("calibrate");
        assert!(speed.base_secs > 0.0 && speed.merge_secs > 0.0 && speed.root_secs > 0.0);
        assert_eq!(speed.workers, 2);
    }
}
