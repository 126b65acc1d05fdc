//! `proofmarket devnet --ledger`: the devnet on the one-word market. The deployment adds the
//! `TaskLedger`, its instances, the `LedgerMechanismRouter` and a `LedgerRollup`; the sequencer posts
//! to the LedgerRollup (its root tasks rebuilt from the ledger's logs at prune time,
//! [`RootTasks::Ledger`]) and routes over the ledger's instances ([`route::Market::ledger`]); the
//! provers are `--provers` [`LedgerProverService`]s (the `proofmarket prover --ledger` service), each
//! staking in the ledger's own ProverRegistry and supervised as the binary supervises it. The
//! summary is read back from the ledger's, its router's and the LedgerRollup's events
//! ([`super::ledger_summary`]).

use std::path::Path;
use std::time::{Duration, Instant};

use alloy::primitives::Address;
use eyre::WrapErr;
use proofmarket_bindings::ProverRegistry;

use super::ledger_summary::{LedgerDevnetSummary, collect};
use super::shared::{
    Deployed, ProversReady, RunningProver, RunningSequencer, TempDir, deploy_devnet,
    devnet_strategies, drive, prepare_keys, prover_settings, start_anvil, stop_anvil, stop_provers,
};
use super::{DevnetArgs, DevnetError, validate};
use crate::chain::addresses::LedgerAddresses;
use crate::chain::{ChainProvider, connect};
use crate::deploy::LEDGER_INSTANCES;
use crate::ledger::service::LedgerProverService;
use crate::sequencer::l1::RootTasks;
use crate::sequencer::route;
use crate::store::Store;
use crate::supervisor::{Outcome, Supervisor};

/// The ledger instance no prover strategy serves yet (as `LedgerProverService` leaves it out).
const UNSERVED: &str = "tree";

/// Refuses a route the ledger devnet's provers cannot serve: the tree pinned.
fn check_ledger_route(args: &DevnetArgs) -> Result<(), DevnetError> {
    match args.mechanism.as_deref() {
        Some(name) if name == UNSERVED && args.qos.is_none() => {
            Err(DevnetError::UnservedOnLedger {
                name: name.to_string(),
                reason: "the ledger tree has no prover strategy yet",
                served: LEDGER_INSTANCES
                    .iter()
                    .filter(|n| **n != UNSERVED)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", "),
            })
        }
        _ => Ok(()),
    }
}

/// Runs the devnet on the one-word market and returns what happened (the command prints it; tests
/// assert on it).
pub async fn run_ledger_devnet(args: &DevnetArgs) -> eyre::Result<LedgerDevnetSummary> {
    validate(args)?;
    check_ledger_route(args)?;
    let route = args.route()?;
    let started = Instant::now();
    let anvil = start_anvil()?;
    let endpoint = anvil.endpoint();
    let dir = TempDir::new().wrap_err("cannot create the devnet's temporary directory")?;
    tracing::info!(rpc = %endpoint, dir = %dir.path().display(), "anvil started");

    let deployed = deploy_devnet(&anvil, args.provers, true).await?;
    let market = deployed
        .addresses
        .ledger
        .clone()
        .ok_or_else(|| eyre::eyre!("the devnet deployment has no one-word market"))?;
    let rollup = market
        .rollup
        .ok_or_else(|| eyre::eyre!("the devnet deployment has no LedgerRollup"))?;
    tracing::info!(%rollup, ledger = %market.ledger, "contracts deployed (one-word market)");
    let route = route::apply(
        &deployed.admin,
        rollup,
        deployed.deployer.address(),
        // No ledger prover serves the tree yet, so routed blocks leave it out.
        &route::Market::ledger(&market).without_tree(),
        &route,
        args.txs_per_block,
    )
    .await?;
    tracing::info!(%route, "ledger blocks are proven");

    let result = run_deployed(args, &endpoint, dir.path(), &deployed, &market, started).await;
    stop_anvil(deployed.admin, anvil).await;
    result
}

async fn run_deployed(
    args: &DevnetArgs,
    endpoint: &str,
    dir: &Path,
    deployed: &Deployed,
    market: &LedgerAddresses,
    started: Instant,
) -> eyre::Result<LedgerDevnetSummary> {
    let (admin, addresses) = (&deployed.admin, &deployed.addresses);
    let rollup = market
        .rollup
        .ok_or_else(|| eyre::eyre!("the devnet deployment has no LedgerRollup"))?;
    let sequencer = RunningSequencer::start(
        dir,
        admin,
        deployed.deployer.clone(),
        addresses,
        rollup,
        RootTasks::Ledger {
            ledger: market.ledger,
            from_block: addresses.deployed_block,
        },
        args.txs_per_block,
    )
    .await?;
    let key_dir = prepare_keys().await?;

    // The provers: `proofmarket prover --ledger`'s service each, under a supervisor of its own that
    // restarts a failed life with backoff (as the binary's does).
    let mut provers: Vec<RunningProver<Outcome>> = Vec::new();
    let mut stops = Vec::new();
    for (i, key) in deployed.prover_keys.iter().enumerate() {
        let provider = connect(endpoint, Some(key.clone())).await?;
        let store = Store::open(&dir.join(format!("ledger-prover-{}.db", i + 1)))?;
        let service = LedgerProverService::new(
            provider,
            key.clone(),
            addresses.clone(),
            store,
            prover_settings(&sequencer.url, &key_dir),
            devnet_strategies(args.txs_per_block),
        )?;
        let mut supervisor = Supervisor::new()
            .without_signals()
            .grace(Duration::from_secs(5));
        stops.push(supervisor.shutdown_token());
        supervisor.spawn(service);
        tracing::info!(prover = i + 1, address = %key.address(), "ledger prover started");
        provers.push(RunningProver {
            address: key.address(),
            handle: tokio::spawn(supervisor.run()),
        });
    }
    let proving_started = Instant::now();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(args.timeout);
    let ready = LedgerReady {
        admin,
        registry: market.prover_registry,
        provers: provers.iter().map(|p| p.address).collect(),
    };
    let outcome = drive(args, admin, rollup, &sequencer, &provers, &ready, deadline).await;
    let proving_wall = proving_started.elapsed();

    // Stop everything we started, whatever happened.
    for stop in stops {
        stop.cancel();
    }
    let seq_store = sequencer.store.clone();
    sequencer.stop().await;
    stop_provers(provers).await;

    collect(
        admin,
        addresses,
        &seq_store,
        &outcome?,
        &ready.provers,
        proving_wall,
        started,
    )
    .await
}

/// Every prover is registered in the ledger's ProverRegistry (the ledger race needs a registered
/// prover; the auctions lock stake there).
struct LedgerReady<'a> {
    admin: &'a ChainProvider,
    registry: Address,
    provers: Vec<Address>,
}

impl ProversReady for LedgerReady<'_> {
    async fn ready(&self) -> eyre::Result<bool> {
        let registry = ProverRegistry::new(self.registry, self.admin);
        for prover in &self.provers {
            if !registry
                .isRegistered(*prover)
                .call()
                .await
                .wrap_err("ProverRegistry.isRegistered (the ledger's)")?
            {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tree_is_refused_by_name_on_the_ledger() {
        let args = DevnetArgs {
            mechanism: Some("tree".into()),
            ledger: true,
            ..DevnetArgs::default()
        };
        let error = check_ledger_route(&args).unwrap_err().to_string();
        assert!(error.starts_with("[V007] --mechanism tree cannot run with --ledger"));
        assert!(
            error.ends_with("race, sealed-bid, ascending, election-race, order-book"),
            "{error}"
        );
        for name in ["race", "ascending", "order-book"] {
            let args = DevnetArgs {
                mechanism: Some(name.into()),
                ..args.clone()
            };
            assert!(check_ledger_route(&args).is_ok(), "{name}");
        }
    }
}
