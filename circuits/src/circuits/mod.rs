//! The three circuits (base, merge, root), their ids and their public statements.
//!
//! Each circuit's public inputs are its statement (fixed in `docs/architecture.md`) followed by the
//! prover's address as the last input. The address is squared into a wire so that it appears in a
//! constraint: a public input in no constraint gets a zero verifying-key point and would verify with
//! any value, which would make proofs copyable between provers.

pub mod base;
pub mod merge;
pub mod root;
#[cfg(test)]
mod soundness;

use alloy_primitives::{Address, B256, b256, keccak256};
use ark_bn254::Fr;
use ark_r1cs_std::{alloc::AllocVar, fields::fp::FpVar};
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

use crate::evm::{address_to_fr, fr_to_b256};

pub use base::{BaseCircuit, BaseStatement};
pub use merge::{MergeCircuit, MergeStatement};
pub use root::{RootCircuit, RootStatement};

/// `keccak256("proofmarket.circuit.base.v1")`.
pub const BASE_CIRCUIT_ID: B256 =
    b256!("57d6e5a5b6aebf379e6f9c1afe60f406b366905e890aa1d993e234b23dbeb308");
/// `keccak256("proofmarket.circuit.merge.v1")`.
pub const MERGE_CIRCUIT_ID: B256 =
    b256!("3e27e1ea4dc75d90a0cef8444d664689361e8aded2c9d9668ac4c54ce22c5eb7");
/// `keccak256("proofmarket.circuit.root.v1")`.
pub const ROOT_CIRCUIT_ID: B256 =
    b256!("002eb327c1b8847003783125ebd8ae73db2c84a515ddfa563f362058498fe1b2");

/// The three circuit families.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CircuitKind {
    /// One transfer.
    Base,
    /// Two adjacent ranges.
    Merge,
    /// A whole block.
    Root,
}

impl CircuitKind {
    /// All kinds, in a fixed order.
    pub const ALL: [CircuitKind; 3] = [CircuitKind::Base, CircuitKind::Merge, CircuitKind::Root];

    /// The on-chain circuit id.
    pub fn id(self) -> B256 {
        match self {
            CircuitKind::Base => BASE_CIRCUIT_ID,
            CircuitKind::Merge => MERGE_CIRCUIT_ID,
            CircuitKind::Root => ROOT_CIRCUIT_ID,
        }
    }

    /// Short lowercase name (`base`, `merge`, `root`), used in file names.
    pub fn name(self) -> &'static str {
        match self {
            CircuitKind::Base => "base",
            CircuitKind::Merge => "merge",
            CircuitKind::Root => "root",
        }
    }

    /// Number of public inputs, prover included.
    pub fn public_input_count(self) -> usize {
        match self {
            CircuitKind::Base => 4,
            CircuitKind::Merge => 7,
            CircuitKind::Root => 5,
        }
    }

    /// Looks a kind up by on-chain id.
    pub fn from_id(id: B256) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.id() == id)
    }
}

/// A content address of a proof-tree node: `keccak256(circuit id ‖ public inputs without prover)`,
/// each input as a 32-byte big-endian word (what `abi.encodePacked(bytes32, uint256[])` gives).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub B256);

impl std::fmt::Display for NodeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The statement a node's proof makes (its public inputs without the prover).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeStatement {
    /// A base (leaf) node.
    Base(BaseStatement),
    /// A merge node.
    Merge(MergeStatement),
    /// The block root.
    Root(RootStatement),
}

impl NodeStatement {
    /// Which circuit proves it.
    pub fn kind(&self) -> CircuitKind {
        match self {
            NodeStatement::Base(_) => CircuitKind::Base,
            NodeStatement::Merge(_) => CircuitKind::Merge,
            NodeStatement::Root(_) => CircuitKind::Root,
        }
    }

    /// Public inputs in circuit order, without the prover.
    pub fn public_inputs(&self) -> Vec<Fr> {
        match self {
            NodeStatement::Base(s) => s.public_inputs(),
            NodeStatement::Merge(s) => s.public_inputs(),
            NodeStatement::Root(s) => s.public_inputs(),
        }
    }

    /// Public inputs with `prover` appended (what the verifier takes).
    pub fn public_inputs_with_prover(&self, prover: Address) -> Vec<Fr> {
        let mut inputs = self.public_inputs();
        inputs.push(address_to_fr(prover));
        inputs
    }

    /// The node's content address.
    pub fn node_id(&self) -> NodeId {
        node_id(self.kind(), &self.public_inputs())
    }

    /// State root before the range this node covers.
    pub fn old_root(&self) -> Fr {
        match self {
            NodeStatement::Base(s) => s.old_root,
            NodeStatement::Merge(s) => s.old_root,
            NodeStatement::Root(s) => s.prev_state_root,
        }
    }

    /// State root after the range this node covers.
    pub fn new_root(&self) -> Fr {
        match self {
            NodeStatement::Base(s) => s.new_root,
            NodeStatement::Merge(s) => s.new_root,
            NodeStatement::Root(s) => s.new_state_root,
        }
    }

    /// The commitment to the transactions of the range (`tx_hash` for a leaf).
    pub fn commitment(&self) -> Fr {
        match self {
            NodeStatement::Base(s) => s.tx_hash,
            NodeStatement::Merge(s) => s.commitment,
            NodeStatement::Root(s) => s.txs_commitment,
        }
    }
}

/// `keccak256(circuit id ‖ inputs…)` for a statement's public inputs (prover excluded).
pub fn node_id(kind: CircuitKind, public_inputs: &[Fr]) -> NodeId {
    let mut preimage = Vec::with_capacity(32 * (1 + public_inputs.len()));
    preimage.extend_from_slice(kind.id().as_slice());
    for input in public_inputs {
        preimage.extend_from_slice(fr_to_b256(*input).as_slice());
    }
    NodeId(keccak256(&preimage))
}

/// Allocates the prover address as the last public input and squares it into a wire, so that the
/// verifying key depends on it.
pub(crate) fn bind_prover(
    cs: ConstraintSystemRef<Fr>,
    prover: Option<Address>,
) -> Result<(), SynthesisError> {
    let prover = FpVar::new_input(cs, || {
        prover
            .map(address_to_fr)
            .ok_or(SynthesisError::AssignmentMissing)
    })?;
    let _square = &prover * &prover;
    Ok(())
}

/// Enforces `0 ≤ value < 2⁶⁴` (64 boolean wires summing to it).
pub(crate) fn enforce_u64(value: &FpVar<Fr>) -> Result<(), SynthesisError> {
    let (_bits, _rest) = value.to_bits_le_with_top_bits_zero(64)?;
    Ok(())
}

/// Allocates a public input from an optional value.
pub(crate) fn input(
    cs: &ConstraintSystemRef<Fr>,
    value: Option<Fr>,
) -> Result<FpVar<Fr>, SynthesisError> {
    FpVar::new_input(cs.clone(), || {
        value.ok_or(SynthesisError::AssignmentMissing)
    })
}

/// Allocates a witness from an optional value.
pub(crate) fn witness(
    cs: &ConstraintSystemRef<Fr>,
    value: Option<Fr>,
) -> Result<FpVar<Fr>, SynthesisError> {
    FpVar::new_witness(cs.clone(), || {
        value.ok_or(SynthesisError::AssignmentMissing)
    })
}

/// The constraint-count snapshot: one line per circuit,
/// `<name> constraints=<n> public_inputs=<n> witnesses=<n>`, for a tree of `depth`.
pub fn constraint_count_report(depth: usize) -> Result<String, crate::keys::KeyError> {
    let mut report = format!("# pm-circuits constraint-counts (depth {depth})\n");
    for kind in CircuitKind::ALL {
        let shape = crate::keys::circuit_shape(kind, depth)?;
        report.push_str(&format!(
            "{} constraints={} public_inputs={} witnesses={}\n",
            kind.name(),
            shape.constraints,
            shape.public_inputs,
            shape.witnesses
        ));
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn circuit_ids_are_the_documented_hashes() {
        assert_eq!(BASE_CIRCUIT_ID, keccak256("proofmarket.circuit.base.v1"));
        assert_eq!(MERGE_CIRCUIT_ID, keccak256("proofmarket.circuit.merge.v1"));
        assert_eq!(ROOT_CIRCUIT_ID, keccak256("proofmarket.circuit.root.v1"));
        for kind in CircuitKind::ALL {
            assert_eq!(CircuitKind::from_id(kind.id()), Some(kind));
        }
    }
}
