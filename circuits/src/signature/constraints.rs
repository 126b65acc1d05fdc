//! The Schnorr verification gadget: the in-circuit twin of [`crate::signature::verify`].
//!
//! `s·G` is a fixed-base multiplication over precomputed powers `2ⁱ·G` (two-bit lookups), `c·P` a
//! variable-base double-and-add over the 254 canonical bits of the challenge.

use std::sync::OnceLock;

use ark_bn254::Fr;
use ark_ec::PrimeGroup;
use ark_ed_on_bn254::{EdwardsProjective, Fr as JubjubScalar, constraints::EdwardsVar};
use ark_ff::{BigInteger, PrimeField};
use ark_r1cs_std::{boolean::Boolean, fields::fp::FpVar, prelude::*};
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

use crate::{poseidon::constraints::hash_gadget, signature::Signature};

/// Number of bits of a Baby Jubjub scalar.
pub const SCALAR_BITS: usize = JubjubScalar::MODULUS_BIT_SIZE as usize;

fn generator_powers() -> &'static [EdwardsProjective] {
    static POWERS: OnceLock<Vec<EdwardsProjective>> = OnceLock::new();
    POWERS.get_or_init(|| {
        let mut powers = Vec::with_capacity(SCALAR_BITS);
        let mut current = EdwardsProjective::generator();
        for _ in 0..SCALAR_BITS {
            powers.push(current);
            current = current + current;
        }
        powers
    })
}

/// A signature allocated as witnesses: `R` (on-curve checked) and the bits of `s`.
pub struct SignatureVar {
    /// The commitment point.
    pub r: EdwardsVar,
    /// `s`, little-endian bits.
    pub s_bits: Vec<Boolean<Fr>>,
}

impl SignatureVar {
    /// Allocates a signature (values absent in setup mode).
    pub fn new_witness(
        cs: ConstraintSystemRef<Fr>,
        signature: Option<&Signature>,
    ) -> Result<Self, SynthesisError> {
        let r = EdwardsVar::new_variable_omit_prime_order_check(
            cs.clone(),
            || {
                signature
                    .map(|s| s.r.into())
                    .ok_or(SynthesisError::AssignmentMissing)
            },
            AllocationMode::Witness,
        )?;
        let s_value = signature.map(|s| s.s.into_bigint());
        let s_bits = (0..SCALAR_BITS)
            .map(|i| {
                Boolean::new_witness(cs.clone(), || {
                    s_value
                        .map(|s| s.get_bit(i))
                        .ok_or(SynthesisError::AssignmentMissing)
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { r, s_bits })
    }
}

/// Enforces that `signature` is a valid signature by `public` on `message`.
pub fn enforce_valid_signature(
    public: &EdwardsVar,
    message: &FpVar<Fr>,
    signature: &SignatureVar,
) -> Result<(), SynthesisError> {
    let challenge = hash_gadget(&[
        signature.r.x.clone(),
        signature.r.y.clone(),
        public.x.clone(),
        public.y.clone(),
        message.clone(),
    ])?;
    let challenge_bits = challenge.to_bits_le()?;
    let c_times_public = public.scalar_mul_le(challenge_bits.iter())?;
    let rhs = signature.r.clone() + c_times_public;
    let mut lhs = EdwardsVar::zero();
    lhs.precomputed_base_scalar_mul_le(signature.s_bits.iter().zip(generator_powers()))?;
    lhs.enforce_equal(&rhs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::SecretKey;
    use ark_relations::gr1cs::ConstraintSystem;

    fn check(sign_message: u64, verify_message: u64) -> (bool, usize) {
        let key = SecretKey::from_seed(b"gadget");
        let signature = key.sign(Fr::from(sign_message));
        let cs = ConstraintSystem::<Fr>::new_ref();
        let public = EdwardsVar::new_variable_omit_prime_order_check(
            cs.clone(),
            || Ok(key.public_key().into()),
            AllocationMode::Witness,
        )
        .unwrap();
        let message = FpVar::new_input(cs.clone(), || Ok(Fr::from(verify_message))).unwrap();
        let signature = SignatureVar::new_witness(cs.clone(), Some(&signature)).unwrap();
        enforce_valid_signature(&public, &message, &signature).unwrap();
        (cs.is_satisfied().unwrap(), cs.num_constraints())
    }

    #[test]
    fn gadget_accepts_valid_and_rejects_wrong_message() {
        let (ok, constraints) = check(5, 5);
        assert!(ok);
        assert!(
            constraints < 12_000,
            "signature check took {constraints} constraints"
        );
        assert!(!check(5, 6).0);
    }
}
