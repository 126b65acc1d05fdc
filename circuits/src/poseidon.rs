//! Poseidon over the BN254 scalar field: the one hash of the L2 (Merkle nodes, account leaves,
//! transaction hashes, signature challenges, commitments).
//!
//! Parameters are derived with ark-crypto-primitives' Grain LFSR (`find_poseidon_ark_and_mds`):
//! rate 2, capacity 1, α = 5, 8 full and 57 partial rounds, the standard choice for a 254-bit field at
//! 128-bit security. A hash is a fresh sponge that absorbs the inputs and squeezes one element, so a
//! 2-to-1 hash is one permutation (≈ 240 constraints) and a 4-element hash is two.

pub mod constraints;

use std::sync::OnceLock;

use ark_bn254::Fr;
use ark_crypto_primitives::sponge::{
    CryptographicSponge,
    poseidon::{PoseidonConfig, PoseidonSponge, find_poseidon_ark_and_mds},
};
use ark_ff::PrimeField;

/// Sponge rate in field elements.
pub const RATE: usize = 2;
/// S-box exponent.
pub const ALPHA: u64 = 5;
/// Number of full rounds.
pub const FULL_ROUNDS: usize = 8;
/// Number of partial rounds.
pub const PARTIAL_ROUNDS: usize = 57;

/// The Poseidon configuration shared by the native code and the gadgets (computed once).
pub fn config() -> &'static PoseidonConfig<Fr> {
    static CONFIG: OnceLock<PoseidonConfig<Fr>> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let (ark, mds) = find_poseidon_ark_and_mds::<Fr>(
            u64::from(Fr::MODULUS_BIT_SIZE),
            RATE,
            FULL_ROUNDS as u64,
            PARTIAL_ROUNDS as u64,
            0,
        );
        PoseidonConfig::new(FULL_ROUNDS, PARTIAL_ROUNDS, ALPHA, mds, ark, RATE, 1)
    })
}

/// Hashes a sequence of field elements to one (absorb all, squeeze one).
///
/// No length padding: callers use a fixed arity per context (Merkle node 2, leaf 4, transaction 4,
/// signature challenge 5), so inputs that differ only by trailing zeros never meet.
pub fn hash(inputs: &[Fr]) -> Fr {
    let mut sponge = PoseidonSponge::new(config());
    sponge.absorb(&inputs.to_vec());
    sponge.squeeze_field_elements::<Fr>(1)[0]
}

/// The 2-to-1 hash used for Merkle nodes and for combining commitments.
pub fn hash2(left: Fr, right: Fr) -> Fr {
    hash(&[left, right])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_deterministic_and_input_sensitive() {
        let a = hash2(Fr::from(1u64), Fr::from(2u64));
        assert_eq!(a, hash2(Fr::from(1u64), Fr::from(2u64)));
        assert_ne!(a, hash2(Fr::from(2u64), Fr::from(1u64)));
        // The sponge does not pad: trailing zeros within a permutation block do not change the
        // digest, which is why every context hashes a fixed number of inputs.
        assert_eq!(
            hash(&[Fr::from(1u64)]),
            hash(&[Fr::from(1u64), Fr::from(0u64)])
        );
    }
}
