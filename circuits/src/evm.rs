//! Conversions between field elements, proofs and their EVM encodings.
//!
//! A Groth16 proof goes to L1 as `abi.encode(uint256[8])` in the word order the EVM pairing
//! precompile wants: `[A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y]` (a G2 coordinate's
//! imaginary part first).

use alloy_primitives::{Address, B256, U256};
use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ff::{BigInteger, PrimeField};
use ark_groth16::Proof;

/// Errors decoding EVM words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvmError {
    /// A word is not a canonical field element.
    #[error("word {0} is not below the field modulus")]
    NotInField(U256),
    /// A point is not on its curve or not in the prime-order subgroup.
    #[error("proof point {0} is not a valid curve point")]
    InvalidPoint(&'static str),
    /// The byte string is not `abi.encode(uint256[8])`.
    #[error("proof must be 256 bytes, got {0}")]
    Length(usize),
}

/// A scalar-field element as a `uint256`.
pub fn fr_to_u256(value: Fr) -> U256 {
    U256::from_be_slice(&value.into_bigint().to_bytes_be())
}

/// A scalar-field element as a 32-byte big-endian word.
pub fn fr_to_b256(value: Fr) -> B256 {
    B256::from(fr_to_u256(value))
}

/// A `uint256` as a scalar-field element; errors if it is ≥ r.
pub fn u256_to_fr(value: U256) -> Result<Fr, EvmError> {
    let bytes: [u8; 32] = value.to_be_bytes();
    let reduced = Fr::from_be_bytes_mod_order(&bytes);
    if fr_to_u256(reduced) != value {
        return Err(EvmError::NotInField(value));
    }
    Ok(reduced)
}

/// The scalar-field modulus r as a `uint256`.
pub fn scalar_modulus() -> U256 {
    U256::from_be_slice(&Fr::MODULUS.to_bytes_be())
}

/// An address as the field element `uint256(uint160(address))`.
pub fn address_to_fr(address: Address) -> Fr {
    Fr::from_be_bytes_mod_order(address.as_slice())
}

fn u256_to_fq(value: U256) -> Result<Fq, EvmError> {
    let bytes: [u8; 32] = value.to_be_bytes();
    let reduced = Fq::from_be_bytes_mod_order(&bytes);
    if U256::from_be_slice(&reduced.into_bigint().to_bytes_be()) != value {
        return Err(EvmError::NotInField(value));
    }
    Ok(reduced)
}

/// A Groth16 proof in EVM word order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvmProof(pub [U256; 8]);

impl EvmProof {
    /// Converts an arkworks proof.
    pub fn from_proof(proof: &Proof<Bn254>) -> Self {
        Self(taceo_groth16_sol::prepare_uncompressed_proof(proof))
    }

    /// Converts back, checking every point is on its curve and in the prime-order subgroup.
    pub fn to_proof(&self) -> Result<Proof<Bn254>, EvmError> {
        let w = self.0;
        let fq = |i: usize| u256_to_fq(w[i]);
        let g1 = |x: Fq, y: Fq, name| {
            let point = G1Affine::new_unchecked(x, y);
            if point.is_on_curve() && point.is_in_correct_subgroup_assuming_on_curve() {
                Ok(point)
            } else {
                Err(EvmError::InvalidPoint(name))
            }
        };
        let a = g1(fq(0)?, fq(1)?, "A")?;
        let b = G2Affine::new_unchecked(Fq2::new(fq(3)?, fq(2)?), Fq2::new(fq(5)?, fq(4)?));
        if !(b.is_on_curve() && b.is_in_correct_subgroup_assuming_on_curve()) {
            return Err(EvmError::InvalidPoint("B"));
        }
        let c = g1(fq(6)?, fq(7)?, "C")?;
        Ok(Proof { a, b, c })
    }

    /// `abi.encode(uint256[8])`: the eight words, 256 bytes.
    pub fn abi_encode(&self) -> Vec<u8> {
        self.0.iter().flat_map(|w| w.to_be_bytes::<32>()).collect()
    }

    /// Decodes [`EvmProof::abi_encode`].
    pub fn abi_decode(bytes: &[u8]) -> Result<Self, EvmError> {
        if bytes.len() != 256 {
            return Err(EvmError::Length(bytes.len()));
        }
        let mut words = [U256::ZERO; 8];
        for (word, chunk) in words.iter_mut().zip(bytes.chunks_exact(32)) {
            *word = U256::from_be_slice(chunk);
        }
        Ok(Self(words))
    }

    /// The words as decimal strings (the fixtures' JSON form).
    pub fn to_decimal_strings(&self) -> Vec<String> {
        self.0.iter().map(|w| w.to_string()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_words_roundtrip_and_reject_non_canonical() {
        let x = Fr::from(123_456_789u64);
        assert_eq!(u256_to_fr(fr_to_u256(x)), Ok(x));
        let r = scalar_modulus();
        assert_eq!(u256_to_fr(r), Err(EvmError::NotInField(r)));
        let prover: Address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
            .parse()
            .unwrap();
        assert_eq!(
            fr_to_u256(address_to_fr(prover)),
            U256::from_be_slice(prover.as_slice())
        );
    }
}
