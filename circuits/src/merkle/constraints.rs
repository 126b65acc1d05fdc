//! The Merkle path gadget: the in-circuit twin of [`crate::merkle::MerklePath::root_from_leaf`].

use ark_bn254::Fr;
use ark_r1cs_std::{boolean::Boolean, fields::fp::FpVar, prelude::*};
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

use crate::{merkle::MerklePath, poseidon::constraints::hash2_gadget};

/// Sibling hashes of a Merkle path, allocated as witnesses.
#[derive(Clone)]
pub struct MerklePathVar {
    /// One sibling per level, leaf level first.
    pub siblings: Vec<FpVar<Fr>>,
}

impl MerklePathVar {
    /// Allocates `depth` siblings as witnesses (values absent in setup mode).
    pub fn new_witness(
        cs: ConstraintSystemRef<Fr>,
        path: Option<&MerklePath>,
        depth: usize,
    ) -> Result<Self, SynthesisError> {
        let siblings = (0..depth)
            .map(|level| {
                FpVar::new_witness(cs.clone(), || {
                    path.and_then(|p| p.siblings.get(level).copied())
                        .ok_or(SynthesisError::AssignmentMissing)
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { siblings })
    }

    /// Root of the tree with `leaf` at the position given by `index_bits` (little-endian).
    pub fn root_from_leaf(
        &self,
        leaf: &FpVar<Fr>,
        index_bits: &[Boolean<Fr>],
    ) -> Result<FpVar<Fr>, SynthesisError> {
        if index_bits.len() != self.siblings.len() {
            return Err(SynthesisError::Unsatisfiable);
        }
        let mut node = leaf.clone();
        for (bit, sibling) in index_bits.iter().zip(&self.siblings) {
            let left = bit.select(sibling, &node)?;
            let right = bit.select(&node, sibling)?;
            node = hash2_gadget(&left, &right)?;
        }
        Ok(node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::SparseMerkleTree;
    use ark_relations::gr1cs::ConstraintSystem;

    #[test]
    fn gadget_root_matches_native() {
        let mut tree = SparseMerkleTree::new(6, Fr::from(0u64));
        tree.set(37, Fr::from(11u64)).unwrap();
        tree.set(2, Fr::from(5u64)).unwrap();
        let path = tree.path(37).unwrap();
        let cs = ConstraintSystem::<Fr>::new_ref();
        let leaf = FpVar::new_witness(cs.clone(), || Ok(Fr::from(11u64))).unwrap();
        let index = FpVar::new_witness(cs.clone(), || Ok(Fr::from(37u64))).unwrap();
        let (bits, _) = index.to_bits_le_with_top_bits_zero(6).unwrap();
        let path_var = MerklePathVar::new_witness(cs.clone(), Some(&path), 6).unwrap();
        let root = path_var.root_from_leaf(&leaf, &bits).unwrap();
        let expected = FpVar::new_input(cs.clone(), || Ok(tree.root())).unwrap();
        root.enforce_equal(&expected).unwrap();
        assert!(cs.is_satisfied().unwrap());
    }
}
