//! The root circuit: binds a block's statement (previous state root, new state root, transactions
//! commitment, block number) to the top node of its proof tree.
//!
//! Public inputs: `prev_state_root, new_state_root, txs_commitment, block_number, prover`.
//! Witness: the top node's statement (old root, new root, commitment), which must equal the block's;
//! the block number is range-checked to 64 bits. Its outputs compose: an epoch circuit can chain
//! roots by `block[i].new_state_root == block[i+1].prev_state_root` and consecutive numbers.

use alloy_primitives::Address;
use ark_bn254::Fr;
use ark_r1cs_std::eq::EqGadget;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

use super::{bind_prover, enforce_u64, input, witness};

/// The root statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RootStatement {
    /// The state root the block builds on.
    pub prev_state_root: Fr,
    /// The state root after the block.
    pub new_state_root: Fr,
    /// The commitment of the block's proof-tree top node.
    pub txs_commitment: Fr,
    /// The block number.
    pub block_number: u64,
}

impl RootStatement {
    /// Public inputs without the prover.
    pub fn public_inputs(&self) -> Vec<Fr> {
        vec![
            self.prev_state_root,
            self.new_state_root,
            self.txs_commitment,
            Fr::from(self.block_number),
        ]
    }
}

/// The top node's statement as the root circuit sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopNode {
    /// Its old root.
    pub old_root: Fr,
    /// Its new root.
    pub new_root: Fr,
    /// Its commitment.
    pub commitment: Fr,
}

/// The root circuit. All fields `None` for key generation.
#[derive(Debug, Clone, Default)]
pub struct RootCircuit {
    /// The public statement.
    pub statement: Option<RootStatement>,
    /// The top node it binds.
    pub top: Option<TopNode>,
    /// The prover address (last public input).
    pub prover: Option<Address>,
}

impl RootCircuit {
    /// An honest assignment: the top node is the block's own statement.
    pub fn new(statement: RootStatement, prover: Address) -> Self {
        let top = TopNode {
            old_root: statement.prev_state_root,
            new_root: statement.new_state_root,
            commitment: statement.txs_commitment,
        };
        Self {
            statement: Some(statement),
            top: Some(top),
            prover: Some(prover),
        }
    }
}

impl ConstraintSynthesizer<Fr> for RootCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let s = self.statement;
        let prev = input(&cs, s.map(|s| s.prev_state_root))?;
        let new = input(&cs, s.map(|s| s.new_state_root))?;
        let commitment = input(&cs, s.map(|s| s.txs_commitment))?;
        let number = input(&cs, s.map(|s| Fr::from(s.block_number)))?;
        bind_prover(cs.clone(), self.prover)?;

        let top = self.top;
        witness(&cs, top.map(|t| t.old_root))?.enforce_equal(&prev)?;
        witness(&cs, top.map(|t| t.new_root))?.enforce_equal(&new)?;
        witness(&cs, top.map(|t| t.commitment))?.enforce_equal(&commitment)?;
        enforce_u64(&number)?;
        Ok(())
    }
}
