//! Schnorr signatures over Baby Jubjub (`ark-ed-on-bn254`), the L2's transaction authorisation.
//!
//! Baby Jubjub's base field is BN254's scalar field, so curve arithmetic is native in the circuits.
//! With generator `G`, secret `x` and public key `P = x·G`, a signature on a message `m` (a field
//! element, here the transaction hash) is `(R, s)` with `R = k·G`, `c = Poseidon(R.x, R.y, P.x, P.y, m)`
//! and `s = k + c·x mod ℓ`. It verifies iff `s·G = R + c·P`, where `c` multiplies as the integer it
//! represents (exactly what the gadget does with `c`'s 254 bits). The nonce `k` is derived
//! deterministically from the secret and the message (RFC 6979 style, keccak), so signing needs no RNG.

pub mod constraints;

use alloy_primitives::keccak256;
use ark_bn254::Fr;
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
use ark_ed_on_bn254::{EdwardsAffine, EdwardsProjective, Fr as JubjubScalar};
use ark_ff::{BigInteger, PrimeField};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

use crate::poseidon;

/// Length of an encoded signature: compressed `R` (32 bytes) then `s` (32 bytes, little-endian).
pub const SIGNATURE_LEN: usize = 64;

/// Errors decoding or checking signatures and keys.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// `R` is not a compressed point of the prime-order subgroup.
    #[error("signature R is not a valid compressed Baby Jubjub point")]
    InvalidR,
    /// `s` is not a canonical scalar (< ℓ).
    #[error("signature s is not a canonical Baby Jubjub scalar")]
    InvalidS,
    /// The byte string has the wrong length.
    #[error("signature must be {SIGNATURE_LEN} bytes, got {0}")]
    Length(usize),
}

/// A Baby Jubjub secret key.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(pub JubjubScalar);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

/// A Schnorr signature `(R, s)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signature {
    /// The commitment point `R = k·G`.
    pub r: EdwardsAffine,
    /// The response `s = k + c·x`.
    pub s: JubjubScalar,
}

/// The curve generator used for keys and signatures.
pub fn generator() -> EdwardsAffine {
    EdwardsAffine::generator()
}

impl SecretKey {
    /// Derives a key from arbitrary seed bytes (keccak256, reduced mod ℓ).
    pub fn from_seed(seed: &[u8]) -> Self {
        Self(JubjubScalar::from_be_bytes_mod_order(
            keccak256(seed).as_slice(),
        ))
    }

    /// The public key `x·G`.
    pub fn public_key(&self) -> EdwardsAffine {
        (EdwardsProjective::generator() * self.0).into_affine()
    }

    /// Signs a field element.
    pub fn sign(&self, message: Fr) -> Signature {
        let public = self.public_key();
        let mut nonce_seed = Vec::with_capacity(96);
        nonce_seed.extend_from_slice(b"proofmarket.schnorr.nonce");
        nonce_seed.extend_from_slice(&self.0.into_bigint().to_bytes_le());
        nonce_seed.extend_from_slice(&message.into_bigint().to_bytes_le());
        let k = JubjubScalar::from_be_bytes_mod_order(keccak256(&nonce_seed).as_slice());
        let r = (EdwardsProjective::generator() * k).into_affine();
        let c = challenge(&r, &public, message);
        let c_scalar = JubjubScalar::from_le_bytes_mod_order(&c.into_bigint().to_bytes_le());
        Signature {
            r,
            s: k + c_scalar * self.0,
        }
    }
}

/// The Fiat–Shamir challenge `Poseidon(R.x, R.y, P.x, P.y, m)`.
pub fn challenge(r: &EdwardsAffine, public: &EdwardsAffine, message: Fr) -> Fr {
    poseidon::hash(&[r.x, r.y, public.x, public.y, message])
}

/// Verifies a signature; `false` also for a public key that is not on the curve.
pub fn verify(public: &EdwardsAffine, message: Fr, signature: &Signature) -> bool {
    if !public.is_on_curve() || !signature.r.is_on_curve() {
        return false;
    }
    let c = challenge(&signature.r, public, message);
    let lhs = EdwardsProjective::generator() * signature.s;
    let rhs = signature.r.into_group() + public.mul_bigint(c.into_bigint());
    lhs == rhs
}

impl Signature {
    /// Encodes as compressed `R` ‖ `s` (little-endian), 64 bytes.
    pub fn to_bytes(&self) -> [u8; SIGNATURE_LEN] {
        let mut out = [0u8; SIGNATURE_LEN];
        let mut r = Vec::with_capacity(32);
        let mut s = Vec::with_capacity(32);
        // Serialising into a Vec cannot fail.
        let _ = self.r.serialize_compressed(&mut r);
        let _ = self.s.serialize_compressed(&mut s);
        out[..32].copy_from_slice(&r);
        out[32..].copy_from_slice(&s);
        out
    }

    /// Decodes [`Signature::to_bytes`], checking that `R` is in the prime-order subgroup and `s < ℓ`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SignatureError> {
        if bytes.len() != SIGNATURE_LEN {
            return Err(SignatureError::Length(bytes.len()));
        }
        let r = EdwardsAffine::deserialize_compressed(&bytes[..32])
            .map_err(|_| SignatureError::InvalidR)?;
        let s = JubjubScalar::deserialize_compressed(&bytes[32..])
            .map_err(|_| SignatureError::InvalidS)?;
        Ok(Self { r, s })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_roundtrip_and_rejections() {
        let key = SecretKey::from_seed(b"alice");
        let public = key.public_key();
        let message = Fr::from(1234u64);
        let signature = key.sign(message);
        assert!(verify(&public, message, &signature));
        assert!(!verify(&public, Fr::from(1235u64), &signature));
        let other = SecretKey::from_seed(b"bob").public_key();
        assert!(!verify(&other, message, &signature));
        let decoded = Signature::from_bytes(&signature.to_bytes()).unwrap();
        assert_eq!(decoded, signature);
        assert_eq!(
            Signature::from_bytes(&[0u8; 3]),
            Err(SignatureError::Length(3))
        );
        let mut bad_s = signature.to_bytes();
        bad_s[63] = 0xff;
        assert_eq!(Signature::from_bytes(&bad_s), Err(SignatureError::InvalidS));
    }
}
