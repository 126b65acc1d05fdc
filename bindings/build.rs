//! Prepares the forge artifacts for `sol!` and writes the binding modules.
//!
//! For each contract below it reads `out/<C>.sol/<C>.json` (built by `forge build`, which `make` runs
//! before cargo), keeps the ABI and bytecode, and rewrites enum types (`internalType: "enum TaskStatus"`,
//! `"enum ISealedBidAuction.AuctionStatus"`) to their ABI type (`uint8`): `sol!` cannot resolve enums
//! used across contracts from a JSON ABI, and on the wire they are `uint8` anyway. Rust code compares
//! them with the constants in the agents' code (e.g. `TaskStatus::Open as u8`). It then
//! generates one module per contract with a `sol!` invocation over the prepared file.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

/// (module, contract) pairs: deployable contracts first, then interfaces.
const CONTRACTS: &[(&str, &str)] = &[
    ("proof_token", "ProofToken"),
    ("prover_registry", "ProverRegistry"),
    ("verifier_registry", "VerifierRegistry"),
    ("task_registry", "TaskRegistry"),
    ("task_ledger", "TaskLedger"),
    ("proof_race", "ProofRace"),
    ("sealed_bid_auction", "SealedBidAuction"),
    ("ascending_price_auction", "AscendingPriceAuction"),
    ("election_race", "ElectionRace"),
    ("order_book", "OrderBook"),
    ("tree_assignment", "TreeAssignment"),
    ("mechanism_router", "MechanismRouter"),
    ("ledger_proof_race", "LedgerProofRace"),
    ("ledger_sealed_bid_auction", "LedgerSealedBidAuction"),
    (
        "ledger_ascending_price_auction",
        "LedgerAscendingPriceAuction",
    ),
    ("ledger_election_race", "LedgerElectionRace"),
    ("ledger_order_book", "LedgerOrderBook"),
    ("ledger_tree_assignment", "LedgerTreeAssignment"),
    ("ledger_mechanism_router", "LedgerMechanismRouter"),
    ("sequencer_set", "SequencerSet"),
    ("rollup", "Rollup"),
    ("ledger_rollup", "LedgerRollup"),
    ("base_proof_verifier", "BaseProofVerifier"),
    ("merge_proof_verifier", "MergeProofVerifier"),
    ("root_proof_verifier", "RootProofVerifier"),
    ("i_prover_registry", "IProverRegistry"),
    ("i_task_registry", "ITaskRegistry"),
    ("i_verifier_registry", "IVerifierRegistry"),
    ("i_mechanism", "IMechanism"),
    ("i_proof_verifier", "IProofVerifier"),
    ("i_proof_consumer", "IProofConsumer"),
    ("i_rollup", "IRollup"),
    ("i_mechanism_router", "IMechanismRouter"),
];

fn main() {
    let manifest =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let artifacts = manifest.join("..").join("out");
    println!("cargo:rerun-if-changed=build.rs");

    let mut code = String::new();
    for (module, contract) in CONTRACTS {
        let source = artifacts
            .join(format!("{contract}.sol"))
            .join(format!("{contract}.json"));
        println!("cargo:rerun-if-changed={}", source.display());
        let prepared = out_dir.join(format!("{contract}.json"));
        prepare(&source, &prepared);
        writeln!(
            code,
            "#[allow(non_snake_case, missing_docs, clippy::all)]\npub mod {module} {{\n    alloy::sol!(\n        \
             #[sol(rpc, abi)]\n        #[derive(Debug, PartialEq, Eq)]\n        {contract},\n        {path:?}\n    );\n    \
             // File-level types (`TaskStatus`, `QoSProfile`) land inside the contract's module, while the\n    \
             // generated sibling interfaces refer to them unqualified.\n    \
             #[allow(unused_imports)]\n    use self::{contract}::*;\n}}\n\
             pub use self::{module}::{contract};\n",
            path = prepared.display().to_string(),
        )
        .expect("write to String");
    }
    code.push_str(
        "/// Every custom error any bound contract can revert with, by contract name (for revert decoding).\n\
         pub fn all_errors() -> Vec<(&'static str, alloy::json_abi::Error)> {\n    let mut out = Vec::new();\n",
    );
    for (_, contract) in CONTRACTS {
        writeln!(
            code,
            "    for errors in {contract}::abi::errors().into_values() {{ out.extend(errors.into_iter().map(|e| ({contract:?}, e))); }}"
        )
        .expect("write to String");
    }
    code.push_str("    out\n}\n");
    fs::write(out_dir.join("bindings.rs"), code).expect("write bindings.rs");
}

fn prepare(source: &Path, target: &Path) {
    let text = fs::read_to_string(source).unwrap_or_else(|e| {
        panic!(
            "cannot read forge artifact {}: {e}\nRun `forge build` first (`make build` does it) so that out/ holds the contracts' artifacts.",
            source.display()
        )
    });
    let artifact: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("forge artifact {} is not JSON: {e}", source.display()));
    let mut abi = artifact
        .get("abi")
        .cloned()
        .unwrap_or_else(|| panic!("{} has no abi", source.display()));
    flatten_nested_enums(&mut abi);
    let mut prepared = serde_json::Map::new();
    prepared.insert("abi".into(), abi);
    for key in ["bytecode", "deployedBytecode"] {
        if let Some(value) = artifact.get(key) {
            prepared.insert(key.into(), value.clone());
        }
    }
    let json =
        serde_json::to_string(&serde_json::Value::Object(prepared)).expect("serialize artifact");
    // Rewrite only when changed so that sol!'s dependency tracking does not rebuild needlessly.
    if fs::read_to_string(target).ok().as_deref() != Some(json.as_str()) {
        fs::write(target, json)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", target.display()));
    }
}

/// Replaces `internalType: "enum …"` by the plain ABI type (`uint8`), recursively.
fn flatten_nested_enums(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            let is_enum = map
                .get("internalType")
                .and_then(|t| t.as_str())
                .is_some_and(|t| t.starts_with("enum "));
            if let Some(ty) = map.get("type").cloned().filter(|_| is_enum) {
                map.insert("internalType".into(), ty);
            }
            for child in map.values_mut() {
                flatten_nested_enums(child);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(flatten_nested_enums),
        _ => {}
    }
}
