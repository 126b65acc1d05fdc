//! What an operator runs on the one-word market, as binaries on anvil: `proofmarket sequencer
//! --ledger` posts L2 blocks to the LedgerRollup, and `proofmarket prover --ledger` — from a config
//! file and a key, nothing staked beforehand — stakes in the ledger's ProverRegistry, learns the
//! block, proves its root task with the real circuits through the ledger race and is paid; the
//! sequencer finalizes; `proofmarket prover withdraw --ledger` then moves the prover's ledger balance
//! to its account.

mod poll_support;
mod prover_support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use alloy::primitives::U256;
use alloy::signers::local::PrivateKeySigner;
use poll_support::wait_for;
use proofmarket::chain::connect;
use proofmarket::deploy::{DeployParams, deploy};
use proofmarket_bindings::{LedgerRollup, ProofToken, ProverRegistry, TaskLedger};
use proofmarket_circuits::state::{Transaction, devnet_key};
use prover_support::{TOKEN, anvil};

fn spawn(dir: &std::path::Path, log: &str, key: &PrivateKeySigner, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_proofmarket"))
        .args(args)
        .env("PROOFMARKET_PRIVATE_KEY", hex::encode(key.to_bytes()))
        .env("PROOFMARKET_LOG", "info")
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join(log)).unwrap())
        .spawn()
        .expect("spawn proofmarket")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ledger_prover_binary_stakes_proves_a_ledger_block_and_withdraws() {
    let started = Instant::now();
    let anvil = anvil();
    let sequencer_key: PrivateKeySigner = anvil.keys()[0].clone().into();
    let prover_key: PrivateKeySigner = anvil.keys()[1].clone().into();
    let prover = prover_key.address();
    let admin = connect(&anvil.endpoint(), Some(sequencer_key.clone()))
        .await
        .unwrap();
    let mut params = DeployParams::devnet(sequencer_key.address());
    params.ledger = true;
    params.fund = vec![prover];
    params.fund_amount = U256::from(1_000 * TOKEN);
    let addresses = deploy(&admin, sequencer_key.address(), &params)
        .await
        .expect("deploy");
    let market = addresses.ledger.clone().expect("the ledger market");
    let rollup = market.rollup.expect("a LedgerRollup");

    let dir = tempfile::tempdir().unwrap();
    let addresses_path = dir.path().join("addresses.json");
    addresses.save(&addresses_path).unwrap();
    let api = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let api_addr = api.local_addr().unwrap();
    drop(api);
    let base = format!("http://{api_addr}");
    std::fs::write(
        dir.path().join("sequencer.toml"),
        format!(
            "[chain]\npoll_interval_ms = 200\n\n[store]\npath = \"sequencer.db\"\n\n[sequencer]\nlisten = \"{api_addr}\"\nblock_interval_ms = 300\nledger = true\n"
        ),
    )
    .unwrap();
    // The operator's prover config: stake and capacity, the sequencer for block data, a stated
    // speed (no calibration run), cheap compute so the race pays.
    let stake = U256::from(200 * TOKEN);
    std::fs::write(
        dir.path().join("prover.toml"),
        format!(
            "[chain]\npoll_interval_ms = 200\n\n[store]\npath = \"prover.db\"\n\n[prover]\nsequencer_url = \"{base}\"\nmax_concurrent = 2\nstake = \"{stake}\"\nspeed = {{ base_secs = 1.0, merge_secs = 1.0, root_secs = 1.0, workers = 1 }}\n"
        ),
    )
    .unwrap();
    let endpoint = anvil.endpoint();
    let addresses_arg = addresses_path.to_str().unwrap();
    let common = ["--rpc-url", endpoint.as_str(), "--addresses", addresses_arg];
    let mut sequencer = spawn(
        dir.path(),
        "sequencer.log",
        &sequencer_key,
        &[
            &["sequencer"],
            &common[..],
            &["--config", "sequencer.toml", "--max-block-txs", "2"],
        ]
        .concat(),
    );
    let mut prover_process = spawn(
        dir.path(),
        "prover.log",
        &prover_key,
        &[
            &["prover"],
            &common[..],
            &["--config", "prover.toml", "--ledger"],
        ]
        .concat(),
    );

    // The binary stakes in the ledger's registry (not the stored one).
    let registry = ProverRegistry::new(market.prover_registry, &admin);
    wait_for(
        "the prover's ledger stake",
        Duration::from_secs(120),
        || {
            let registry = registry.clone();
            async move { registry.isRegistered(prover).call().await.unwrap() }
        },
    )
    .await;
    assert_eq!(
        U256::from(registry.proverOf(prover).call().await.unwrap().stake),
        stake
    );
    assert!(
        !ProverRegistry::new(addresses.prover_registry, &admin)
            .isRegistered(prover)
            .call()
            .await
            .unwrap(),
        "nothing staked in the stored market"
    );

    // Two transfers: one block, proven by the binary and finalized by the sequencer.
    let client = reqwest::Client::new();
    wait_for("the sequencer API", Duration::from_secs(30), || {
        let (client, base) = (client.clone(), base.clone());
        async move { client.get(format!("{base}/health")).send().await.is_ok() }
    })
    .await;
    for (from, to, amount) in [(1u32, 2u32, 10u64), (2, 3, 20)] {
        let tx = Transaction {
            from,
            to,
            amount,
            nonce: 0,
        }
        .sign(&devnet_key(from));
        let response = client
            .post(format!("{base}/tx"))
            .json(&serde_json::json!({ "tx": proofmarket::sequencer::node::encode_hex(&tx) }))
            .send()
            .await
            .expect("POST /tx");
        assert_eq!(response.status().as_u16(), 200);
    }
    let contract = LedgerRollup::new(rollup, &admin);
    wait_for(
        "block 1 proven by the prover binary and finalized",
        Duration::from_secs(180),
        || {
            let contract = contract.clone();
            async move { contract.provenTip().call().await.unwrap().number == 1 }
        },
    )
    .await;
    let ledger = TaskLedger::new(market.ledger, &admin);
    let earned = ledger.balanceOf(prover).call().await.unwrap();
    assert!(
        earned > U256::ZERO,
        "the race paid the prover in the ledger"
    );
    prover_process.kill().expect("stop the prover");
    prover_process.wait().expect("the prover exits");

    // `prover withdraw --ledger`: the ledger balance to the prover's account.
    let token = ProofToken::new(addresses.token, &admin);
    let before = token.balanceOf(prover).call().await.unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_proofmarket"))
        .arg("prover")
        .args(common)
        .args(["--config", "prover.toml", "withdraw", "--ledger"])
        .env(
            "PROOFMARKET_PRIVATE_KEY",
            hex::encode(prover_key.to_bytes()),
        )
        .current_dir(dir.path())
        .output()
        .expect("run prover withdraw");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(&format!(
            "withdrew {earned} token base units from the ledger"
        )),
        "{stdout}"
    );
    assert_eq!(ledger.balanceOf(prover).call().await.unwrap(), U256::ZERO);
    assert_eq!(
        token.balanceOf(prover).call().await.unwrap(),
        before + earned
    );

    sequencer.kill().expect("stop the sequencer");
    sequencer.wait().expect("the sequencer exits");
    let log = std::fs::read_to_string(dir.path().join("prover.log")).unwrap();
    assert!(
        log.contains("registered in the ledger's ProverRegistry"),
        "{log}"
    );
    assert!(log.contains("ledger prover running"), "{log}");
    assert!(log.contains("root proof built"), "{log}");
    eprintln!("wall {:.1}s", started.elapsed().as_secs_f64());
}
