//! The merge circuit: two adjacent ranges compose.
//!
//! Public inputs: `old_root, mid_root, new_root, left_commitment, right_commitment, commitment,
//! prover`. Witness: the children's statements `(old, new)`; the circuit enforces
//! `left.old == old_root`, `left.new == mid_root == right.old`, `right.new == new_root` and
//! `commitment == Poseidon(left_commitment, right_commitment)`. Without recursion it does not verify
//! the children's proofs: the composing prover checks them off-chain (see `docs/circuits.md`).

use alloy_primitives::Address;
use ark_bn254::Fr;
use ark_r1cs_std::eq::EqGadget;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

use super::{NodeStatement, bind_prover, input, witness};
use crate::poseidon::{self, constraints::hash2_gadget};

/// The merge statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MergeStatement {
    /// Root before the left range.
    pub old_root: Fr,
    /// Root between the ranges.
    pub mid_root: Fr,
    /// Root after the right range.
    pub new_root: Fr,
    /// The left child's commitment.
    pub left_commitment: Fr,
    /// The right child's commitment.
    pub right_commitment: Fr,
    /// `Poseidon(left_commitment, right_commitment)`.
    pub commitment: Fr,
}

impl MergeStatement {
    /// The statement of merging two adjacent children (no adjacency check: see [`MergeCircuit`]).
    pub fn from_children(left: &NodeStatement, right: &NodeStatement) -> Self {
        Self {
            old_root: left.old_root(),
            mid_root: left.new_root(),
            new_root: right.new_root(),
            left_commitment: left.commitment(),
            right_commitment: right.commitment(),
            commitment: poseidon::hash2(left.commitment(), right.commitment()),
        }
    }

    /// Public inputs without the prover.
    pub fn public_inputs(&self) -> Vec<Fr> {
        vec![
            self.old_root,
            self.mid_root,
            self.new_root,
            self.left_commitment,
            self.right_commitment,
            self.commitment,
        ]
    }
}

/// A child's range as the merge circuit sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChildRange {
    /// Root before the child's range.
    pub old_root: Fr,
    /// Root after it.
    pub new_root: Fr,
}

/// The merge circuit. All fields `None` for key generation.
#[derive(Debug, Clone, Default)]
pub struct MergeCircuit {
    /// The public statement.
    pub statement: Option<MergeStatement>,
    /// The left child's range.
    pub left: Option<ChildRange>,
    /// The right child's range.
    pub right: Option<ChildRange>,
    /// The prover address (last public input).
    pub prover: Option<Address>,
}

impl MergeCircuit {
    /// An assignment from the two children's statements.
    pub fn new(left: &NodeStatement, right: &NodeStatement, prover: Address) -> Self {
        Self {
            statement: Some(MergeStatement::from_children(left, right)),
            left: Some(ChildRange {
                old_root: left.old_root(),
                new_root: left.new_root(),
            }),
            right: Some(ChildRange {
                old_root: right.old_root(),
                new_root: right.new_root(),
            }),
            prover: Some(prover),
        }
    }
}

impl ConstraintSynthesizer<Fr> for MergeCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let s = self.statement;
        let old_root = input(&cs, s.map(|s| s.old_root))?;
        let mid_root = input(&cs, s.map(|s| s.mid_root))?;
        let new_root = input(&cs, s.map(|s| s.new_root))?;
        let left_commitment = input(&cs, s.map(|s| s.left_commitment))?;
        let right_commitment = input(&cs, s.map(|s| s.right_commitment))?;
        let commitment = input(&cs, s.map(|s| s.commitment))?;
        bind_prover(cs.clone(), self.prover)?;

        let (left, right) = (self.left, self.right);
        witness(&cs, left.map(|c| c.old_root))?.enforce_equal(&old_root)?;
        witness(&cs, left.map(|c| c.new_root))?.enforce_equal(&mid_root)?;
        witness(&cs, right.map(|c| c.old_root))?.enforce_equal(&mid_root)?;
        witness(&cs, right.map(|c| c.new_root))?.enforce_equal(&new_root)?;
        hash2_gadget(&left_commitment, &right_commitment)?.enforce_equal(&commitment)?;
        Ok(())
    }
}
