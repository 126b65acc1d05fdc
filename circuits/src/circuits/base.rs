//! The base circuit: one signed transfer moves the state from `old_root` to `new_root`.
//!
//! Public inputs: `old_root, new_root, tx_hash, prover`. Constraints (the in-circuit twin of
//! [`crate::state::State::apply`]):
//! 1. `tx_hash = Poseidon(from, to, amount, nonce)`; `from`, `to` fit the tree depth, `amount` 64 bits;
//! 2. the sender's leaf `Poseidon(pk, balance, nonce)` is in `old_root` at `from`; its key is a curve
//!    point and signed `tx_hash` (Schnorr); the transaction nonce is the account's;
//! 3. the debited sender (`balance − amount` fits 64 bits, so no overspend; `nonce + 1`) along the same
//!    path gives the intermediate root;
//! 4. the receiver's leaf is in the intermediate root at `to`; credited (`balance + amount` fits 64
//!    bits) along the same path it gives `new_root`.

use alloy_primitives::Address;
use ark_bn254::Fr;
use ark_ed_on_bn254::{EdwardsAffine, constraints::EdwardsVar};
use ark_r1cs_std::{fields::fp::FpVar, prelude::*};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

use super::{bind_prover, enforce_u64, input, witness};
use crate::{
    merkle::constraints::MerklePathVar,
    poseidon::constraints::hash_gadget,
    signature::constraints::{SignatureVar, enforce_valid_signature},
    state::{Account, TransitionWitness},
};

/// The base statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BaseStatement {
    /// State root before the transfer.
    pub old_root: Fr,
    /// State root after.
    pub new_root: Fr,
    /// `Poseidon(from, to, amount, nonce)`.
    pub tx_hash: Fr,
}

impl BaseStatement {
    /// The statement a transition witness proves.
    pub fn from_witness(witness: &TransitionWitness) -> Self {
        Self {
            old_root: witness.old_root,
            new_root: witness.new_root,
            tx_hash: witness.tx_hash(),
        }
    }

    /// Public inputs without the prover.
    pub fn public_inputs(&self) -> Vec<Fr> {
        vec![self.old_root, self.new_root, self.tx_hash]
    }
}

/// The base circuit for a tree of `depth` levels. `witness` and `prover` are `None` for key generation.
#[derive(Debug, Clone)]
pub struct BaseCircuit {
    /// Account tree depth (part of the circuit shape).
    pub depth: usize,
    /// The public statement (normally [`BaseStatement::from_witness`]).
    pub statement: Option<BaseStatement>,
    /// The transition.
    pub witness: Option<TransitionWitness>,
    /// The prover address (last public input).
    pub prover: Option<Address>,
}

impl BaseCircuit {
    /// The shape-only circuit for key generation.
    pub fn blank(depth: usize) -> Self {
        Self {
            depth,
            statement: None,
            witness: None,
            prover: None,
        }
    }

    /// An honest assignment for a transition.
    pub fn new(witness: TransitionWitness, prover: Address) -> Self {
        Self {
            depth: witness.depth,
            statement: Some(BaseStatement::from_witness(&witness)),
            witness: Some(witness),
            prover: Some(prover),
        }
    }
}

struct AccountVar {
    public_key: EdwardsVar,
    balance: FpVar<Fr>,
    nonce: FpVar<Fr>,
}

impl AccountVar {
    fn new_witness(
        cs: &ConstraintSystemRef<Fr>,
        account: Option<Account>,
    ) -> Result<Self, SynthesisError> {
        // On-curve check only: keys come from genesis (prime order); the empty key (0, 0) fails here.
        let public_key = EdwardsVar::new_variable_omit_prime_order_check(
            cs.clone(),
            || {
                account
                    .map(|a| EdwardsAffine::new_unchecked(a.pk_x, a.pk_y).into())
                    .ok_or(SynthesisError::AssignmentMissing)
            },
            AllocationMode::Witness,
        )?;
        Ok(Self {
            public_key,
            balance: witness(cs, account.map(|a| Fr::from(a.balance)))?,
            nonce: witness(cs, account.map(|a| Fr::from(a.nonce)))?,
        })
    }

    fn leaf(&self, balance: &FpVar<Fr>, nonce: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
        hash_gadget(&[
            self.public_key.x.clone(),
            self.public_key.y.clone(),
            balance.clone(),
            nonce.clone(),
        ])
    }
}

/// Allocates the receiver without a curve check: it may be an empty slot with key `(0, 0)`.
fn receiver_witness(
    cs: &ConstraintSystemRef<Fr>,
    account: Option<Account>,
) -> Result<[FpVar<Fr>; 4], SynthesisError> {
    Ok([
        witness(cs, account.map(|a| a.pk_x))?,
        witness(cs, account.map(|a| a.pk_y))?,
        witness(cs, account.map(|a| Fr::from(a.balance)))?,
        witness(cs, account.map(|a| Fr::from(a.nonce)))?,
    ])
}

impl ConstraintSynthesizer<Fr> for BaseCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let depth = self.depth;
        let s = self.statement;
        let old_root = input(&cs, s.map(|s| s.old_root))?;
        let new_root = input(&cs, s.map(|s| s.new_root))?;
        let tx_hash = input(&cs, s.map(|s| s.tx_hash))?;
        bind_prover(cs.clone(), self.prover)?;

        let w = self.witness.as_ref();
        let tx = w.map(|w| w.tx.tx);
        let from = witness(&cs, tx.map(|t| Fr::from(t.from)))?;
        let to = witness(&cs, tx.map(|t| Fr::from(t.to)))?;
        let amount = witness(&cs, tx.map(|t| Fr::from(t.amount)))?;
        let nonce = witness(&cs, tx.map(|t| Fr::from(t.nonce)))?;
        let (from_bits, _) = from.to_bits_le_with_top_bits_zero(depth)?;
        let (to_bits, _) = to.to_bits_le_with_top_bits_zero(depth)?;
        enforce_u64(&amount)?;
        hash_gadget(&[from, to, amount.clone(), nonce.clone()])?.enforce_equal(&tx_hash)?;

        // Sender: authorised, in the old state, debited.
        let sender = AccountVar::new_witness(&cs, w.map(|w| w.sender))?;
        let signature = SignatureVar::new_witness(cs.clone(), w.map(|w| &w.tx.signature))?;
        enforce_valid_signature(&sender.public_key, &tx_hash, &signature)?;
        sender.nonce.enforce_equal(&nonce)?;
        let sender_path = MerklePathVar::new_witness(cs.clone(), w.map(|w| &w.sender_path), depth)?;
        sender_path
            .root_from_leaf(&sender.leaf(&sender.balance, &sender.nonce)?, &from_bits)?
            .enforce_equal(&old_root)?;
        let debited = &sender.balance - &amount;
        enforce_u64(&debited)?;
        let bumped = &sender.nonce + FpVar::constant(Fr::from(1u64));
        enforce_u64(&bumped)?;
        let intermediate_root =
            sender_path.root_from_leaf(&sender.leaf(&debited, &bumped)?, &from_bits)?;

        // Receiver: in the intermediate state, credited.
        let [pk_x, pk_y, balance, receiver_nonce] = receiver_witness(&cs, w.map(|w| w.receiver))?;
        let receiver_path =
            MerklePathVar::new_witness(cs.clone(), w.map(|w| &w.receiver_path), depth)?;
        let receiver_leaf = hash_gadget(&[
            pk_x.clone(),
            pk_y.clone(),
            balance.clone(),
            receiver_nonce.clone(),
        ])?;
        receiver_path
            .root_from_leaf(&receiver_leaf, &to_bits)?
            .enforce_equal(&intermediate_root)?;
        let credited = &balance + &amount;
        enforce_u64(&credited)?;
        let credited_leaf = hash_gadget(&[pk_x, pk_y, credited, receiver_nonce])?;
        receiver_path
            .root_from_leaf(&credited_leaf, &to_bits)?
            .enforce_equal(&new_root)?;
        Ok(())
    }
}
