//! Proving and verifying proof-tree nodes for a given prover address.
//!
//! A proof is bound to its prover: the address is the circuit's last public input, so a proof made by
//! one address does not verify for another. Provers should verify the child proofs they build on
//! ([`verify_node`]) — without recursion a merge or root proof does not prove its children.

use alloy_primitives::Address;
use ark_bn254::{Bn254, Fr};
use ark_groth16::{Groth16, Proof};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisError,
};
use ark_snark::SNARK;
use ark_std::rand::{CryptoRng, RngCore};

use crate::{
    block::BlockWitness,
    circuits::{
        BaseCircuit, BaseStatement, MergeCircuit, MergeStatement, NodeStatement, RootCircuit,
        RootStatement,
    },
    evm::EvmProof,
    keys::Keys,
    state::TransitionWitness,
    tree::PlanNodeKind,
};

/// Errors proving or verifying.
#[derive(Debug, thiserror::Error)]
pub enum ProveError {
    /// The prover failed (e.g. an unsatisfiable witness).
    #[error("proving the {circuit} circuit failed: {source}")]
    Prove {
        /// The circuit.
        circuit: &'static str,
        /// Why.
        source: SynthesisError,
    },
    /// The witness does not satisfy the circuit: the proof made from it does not verify (builds with
    /// debug assertions also check before proving).
    #[error("the witness does not satisfy the {0} circuit")]
    Unsatisfied(&'static str),
    /// The proof does not verify.
    #[error("the {0} proof does not verify")]
    InvalidProof(&'static str),
    /// A node index is not in the block's plan.
    #[error("node {0} is not in the block's proof tree")]
    UnknownNode(usize),
    /// The tree depth of the witness differs from the keys'.
    #[error("witness depth {witness} but keys for depth {keys}")]
    DepthMismatch {
        /// The witness depth.
        witness: usize,
        /// The keys' depth.
        keys: usize,
    },
}

/// A fresh proving RNG seeded from the OS (Groth16 proofs are randomised).
pub fn proving_rng() -> rand_chacha::ChaCha20Rng {
    use rand_chacha::rand_core::SeedableRng;
    rand_chacha::ChaCha20Rng::from_entropy()
}

/// Proves, then verifies the result, so an unsatisfied witness is an error, never a proof: arkworks'
/// prover does not report one (it yields an invalid proof in release builds, which the verification
/// catches). Builds with debug assertions check satisfiability first, because there arkworks' prover
/// asserts it and would panic instead. Release builds skip that extra synthesis (≈ 0.1 s of a 1.2 s
/// base proof): the verification after proving is the check that matters.
fn prove_with<C: ConstraintSynthesizer<Fr> + Clone>(
    keys: &Keys,
    statement: &NodeStatement,
    circuit: C,
    prover: Address,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Proof<Bn254>, ProveError> {
    let kind = statement.kind();
    if cfg!(debug_assertions) {
        let cs = ConstraintSystem::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        let synthesized = circuit.clone().generate_constraints(cs.clone()).is_ok();
        if !synthesized || !cs.is_satisfied().unwrap_or(false) {
            return Err(ProveError::Unsatisfied(kind.name()));
        }
    }
    let proof = Groth16::<Bn254>::prove(&keys.get(kind).pk, circuit, rng).map_err(|source| {
        ProveError::Prove {
            circuit: kind.name(),
            source,
        }
    })?;
    verify_node(keys, statement, prover, &proof)
        .map_err(|_| ProveError::Unsatisfied(kind.name()))?;
    Ok(proof)
}

/// Proves one transfer (base node) for `prover`.
pub fn prove_base(
    keys: &Keys,
    transition: &TransitionWitness,
    prover: Address,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Proof<Bn254>, ProveError> {
    if transition.depth != keys.depth {
        return Err(ProveError::DepthMismatch {
            witness: transition.depth,
            keys: keys.depth,
        });
    }
    let statement = NodeStatement::Base(BaseStatement::from_witness(transition));
    prove_with(
        keys,
        &statement,
        BaseCircuit::new(transition.clone(), prover),
        prover,
        rng,
    )
}

/// Proves that two adjacent children compose (merge node) for `prover`.
pub fn prove_merge(
    keys: &Keys,
    left: &NodeStatement,
    right: &NodeStatement,
    prover: Address,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Proof<Bn254>, ProveError> {
    let statement = NodeStatement::Merge(MergeStatement::from_children(left, right));
    prove_with(
        keys,
        &statement,
        MergeCircuit::new(left, right, prover),
        prover,
        rng,
    )
}

/// Proves a block's root statement for `prover`.
pub fn prove_root(
    keys: &Keys,
    statement: &RootStatement,
    prover: Address,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Proof<Bn254>, ProveError> {
    prove_with(
        keys,
        &NodeStatement::Root(*statement),
        RootCircuit::new(*statement, prover),
        prover,
        rng,
    )
}

/// Proves node `index` of a block's proof tree for `prover`.
pub fn prove_node(
    keys: &Keys,
    block: &BlockWitness,
    index: usize,
    prover: Address,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Proof<Bn254>, ProveError> {
    let node = block
        .plan
        .nodes
        .get(index)
        .ok_or(ProveError::UnknownNode(index))?;
    match (node.kind, block.statements[index]) {
        (PlanNodeKind::Base { tx }, _) => prove_base(keys, &block.transitions[tx], prover, rng),
        (PlanNodeKind::Merge { left, right }, _) => prove_merge(
            keys,
            &block.statements[left],
            &block.statements[right],
            prover,
            rng,
        ),
        (PlanNodeKind::Root { .. }, NodeStatement::Root(statement)) => {
            prove_root(keys, &statement, prover, rng)
        }
        (PlanNodeKind::Root { .. }, _) => Err(ProveError::UnknownNode(index)),
    }
}

/// Verifies a node proof for `prover` against its statement.
pub fn verify_node(
    keys: &Keys,
    statement: &NodeStatement,
    prover: Address,
    proof: &Proof<Bn254>,
) -> Result<(), ProveError> {
    let kind = statement.kind();
    let inputs = statement.public_inputs_with_prover(prover);
    match Groth16::<Bn254>::verify_with_processed_vk(&keys.get(kind).pvk, &inputs, proof) {
        Ok(true) => Ok(()),
        _ => Err(ProveError::InvalidProof(kind.name())),
    }
}

/// Verifies a proof in EVM form (as it appears on L1), checking its points first.
pub fn verify_evm_proof(
    keys: &Keys,
    statement: &NodeStatement,
    prover: Address,
    proof: &EvmProof,
) -> Result<(), ProveError> {
    let proof = proof
        .to_proof()
        .map_err(|_| ProveError::InvalidProof(statement.kind().name()))?;
    verify_node(keys, statement, prover, &proof)
}

/// A proven node.
#[derive(Debug, Clone)]
pub struct NodeProof {
    /// Index in the block's plan.
    pub index: usize,
    /// Its statement.
    pub statement: NodeStatement,
    /// The proof, for the prover it was made for.
    pub proof: Proof<Bn254>,
}

/// Proves every node of a block for one prover, children first, verifying each child proof before
/// composing on it (what a single machine proving a whole block does).
pub fn prove_block(
    keys: &Keys,
    block: &BlockWitness,
    prover: Address,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Vec<NodeProof>, ProveError> {
    let mut proofs: Vec<NodeProof> = Vec::with_capacity(block.plan.nodes.len());
    for (index, node) in block.plan.nodes.iter().enumerate() {
        for child in node.children() {
            let child_proof = &proofs[child];
            verify_node(keys, &child_proof.statement, prover, &child_proof.proof)?;
        }
        let proof = prove_node(keys, block, index, prover, rng)?;
        proofs.push(NodeProof {
            index,
            statement: block.statements[index],
            proof,
        });
    }
    Ok(proofs)
}
