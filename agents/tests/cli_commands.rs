//! The `proofmarket` binary itself (`CARGO_BIN_EXE_proofmarket`) against anvil, with a clean
//! environment (only `PATH` and the variables each case sets):
//! - `request` opens a task pinned to a named instance and one routed by QoS weights, and prints
//!   each task id; an unknown mechanism is a named error;
//! - `request --ledger` opens a task on the one-word task market, pinned and routed, topping up the
//!   requester's ledger deposit only by the shortfall; a deployment without the market is a named error;
//! - `status` shows the live tasks and the registered prover's record, as JSON and as tables;
//! - `prover withdraw` moves the claimable balance once; a second run with nothing claimable says so
//!   and sends nothing;
//! - the prover's entry point, with `agents/examples/prover.toml`, fails cleanly — non-zero exit,
//!   the named error code in stderr, no panic — on a malformed config, a missing key, an
//!   unreachable RPC, a wrong chain id and contracts that are not deployed.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Instant;

use alloy::node_bindings::{Anvil, AnvilInstance};
use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolEvent;
use proofmarket::chain::addresses::Addresses;
use proofmarket::chain::connect;
use proofmarket::deploy::{DeployParams, TOKEN, deploy};
use proofmarket_bindings::{MechanismRouter, ProofToken, ProverRegistry, TaskRegistry};
use proofmarket_circuits::circuits::CircuitKind;

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

/// Runs the binary in `cwd` with only `PATH` and `env` set.
async fn proofmarket(args: &[&str], env: &[(&str, String)], cwd: &Path) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_proofmarket"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PROOFMARKET_LOG", "warn")
        .current_dir(cwd);
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().await.expect("run proofmarket")
}

fn key_env(key: &PrivateKeySigner) -> (&'static str, String) {
    ("PROOFMARKET_PRIVATE_KEY", hex::encode(key.to_bytes()))
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts a clean success and returns stdout.
fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status,
        stdout(out),
        stderr(out)
    );
    stdout(out)
}

/// Asserts a clean failure naming `code` (non-zero exit, no panic) and returns stderr.
fn fails_with(out: &Output, code: &str) -> String {
    let err = stderr(out);
    assert!(
        !out.status.success(),
        "expected failure; stdout: {}",
        stdout(out)
    );
    assert!(err.contains(code), "expected {code} in stderr: {err}");
    assert!(!err.contains("panicked"), "a panic: {err}");
    assert!(!err.contains("RUST_BACKTRACE"), "a panic: {err}");
    err
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_on_the_ledger_market_through_the_binary() {
    use proofmarket_bindings::{LedgerMechanismRouter, TaskLedger};

    let anvil = anvil();
    let url = anvil.endpoint();
    let deployer: PrivateKeySigner = anvil.keys()[0].clone().into();
    let admin = connect(&url, Some(deployer.clone()))
        .await
        .expect("connect");
    let mut params = DeployParams::devnet(deployer.address());
    params.rollup = None;
    params.ledger = true;
    params.fund = vec![deployer.address()];
    let addresses = deploy(&admin, deployer.address(), &params)
        .await
        .expect("deploy");
    let market = addresses.ledger.clone().expect("ledger market");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("addresses.json");
    addresses.save(&path).expect("save addresses");
    let path_arg = path.display().to_string();
    let chain = ["--rpc-url", url.as_str(), "--addresses", path_arg.as_str()];
    let ledger = TaskLedger::new(market.ledger, &admin);
    let token = ProofToken::new(addresses.token, &admin);
    let wallet_before = token.balanceOf(deployer.address()).call().await.unwrap();
    let created = |id: U256| {
        let admin = admin.clone();
        let ledger_address = market.ledger;
        async move {
            admin
                .get_logs(
                    &alloy::rpc::types::Filter::new()
                        .address(ledger_address)
                        .event_signature(TaskLedger::TaskCreated::SIGNATURE_HASH)
                        .from_block(0),
                )
                .await
                .expect("ledger logs")
                .iter()
                .filter_map(|l| l.log_decode::<TaskLedger::TaskCreated>().ok())
                .map(|l| l.inner.data)
                .find(|e| e.taskId == id)
                .expect("the task's TaskCreated")
        }
    };

    // Pinned to the ledger race by name: the printed hex id is the requester's first ledger task,
    // escrowed from a deposit of exactly the budget (10 tokens by default).
    let mut args = vec!["request", "--ledger"];
    args.extend(chain);
    args.extend([
        "--circuit",
        "base",
        "--inputs",
        "1,2,3",
        "--mechanism",
        "race",
    ]);
    let printed = ok(&proofmarket(&args, &[key_env(&deployer)], dir.path()).await);
    let pinned: U256 = printed.trim().parse().expect("a hex task id");
    assert_eq!(
        pinned >> 96,
        U256::from_be_slice(deployer.address().as_slice())
    );
    let event = created(pinned).await;
    assert_eq!(event.mechanism, market.mechanisms["race"]);
    assert_eq!(event.task.requester, deployer.address());
    assert_eq!(event.task.circuitId, CircuitKind::Base.id());
    assert_eq!(
        event.task.inputCommitment,
        proofmarket::request::input_commitment(&[U256::from(1), U256::from(2), U256::from(3)])
    );
    assert_eq!(U256::from(event.task.maxPayment), U256::from(10 * TOKEN));
    assert!(
        !ledger.taskWord(pinned).call().await.unwrap().is_zero(),
        "live"
    );
    assert_eq!(
        ledger.balanceOf(deployer.address()).call().await.unwrap(),
        U256::ZERO
    );
    assert_eq!(
        token.balanceOf(deployer.address()).call().await.unwrap(),
        wallet_before - U256::from(10 * TOKEN)
    );

    // Routed by the arbitrage bot's weights: the ledger router picks its race (instance 0) and says
    // so; a deposit left from before covers part of the budget, so only the shortfall moves.
    let leftover = U256::from(3 * TOKEN);
    // A fresh connection: the binary sent from this account, so `admin`'s cached nonce is behind.
    let requester = connect(&url, Some(deployer.clone()))
        .await
        .expect("connect");
    ProofToken::new(addresses.token, &requester)
        .approve(market.ledger, leftover)
        .send()
        .await
        .expect("approve")
        .get_receipt()
        .await
        .expect("approve receipt");
    TaskLedger::new(market.ledger, &requester)
        .deposit(leftover)
        .send()
        .await
        .expect("deposit")
        .get_receipt()
        .await
        .expect("deposit receipt");
    let mut args = vec!["request", "--ledger"];
    args.extend(chain);
    args.extend(["--circuit", "base", "--inputs", "4,5"]);
    let qos = [
        key_env(&deployer),
        ("PROOFMARKET_QOS_SPEED", "10".into()),
        ("PROOFMARKET_QOS_COST", "3".into()),
        ("PROOFMARKET_QOS_SAFETY", "1".into()),
        ("PROOFMARKET_QOS_CENSORSHIP", "1".into()),
    ];
    let routed: U256 = ok(&proofmarket(&args, &qos, dir.path()).await)
        .trim()
        .parse()
        .expect("a hex task id");
    assert_eq!(routed, pinned + U256::from(1), "the requester's next nonce");
    let event = created(routed).await;
    assert_eq!(event.mechanism, market.mechanisms["race"]);
    assert_eq!(
        event.task.flags & 32,
        32,
        "FLAG_ROUTED: the router learns its outcome"
    );
    let routed_logs = admin
        .get_logs(
            &alloy::rpc::types::Filter::new()
                .address(market.router)
                .event_signature(LedgerMechanismRouter::TaskRouted::SIGNATURE_HASH)
                .from_block(0),
        )
        .await
        .expect("router logs");
    let route = routed_logs
        .iter()
        .filter_map(|l| l.log_decode::<LedgerMechanismRouter::TaskRouted>().ok())
        .find(|e| e.inner.data.taskId == routed)
        .expect("TaskRouted");
    assert_eq!(route.inner.data.instanceId, U256::ZERO, "the race");
    assert_eq!(
        ledger.balanceOf(deployer.address()).call().await.unwrap(),
        U256::ZERO
    );
    assert_eq!(
        token.balanceOf(deployer.address()).call().await.unwrap(),
        wallet_before - U256::from(20 * TOKEN),
        "7 tokens topped up on top of the 3 deposited"
    );

    // An unknown ledger instance (a stored-market instance the ledger does not have) and a
    // deployment without the market are named errors.
    let mut args = vec!["request", "--ledger"];
    args.extend(chain);
    args.extend([
        "--circuit",
        "base",
        "--inputs",
        "1",
        "--mechanism",
        "sealed-bid-first",
    ]);
    fails_with(
        &proofmarket(&args, &[key_env(&deployer)], dir.path()).await,
        "[C011]",
    );
    let mut without = addresses.clone();
    without.ledger = None;
    let bare = dir.path().join("bare.json");
    without.save(&bare).expect("save");
    let bare_arg = bare.display().to_string();
    let args = [
        "request",
        "--ledger",
        "--rpc-url",
        url.as_str(),
        "--addresses",
        bare_arg.as_str(),
        "--circuit",
        "base",
        "--inputs",
        "1",
    ];
    fails_with(
        &proofmarket(&args, &[key_env(&deployer)], dir.path()).await,
        "[C014]",
    );
    assert_eq!(
        ledger.nextTaskId(deployer.address()).call().await.unwrap(),
        routed + U256::from(1),
        "the refused requests opened nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_status_and_withdraw_through_the_binary() {
    let started = Instant::now();
    let anvil = anvil();
    let url = anvil.endpoint();
    let deployer: PrivateKeySigner = anvil.keys()[0].clone().into();
    let prover: PrivateKeySigner = anvil.keys()[1].clone().into();
    let admin = connect(&url, Some(deployer.clone()))
        .await
        .expect("connect");
    let mut params = DeployParams::devnet(deployer.address());
    params.fund = vec![deployer.address(), prover.address()];
    let addresses = deploy(&admin, deployer.address(), &params)
        .await
        .expect("deploy");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("addresses.json");
    addresses.save(&path).expect("save addresses");
    let path_arg = path.display().to_string();
    let chain = ["--rpc-url", url.as_str(), "--addresses", path_arg.as_str()];
    let registry = TaskRegistry::new(addresses.task_registry, &admin);

    // request, pinned to the race by name: the printed id is the task's, on the race.
    let mut args = vec!["request"];
    args.extend(chain);
    args.extend([
        "--circuit",
        "root",
        "--inputs",
        "1,2,3",
        "--mechanism",
        "race",
    ]);
    let pinned: u64 = ok(&proofmarket(&args, &[key_env(&deployer)], dir.path()).await)
        .trim()
        .parse()
        .expect("request prints the task id");
    let task = registry
        .taskOf(U256::from(pinned))
        .call()
        .await
        .expect("taskOf");
    assert_eq!(task.mechanism, addresses.mechanisms["race"]);
    assert_eq!(task.status, 1, "open");
    assert_eq!(task.circuitId, CircuitKind::Root.id());
    assert_eq!(
        task.inputCommitment,
        proofmarket::request::input_commitment(&[U256::from(1), U256::from(2), U256::from(3)])
    );
    assert_eq!(task.requester, deployer.address());
    assert_eq!(U256::from(task.maxPayment), U256::from(10 * TOKEN));

    // request, routed by QoS weights (from their env fallbacks): the router picks an instance and
    // says so in its `TaskRouted` event.
    let mut args = vec!["request"];
    args.extend(chain);
    args.extend(["--circuit", "root", "--inputs", "4,5"]);
    let routed: u64 = ok(&proofmarket(
        &args,
        &[
            key_env(&deployer),
            ("PROOFMARKET_QOS_SPEED", "9".into()),
            ("PROOFMARKET_QOS_COST", "2".into()),
        ],
        dir.path(),
    )
    .await)
    .trim()
    .parse()
    .expect("request prints the task id");
    assert_eq!(routed, pinned + 1);
    let router = addresses.router.expect("router");
    let logs = admin
        .get_logs(
            &alloy::rpc::types::Filter::new()
                .address(router)
                .event_signature(MechanismRouter::TaskRouted::SIGNATURE_HASH)
                .from_block(0),
        )
        .await
        .expect("router logs");
    let event = logs
        .iter()
        .filter_map(|l| l.log_decode::<MechanismRouter::TaskRouted>().ok())
        .find(|e| e.inner.data.taskId == U256::from(routed))
        .expect("the routed task's TaskRouted");
    assert!(!event.inner.data.pinned, "chosen by score, not pinned");
    let instance = MechanismRouter::new(router, &admin)
        .instanceOf(event.inner.data.instanceId)
        .call()
        .await
        .expect("instanceOf");
    let task = registry
        .taskOf(U256::from(routed))
        .call()
        .await
        .expect("taskOf");
    assert_eq!(task.mechanism, instance.mechanism);
    assert!(addresses.mechanisms.values().any(|m| *m == task.mechanism));

    // An unknown instance name is a named error, and opens nothing.
    let count = registry.taskCount().call().await.expect("taskCount");
    assert_eq!(count, U256::from(2));
    let mut args = vec!["request"];
    args.extend(chain);
    args.extend(["--circuit", "root", "--inputs", "1", "--mechanism", "nope"]);
    fails_with(
        &proofmarket(&args, &[key_env(&deployer)], dir.path()).await,
        "[C011]",
    );
    assert_eq!(registry.taskCount().call().await.expect("taskCount"), count);

    // A registered prover, then status: its record and the two open tasks.
    let prover_provider = connect(&url, Some(prover.clone())).await.expect("connect");
    let stake = U256::from(100 * TOKEN);
    let token = ProofToken::new(addresses.token, &prover_provider);
    token
        .approve(addresses.prover_registry, stake)
        .send()
        .await
        .expect("approve")
        .get_receipt()
        .await
        .expect("approve receipt");
    ProverRegistry::new(addresses.prover_registry, &prover_provider)
        .register(stake, 1, 3)
        .send()
        .await
        .expect("register")
        .get_receipt()
        .await
        .expect("register receipt");
    let mut args = vec!["status"];
    args.extend(chain);
    args.push("--json");
    let status: serde_json::Value =
        serde_json::from_str(&ok(&proofmarket(&args, &[], dir.path()).await)).expect("JSON");
    assert_eq!(status["chainId"], 31337);
    assert_eq!(status["taskCount"], 2);
    let provers = status["provers"].as_array().expect("provers");
    assert_eq!(provers.len(), 1);
    let record = &provers[0];
    assert_eq!(record["address"], serde_json::json!(prover.address()));
    assert_eq!(record["stake"], serde_json::json!(stake));
    assert_eq!(record["maxConcurrent"], 3);
    assert_eq!(record["activeAssignments"], 0);
    assert_eq!(record["heldCapacity"], 0, "no tree ranges");
    assert_eq!(record["hardwareClass"], 1);
    assert_eq!(record["completed"], 0);
    assert_eq!(record["missed"], 0);
    let tasks = status["tasks"].as_array().expect("tasks");
    let shown: Vec<u64> = tasks.iter().filter_map(|t| t["id"].as_u64()).collect();
    assert!(
        shown.contains(&pinned) && shown.contains(&routed),
        "{shown:?}"
    );
    for t in tasks {
        assert_eq!(t["status"], "open");
        assert_eq!(t["circuit"], "root");
    }
    let pinned_row = tasks
        .iter()
        .find(|t| t["id"] == pinned)
        .expect("the pinned task");
    assert_eq!(pinned_row["mechanism"], "race");
    let mut args = vec!["status"];
    args.extend(chain);
    let text = ok(&proofmarket(&args, &[], dir.path()).await);
    assert!(text.contains("provers (1)"), "{text}");
    assert!(text.contains(&prover.address().to_string()), "{text}");
    assert!(text.contains("tasks (2 total"), "{text}");

    // prover withdraw: a credited balance (a deposit, credited like a payout) moves once.
    let credit = U256::from(5 * TOKEN);
    token
        .approve(addresses.task_registry, credit)
        .send()
        .await
        .expect("approve")
        .get_receipt()
        .await
        .expect("approve receipt");
    TaskRegistry::new(addresses.task_registry, &prover_provider)
        .deposit(credit)
        .send()
        .await
        .expect("deposit")
        .get_receipt()
        .await
        .expect("deposit receipt");
    assert_eq!(
        registry
            .claimable(prover.address())
            .call()
            .await
            .expect("claimable"),
        credit
    );
    let balance = || async {
        ProofToken::new(addresses.token, &admin)
            .balanceOf(prover.address())
            .call()
            .await
            .expect("balanceOf")
    };
    let before = balance().await;
    let store = dir.path().join("prover.db").display().to_string();
    let mut args = vec!["prover"];
    args.extend(chain);
    args.extend(["--store", store.as_str(), "withdraw"]);
    let out = ok(&proofmarket(&args, &[key_env(&prover)], dir.path()).await);
    assert!(
        out.contains(&format!("withdrew {credit} token base units")),
        "{out}"
    );
    assert_eq!(balance().await, before + credit, "the balance moved once");
    assert_eq!(
        registry
            .claimable(prover.address())
            .call()
            .await
            .expect("claimable"),
        U256::ZERO
    );
    let nonce = admin
        .get_transaction_count(prover.address())
        .await
        .expect("nonce");
    let out = ok(&proofmarket(&args, &[key_env(&prover)], dir.path()).await);
    assert!(out.contains("nothing to withdraw"), "{out}");
    assert_eq!(balance().await, before + credit, "nothing moved");
    assert_eq!(
        admin
            .get_transaction_count(prover.address())
            .await
            .expect("nonce"),
        nonce,
        "nothing sent"
    );
    assert!(
        dir.path().join("prover.db").exists(),
        "--store chose the state file"
    );
    println!("wall {:.1}s", started.elapsed().as_secs_f64());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_prover_entry_point_fails_cleanly_with_named_errors() {
    let started = Instant::now();
    let anvil = anvil();
    let url = anvil.endpoint();
    let key: PrivateKeySigner = anvil.keys()[1].clone().into();
    let dir = tempfile::tempdir().expect("tempdir");
    let example = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/prover.toml");
    let config = example.display().to_string();
    // Addresses of anvil's chain where nothing is deployed.
    let empty = dir.path().join("empty.json");
    Addresses::example().save(&empty).expect("save");
    let empty_arg = empty.display().to_string();
    let prover = |rpc: String, addresses: String, config: String, extra: Vec<&'static str>| {
        let mut args = vec![
            "prover".to_string(),
            "--config".into(),
            config,
            "--rpc-url".into(),
            rpc,
            "--addresses".into(),
            addresses,
        ];
        args.extend(extra.into_iter().map(String::from));
        args
    };
    let run = |args: Vec<String>, env: Vec<(&'static str, String)>| {
        let dir = dir.path().to_path_buf();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            proofmarket(&args, &env, &dir).await
        }
    };

    // Malformed config: a typo in a copy of the example.
    let typo = dir.path().join("typo.toml");
    let text = std::fs::read_to_string(&example).expect("example config");
    std::fs::write(&typo, text.replace("workers = 1", "workerz = 1")).expect("write");
    let err = fails_with(
        &run(
            prover(
                url.clone(),
                empty_arg.clone(),
                typo.display().to_string(),
                vec![],
            ),
            vec![key_env(&key)],
        )
        .await,
        "[C002]",
    );
    assert!(err.contains("workerz"), "{err}");

    // No key in the environment.
    fails_with(
        &run(
            prover(url.clone(), empty_arg.clone(), config.clone(), vec![]),
            vec![],
        )
        .await,
        "[K001]",
    );

    // Unreachable RPC (a port nothing listens on).
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    fails_with(
        &run(
            prover(dead, empty_arg.clone(), config.clone(), vec![]),
            vec![key_env(&key)],
        )
        .await,
        "[R002]",
    );

    // Wrong chain id.
    let err = fails_with(
        &run(
            prover(
                url.clone(),
                empty_arg.clone(),
                config.clone(),
                vec!["--chain-id", "1"],
            ),
            vec![key_env(&key)],
        )
        .await,
        "[R003]",
    );
    assert!(err.contains("reports chain id 31337, expected 1"), "{err}");

    // The right chain, but nothing deployed at the file's addresses.
    let err = fails_with(
        &run(
            prover(url.clone(), empty_arg.clone(), config.clone(), vec![]),
            vec![key_env(&key)],
        )
        .await,
        "[R004]",
    );
    assert!(
        err.contains(&format!(
            "taskRegistry at {} has no code",
            Address::repeat_byte(3)
        )),
        "{err}"
    );
    assert!(
        !dir.path().join("prover.db").exists(),
        "no state is created before the checks pass"
    );
    println!("wall {:.1}s", started.elapsed().as_secs_f64());
}
