//! The Poseidon gadget: the in-circuit twin of [`crate::poseidon::hash`].

use ark_bn254::Fr;
use ark_crypto_primitives::sponge::{
    constraints::CryptographicSpongeVar, poseidon::constraints::PoseidonSpongeVar,
};
use ark_r1cs_std::{GR1CSVar, fields::fp::FpVar};
use ark_relations::gr1cs::SynthesisError;

/// Hashes field variables exactly as [`crate::poseidon::hash`] does natively.
pub fn hash_gadget(inputs: &[FpVar<Fr>]) -> Result<FpVar<Fr>, SynthesisError> {
    let cs = inputs.cs();
    let mut sponge = PoseidonSpongeVar::new(cs, super::config());
    sponge.absorb(&inputs.to_vec())?;
    let mut out = sponge.squeeze_field_elements(1)?;
    out.pop().ok_or(SynthesisError::Unsatisfiable)
}

/// The 2-to-1 hash gadget.
pub fn hash2_gadget(left: &FpVar<Fr>, right: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
    hash_gadget(&[left.clone(), right.clone()])
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_r1cs_std::{alloc::AllocVar, eq::EqGadget};
    use ark_relations::gr1cs::ConstraintSystem;

    #[test]
    fn gadget_matches_native_and_costs_one_permutation() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let a = FpVar::new_witness(cs.clone(), || Ok(Fr::from(7u64))).unwrap();
        let b = FpVar::new_witness(cs.clone(), || Ok(Fr::from(9u64))).unwrap();
        let before = cs.num_constraints();
        let h = hash2_gadget(&a, &b).unwrap();
        let cost = cs.num_constraints() - before;
        let expected = FpVar::new_input(cs.clone(), || {
            Ok(crate::poseidon::hash2(Fr::from(7u64), Fr::from(9u64)))
        })
        .unwrap();
        h.enforce_equal(&expected).unwrap();
        assert!(cs.is_satisfied().unwrap());
        assert!(cost <= 250, "2-to-1 Poseidon took {cost} constraints");
    }
}
