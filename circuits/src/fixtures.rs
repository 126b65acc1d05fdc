//! Proof fixtures for the Solidity tests, and their drift check.
//!
//! Everything here is deterministic except the proofs themselves (Groth16 is randomised), so the
//! check recomputes each fixture's statement and *verifies* the committed proofs against the current
//! verifying keys instead of comparing bytes.
//!
//! Files (under `test/fixtures/`):
//! * `base.json`, `merge.json`, `root.json` — one node of devnet block 1 per circuit:
//!   `{circuit, circuitId, nodeId, publicInputs (prover excluded, decimal strings), proofs: [{prover,
//!   proof (uint256[8] in EVM order, decimal strings), proofBytes (abi.encode(uint256[8]))}]}`, one
//!   proof per fixture prover;
//! * `rollup_blocks.json` — the devnet genesis root and a chain of blocks (each with its calldata and a
//!   root proof per fixture prover), plus a block claiming a parent that is not in the chain.

use std::path::{Path, PathBuf};

use alloy_primitives::{Address, address};
use ark_bn254::Fr;
use serde_json::{Value, json};

use crate::{
    block::{BlockError, BlockWitness},
    circuits::{CircuitKind, NodeStatement},
    evm::{EvmProof, fr_to_b256, fr_to_u256},
    keys::Keys,
    prove::{self, ProveError},
    state::{SignedTransaction, State, Transaction, devnet_genesis, devnet_key},
};

/// Where fixtures go, relative to the repository root.
pub const FIXTURE_DIR: &str = "test/fixtures";

/// The fixture provers: anvil's default accounts #1, #2 and #3.
pub const FIXTURE_PROVERS: [Address; 3] = [
    address!("70997970C51812dc3A010C7d01b50e0d17dc79C8"),
    address!("3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"),
    address!("90F79bf6EB2c4f870365E785982E1f101E93b906"),
];

/// Errors exporting or checking fixtures.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// Building a block failed.
    #[error(transparent)]
    Block(#[from] BlockError),
    /// Proving or verifying failed.
    #[error(transparent)]
    Prove(#[from] ProveError),
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A fixture file is not what the current code produces.
    #[error("{file}: {reason}")]
    Drift {
        /// The file.
        file: String,
        /// What differs.
        reason: String,
    },
}

fn transfer(from: u32, to: u32, amount: u64, nonce: u64) -> SignedTransaction {
    Transaction {
        from,
        to,
        amount,
        nonce,
    }
    .sign(&devnet_key(from))
}

/// The transactions of the fixture chain's blocks 1, 2, 3 (2, 3 and 1 transfers: three tree shapes).
pub fn fixture_chain_transactions() -> Vec<Vec<SignedTransaction>> {
    vec![
        vec![transfer(1, 2, 100, 0), transfer(3, 4, 250, 0)],
        vec![
            transfer(2, 1, 50, 0),
            transfer(1, 5, 10, 1),
            transfer(6, 6, 0, 0),
        ],
        vec![transfer(7, 0, 1_000, 0)],
    ]
}

/// The fixture chain: blocks 1..=3 on the devnet genesis.
pub fn fixture_chain() -> Result<Vec<BlockWitness>, FixtureError> {
    let mut state = devnet_genesis();
    let mut blocks = Vec::new();
    for (i, txs) in fixture_chain_transactions().into_iter().enumerate() {
        let (block, next) = BlockWitness::build(&state, &txs, i as u64 + 1)?;
        blocks.push(block);
        state = next;
    }
    Ok(blocks)
}

/// A block numbered 1 whose parent is a state that is not in the chain (genesis plus a transfer that
/// was never posted), so its `prev_state_root` is not the last proven root at any height.
pub fn wrong_parent_block() -> Result<BlockWitness, FixtureError> {
    let mut phantom: State = devnet_genesis();
    phantom
        .apply(&transfer(9, 10, 77, 0))
        .map_err(|source| BlockError::Transaction { index: 0, source })?;
    let (block, _) = BlockWitness::build(&phantom, &[transfer(1, 2, 100, 0)], 1)?;
    Ok(block)
}

fn word(value: Fr) -> String {
    fr_to_u256(value).to_string()
}

fn bytes32(value: Fr) -> String {
    fr_to_b256(value).to_string()
}

fn proof_json(prover: Address, proof: &EvmProof) -> Value {
    json!({
        "prover": prover.to_checksum(None),
        "proof": proof.to_decimal_strings(),
        "proofBytes": format!("0x{}", hex::encode(proof.abi_encode())),
    })
}

fn node_fixture(keys: &Keys, block: &BlockWitness, index: usize) -> Result<Value, FixtureError> {
    let statement = block.statements[index];
    let mut proofs = Vec::new();
    for prover in FIXTURE_PROVERS {
        let proof = prove::prove_node(keys, block, index, prover, &mut prove::proving_rng())?;
        proofs.push(proof_json(prover, &EvmProof::from_proof(&proof)));
    }
    Ok(json!({
        "circuit": statement.kind().name(),
        "circuitId": statement.kind().id().to_string(),
        "nodeId": statement.node_id().to_string(),
        "blockNumber": block.block_number,
        "publicInputs": statement.public_inputs().into_iter().map(word).collect::<Vec<_>>(),
        "proofs": proofs,
    }))
}

fn block_fixture(keys: &Keys, block: &BlockWitness) -> Result<Value, FixtureError> {
    let statement = block.root_statement();
    let mut proofs = Vec::new();
    for prover in FIXTURE_PROVERS {
        let proof = prove::prove_root(keys, &statement, prover, &mut prove::proving_rng())?;
        let evm = EvmProof::from_proof(&proof);
        proofs.push(json!({
            "prover": prover.to_checksum(None),
            "proof": format!("0x{}", hex::encode(evm.abi_encode())),
            "proof_words": evm.to_decimal_strings(),
        }));
    }
    Ok(json!({
        "number": block.block_number,
        "prev_state_root": bytes32(statement.prev_state_root),
        "new_state_root": bytes32(statement.new_state_root),
        "txs_commitment": bytes32(statement.txs_commitment),
        "txs": format!("0x{}", hex::encode(block.calldata())),
        "tx_count": block.transactions.len(),
        "root_node_id": NodeStatement::Root(statement).node_id().to_string(),
        "proofs": proofs,
    }))
}

/// The contents of `rollup_blocks.json`.
pub fn rollup_blocks_fixture(keys: &Keys) -> Result<Value, FixtureError> {
    let blocks = fixture_chain()?;
    let chain = blocks
        .iter()
        .map(|b| block_fixture(keys, b))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json!({
        "note": "Generated by `pm-circuits export-fixtures`. Roots are BN254 field elements as bytes32; \
                 txs is the block calldata (88 bytes per transfer); proof is abi.encode(uint256[8]) in EVM \
                 order for the root circuit, public inputs [prev_state_root, new_state_root, txs_commitment, \
                 number, prover]. Development keys: NOT FOR PRODUCTION.",
        "root_circuit_id": CircuitKind::Root.id().to_string(),
        "genesis_state_root": bytes32(devnet_genesis().root()),
        "provers": FIXTURE_PROVERS.iter().map(|p| p.to_checksum(None)).collect::<Vec<_>>(),
        "blocks": chain,
        "wrong_parent": block_fixture(keys, &wrong_parent_block()?)?,
    }))
}

/// The per-circuit fixtures: (file name, contents), from devnet block 1 (two transfers).
pub fn circuit_fixtures(keys: &Keys) -> Result<Vec<(String, Value)>, FixtureError> {
    let blocks = fixture_chain()?;
    let block = &blocks[0];
    let leaf = block.plan.leaves()[0];
    Ok(vec![
        ("base.json".to_string(), node_fixture(keys, block, leaf)?),
        (
            "merge.json".to_string(),
            node_fixture(keys, block, block.plan.top)?,
        ),
        (
            "root.json".to_string(),
            node_fixture(keys, block, block.plan.root())?,
        ),
    ])
}

fn write_json(root: &Path, name: &str, value: &Value) -> Result<PathBuf, FixtureError> {
    let relative = Path::new(FIXTURE_DIR).join(name);
    let path = root.join(&relative);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| FixtureError::Io {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    let text = serde_json::to_string_pretty(value).unwrap_or_default() + "\n";
    std::fs::write(&path, text).map_err(|source| FixtureError::Io {
        path: path.clone(),
        source,
    })?;
    Ok(relative)
}

/// Writes `rollup_blocks.json` only.
pub fn export_rollup_blocks(keys: &Keys, root: &Path) -> Result<PathBuf, FixtureError> {
    write_json(root, "rollup_blocks.json", &rollup_blocks_fixture(keys)?)
}

/// Writes every fixture; returns the paths written (relative to `root`).
pub fn export_all(keys: &Keys, root: &Path) -> Result<Vec<PathBuf>, FixtureError> {
    let mut written = Vec::new();
    for (name, value) in circuit_fixtures(keys)? {
        written.push(write_json(root, &name, &value)?);
    }
    written.push(export_rollup_blocks(keys, root)?);
    Ok(written)
}

fn read_json(root: &Path, name: &str) -> Result<Value, FixtureError> {
    let path = root.join(FIXTURE_DIR).join(name);
    let text = std::fs::read_to_string(&path).map_err(|source| FixtureError::Io {
        path: path.clone(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| drift(name, format!("not JSON: {e}")))
}

fn drift(file: &str, reason: impl Into<String>) -> FixtureError {
    FixtureError::Drift {
        file: file.to_string(),
        reason: reason.into(),
    }
}

fn parse_words(file: &str, value: &Value) -> Result<Vec<String>, FixtureError> {
    value
        .as_array()
        .ok_or_else(|| drift(file, "expected an array"))?
        .iter()
        .map(|v| {
            v.as_str()
                .map(str::to_string)
                .ok_or_else(|| drift(file, "expected strings"))
        })
        .collect()
}

fn parse_evm_proof(file: &str, words: &[String]) -> Result<EvmProof, FixtureError> {
    if words.len() != 8 {
        return Err(drift(file, format!("a proof has {} words", words.len())));
    }
    let mut out = [alloy_primitives::U256::ZERO; 8];
    for (slot, w) in out.iter_mut().zip(words) {
        *slot = w
            .parse()
            .map_err(|_| drift(file, format!("bad word {w}")))?;
    }
    Ok(EvmProof(out))
}

/// Checks that every proof of a fixture verifies for its prover, and that all fixture provers appear.
fn check_proofs(
    keys: &Keys,
    file: &str,
    statement: &NodeStatement,
    proofs: &Value,
    words_key: &str,
) -> Result<(), FixtureError> {
    let proofs = proofs
        .as_array()
        .ok_or_else(|| drift(file, "proofs is not an array"))?;
    let mut provers = Vec::new();
    for entry in proofs {
        let prover: Address = entry["prover"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| drift(file, "bad prover"))?;
        let proof = parse_evm_proof(file, &parse_words(file, &entry[words_key])?)?;
        prove::verify_evm_proof(keys, statement, prover, &proof)
            .map_err(|e| drift(file, format!("proof for {prover} does not verify: {e}")))?;
        provers.push(prover);
    }
    if provers != FIXTURE_PROVERS {
        return Err(drift(file, "the proofs are not for the fixture provers"));
    }
    Ok(())
}

fn expect_eq(
    file: &str,
    what: &str,
    committed: &Value,
    expected: Value,
) -> Result<(), FixtureError> {
    if *committed != expected {
        return Err(drift(
            file,
            format!("{what}: committed {committed}, expected {expected}"),
        ));
    }
    Ok(())
}

/// The drift check: committed fixtures have the statements the current code computes, and their
/// proofs verify against the current verifying keys.
pub fn check_all(keys: &Keys, root: &Path) -> Result<(), FixtureError> {
    let blocks = fixture_chain()?;
    let block = &blocks[0];
    let nodes = [
        ("base.json", block.plan.leaves()[0]),
        ("merge.json", block.plan.top),
        ("root.json", block.plan.root()),
    ];
    for (file, index) in nodes {
        let committed = read_json(root, file)?;
        let statement = block.statements[index];
        let inputs: Vec<String> = statement.public_inputs().into_iter().map(word).collect();
        expect_eq(
            file,
            "publicInputs",
            &committed["publicInputs"],
            json!(inputs),
        )?;
        expect_eq(
            file,
            "circuitId",
            &committed["circuitId"],
            json!(statement.kind().id().to_string()),
        )?;
        check_proofs(keys, file, &statement, &committed["proofs"], "proof")?;
    }

    let file = "rollup_blocks.json";
    let committed = read_json(root, file)?;
    expect_eq(
        file,
        "genesis_state_root",
        &committed["genesis_state_root"],
        json!(bytes32(devnet_genesis().root())),
    )?;
    let committed_blocks = committed["blocks"]
        .as_array()
        .ok_or_else(|| drift(file, "blocks"))?;
    if committed_blocks.len() != blocks.len() {
        return Err(drift(file, "number of blocks"));
    }
    let wrong = wrong_parent_block()?;
    let pairs = blocks
        .iter()
        .zip(committed_blocks)
        .chain(std::iter::once((&wrong, &committed["wrong_parent"])));
    for (block, entry) in pairs {
        let statement = block.root_statement();
        expect_eq(
            file,
            "prev_state_root",
            &entry["prev_state_root"],
            json!(bytes32(statement.prev_state_root)),
        )?;
        expect_eq(
            file,
            "new_state_root",
            &entry["new_state_root"],
            json!(bytes32(statement.new_state_root)),
        )?;
        expect_eq(
            file,
            "txs_commitment",
            &entry["txs_commitment"],
            json!(bytes32(statement.txs_commitment)),
        )?;
        expect_eq(
            file,
            "txs",
            &entry["txs"],
            json!(format!("0x{}", hex::encode(block.calldata()))),
        )?;
        expect_eq(file, "number", &entry["number"], json!(block.block_number))?;
        check_proofs(
            keys,
            file,
            &NodeStatement::Root(statement),
            &entry["proofs"],
            "proof_words",
        )?;
    }
    Ok(())
}
