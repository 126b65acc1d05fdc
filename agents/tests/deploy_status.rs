//! `proofmarket deploy` and `proofmarket status` against an anvil spawned by the test: every contract
//! deploys from the forge artifacts, the startup checks catch a wrong chain id and an address without
//! code, and status reads the fresh deployment. With `--ledger`, the one-word task market deploys
//! beside the stored one, wired as the forge suites wire it, and status shows where each QoS persona
//! would be routed.

use std::path::PathBuf;

use alloy::node_bindings::{Anvil, AnvilInstance};
use alloy::primitives::Address;
use alloy::signers::local::PrivateKeySigner;
use proofmarket::chain::addresses::Addresses;
use proofmarket::chain::{ChainError, check_chain_id, check_deployed, connect};
use proofmarket::deploy::{DeployParams, deploy};

fn anvil() -> AnvilInstance {
    let repo_anvil = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
    let launcher = if repo_anvil.exists() {
        Anvil::at(repo_anvil)
    } else {
        Anvil::new()
    };
    launcher
        .try_spawn()
        .expect("anvil (from node_modules or PATH) must start")
}

#[tokio::test]
async fn deploy_then_status_then_checks() {
    let anvil = anvil();
    let signer: PrivateKeySigner = anvil.keys()[0].clone().into();
    let deployer = signer.address();
    let provider = connect(&anvil.endpoint(), Some(signer))
        .await
        .expect("connect");

    let mut params = DeployParams::devnet(deployer);
    let funded = anvil.addresses()[1];
    params.fund = vec![funded];
    let addresses = deploy(&provider, deployer, &params).await.expect("deploy");

    assert_eq!(addresses.chain_id, anvil.chain_id());
    assert!(
        addresses.rollup.is_some()
            && addresses.router.is_some()
            && addresses.sequencer_set.is_some()
    );
    assert_eq!(
        addresses.mechanisms.keys().collect::<Vec<_>>(),
        [
            "ascending",
            "election-race",
            "order-book",
            "race",
            "sealed-bid",
            "sealed-bid-first",
            "tree"
        ]
    );
    // Every instance is allow-listed, declares its family, and all but the first-price sealed bid
    // sit behind the router in the deploy script's order (ids 0–5).
    let tasks = proofmarket_bindings::TaskRegistry::new(addresses.task_registry, &provider);
    for (name, kind) in [
        ("race", 1u8),
        ("sealed-bid", 2),
        ("sealed-bid-first", 2),
        ("ascending", 3),
        ("election-race", 4),
        ("order-book", 5),
        ("tree", 6),
    ] {
        let mechanism = addresses.mechanisms[name];
        assert!(
            tasks
                .isMechanism(mechanism)
                .call()
                .await
                .expect("isMechanism"),
            "{name} allow-listed"
        );
        let profile = proofmarket_bindings::IMechanism::new(mechanism, &provider)
            .profile()
            .call()
            .await
            .expect("profile");
        assert_eq!(profile.kind, kind, "{name} declares kind {kind}");
    }
    let router =
        proofmarket_bindings::MechanismRouter::new(addresses.router.expect("router"), &provider);
    let routed = [
        "race",
        "sealed-bid",
        "ascending",
        "election-race",
        "order-book",
        "tree",
    ];
    assert_eq!(
        router.instanceCount().call().await.expect("instanceCount"),
        alloy::primitives::U256::from(routed.len())
    );
    for (id, name) in routed.iter().enumerate() {
        let instance = router
            .instanceOf(alloy::primitives::U256::from(id))
            .call()
            .await
            .expect("instanceOf");
        assert_eq!(
            instance.mechanism, addresses.mechanisms[*name],
            "router id {id} is {name}"
        );
    }
    assert_eq!(
        addresses.verifiers.keys().collect::<Vec<_>>(),
        ["base", "merge", "root"]
    );
    check_deployed(&provider, &addresses)
        .await
        .expect("every contract has code");
    check_chain_id(&provider, &anvil.endpoint(), anvil.chain_id())
        .await
        .expect("chain id");

    // The verifier registry answers for every circuit id with the adapter we deployed.
    let registry =
        proofmarket_bindings::VerifierRegistry::new(addresses.verifier_registry, &provider);
    for kind in proofmarket_circuits::circuits::CircuitKind::ALL {
        let verifier = registry
            .verifierOf(kind.id())
            .call()
            .await
            .expect("registered");
        assert_eq!(verifier, addresses.verifiers[kind.name()]);
    }
    // The funded account holds its tokens.
    let token = proofmarket_bindings::ProofToken::new(addresses.token, &provider);
    let balance = token.balanceOf(funded).call().await.expect("balanceOf");
    assert_eq!(balance, params.fund_amount);

    // Status of a fresh deployment: no provers, no tasks, nothing proven, the reward pool funded.
    let status = proofmarket::status::collect(&provider, &addresses, 10)
        .await
        .expect("status");
    assert_eq!(status.task_count, 0);
    assert!(status.provers.is_empty());
    let rollup = status.rollup.clone().expect("rollup view");
    assert_eq!((rollup.proven_block, rollup.pending_block), (0, 0));
    assert_eq!(
        rollup.reward_pool,
        params.rollup.as_ref().expect("rollup").reward_funding
    );
    let text = proofmarket::status::render(&status);
    assert!(text.contains("rollup: last proven block 0"), "{text}");

    // The addresses file round-trips.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("deploy/addresses.json");
    addresses.save(&path).expect("save");
    assert_eq!(Addresses::load(&path).expect("load"), addresses);

    // Startup checks: a wrong chain id and an address without code are named errors.
    let wrong = check_chain_id(&provider, &anvil.endpoint(), 1)
        .await
        .unwrap_err();
    assert!(
        matches!(wrong, ChainError::WrongChainId { expected: 1, .. }),
        "{wrong}"
    );
    assert!(
        wrong.to_string().starts_with("[R003] wrong chain"),
        "{wrong}"
    );
    let mut missing = addresses.clone();
    missing.task_registry = Address::repeat_byte(0x42);
    let err = check_deployed(&provider, &missing).await.unwrap_err();
    assert!(matches!(err, ChainError::NotDeployed { .. }));
    assert!(err.to_string().contains("taskRegistry at 0x4242"), "{err}");
}

#[tokio::test]
async fn deploy_with_the_ledger_market_and_route_the_personas() {
    use alloy::primitives::U256;
    use proofmarket::deploy::{LEDGER_INSTANCES, MechanismParams};

    let anvil = anvil();
    let signer: PrivateKeySigner = anvil.keys()[0].clone().into();
    let deployer = signer.address();
    let provider = connect(&anvil.endpoint(), Some(signer))
        .await
        .expect("connect");
    let mut params = DeployParams::devnet(deployer);
    params.rollup = None;
    params.mechanisms = MechanismParams::l1();
    params.ledger = true;
    let addresses = deploy(&provider, deployer, &params).await.expect("deploy");
    let l = addresses.ledger.clone().expect("ledger market deployed");
    check_deployed(&provider, &addresses)
        .await
        .expect("every contract, the ledger's included, has code");

    // The ledger binds its own registry (a registry binds one task core), which holds the ledger as its
    // task core; the router opens tasks and is told their outcomes; every family is allow-listed.
    let ledger = proofmarket_bindings::TaskLedger::new(l.ledger, &provider);
    assert_eq!(ledger.provers().call().await.unwrap(), l.prover_registry);
    assert_ne!(l.prover_registry, addresses.prover_registry);
    assert_eq!(ledger.router().call().await.unwrap(), l.router);
    let registry = proofmarket_bindings::ProverRegistry::new(l.prover_registry, &provider);
    let core_role = registry.TASK_REGISTRY_ROLE().call().await.unwrap();
    assert!(registry.hasRole(core_role, l.ledger).call().await.unwrap());
    let router_role = ledger.ROUTER_ROLE().call().await.unwrap();
    assert!(ledger.hasRole(router_role, l.router).call().await.unwrap());
    let router = proofmarket_bindings::LedgerMechanismRouter::new(l.router, &provider);
    assert_eq!(
        router.instanceCount().call().await.unwrap(),
        U256::from(LEDGER_INSTANCES.len())
    );
    for (id, name) in LEDGER_INSTANCES.iter().enumerate() {
        let mechanism = l.mechanisms[*name];
        let allowed = ledger.mechanismOf(mechanism).call().await.unwrap();
        assert!(allowed._0, "{name} allow-listed in the ledger");
        let instance = router.instanceOf(U256::from(id)).call().await.unwrap();
        assert_eq!(instance.mechanism, mechanism, "router id {id} is {name}");
        assert_eq!(
            usize::from(instance.kind),
            id + 1,
            "{name} declares kind {}",
            id + 1
        );
    }
    // The election elects at most what one ledger word can name.
    let election =
        proofmarket_bindings::LedgerElectionRace::new(l.mechanisms["election-race"], &provider);
    assert_eq!(election.electedCount().call().await.unwrap(), 3);

    // Status: every instance, nothing delivered yet, and the personas of DESIGN.md §6 routed by the
    // declared profiles alone, as the forge persona tests find (docs/mechanisms.md, "One-word router").
    let status = proofmarket::status::collect(&provider, &addresses, 10)
        .await
        .expect("status");
    let view = status.ledger.clone().expect("ledger view");
    assert_eq!(
        view.instances
            .iter()
            .map(|i| i.name.as_str())
            .collect::<Vec<_>>(),
        LEDGER_INSTANCES
    );
    assert!(view.instances.iter().all(|i| i.active && i.outcomes == 0));
    let routes: Vec<(&str, &str)> = view
        .personas
        .iter()
        .map(|p| (p.persona.as_str(), p.instance.as_str()))
        .collect();
    assert_eq!(
        routes,
        [
            ("arbitrage", "race"),
            ("daily-rollup", "election-race"),
            ("cost-sensitive", "sealed-bid"),
            ("rollup-block", "election-race"),
        ]
    );
    assert!(view.personas.iter().all(|p| !p.score.is_zero()));
    let text = proofmarket::status::render(&status);
    assert!(text.contains("ledger router (6 instances)"), "{text}");
    assert!(text.contains("arbitrage       -> race"), "{text}");

    // The addresses file round-trips with the ledger section.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("addresses.json");
    addresses.save(&path).expect("save");
    assert_eq!(Addresses::load(&path).expect("load"), addresses);
}

#[tokio::test]
async fn unreachable_rpc_is_a_clear_error() {
    // Nothing listens on port 9 (discard) locally.
    let provider = connect("http://127.0.0.1:9", None)
        .await
        .expect("http connect is lazy");
    let err = check_chain_id(&provider, "http://127.0.0.1:9", 31337)
        .await
        .unwrap_err();
    assert!(matches!(err, ChainError::Unreachable { .. }), "{err}");
    assert!(err.to_string().starts_with("[R002]"), "{err}");
}
