//! How the sequencer's blocks are proven: which mechanism each root task goes through.
//!
//! The Rollup opens every block's root task with the QoS profile in its config, through the
//! MechanismRouter when one is configured. A sequencer states what it wants in one of two ways:
//!
//! - **pinned** (`mechanism = "sealed-bid"`): the Rollup opens the task on that instance directly
//!   in the TaskRegistry, bypassing the router: ≈ 99k less gas per block than a pinned route through
//!   the router, and the Rollup (the requester) is told of the proof in the same transaction, so
//!   the block's state root advances without a separate `finalize`. The price is that the router
//!   does not learn from these tasks' outcomes;
//! - **QoS** (`qos = "rollup-block"` or `qos = "speed=7,cost=5,safety=8,censorship=8"`): the router
//!   scores every instance by its declared profile blended with what it has delivered, and opens the
//!   task on the best; the event carries every instance's score and skip reason.
//!
//! The route lives in the Rollup's config, which only its `CONFIG_ADMIN_ROLE` may change: a
//! sequencer holding the role (the devnet's) applies its route at start-up; one that does not gets a
//! clear error when its stated route differs from the chain's, instead of silently proving elsewhere.
//!
//! Tree assignment needs the block's shape in the task (`mechanismData = abi.encode(txCount,
//! rangeSize)`); the Rollup passes one fixed `mechanismData` for every block, so the route sets it
//! from the sequencer's block size and the tree only fits blocks cut at exactly that size (the
//! devnet's). The router skips the tree when the data is absent.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use alloy::primitives::{Address, Bytes, U256};
use alloy::sol_types::SolValue;
use proofmarket_bindings::Rollup;
use proofmarket_bindings::mechanism_router::IRouterInstances;
use proofmarket_bindings::rollup::IRollup;

use crate::chain::ChainProvider;
use crate::chain::addresses::{Addresses, LedgerAddresses};
use crate::chain::revert::describe_contract_error;

/// A route that cannot be parsed or applied.
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    #[error(
        "[Q001] unknown QoS profile {0:?}: use a persona (arbitrage, daily-rollup, cost-sensitive, rollup-block) or speed=…,cost=…,safety=…,censorship=… with weights 0–10"
    )]
    BadProfile(String),
    #[error("[Q002] no mechanism instance named {name:?} in the deployment (known: {known})")]
    UnknownMechanism { name: String, known: String },
    #[error("[Q003] the deployment has no MechanismRouter, so blocks cannot be routed by QoS")]
    NoRouter,
    #[error(
        "[Q004] the Rollup proves through {actual} but this sequencer asks for {wanted}, and {account} lacks the Rollup's CONFIG_ADMIN_ROLE to change it"
    )]
    NotConfigAdmin {
        account: Address,
        actual: String,
        wanted: String,
    },
    #[error("[Q005] {step} failed: {reason}")]
    Chain { step: &'static str, reason: String },
    #[error(
        "[Q006] --mechanism {name} on the ledger: no ledger prover strategy serves it yet (its tasks are a block's proof ranges), so its blocks would go unproven and be pruned"
    )]
    UnservedOnLedger { name: String },
}

/// Weights a requester states (each 0–10), as the router's `QoSProfile`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QosWeights {
    pub speed: u8,
    pub cost: u8,
    pub safety: u8,
    pub censorship: u8,
}

/// The four personas of DESIGN.md §6, by name.
pub const PERSONAS: [(&str, QosWeights); 4] = [
    (
        "arbitrage",
        QosWeights {
            speed: 10,
            cost: 3,
            safety: 1,
            censorship: 1,
        },
    ),
    (
        "daily-rollup",
        QosWeights {
            speed: 3,
            cost: 2,
            safety: 10,
            censorship: 1,
        },
    ),
    (
        "cost-sensitive",
        QosWeights {
            speed: 2,
            cost: 10,
            safety: 3,
            censorship: 1,
        },
    ),
    (
        "rollup-block",
        QosWeights {
            speed: 7,
            cost: 5,
            safety: 8,
            censorship: 8,
        },
    ),
];

impl QosWeights {
    /// The persona's name, when these are one persona's weights.
    pub fn persona(&self) -> Option<&'static str> {
        PERSONAS
            .iter()
            .find(|(_, w)| w == self)
            .map(|(name, _)| *name)
    }
}

impl fmt::Display for QosWeights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let weights = format!(
            "speed={},cost={},safety={},censorship={}",
            self.speed, self.cost, self.safety, self.censorship
        );
        match self.persona() {
            Some(name) => write!(f, "{name} ({weights})"),
            None => f.write_str(&weights),
        }
    }
}

impl FromStr for QosWeights {
    type Err = RouteError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if let Some((_, weights)) = PERSONAS.iter().find(|(name, _)| *name == s) {
            return Ok(*weights);
        }
        let bad = || RouteError::BadProfile(s.to_string());
        let mut weights = [None::<u8>; 4];
        for part in s.split(',') {
            let (key, value) = part.split_once('=').ok_or_else(bad)?;
            let slot = match key.trim() {
                "speed" => 0,
                "cost" => 1,
                "safety" => 2,
                "censorship" => 3,
                _ => return Err(bad()),
            };
            let value: u8 = value.trim().parse().map_err(|_| bad())?;
            if value > 10 || weights[slot].replace(value).is_some() {
                return Err(bad());
            }
        }
        match weights {
            [Some(speed), Some(cost), Some(safety), Some(censorship)] => Ok(Self {
                speed,
                cost,
                safety,
                censorship,
            }),
            _ => Err(bad()),
        }
    }
}

/// The market a route names instances of and routes through: the stored one's instances and
/// MechanismRouter, or the one-word ledger's (a `LedgerRollup`; its config has the same ABI).
#[derive(Clone, Copy, Debug)]
pub struct Market<'a> {
    /// Instances by name.
    pub mechanisms: &'a BTreeMap<String, Address>,
    /// The router (`None`: the deployment has none, so QoS routes are refused).
    pub router: Option<Address>,
    /// Whether routed requests carry the block's tree shape, which makes the tree eligible (the
    /// router skips an instance whose data is missing).
    pub tree_data: bool,
}

impl<'a> Market<'a> {
    /// The stored market of a deployment.
    pub fn stored(addresses: &'a Addresses) -> Self {
        Self {
            mechanisms: &addresses.mechanisms,
            router: addresses.router,
            tree_data: true,
        }
    }

    /// The one-word ledger's market.
    pub fn ledger(ledger: &'a LedgerAddresses) -> Self {
        Self {
            mechanisms: &ledger.mechanisms,
            router: Some(ledger.router),
            tree_data: true,
        }
    }

    /// This market with its tree kept out of routing: routed requests carry no tree shape, so the
    /// router skips the tree (`MissingData`). For provers that do not serve the tree (the ledger's).
    pub fn without_tree(self) -> Self {
        Self {
            tree_data: false,
            ..self
        }
    }
}

/// `IMechanism.Profile.kind` of the tree assignment.
const TREE_KIND: u8 = 6;

/// What a sequencer asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProvingRoute {
    /// Through the router, pinned to the named instance of the deployment.
    Pinned(String),
    /// Through the router, chosen by these weights.
    Qos(QosWeights),
}

impl fmt::Display for ProvingRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pinned(name) => write!(f, "pinned to {name}"),
            Self::Qos(weights) => write!(f, "QoS {weights}"),
        }
    }
}

/// The Rollup config that carries `route` out, from the current one. `block_txs` sets the tree's
/// shape (`rangeSize` = half a block, the cheapest tree with an uncle pair; docs/mechanisms.md).
pub fn config_for(
    current: &IRollup::Config,
    market: &Market<'_>,
    route: &ProvingRoute,
    block_txs: usize,
) -> Result<IRollup::Config, RouteError> {
    let mut config = current.clone();
    let block_txs = u32::try_from(block_txs.max(1)).unwrap_or(u32::MAX);
    let range_size = block_txs.div_ceil(2);
    match route {
        ProvingRoute::Pinned(name) => {
            config.router = Address::ZERO;
            config.mechanism =
                *market
                    .mechanisms
                    .get(name)
                    .ok_or_else(|| RouteError::UnknownMechanism {
                        name: name.clone(),
                        known: market
                            .mechanisms
                            .keys()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", "),
                    })?;
            config.mechanismData = if name == "tree" {
                Bytes::from((block_txs, range_size).abi_encode())
            } else {
                Bytes::new()
            };
        }
        ProvingRoute::Qos(weights) => {
            config.router = market.router.ok_or(RouteError::NoRouter)?;
            config.mechanism = Address::ZERO;
            config.qos.speedWeight = weights.speed;
            config.qos.costWeight = weights.cost;
            config.qos.safetyWeight = weights.safety;
            config.qos.censorshipWeight = weights.censorship;
            // Every request carries the tree's shape, so the router may consider it (it skips
            // instances whose data is missing); routed data is `abi.encode(KindData[])`, one entry
            // per mechanism kind, forwarded to whichever instance wins. Without it (a market whose
            // tree nobody serves) the data is empty and the router skips the tree.
            config.mechanismData = if market.tree_data {
                let tree = IRouterInstances::KindData {
                    kind: TREE_KIND,
                    data: Bytes::from((block_txs, range_size).abi_encode()),
                };
                Bytes::from(vec![tree].abi_encode())
            } else {
                Bytes::new()
            };
        }
    }
    config.qos.minRedundancy = config.qos.minRedundancy.min(config.redundancy);
    Ok(config)
}

/// Names a config's route for messages: `pinned to race (direct)`, `QoS … (through the router)`.
pub fn describe(config: &IRollup::Config, market: &Market<'_>) -> String {
    let name = |address: Address| {
        market
            .mechanisms
            .iter()
            .find(|(_, a)| **a == address)
            .map(|(n, _)| n.clone())
            .unwrap_or_else(|| address.to_string())
    };
    let weights = QosWeights {
        speed: config.qos.speedWeight,
        cost: config.qos.costWeight,
        safety: config.qos.safetyWeight,
        censorship: config.qos.censorshipWeight,
    };
    match (config.router.is_zero(), config.mechanism.is_zero()) {
        (true, _) => format!("pinned to {} (direct)", name(config.mechanism)),
        (false, false) => format!("pinned to {} (through the router)", name(config.mechanism)),
        (false, true) => format!("QoS {weights} (through the router)"),
    }
}

fn chain_err(step: &'static str, e: &alloy::contract::Error) -> RouteError {
    RouteError::Chain {
        step,
        reason: describe_contract_error(e),
    }
}

/// Makes the Rollup prove blocks along `route`: does nothing when it already does, sets the config
/// when `account` holds the config role, and fails with [`RouteError::NotConfigAdmin`] otherwise.
/// Returns a description of the route in force.
pub async fn apply(
    provider: &ChainProvider,
    rollup: Address,
    account: Address,
    market: &Market<'_>,
    route: &ProvingRoute,
    block_txs: usize,
) -> Result<String, RouteError> {
    let contract = Rollup::new(rollup, provider);
    let current = contract
        .config()
        .call()
        .await
        .map_err(|e| chain_err("Rollup.config", &e))?;
    let wanted = config_for(&current, market, route, block_txs)?;
    if wanted == current {
        return Ok(describe(&current, market));
    }
    let role = contract
        .CONFIG_ADMIN_ROLE()
        .call()
        .await
        .map_err(|e| chain_err("Rollup.CONFIG_ADMIN_ROLE", &e))?;
    let is_admin = contract
        .hasRole(role, account)
        .call()
        .await
        .map_err(|e| chain_err("Rollup.hasRole", &e))?;
    if !is_admin {
        return Err(RouteError::NotConfigAdmin {
            account,
            actual: describe(&current, market),
            wanted: route.to_string(),
        });
    }
    let receipt = contract
        .setConfig(wanted.clone())
        .send()
        .await
        .map_err(|e| chain_err("Rollup.setConfig", &e))?
        .get_receipt()
        .await
        .map_err(|e| RouteError::Chain {
            step: "Rollup.setConfig",
            reason: e.to_string(),
        })?;
    if !receipt.status() {
        return Err(RouteError::Chain {
            step: "Rollup.setConfig",
            reason: format!("reverted in {}", receipt.transaction_hash),
        });
    }
    Ok(describe(&wanted, market))
}

/// Why the router opened `task` where it did, from its `TaskRouted` event: `pinned`, or the winning
/// score against the runner-up (scores in points, as docs/mechanisms.md tabulates them).
pub fn explain_routing(pinned: bool, chosen: usize, scores: &[U256], names: &[String]) -> String {
    if pinned {
        return "pinned by the sequencer".to_string();
    }
    let points = |s: &U256| s.to::<u128>() as f64 / 1000.0;
    let name = |i: usize| names.get(i).cloned().unwrap_or_else(|| format!("#{i}"));
    let runner_up = scores
        .iter()
        .enumerate()
        .filter(|(i, s)| *i != chosen && !s.is_zero())
        .max_by_key(|(_, s)| **s);
    match (scores.get(chosen), runner_up) {
        (Some(best), Some((i, second))) => format!(
            "router: best QoS score {:.0} vs {} {:.0}",
            points(best),
            name(i),
            points(second)
        ),
        (Some(best), None) => format!("router: only eligible instance ({:.0})", points(best)),
        (None, _) => "router".to_string(),
    }
}

/// The instances a routed request skipped, by `TaskRouted.reasons` (`IRouterInstances.SkipReason`
/// per instance id): `tree (missing data), …`; `None` when none was skipped (or it was pinned).
pub fn explain_skips(reasons: &[u8], names: &[String]) -> Option<String> {
    const REASONS: [&str; 7] = [
        "none",
        "retired",
        "redundancy",
        "stake at risk",
        "lead time",
        "price per proof",
        "missing data",
    ];
    let skipped: Vec<String> = reasons
        .iter()
        .enumerate()
        .filter(|(_, r)| **r != 0)
        .map(|(i, r)| {
            let name = names.get(i).cloned().unwrap_or_else(|| format!("#{i}"));
            let why = REASONS.get(usize::from(*r)).copied().unwrap_or("unknown");
            format!("{name} ({why})")
        })
        .collect();
    (!skipped.is_empty()).then(|| skipped.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personas_and_weights_parse() {
        let w: QosWeights = "rollup-block".parse().unwrap();
        assert_eq!((w.speed, w.cost, w.safety, w.censorship), (7, 5, 8, 8));
        let w: QosWeights = "cost=10, speed=2,safety=3,censorship=1".parse().unwrap();
        assert_eq!(w.persona(), Some("cost-sensitive"));
        assert_eq!(
            w.to_string(),
            "cost-sensitive (speed=2,cost=10,safety=3,censorship=1)"
        );
        for bad in [
            "fastest",
            "speed=11,cost=1,safety=1,censorship=1",
            "speed=1,cost=1,safety=1",
            "speed=1,speed=2,cost=1,safety=1,censorship=1",
            "speed=x,cost=1,safety=1,censorship=1",
            "",
        ] {
            assert!(
                matches!(bad.parse::<QosWeights>(), Err(RouteError::BadProfile(_))),
                "{bad:?} is refused"
            );
        }
    }

    #[test]
    fn skipped_instances_are_named_with_their_reason() {
        let names: Vec<String> = ["race", "sealed-bid", "tree"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            explain_skips(&[0, 4, 6], &names).as_deref(),
            Some("sealed-bid (lead time), tree (missing data)")
        );
        assert_eq!(explain_skips(&[0, 0, 0], &names), None);
        assert_eq!(explain_skips(&[], &names), None);
    }

    #[test]
    fn routing_is_explained_by_the_runner_up() {
        let names: Vec<String> = ["race", "sealed-bid", "tree"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let scores = [U256::from(179_000u64), U256::ZERO, U256::from(212_000u64)];
        assert_eq!(
            explain_routing(false, 2, &scores, &names),
            "router: best QoS score 212 vs race 179"
        );
        assert_eq!(
            explain_routing(true, 0, &[], &names),
            "pinned by the sequencer"
        );
        assert_eq!(
            explain_routing(false, 0, &scores[..1], &names),
            "router: only eligible instance (179)"
        );
    }
}
