//! Satisfiability and soundness tests of the three circuits (no keys needed: constraint systems only).

use alloy_primitives::{Address, address};
use ark_bn254::Fr;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};

use super::{
    BaseCircuit, BaseStatement, MergeCircuit, NodeStatement, RootCircuit, RootStatement,
    merge::ChildRange, root::TopNode,
};
use crate::{
    block::BlockWitness,
    state::{
        DEFAULT_DEPTH, SignedTransaction, Transaction, TransitionWitness, devnet_genesis,
        devnet_key,
    },
};

const PROVER: Address = address!("70997970C51812dc3A010C7d01b50e0d17dc79C8");

/// Whether an assignment satisfies the circuit (a witness that cannot even be synthesised, such as an
/// off-curve key, counts as unsatisfiable: no proof can be made from it).
fn satisfied(circuit: impl ConstraintSynthesizer<Fr>) -> bool {
    let cs = ConstraintSystem::<Fr>::new_ref();
    circuit.generate_constraints(cs.clone()).is_ok() && cs.is_satisfied().expect("assigned")
}

fn honest_transition() -> TransitionWitness {
    let mut state = devnet_genesis();
    // A first transfer so the sender's nonce and both balances are not the genesis values.
    state
        .apply(
            &Transaction {
                from: 1,
                to: 2,
                amount: 40,
                nonce: 0,
            }
            .sign(&devnet_key(1)),
        )
        .unwrap();
    state
        .apply(
            &Transaction {
                from: 1,
                to: 3,
                amount: 100,
                nonce: 1,
            }
            .sign(&devnet_key(1)),
        )
        .unwrap()
}

/// A base circuit whose statement is recomputed from the (possibly tampered) witness.
fn base_circuit(witness: TransitionWitness) -> BaseCircuit {
    BaseCircuit::new(witness, PROVER)
}

fn resigned(witness: &TransitionWitness, tx: Transaction) -> SignedTransaction {
    tx.sign(&devnet_key(witness.tx.tx.from))
}

#[test]
fn base_accepts_an_honest_transfer() {
    assert!(satisfied(base_circuit(honest_transition())));
}

#[test]
fn base_accepts_a_transfer_to_an_empty_account_and_a_self_transfer() {
    let mut state = devnet_genesis();
    let to_empty = state
        .apply(
            &Transaction {
                from: 4,
                to: 1000,
                amount: 9,
                nonce: 0,
            }
            .sign(&devnet_key(4)),
        )
        .unwrap();
    assert!(satisfied(base_circuit(to_empty)));
    let to_self = state
        .apply(
            &Transaction {
                from: 5,
                to: 5,
                amount: 9,
                nonce: 0,
            }
            .sign(&devnet_key(5)),
        )
        .unwrap();
    assert!(satisfied(base_circuit(to_self)));
}

#[test]
fn base_rejects_overspend() {
    let mut witness = honest_transition();
    let tx = Transaction {
        amount: witness.sender.balance + 1,
        ..witness.tx.tx
    };
    witness.tx = resigned(&witness, tx);
    assert!(!satisfied(base_circuit(witness)));
}

#[test]
fn base_rejects_wrong_nonce() {
    let mut witness = honest_transition();
    let tx = Transaction {
        nonce: witness.sender.nonce + 1,
        ..witness.tx.tx
    };
    witness.tx = resigned(&witness, tx);
    assert!(!satisfied(base_circuit(witness)));
}

#[test]
fn base_rejects_a_signature_by_another_key() {
    let mut witness = honest_transition();
    witness.tx = witness.tx.tx.sign(&devnet_key(9));
    assert!(!satisfied(base_circuit(witness)));
}

#[test]
fn base_rejects_a_signature_on_another_transaction() {
    let mut witness = honest_transition();
    let other = Transaction {
        amount: witness.tx.tx.amount + 1,
        ..witness.tx.tx
    };
    witness.tx.signature = other.sign(&devnet_key(witness.tx.tx.from)).signature;
    assert!(!satisfied(base_circuit(witness)));
}

#[test]
fn base_rejects_wrong_merkle_paths() {
    let mut witness = honest_transition();
    witness.sender_path.siblings[3] += Fr::from(1u64);
    assert!(!satisfied(base_circuit(witness)));
    let mut witness = honest_transition();
    witness.receiver_path.siblings[0] += Fr::from(1u64);
    assert!(!satisfied(base_circuit(witness)));
    // A different sender account than the one in the tree (e.g. inflated balance).
    let mut witness = honest_transition();
    witness.sender.balance += 1_000;
    assert!(!satisfied(base_circuit(witness)));
}

#[test]
fn base_rejects_a_claimed_root_or_hash_that_does_not_follow() {
    let honest = honest_transition();
    let statement = BaseStatement::from_witness(&honest);
    for tampered in [
        BaseStatement {
            new_root: statement.new_root + Fr::from(1u64),
            ..statement
        },
        BaseStatement {
            old_root: statement.old_root + Fr::from(1u64),
            ..statement
        },
        BaseStatement {
            tx_hash: statement.tx_hash + Fr::from(1u64),
            ..statement
        },
    ] {
        let circuit = BaseCircuit {
            statement: Some(tampered),
            ..base_circuit(honest.clone())
        };
        assert!(!satisfied(circuit));
    }
}

#[test]
fn base_rejects_a_sender_without_key() {
    // An empty slot's key (0, 0) is not a curve point: it cannot sign, whatever the signature.
    let mut witness = honest_transition();
    witness.sender = crate::state::Account {
        balance: witness.sender.balance,
        nonce: witness.sender.nonce,
        ..crate::state::Account::EMPTY
    };
    assert!(!satisfied(base_circuit(witness)));
}

fn block_of_two() -> BlockWitness {
    let txs = [
        Transaction {
            from: 1,
            to: 2,
            amount: 5,
            nonce: 0,
        }
        .sign(&devnet_key(1)),
        Transaction {
            from: 2,
            to: 3,
            amount: 7,
            nonce: 0,
        }
        .sign(&devnet_key(2)),
    ];
    BlockWitness::build(&devnet_genesis(), &txs, 3).unwrap().0
}

#[test]
fn merge_accepts_adjacent_children() {
    let block = block_of_two();
    let (left, right) = (block.statements[0], block.statements[1]);
    assert!(satisfied(MergeCircuit::new(&left, &right, PROVER)));
}

#[test]
fn merge_rejects_non_adjacent_children() {
    let block = block_of_two();
    let (left, right) = (block.statements[0], block.statements[1]);
    // Right child claims to start elsewhere: left.new != right.old.
    let mut circuit = MergeCircuit::new(&left, &right, PROVER);
    circuit.right = Some(ChildRange {
        old_root: left.old_root(),
        new_root: right.new_root(),
    });
    assert!(!satisfied(circuit));
    // Swapped order does not compose either.
    assert!(!satisfied(MergeCircuit::new(&right, &left, PROVER)));
}

#[test]
fn merge_rejects_a_wrong_commitment() {
    let block = block_of_two();
    let (left, right) = (block.statements[0], block.statements[1]);
    let mut circuit = MergeCircuit::new(&left, &right, PROVER);
    if let Some(statement) = circuit.statement.as_mut() {
        statement.commitment += Fr::from(1u64);
    }
    assert!(!satisfied(circuit));
}

#[test]
fn root_binds_the_top_node() {
    let block = block_of_two();
    let statement = block.root_statement();
    assert!(satisfied(RootCircuit::new(statement, PROVER)));
    let top = block.statements[block.plan.top];
    let honest_top = TopNode {
        old_root: top.old_root(),
        new_root: top.new_root(),
        commitment: top.commitment(),
    };
    for bad_top in [
        TopNode {
            old_root: honest_top.new_root,
            ..honest_top
        },
        TopNode {
            new_root: honest_top.old_root,
            ..honest_top
        },
        TopNode {
            commitment: honest_top.commitment + Fr::from(1u64),
            ..honest_top
        },
    ] {
        let circuit = RootCircuit {
            top: Some(bad_top),
            ..RootCircuit::new(statement, PROVER)
        };
        assert!(!satisfied(circuit));
    }
    let wrong_block = RootStatement {
        txs_commitment: statement.txs_commitment + Fr::from(1u64),
        ..statement
    };
    let circuit = RootCircuit {
        statement: Some(wrong_block),
        ..RootCircuit::new(statement, PROVER)
    };
    assert!(!satisfied(circuit));
}

#[test]
fn every_circuit_constrains_the_prover_input() {
    // The prover wire must appear in a constraint, else its VK point is zero and any address verifies.
    for kind in super::CircuitKind::ALL {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_mode(ark_relations::gr1cs::SynthesisMode::Setup);
        match kind {
            super::CircuitKind::Base => {
                BaseCircuit::blank(DEFAULT_DEPTH).generate_constraints(cs.clone())
            }
            super::CircuitKind::Merge => MergeCircuit::default().generate_constraints(cs.clone()),
            super::CircuitKind::Root => RootCircuit::default().generate_constraints(cs.clone()),
        }
        .unwrap();
        cs.finalize();
        let prover_index = kind.public_input_count(); // instance 0 is the constant one
        let matrices = cs.to_matrices().unwrap();
        let used = matrices
            .values()
            .flatten()
            .flatten()
            .flatten()
            .any(|(_, var)| *var == prover_index);
        assert!(
            used,
            "{} circuit leaves the prover input unconstrained",
            kind.name()
        );
    }
}

#[test]
fn statements_report_their_kind() {
    let block = block_of_two();
    assert!(matches!(block.statements[0], NodeStatement::Base(_)));
    assert!(matches!(
        block.statements[block.plan.root()],
        NodeStatement::Root(_)
    ));
}
