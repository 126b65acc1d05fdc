//! The chain side of the election and tree strategies: decoding their mechanisms' logs into strategy
//! events, and carrying out their actions (draws, slashes, range jobs, the tree-aware root proof).
//! The decisions themselves are pure and live in `policy/`; the service loop only dispatches here.

pub mod election;
pub mod tree;

use alloy::eips::BlockNumberOrTag;
use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::Log;

use super::error::ProverError;
use super::policy::election::ElectionConfig;
use super::policy::tree::TreeConfig;
use super::strategy::{Event, TaskId};
use crate::chain::ChainProvider;
use crate::chain::addresses::Addresses;

/// Deployment names of the instances these strategies follow (as `deploy` and the forge script
/// name them).
pub const ELECTION: &str = "election-race";
/// The tree assignment instance's name.
pub const TREE: &str = "tree";

/// How this prover takes part in elections and trees (`[prover.election]`, `[prover.tree]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct MechanismSettings {
    /// Election behaviour.
    pub election: ElectionConfig,
    /// Tree behaviour.
    pub tree: TreeConfig,
    /// Bond to keep in the tree's pool (token base units); zero: do not join (never drawn).
    pub tree_pool_bond: U256,
}

/// `[strategy.tree]` in the prover config.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TreeSection {
    /// Call `draw` once the seed block is past (default true).
    pub draw: bool,
    /// Cover a sibling's silent range when it pays (default true).
    pub cover: bool,
    /// Bond kept in the tree's pool, token base units as a decimal string (default "0": do not join).
    pub pool_bond: String,
}

impl Default for TreeSection {
    fn default() -> Self {
        let config = TreeConfig::default();
        Self {
            draw: config.draw,
            cover: config.cover,
            pool_bond: "0".into(),
        }
    }
}

impl MechanismSettings {
    /// The settings `[strategy.election]` and `[strategy.tree]` describe.
    pub fn from_config(election: ElectionConfig, tree: &TreeSection) -> Result<Self, ProverError> {
        let tree_pool_bond = tree.pool_bond.trim().parse::<U256>().map_err(|e| {
            ProverError::Config(format!(
                "[strategy.tree].pool_bond {:?}: {e}",
                tree.pool_bond
            ))
        })?;
        Ok(Self {
            election,
            tree: TreeConfig {
                draw: tree.draw,
                cover: tree.cover,
            },
            tree_pool_bond,
        })
    }
}

/// The RLP encoding of block `number`'s header, checked against the block's hash: what the
/// election and tree draws carry so that the contract can read the block's prevrandao.
pub async fn header_rlp(provider: &ChainProvider, number: u64) -> Result<Vec<u8>, ProverError> {
    let block = provider
        .get_block_by_number(BlockNumberOrTag::Number(number))
        .await
        .map_err(|e| chain_err("target block", e))?
        .ok_or_else(|| ProverError::Chain(format!("block {number} not found")))?;
    let header = &block.header;
    let rlp = alloy::rlp::encode(&header.inner);
    let hash = alloy::primitives::keccak256(&rlp);
    if hash != header.hash {
        return Err(ProverError::Chain(format!(
            "block {number}: RLP header hashes to {hash}, the node reports {}",
            header.hash
        )));
    }
    Ok(rlp)
}

/// The mechanism contracts whose logs the prover must follow besides the registry and rollup.
pub fn log_sources(addresses: &Addresses) -> Vec<Address> {
    [ELECTION, TREE]
        .iter()
        .filter_map(|name| addresses.mechanisms.get(*name).copied())
        .collect()
}

/// The election and tree logs a restarted prover replays from before its cursor (with the rollup's
/// and registry's data-carrying logs): what was drawn, to whom, and which ranges are settled.
pub fn resume_topics() -> Vec<B256> {
    use alloy::sol_types::SolEvent;
    use proofmarket_bindings::{ElectionRace, TreeAssignment};
    vec![
        ElectionRace::DrawScheduled::SIGNATURE_HASH,
        ElectionRace::DrawRetargeted::SIGNATURE_HASH,
        ElectionRace::ElectionDrawn::SIGNATURE_HASH,
        ElectionRace::ElectedSlashed::SIGNATURE_HASH,
        TreeAssignment::TreeOpened::SIGNATURE_HASH,
        TreeAssignment::DrawReanchored::SIGNATURE_HASH,
        TreeAssignment::RangeDrawn::SIGNATURE_HASH,
        TreeAssignment::TreeDrawn::SIGNATURE_HASH,
        TreeAssignment::RangeAttested::SIGNATURE_HASH,
        TreeAssignment::RangeCovered::SIGNATURE_HASH,
    ]
}

/// The task of a replayed election or tree event (`None` for other events).
pub fn event_task(event: &Event) -> Option<TaskId> {
    match event {
        Event::Election(e) => Some(e.task_id()),
        Event::Tree(e) => Some(e.task_id()),
        _ => None,
    }
}

/// The strategy event of an election or tree log (`None` for any other log).
pub async fn decode_log(
    provider: &ChainProvider,
    addresses: &Addresses,
    log: &Log,
) -> Result<Option<Event>, ProverError> {
    let from = log.address();
    if addresses.mechanisms.get(ELECTION) == Some(&from) {
        return Ok(election::decode(log).map(Event::Election));
    }
    if addresses.mechanisms.get(TREE) == Some(&from) {
        return Ok(tree::decode(provider, addresses.task_registry, log)
            .await?
            .map(Event::Tree));
    }
    Ok(None)
}

fn chain_err(context: &str, e: impl std::fmt::Display) -> ProverError {
    ProverError::Chain(format!("{context}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_sections_parse_with_defaults() {
        let tree: TreeSection =
            toml::from_str("pool_bond = \"40000000000000000000\"\ncover = false")
                .expect("tree section");
        let election: ElectionConfig = toml::from_str("open_race = false").expect("election");
        let settings = MechanismSettings::from_config(election, &tree).expect("settings");
        assert_eq!(
            settings.tree_pool_bond,
            U256::from(40u64) * U256::from(10u64).pow(U256::from(18u64))
        );
        assert!(settings.tree.draw && !settings.tree.cover);
        assert!(settings.election.draw && !settings.election.open_race);
        assert_eq!(
            MechanismSettings::from_config(ElectionConfig::default(), &TreeSection::default())
                .expect("defaults"),
            MechanismSettings::default()
        );
        assert!(
            toml::from_str::<TreeSection>("bond = 1").is_err(),
            "unknown keys refused"
        );
        let bad = TreeSection {
            pool_bond: "forty".into(),
            ..TreeSection::default()
        };
        assert!(MechanismSettings::from_config(ElectionConfig::default(), &bad).is_err());
    }
}
