//! The one-word task market in `proofmarket status`: each instance behind the `LedgerMechanismRouter`
//! with its declared profile and what it has delivered (the statistics the ledger's outcome reports
//! feed), and where each QoS persona of DESIGN.md §6 would be routed now — the market of mechanisms at
//! a glance, and how its choices move as delivered QoS changes.

use alloy::primitives::{Address, Bytes, U256, Uint};
use proofmarket_bindings::LedgerMechanismRouter;
use serde::Serialize;

use super::err;
use crate::chain::ChainProvider;
use crate::chain::addresses::LedgerAddresses;
use crate::sequencer::route::PERSONAS;

/// The request the persona quotes are made for: a one-proof task of 100 tokens due in two hours (long
/// enough for every instance's lead time on L1 windows), for circuit id 0.
const QUOTE_BUDGET_TOKENS: u128 = 100;
const QUOTE_LEAD_SECS: u64 = 2 * 3600;

/// One router instance.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LedgerInstanceView {
    pub id: u64,
    /// Its name in the addresses file (`race`, `sealed-bid`, …), or its address.
    pub name: String,
    pub active: bool,
    pub kind: u8,
    /// Declared (speed, cost, safety, censorship resistance), 0–10.
    pub declared: [u8; 4],
    /// Routed tasks that ended, and how many were fulfilled.
    pub outcomes: u32,
    pub fulfilled: u32,
    /// Delivered EWMAs in basis points: latency (of the task's window), price (of the budget), failures.
    pub latency_bps: u16,
    pub price_bps: u16,
    pub fail_bps: u16,
}

/// Where a persona would be routed now.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PersonaRoute {
    pub persona: String,
    /// The chosen instance's name; `none` when no instance is eligible.
    pub instance: String,
    /// Its score.
    pub score: U256,
}

/// The ledger market's part of the status.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LedgerView {
    pub instances: Vec<LedgerInstanceView>,
    pub personas: Vec<PersonaRoute>,
}

fn instance_name(ledger: &LedgerAddresses, mechanism: Address) -> String {
    ledger
        .mechanisms
        .iter()
        .find(|(_, a)| **a == mechanism)
        .map_or_else(|| mechanism.to_string(), |(name, _)| name.clone())
}

/// Reads the router's instances and quotes every persona at the chain time `now`.
pub async fn collect(
    provider: &ChainProvider,
    ledger: &LedgerAddresses,
    now: u64,
) -> eyre::Result<LedgerView> {
    let router = LedgerMechanismRouter::new(ledger.router, provider);
    let count = router
        .instanceCount()
        .call()
        .await
        .map_err(|e| err("LedgerMechanismRouter.instanceCount", &e))?
        .to::<u64>();
    let mut instances = Vec::new();
    for id in 0..count {
        let i = router
            .instanceOf(U256::from(id))
            .call()
            .await
            .map_err(|e| err("LedgerMechanismRouter.instanceOf", &e))?;
        let s = router
            .statsOf(U256::from(id))
            .call()
            .await
            .map_err(|e| err("LedgerMechanismRouter.statsOf", &e))?;
        instances.push(LedgerInstanceView {
            id,
            name: instance_name(ledger, i.mechanism),
            active: i.active,
            kind: i.kind,
            declared: [i.speed, i.cost, i.safety, i.censorshipResistance],
            outcomes: s.count,
            fulfilled: s.fulfilled,
            latency_bps: s.latencyBps,
            price_bps: s.priceBps,
            fail_bps: s.failBps,
        });
    }
    let request = LedgerMechanismRouter::LedgerRequest {
        circuitId: Default::default(),
        inputCommitment: Default::default(),
        deadline: now + QUOTE_LEAD_SECS,
        maxPayment: Uint::from(QUOTE_BUDGET_TOKENS * crate::deploy::TOKEN),
        redundancy: 1,
        mechanism: Address::ZERO,
        notifyRequester: false,
        fallbackMechanism: Address::ZERO,
        fallbackWindow: 0,
        minCollateral: Uint::ZERO,
        mechanismData: Bytes::new(),
    };
    let mut personas = Vec::new();
    for (persona, w) in PERSONAS {
        let qos = LedgerMechanismRouter::QoSProfile {
            speedWeight: w.speed,
            costWeight: w.cost,
            safetyWeight: w.safety,
            censorshipWeight: w.censorship,
            minRedundancy: 1,
            minStakeAtRisk: Uint::ZERO,
        };
        let q = router
            .quote(request.clone(), qos)
            .call()
            .await
            .map_err(|e| err("LedgerMechanismRouter.quote", &e))?;
        let chosen = usize::try_from(q.instanceId)
            .ok()
            .and_then(|id| instances.get(id));
        personas.push(PersonaRoute {
            persona: persona.to_string(),
            instance: chosen.map_or_else(|| "none".to_string(), |i| i.name.clone()),
            score: chosen
                .and_then(|i| q.scores.get(i.id as usize).copied())
                .unwrap_or_default(),
        });
    }
    Ok(LedgerView {
        instances,
        personas,
    })
}

/// Appends the human-readable section.
pub fn render(out: &mut String, view: &LedgerView) {
    use std::fmt::Write as _;
    let _ = writeln!(out, "\nledger router ({} instances)", view.instances.len());
    let _ = writeln!(
        out,
        "  {:>3} {:<14} {:>4} {:<11} {:>8} {:>9} {:>8} {:>8} {:>8}",
        "id", "instance", "kind", "declared", "outcomes", "fulfilled", "latency", "price", "fail"
    );
    for i in &view.instances {
        let [speed, cost, safety, censorship] = i.declared;
        let _ = writeln!(
            out,
            "  {:>3} {:<14} {:>4} {:<11} {:>8} {:>9} {:>7}% {:>7}% {:>7}%{}",
            i.id,
            i.name,
            i.kind,
            format!("{speed}/{cost}/{safety}/{censorship}"),
            i.outcomes,
            i.fulfilled,
            i.latency_bps / 100,
            i.price_bps / 100,
            i.fail_bps / 100,
            if i.active { "" } else { " (retired)" }
        );
    }
    let _ = writeln!(
        out,
        "  personas now (a {QUOTE_BUDGET_TOKENS}-token proof due in {} h):",
        QUOTE_LEAD_SECS / 3600
    );
    for p in &view.personas {
        let _ = writeln!(
            out,
            "    {:<15} -> {} (score {})",
            p.persona, p.instance, p.score
        );
    }
}
