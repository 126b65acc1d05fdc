//! # proofmarket-circuits
//!
//! The L2 that proofmarket proves, and everything needed to prove it:
//!
//! * [`state`] — the native state machine: accounts `(key, balance, nonce)` in a Poseidon Merkle tree
//!   ([`merkle`], [`poseidon`]), transfers authorised by Schnorr signatures over Baby Jubjub
//!   ([`signature`]), the calldata encoding of transactions, and the devnet genesis;
//! * [`circuits`] — the base, merge and root circuits (arkworks 0.6, Groth16 over BN254), their
//!   on-chain ids and public statements; every circuit takes the prover's address as its last input;
//! * [`tree`] — the proof-tree planner and [`block`] — a block's witnesses and node statements/ids;
//! * [`keys`] — deterministic development keys (NOT for production), cached on disk;
//! * [`prove`] — proving and verifying nodes for a prover; [`evm`] — the EVM `uint256[8]` proof form;
//! * [`solidity`] — Solidity verifiers and `IProofVerifier` adapters generated from the keys;
//! * [`fixtures`] — real proofs exported for the forge tests, and the drift check.
//!
//! The `pm-circuits` binary wraps the generators: `generate-verifiers`, `export-fixtures`, `check`,
//! `constraint-counts`.
//!
//! ```no_run
//! use proofmarket_circuits::{block::BlockWitness, keys::{Keys, default_key_dir}, prove, state};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let keys = Keys::load_or_setup(&default_key_dir())?;
//! let genesis = state::devnet_genesis();
//! let tx = state::Transaction { from: 1, to: 2, amount: 5, nonce: 0 }.sign(&state::devnet_key(1));
//! let (block, _post_state) = BlockWitness::build(&genesis, &[tx], 1)?;
//! let prover = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8".parse()?;
//! let proofs = prove::prove_block(&keys, &block, prover, &mut prove::proving_rng())?;
//! # Ok(()) }
//! ```

pub mod block;
pub mod circuits;
pub mod evm;
pub mod fixtures;
pub mod keys;
pub mod merkle;
pub mod poseidon;
pub mod prove;
pub mod signature;
pub mod solidity;
pub mod state;
pub mod tree;

pub use alloy_primitives::{Address, B256, U256};
pub use ark_bn254::Fr;
