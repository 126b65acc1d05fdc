//! A block's witnesses: apply its transfers natively, plan its proof tree, and compute every node's
//! statement (and so its id) — everything a prover needs, from the pre-state and the transactions.

use ark_bn254::Fr;

use crate::{
    circuits::{BaseStatement, MergeStatement, NodeStatement, RootStatement},
    state::{L2Error, SignedTransaction, State, TransitionWitness, encode_transactions},
    tree::{PlanNodeKind, TreeError, TreePlan},
};

/// Errors building a block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    /// The block has no transactions.
    #[error(transparent)]
    Tree(#[from] TreeError),
    /// A transaction does not apply.
    #[error("transaction {index}: {source}")]
    Transaction {
        /// Its index in the block.
        index: usize,
        /// Why it failed.
        source: L2Error,
    },
}

/// A block with all its proof-tree statements.
#[derive(Debug, Clone)]
pub struct BlockWitness {
    /// Block number.
    pub block_number: u64,
    /// The transactions, in order.
    pub transactions: Vec<SignedTransaction>,
    /// One transition per transaction.
    pub transitions: Vec<TransitionWitness>,
    /// The proof tree.
    pub plan: TreePlan,
    /// `statements[i]` is the statement of `plan.nodes[i]`.
    pub statements: Vec<NodeStatement>,
}

impl BlockWitness {
    /// Applies `transactions` to a copy of `pre_state`; returns the witnesses and the post-state.
    pub fn build(
        pre_state: &State,
        transactions: &[SignedTransaction],
        block_number: u64,
    ) -> Result<(Self, State), BlockError> {
        let plan = TreePlan::new(transactions.len())?;
        let mut state = pre_state.clone();
        let transitions = transactions
            .iter()
            .enumerate()
            .map(|(index, tx)| {
                state
                    .apply(tx)
                    .map_err(|source| BlockError::Transaction { index, source })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut statements: Vec<NodeStatement> = Vec::with_capacity(plan.nodes.len());
        for node in &plan.nodes {
            let statement = match node.kind {
                PlanNodeKind::Base { tx } => {
                    NodeStatement::Base(BaseStatement::from_witness(&transitions[tx]))
                }
                PlanNodeKind::Merge { left, right } => NodeStatement::Merge(
                    MergeStatement::from_children(&statements[left], &statements[right]),
                ),
                PlanNodeKind::Root { top } => NodeStatement::Root(RootStatement {
                    prev_state_root: statements[top].old_root(),
                    new_state_root: statements[top].new_root(),
                    txs_commitment: statements[top].commitment(),
                    block_number,
                }),
            };
            statements.push(statement);
        }
        let block = Self {
            block_number,
            transactions: transactions.to_vec(),
            transitions,
            plan,
            statements,
        };
        Ok((block, state))
    }

    /// The root node's statement.
    pub fn root_statement(&self) -> RootStatement {
        match self.statements[self.plan.root()] {
            NodeStatement::Root(statement) => statement,
            // The planner always puts the root last; rebuild it from the top node otherwise.
            _ => RootStatement {
                prev_state_root: self.prev_state_root(),
                new_state_root: self.new_state_root(),
                txs_commitment: self.txs_commitment(),
                block_number: self.block_number,
            },
        }
    }

    /// The state root the block builds on.
    pub fn prev_state_root(&self) -> Fr {
        self.statements[self.plan.top].old_root()
    }

    /// The state root after the block.
    pub fn new_state_root(&self) -> Fr {
        self.statements[self.plan.top].new_root()
    }

    /// The block's transactions commitment (the top node's commitment).
    pub fn txs_commitment(&self) -> Fr {
        self.statements[self.plan.top].commitment()
    }

    /// The block's calldata (see [`crate::state::SignedTransaction::encode`]).
    pub fn calldata(&self) -> Vec<u8> {
        encode_transactions(&self.transactions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        poseidon,
        state::{Transaction, devnet_genesis, devnet_key},
    };

    fn transfers(n: usize) -> Vec<SignedTransaction> {
        (0..n)
            .map(|i| {
                let from = (i % 16) as u32;
                let nonce = (i / 16) as u64;
                Transaction {
                    from,
                    to: (from + 1) % 16,
                    amount: 10 + i as u64,
                    nonce,
                }
                .sign(&devnet_key(from))
            })
            .collect()
    }

    #[test]
    fn statements_chain_and_commit() {
        let genesis = devnet_genesis();
        for n in [1usize, 2, 3, 5, 8, 13] {
            let (block, post) = BlockWitness::build(&genesis, &transfers(n), 7).unwrap();
            assert_eq!(block.prev_state_root(), genesis.root());
            assert_eq!(block.new_state_root(), post.root());
            let root = block.root_statement();
            assert_eq!(root.block_number, 7);
            assert_eq!(root.txs_commitment, block.txs_commitment());
            for (node, statement) in block.plan.nodes.iter().zip(&block.statements) {
                if let PlanNodeKind::Merge { left, right } = node.kind {
                    let (l, r) = (&block.statements[left], &block.statements[right]);
                    assert_eq!(l.new_root(), r.old_root());
                    assert_eq!(
                        statement.commitment(),
                        poseidon::hash2(l.commitment(), r.commitment())
                    );
                }
            }
            if n == 1 {
                assert_eq!(block.txs_commitment(), block.transactions[0].tx.hash());
            }
            // Ids are distinct per node and stable.
            let mut ids: Vec<_> = block.statements.iter().map(|s| s.node_id()).collect();
            ids.sort();
            ids.dedup();
            assert_eq!(ids.len(), block.statements.len());
        }
    }

    #[test]
    fn bad_transaction_names_its_index() {
        let mut txs = transfers(3);
        txs[2].tx.amount += 1; // signature no longer matches
        let error = BlockWitness::build(&devnet_genesis(), &txs, 1).unwrap_err();
        assert_eq!(
            error,
            BlockError::Transaction {
                index: 2,
                source: L2Error::BadSignature(2)
            }
        );
        assert_eq!(
            BlockWitness::build(&devnet_genesis(), &[], 1).unwrap_err(),
            BlockError::Tree(TreeError::Empty)
        );
    }
}
