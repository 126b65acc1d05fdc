//! End-to-end tests with real keys: proving, prover binding, EVM form, key cache, drift checks.
//!
//! Keys are generated once per test binary (OnceLock) and cached on disk in the default key dir, so
//! later runs only load them.

use std::sync::OnceLock;

use proofmarket_circuits::{
    Address,
    block::BlockWitness,
    circuits::{CircuitKind, NodeStatement, constraint_count_report},
    evm::EvmProof,
    fixtures,
    keys::{CircuitKey, Keys, circuit_shape, default_key_dir},
    prove::{self, ProveError},
    solidity,
    state::{DEFAULT_DEPTH, Transaction, devnet_genesis, devnet_key},
};

const PROVER_A: Address = fixtures::FIXTURE_PROVERS[0];
const PROVER_B: Address = fixtures::FIXTURE_PROVERS[1];

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys::load_or_setup(&default_key_dir()).expect("development keys"))
}

fn block(n: usize) -> BlockWitness {
    let txs: Vec<_> = (0..n)
        .map(|i| {
            let from = (i % 16) as u32;
            Transaction {
                from,
                to: (from + 3) % 16,
                amount: 1 + i as u64,
                nonce: (i / 16) as u64,
            }
            .sign(&devnet_key(from))
        })
        .collect();
    BlockWitness::build(&devnet_genesis(), &txs, 1)
        .expect("valid block")
        .0
}

#[test]
fn a_block_of_three_proves_node_by_node_and_each_proof_binds_its_prover() {
    let keys = keys();
    let block = block(3);
    let proofs = prove::prove_block(keys, &block, PROVER_A, &mut prove::proving_rng()).unwrap();
    assert_eq!(proofs.len(), block.plan.nodes.len());
    let mut kinds_seen = Vec::new();
    for node in &proofs {
        prove::verify_node(keys, &node.statement, PROVER_A, &node.proof).unwrap();
        // The same proof, submitted for another address, does not verify.
        assert!(matches!(
            prove::verify_node(keys, &node.statement, PROVER_B, &node.proof),
            Err(ProveError::InvalidProof(_))
        ));
        // Nor for another statement.
        let other = block.statements[(node.index + 1) % block.statements.len()];
        if other.kind() == node.statement.kind() {
            assert!(prove::verify_node(keys, &other, PROVER_A, &node.proof).is_err());
        }
        // The EVM word form round-trips and verifies.
        let evm = EvmProof::from_proof(&node.proof);
        assert_eq!(EvmProof::abi_decode(&evm.abi_encode()).unwrap(), evm);
        prove::verify_evm_proof(keys, &node.statement, PROVER_A, &evm).unwrap();
        kinds_seen.push(node.statement.kind());
    }
    for kind in CircuitKind::ALL {
        assert!(kinds_seen.contains(&kind));
    }
}

#[test]
fn an_unsatisfied_witness_yields_an_error_not_a_proof() {
    let keys = keys();
    let mut transition = block(1).transitions[0].clone();
    transition.sender_path.siblings[0] += proofmarket_circuits::Fr::from(1u64);
    let result = prove::prove_base(keys, &transition, PROVER_A, &mut prove::proving_rng());
    assert!(matches!(result, Err(ProveError::Unsatisfied("base"))));
}

#[test]
fn keys_are_deterministic_and_named_by_shape() {
    let keys = keys();
    let dir = tempfile::tempdir().unwrap();
    // A fresh setup of the (small) root circuit reproduces the cached verifying key exactly.
    let fresh = CircuitKey::load_or_setup(dir.path(), CircuitKind::Root, DEFAULT_DEPTH).unwrap();
    assert_eq!(fresh.vk(), keys.root.vk());
    let reloaded = CircuitKey::load_or_setup(dir.path(), CircuitKind::Root, DEFAULT_DEPTH).unwrap();
    assert_eq!(reloaded.vk(), fresh.vk());
    let shape = circuit_shape(CircuitKind::Root, DEFAULT_DEPTH).unwrap();
    assert!(
        dir.path()
            .join(CircuitKey::file_name(
                CircuitKind::Root,
                DEFAULT_DEPTH,
                &shape
            ))
            .exists()
    );
    // A different shape (another depth) gets another file name.
    let other = circuit_shape(CircuitKind::Base, 4).unwrap();
    let base = circuit_shape(CircuitKind::Base, DEFAULT_DEPTH).unwrap();
    assert_ne!(other.hash, base.hash);
}

#[test]
fn committed_verifiers_match_the_keys() {
    let drifted = solidity::check_files(keys(), &solidity::repo_root()).unwrap();
    assert!(
        drifted.is_empty(),
        "regenerate with `pm-circuits generate-verifiers`: {drifted:?}"
    );
}

#[test]
fn committed_fixtures_verify_against_the_keys() {
    fixtures::check_all(keys(), &solidity::repo_root()).unwrap();
}

#[test]
fn constraint_counts_match_the_snapshot() {
    let snapshot = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/constraint-counts.txt"
    ))
    .expect("circuits/constraint-counts.txt");
    let current = constraint_count_report(DEFAULT_DEPTH).unwrap();
    assert_eq!(
        snapshot, current,
        "update circuits/constraint-counts.txt with `pm-circuits constraint-counts`"
    );
    let base = circuit_shape(CircuitKind::Base, DEFAULT_DEPTH).unwrap();
    assert!(base.constraints <= 40_000);
    assert!(
        circuit_shape(CircuitKind::Merge, DEFAULT_DEPTH)
            .unwrap()
            .constraints
            <= 3_000
    );
    assert!(
        circuit_shape(CircuitKind::Root, DEFAULT_DEPTH)
            .unwrap()
            .constraints
            <= 5_000
    );
}

#[test]
fn node_ids_are_content_addressed() {
    let a = block(5);
    let b = block(5);
    let ids = |blk: &BlockWitness| {
        blk.statements
            .iter()
            .map(NodeStatement::node_id)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&a), ids(&b));
    // The root's id depends on the block number (a different statement).
    let txs = a.transactions.clone();
    let renumbered = BlockWitness::build(&devnet_genesis(), &txs, 2).unwrap().0;
    assert_ne!(ids(&a).last(), ids(&renumbered).last());
    assert_eq!(ids(&a)[0], ids(&renumbered)[0]);
}

/// A fresh checkout runs many tests at once, each setting up the same keys: concurrent setups in one
/// process must all succeed and leave exactly the key file, no temporaries.
#[test]
fn concurrent_setups_of_one_key_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let start = std::sync::Barrier::new(3);
    let vks: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..3)
            .map(|_| {
                scope.spawn(|| {
                    start.wait();
                    CircuitKey::load_or_setup(dir.path(), CircuitKind::Base, DEFAULT_DEPTH)
                        .expect("every concurrent setup succeeds")
                        .vk()
                        .clone()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(vks.windows(2).all(|w| w[0] == w[1]));
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(files.len(), 1, "only the key itself: {files:?}");
    assert!(files[0].ends_with(".pk"), "{files:?}");
}
