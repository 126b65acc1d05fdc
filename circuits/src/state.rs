//! The L2 state machine (native reference): accounts in a Poseidon Merkle tree, signed transfers.
//!
//! An account is `(public key, balance, nonce)`; its leaf is `Poseidon(pk.x, pk.y, balance, nonce)`.
//! Empty slots hold the all-zero account, whose key `(0, 0)` is not a curve point, so it can receive
//! but never send. A transfer moves `amount` from `from` to `to`; it must carry the sender's current
//! nonce and a Schnorr signature on its hash. Applying it updates the sender leaf (balance −= amount,
//! nonce += 1) and then the receiver leaf (balance += amount) against the intermediate root — exactly
//! the two Merkle updates the base circuit checks, so a self-transfer just bumps the nonce.

use std::collections::BTreeMap;

use ark_bn254::Fr;
use ark_ed_on_bn254::EdwardsAffine;
use ark_ff::{AdditiveGroup, Zero};

use crate::{
    merkle::{MerkleError, MerklePath, SparseMerkleTree},
    poseidon,
    signature::{self, SecretKey, Signature, SignatureError},
};

/// Default depth of the account tree (2²⁰ ≈ 10⁶ accounts).
pub const DEFAULT_DEPTH: usize = 20;
/// Length of one encoded transaction in block calldata.
pub const ENCODED_TX_LEN: usize = 4 + 4 + 8 + 8 + signature::SIGNATURE_LEN;

/// Errors of the state machine and of transaction decoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum L2Error {
    /// An account index does not fit in the tree.
    #[error("account index {index} out of range (tree depth {depth})")]
    IndexOutOfRange {
        /// The index.
        index: u32,
        /// The tree depth.
        depth: usize,
    },
    /// The sender slot has no public key (empty account).
    #[error("sender {0} has no key")]
    SenderHasNoKey(u32),
    /// The transaction's nonce is not the sender's current nonce.
    #[error("sender {sender}: nonce {got}, expected {expected}")]
    BadNonce {
        /// The sender.
        sender: u32,
        /// The account's nonce.
        expected: u64,
        /// The transaction's nonce.
        got: u64,
    },
    /// The signature does not verify under the sender's key.
    #[error("bad signature on a transfer from {0}")]
    BadSignature(u32),
    /// The sender cannot cover the amount.
    #[error("sender {sender}: balance {balance} < amount {amount}")]
    InsufficientBalance {
        /// The sender.
        sender: u32,
        /// Its balance.
        balance: u64,
        /// The amount.
        amount: u64,
    },
    /// The receiver's balance would exceed `u64::MAX`.
    #[error("receiver {0}: balance overflow")]
    BalanceOverflow(u32),
    /// The sender's nonce is exhausted.
    #[error("sender {0}: nonce overflow")]
    NonceOverflow(u32),
    /// Calldata is not a whole number of encoded transactions.
    #[error("calldata length {0} is not a multiple of {ENCODED_TX_LEN}")]
    CalldataLength(usize),
    /// A signature in calldata does not decode.
    #[error("transaction {index}: {source}")]
    Signature {
        /// Position in the calldata.
        index: usize,
        /// Why.
        source: SignatureError,
    },
}

/// An account: a Baby Jubjub public key (`(0, 0)` when empty), a balance and a nonce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Account {
    /// Public key x coordinate.
    pub pk_x: Fr,
    /// Public key y coordinate.
    pub pk_y: Fr,
    /// Balance, in the L2's smallest unit.
    pub balance: u64,
    /// Number of transfers sent so far.
    pub nonce: u64,
}

impl Account {
    /// The empty account (no key, nothing in it).
    pub const EMPTY: Account = Account {
        pk_x: Fr::ZERO,
        pk_y: Fr::ZERO,
        balance: 0,
        nonce: 0,
    };

    /// A fresh account for a public key.
    pub fn new(public_key: &EdwardsAffine, balance: u64) -> Self {
        Self {
            pk_x: public_key.x,
            pk_y: public_key.y,
            balance,
            nonce: 0,
        }
    }

    /// The public key as a curve point (may be off-curve for the empty account).
    pub fn public_key(&self) -> EdwardsAffine {
        EdwardsAffine::new_unchecked(self.pk_x, self.pk_y)
    }

    /// The Merkle leaf `Poseidon(pk.x, pk.y, balance, nonce)`.
    pub fn leaf_hash(&self) -> Fr {
        poseidon::hash(&[
            self.pk_x,
            self.pk_y,
            Fr::from(self.balance),
            Fr::from(self.nonce),
        ])
    }
}

/// An unsigned transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Transaction {
    /// Sender account index.
    pub from: u32,
    /// Receiver account index.
    pub to: u32,
    /// Amount moved.
    pub amount: u64,
    /// The sender's nonce this transfer consumes.
    pub nonce: u64,
}

impl Transaction {
    /// `Poseidon(from, to, amount, nonce)`: the message signed, and the base proof's commitment.
    pub fn hash(&self) -> Fr {
        poseidon::hash(&[
            Fr::from(self.from),
            Fr::from(self.to),
            Fr::from(self.amount),
            Fr::from(self.nonce),
        ])
    }

    /// Signs this transfer with the sender's key.
    pub fn sign(self, key: &SecretKey) -> SignedTransaction {
        SignedTransaction {
            signature: key.sign(self.hash()),
            tx: self,
        }
    }
}

/// A transfer with its sender's signature: the unit of block calldata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedTransaction {
    /// The transfer.
    pub tx: Transaction,
    /// Schnorr signature on `tx.hash()`.
    pub signature: Signature,
}

impl SignedTransaction {
    /// Encodes as [`ENCODED_TX_LEN`] bytes: `from` (u32 BE) ‖ `to` (u32 BE) ‖ `amount` (u64 BE) ‖
    /// `nonce` (u64 BE) ‖ `R` (compressed Baby Jubjub point, 32 bytes) ‖ `s` (32 bytes LE).
    pub fn encode(&self) -> [u8; ENCODED_TX_LEN] {
        let mut out = [0u8; ENCODED_TX_LEN];
        out[0..4].copy_from_slice(&self.tx.from.to_be_bytes());
        out[4..8].copy_from_slice(&self.tx.to.to_be_bytes());
        out[8..16].copy_from_slice(&self.tx.amount.to_be_bytes());
        out[16..24].copy_from_slice(&self.tx.nonce.to_be_bytes());
        out[24..].copy_from_slice(&self.signature.to_bytes());
        out
    }

    /// Decodes one [`SignedTransaction::encode`] output (`index` is used in errors).
    pub fn decode(bytes: &[u8; ENCODED_TX_LEN], index: usize) -> Result<Self, L2Error> {
        let word4 = |at: usize| {
            u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        let word8 = |at: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[at..at + 8]);
            u64::from_be_bytes(b)
        };
        let tx = Transaction {
            from: word4(0),
            to: word4(4),
            amount: word8(8),
            nonce: word8(16),
        };
        let signature = Signature::from_bytes(&bytes[24..])
            .map_err(|source| L2Error::Signature { index, source })?;
        Ok(Self { tx, signature })
    }
}

/// Encodes a block's transactions as calldata (concatenated fixed-size records).
pub fn encode_transactions(txs: &[SignedTransaction]) -> Vec<u8> {
    txs.iter().flat_map(|tx| tx.encode()).collect()
}

/// Decodes block calldata written by [`encode_transactions`].
pub fn decode_transactions(calldata: &[u8]) -> Result<Vec<SignedTransaction>, L2Error> {
    if !calldata.len().is_multiple_of(ENCODED_TX_LEN) {
        return Err(L2Error::CalldataLength(calldata.len()));
    }
    calldata
        .chunks_exact(ENCODED_TX_LEN)
        .enumerate()
        .map(|(index, chunk)| {
            let mut record = [0u8; ENCODED_TX_LEN];
            record.copy_from_slice(chunk);
            SignedTransaction::decode(&record, index)
        })
        .collect()
}

/// Everything the base circuit needs to prove one applied transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionWitness {
    /// The transfer.
    pub tx: SignedTransaction,
    /// Tree depth.
    pub depth: usize,
    /// State root before.
    pub old_root: Fr,
    /// Root after the sender update, before the receiver update.
    pub intermediate_root: Fr,
    /// State root after.
    pub new_root: Fr,
    /// The sender's account before the transfer.
    pub sender: Account,
    /// The sender's path in the old tree.
    pub sender_path: MerklePath,
    /// The receiver's account in the intermediate tree (after the sender update).
    pub receiver: Account,
    /// The receiver's path in the intermediate tree.
    pub receiver_path: MerklePath,
}

impl TransitionWitness {
    /// The transfer's hash (the base proof's commitment).
    pub fn tx_hash(&self) -> Fr {
        self.tx.tx.hash()
    }
}

/// The L2 state: an account tree plus the accounts themselves.
#[derive(Debug, Clone)]
pub struct State {
    tree: SparseMerkleTree,
    accounts: BTreeMap<u32, Account>,
}

impl State {
    /// An empty state of the given depth (depth ≤ 32: indices are `u32`).
    pub fn new(depth: usize) -> Self {
        Self {
            tree: SparseMerkleTree::new(depth.min(32), Account::EMPTY.leaf_hash()),
            accounts: BTreeMap::new(),
        }
    }

    /// Tree depth.
    pub fn depth(&self) -> usize {
        self.tree.depth()
    }

    /// The state root.
    pub fn root(&self) -> Fr {
        self.tree.root()
    }

    /// The account at `index` (the empty account if none).
    pub fn account(&self, index: u32) -> Account {
        self.accounts.get(&index).copied().unwrap_or(Account::EMPTY)
    }

    fn index_error(&self, index: u32) -> L2Error {
        L2Error::IndexOutOfRange {
            index,
            depth: self.depth(),
        }
    }

    /// Writes an account (genesis and tests; transfers go through [`State::apply`]).
    pub fn set_account(&mut self, index: u32, account: Account) -> Result<(), L2Error> {
        self.tree
            .set(u64::from(index), account.leaf_hash())
            .map_err(|e| match e {
                MerkleError::IndexOutOfRange { .. } => self.index_error(index),
            })?;
        self.accounts.insert(index, account);
        Ok(())
    }

    fn path(&self, index: u32) -> Result<MerklePath, L2Error> {
        self.tree
            .path(u64::from(index))
            .map_err(|_| self.index_error(index))
    }

    /// Checks a transfer against the current state without applying it.
    pub fn check(&self, signed: &SignedTransaction) -> Result<(), L2Error> {
        self.clone().apply(signed).map(|_| ())
    }

    /// Applies a transfer, returning the witness of the transition; the state is unchanged on error.
    pub fn apply(&mut self, signed: &SignedTransaction) -> Result<TransitionWitness, L2Error> {
        let tx = signed.tx;
        let capacity = self.tree.capacity();
        for index in [tx.from, tx.to] {
            if u64::from(index) >= capacity {
                return Err(self.index_error(index));
            }
        }
        let sender = self.account(tx.from);
        if !sender.public_key().is_on_curve() || (sender.pk_x.is_zero() && sender.pk_y.is_zero()) {
            return Err(L2Error::SenderHasNoKey(tx.from));
        }
        if tx.nonce != sender.nonce {
            return Err(L2Error::BadNonce {
                sender: tx.from,
                expected: sender.nonce,
                got: tx.nonce,
            });
        }
        if !signature::verify(&sender.public_key(), tx.hash(), &signed.signature) {
            return Err(L2Error::BadSignature(tx.from));
        }
        let sender_balance =
            sender
                .balance
                .checked_sub(tx.amount)
                .ok_or(L2Error::InsufficientBalance {
                    sender: tx.from,
                    balance: sender.balance,
                    amount: tx.amount,
                })?;
        let sender_nonce = sender
            .nonce
            .checked_add(1)
            .ok_or(L2Error::NonceOverflow(tx.from))?;
        let sender_after = Account {
            balance: sender_balance,
            nonce: sender_nonce,
            ..sender
        };
        // The receiver is read after the sender update (a self-transfer sees the debited account).
        let receiver = if tx.to == tx.from {
            sender_after
        } else {
            self.account(tx.to)
        };
        let receiver_balance = receiver
            .balance
            .checked_add(tx.amount)
            .ok_or(L2Error::BalanceOverflow(tx.to))?;

        let old_root = self.root();
        let sender_path = self.path(tx.from)?;
        self.set_account(tx.from, sender_after)?;
        let intermediate_root = self.root();
        let receiver_path = self.path(tx.to)?;
        self.set_account(
            tx.to,
            Account {
                balance: receiver_balance,
                ..receiver
            },
        )?;
        Ok(TransitionWitness {
            tx: *signed,
            depth: self.depth(),
            old_root,
            intermediate_root,
            new_root: self.root(),
            sender,
            sender_path,
            receiver,
            receiver_path,
        })
    }
}

/// Number of devnet genesis accounts.
pub const GENESIS_ACCOUNTS: u32 = 16;
/// Balance of each devnet genesis account.
pub const GENESIS_BALANCE: u64 = 1_000_000_000;

/// The secret key of devnet account `index` (derived from a public seed: devnet only).
pub fn devnet_key(index: u32) -> SecretKey {
    SecretKey::from_seed(format!("proofmarket.devnet.account.{index}").as_bytes())
}

/// The deterministic devnet genesis: accounts `0..16` with keys [`devnet_key`], each funded with
/// [`GENESIS_BALANCE`], in a tree of [`DEFAULT_DEPTH`]. Its root goes into the Rollup's deployment.
pub fn devnet_genesis() -> State {
    let mut state = State::new(DEFAULT_DEPTH);
    for index in 0..GENESIS_ACCOUNTS {
        let account = Account::new(&devnet_key(index).public_key(), GENESIS_BALANCE);
        // Indices 0..16 always fit a depth-20 tree.
        let _ = state.set_account(index, account);
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transfer(from: u32, to: u32, amount: u64, nonce: u64) -> SignedTransaction {
        Transaction {
            from,
            to,
            amount,
            nonce,
        }
        .sign(&devnet_key(from))
    }

    #[test]
    fn honest_transfer_moves_funds_and_paths_authenticate() {
        let mut state = devnet_genesis();
        let before = state.root();
        let witness = state.apply(&transfer(1, 2, 500, 0)).unwrap();
        assert_eq!(witness.old_root, before);
        assert_eq!(witness.new_root, state.root());
        assert_eq!(state.account(1).balance, GENESIS_BALANCE - 500);
        assert_eq!(state.account(1).nonce, 1);
        assert_eq!(state.account(2).balance, GENESIS_BALANCE + 500);
        assert_eq!(
            witness
                .sender_path
                .root_from_leaf(witness.sender.leaf_hash()),
            before
        );
        assert_eq!(
            witness
                .receiver_path
                .root_from_leaf(witness.receiver.leaf_hash()),
            witness.intermediate_root
        );
    }

    #[test]
    fn self_transfer_only_bumps_nonce() {
        let mut state = devnet_genesis();
        state.apply(&transfer(3, 3, 10, 0)).unwrap();
        assert_eq!(state.account(3).balance, GENESIS_BALANCE);
        assert_eq!(state.account(3).nonce, 1);
    }

    #[test]
    fn invalid_transfers_are_rejected_and_leave_state_untouched() {
        let mut state = devnet_genesis();
        let root = state.root();
        assert_eq!(
            state.apply(&transfer(1, 2, GENESIS_BALANCE + 1, 0)),
            Err(L2Error::InsufficientBalance {
                sender: 1,
                balance: GENESIS_BALANCE,
                amount: GENESIS_BALANCE + 1
            })
        );
        assert_eq!(
            state.apply(&transfer(1, 2, 1, 1)),
            Err(L2Error::BadNonce {
                sender: 1,
                expected: 0,
                got: 1
            })
        );
        let forged = Transaction {
            from: 1,
            to: 2,
            amount: 1,
            nonce: 0,
        }
        .sign(&devnet_key(2));
        assert_eq!(state.apply(&forged), Err(L2Error::BadSignature(1)));
        let from_empty = Transaction {
            from: 99,
            to: 2,
            amount: 0,
            nonce: 0,
        }
        .sign(&devnet_key(2));
        assert_eq!(state.apply(&from_empty), Err(L2Error::SenderHasNoKey(99)));
        assert_eq!(
            state.apply(&transfer(1, 1 << 20, 1, 0)),
            Err(L2Error::IndexOutOfRange {
                index: 1 << 20,
                depth: DEFAULT_DEPTH
            })
        );
        assert_eq!(state.root(), root);
    }

    #[test]
    fn calldata_roundtrip_and_errors() {
        let txs = vec![
            transfer(1, 2, 3, 0),
            transfer(4, 5, 6, 0),
            transfer(7, 0, u64::MAX, 9),
        ];
        let calldata = encode_transactions(&txs);
        assert_eq!(calldata.len(), 3 * ENCODED_TX_LEN);
        assert_eq!(decode_transactions(&calldata).unwrap(), txs);
        assert_eq!(
            decode_transactions(&calldata[1..]),
            Err(L2Error::CalldataLength(3 * ENCODED_TX_LEN - 1))
        );
        let mut corrupted = calldata.clone();
        corrupted[ENCODED_TX_LEN + 24 + 63] = 0xff;
        assert!(matches!(
            decode_transactions(&corrupted),
            Err(L2Error::Signature {
                index: 1,
                source: SignatureError::InvalidS
            })
        ));
    }

    #[test]
    fn genesis_is_deterministic() {
        assert_eq!(devnet_genesis().root(), devnet_genesis().root());
        assert_eq!(devnet_genesis().account(15).balance, GENESIS_BALANCE);
        assert_eq!(devnet_genesis().account(16), Account::EMPTY);
    }
}
