//! The addresses JSON that `proofmarket deploy` writes and every other command reads.

use std::collections::BTreeMap;
use std::path::Path;

use alloy::primitives::Address;
use serde::{Deserialize, Serialize};

use crate::config::ConfigError;

/// A deployment: where each contract lives on one chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Addresses {
    /// Chain the contracts were deployed on.
    pub chain_id: u64,
    /// Block of the first deployment transaction: where chain monitors start backfilling.
    pub deployed_block: u64,
    /// The one ERC-20 for stake, collateral, escrow and payouts.
    pub token: Address,
    pub prover_registry: Address,
    pub task_registry: Address,
    pub verifier_registry: Address,
    /// The QoS router (absent until it is deployed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub router: Option<Address>,
    /// The rollup's block inbox (absent until it is deployed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollup: Option<Address>,
    /// Who may post rollup blocks (absent until it is deployed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequencer_set: Option<Address>,
    /// Mechanism instances by name (e.g. `race`, `race-fast`).
    #[serde(default)]
    pub mechanisms: BTreeMap<String, Address>,
    /// Verifier adapters by circuit name (`base`, `merge`, `root`).
    #[serde(default)]
    pub verifiers: BTreeMap<String, Address>,
    /// The one-word task market beside the stored one (absent unless deployed with `--ledger`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger: Option<LedgerAddresses>,
}

/// The one-word task market (docs/one-word-tasks.md): its own ProverRegistry (a registry binds one task
/// core), the TaskLedger, its QoS router and its mechanism instances.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerAddresses {
    /// The ledger's ProverRegistry: provers serving ledger tasks stake here.
    pub prover_registry: Address,
    /// The TaskLedger.
    pub ledger: Address,
    /// The LedgerMechanismRouter.
    pub router: Address,
    /// Instances by name, as the router's ids 0–5: `race`, `sealed-bid`, `ascending`,
    /// `election-race`, `order-book`, `tree`.
    pub mechanisms: BTreeMap<String, Address>,
    /// The LedgerRollup: the rollup with its root tasks on this ledger (absent when deployed
    /// without a rollup).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollup: Option<Address>,
}

impl Addresses {
    /// Reads an addresses file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::ReadAddresses {
            path: path.to_path_buf(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|e| ConfigError::ParseAddresses {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    /// Writes the file (pretty JSON), creating parent directories.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let json = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(path, json + "\n")
    }

    /// Every contract address with a label, core contracts first (for deployment checks and status).
    pub fn labelled(&self) -> Vec<(String, Address)> {
        let mut out = vec![
            ("token".to_string(), self.token),
            ("proverRegistry".to_string(), self.prover_registry),
            ("taskRegistry".to_string(), self.task_registry),
            ("verifierRegistry".to_string(), self.verifier_registry),
        ];
        out.extend(self.router.map(|a| ("router".to_string(), a)));
        out.extend(self.rollup.map(|a| ("rollup".to_string(), a)));
        out.extend(self.sequencer_set.map(|a| ("sequencerSet".to_string(), a)));
        out.extend(
            self.mechanisms
                .iter()
                .map(|(k, a)| (format!("mechanism:{k}"), *a)),
        );
        out.extend(
            self.verifiers
                .iter()
                .map(|(k, a)| (format!("verifier:{k}"), *a)),
        );
        if let Some(l) = &self.ledger {
            out.push(("ledger:proverRegistry".to_string(), l.prover_registry));
            out.push(("ledger:taskLedger".to_string(), l.ledger));
            out.push(("ledger:router".to_string(), l.router));
            if let Some(rollup) = l.rollup {
                out.push(("ledger:rollup".to_string(), rollup));
            }
            out.extend(
                l.mechanisms
                    .iter()
                    .map(|(k, a)| (format!("ledger:mechanism:{k}"), *a)),
            );
        }
        out
    }

    /// A placeholder deployment on anvil's chain id, for tests of config handling.
    pub fn example() -> Self {
        Self {
            chain_id: 31337,
            deployed_block: 0,
            token: Address::repeat_byte(1),
            prover_registry: Address::repeat_byte(2),
            task_registry: Address::repeat_byte(3),
            verifier_registry: Address::repeat_byte(4),
            router: None,
            rollup: None,
            sequencer_set: None,
            mechanisms: BTreeMap::new(),
            verifiers: BTreeMap::new(),
            ledger: None,
        }
    }
}
