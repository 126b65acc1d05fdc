//! Shared set-up of the mechanism end-to-end tests: anvil, the full deployment with the Rollup's root
//! tasks routed to one mechanism instance, funded provers running the real agent in-process, a
//! sequencer posting a block of two transfers, and a background miner so chain time advances.

#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use alloy::node_bindings::{Anvil, AnvilInstance};
use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::{Filter, Log};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolEvent;
use proofmarket::chain::addresses::Addresses;
use proofmarket::chain::submitter::{Submitter, SubmitterConfig};
use proofmarket::chain::{ChainProvider, connect};
use proofmarket::deploy::{DeployParams, deploy};
use proofmarket::prover::cost::{Prices, ProvingSpeed};
use proofmarket::prover::error::ProverError;
use proofmarket::prover::policy::StrategySection;
use proofmarket::prover::service::{ProverService, ProverSettings};
use proofmarket::sequencer::l1::{BlockPoster, BuildPolicy};
use proofmarket::sequencer::node::L2Node;
use proofmarket::store::Store;
use proofmarket_bindings::{ProofToken, ProverRegistry, Rollup};
use proofmarket_circuits::state::{Transaction, devnet_genesis, devnet_key};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::poll_support::wait_for;

/// One token (18 decimals).
pub const TOKEN: u128 = 1_000_000_000_000_000_000;

/// A deployment on a fresh anvil, root tasks routed to one mechanism.
pub struct World {
    pub anvil: AnvilInstance,
    pub admin: ChainProvider,
    pub deployer: PrivateKeySigner,
    pub addresses: Addresses,
    pub rollup: Address,
    pub mechanism: Address,
    pub dir: tempfile::TempDir,
    pub miner: CancellationToken,
}

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

impl World {
    /// Deploys everything and routes the Rollup's root tasks to the instance named `mechanism`
    /// (admin = deployer: `setConfig` with that mechanism and no router). Mints 1 000 tokens to
    /// anvil accounts 1..=4 (the provers and test actors).
    pub async fn new(mechanism: &str) -> Self {
        let anvil = anvil();
        let deployer: PrivateKeySigner = anvil.keys()[0].clone().into();
        let admin = connect(&anvil.endpoint(), Some(deployer.clone()))
            .await
            .expect("connect");
        let addresses = deploy(
            &admin,
            deployer.address(),
            &DeployParams::devnet(deployer.address()),
        )
        .await
        .expect("deploy");
        let rollup = addresses.rollup.expect("rollup deployed");
        let instance = *addresses
            .mechanisms
            .get(mechanism)
            .unwrap_or_else(|| panic!("{mechanism} deployed"));
        let contract = Rollup::new(rollup, &admin);
        let mut config = contract.config().call().await.expect("config");
        config.mechanism = instance;
        config.router = Address::ZERO;
        config.mechanismData = Default::default();
        contract
            .setConfig(config)
            .send()
            .await
            .expect("setConfig")
            .get_receipt()
            .await
            .expect("setConfig receipt");
        let token = ProofToken::new(addresses.token, &admin);
        for i in 1..=4 {
            let who: PrivateKeySigner = anvil.keys()[i].clone().into();
            token
                .mint(who.address(), U256::from(1_000 * TOKEN))
                .send()
                .await
                .expect("mint")
                .get_receipt()
                .await
                .expect("mint receipt");
        }
        let miner = CancellationToken::new();
        let m = miner.clone();
        let miner_provider = admin.clone();
        tokio::spawn(async move {
            // Chain time advances only with blocks: mine one a second, as a live chain would.
            while !m.is_cancelled() {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let _ = miner_provider
                    .raw_request::<_, String>("evm_mine".into(), ())
                    .await;
            }
        });
        Self {
            anvil,
            admin,
            deployer,
            addresses,
            rollup,
            mechanism: instance,
            dir: tempfile::tempdir().expect("tempdir"),
            miner,
        }
    }

    /// The signer of anvil account `i`.
    pub fn key(&self, i: usize) -> PrivateKeySigner {
        self.anvil.keys()[i].clone().into()
    }

    /// A provider signing as account `i`.
    pub async fn provider(&self, i: usize) -> ChainProvider {
        connect(&self.anvil.endpoint(), Some(self.key(i)))
            .await
            .expect("connect")
    }

    /// Starts the real prover agent as account `i` with these prices and strategy settings.
    pub async fn start_prover(
        &self,
        i: usize,
        prices: Prices,
        strategy: StrategySection,
    ) -> RunningProver {
        self.start_prover_with(i, self.settings(prices), strategy)
            .await
    }

    /// The test provers' settings: 200 tokens of stake, two task slots, a fixed proving speed (no
    /// calibration), 300 ms polls.
    pub fn settings(&self, prices: Prices) -> ProverSettings {
        ProverSettings {
            sequencer_url: None,
            workers: 1,
            max_concurrent: 2,
            stake: U256::from(200 * TOKEN),
            hardware_class: 0,
            poll_interval: Duration::from_millis(300),
            log_chunk_blocks: 1_000,
            reorg_depth: 12,
            prices,
            speed: Some(ProvingSpeed {
                base_secs: 2.0,
                merge_secs: 1.0,
                root_secs: 1.0,
                workers: 1,
            }),
            key_dir: proofmarket_circuits::keys::default_key_dir(),
        }
    }

    /// Starts the real prover agent as account `i` with these settings, its store at
    /// `prover{i}.db` in the world's directory (so starting account `i` again resumes from it).
    pub async fn start_prover_with(
        &self,
        i: usize,
        settings: ProverSettings,
        strategy: StrategySection,
    ) -> RunningProver {
        let key = self.key(i);
        let provider = self.provider(i).await;
        let store = Store::open(&self.dir.path().join(format!("prover{i}.db"))).expect("store");
        let service = ProverService::new(
            provider,
            key.clone(),
            self.addresses.clone(),
            store.clone(),
            settings,
        )
        .with_auction_strategies(strategy);
        let shutdown = CancellationToken::new();
        let handle = tokio::spawn(service.run(shutdown.clone()));
        RunningProver {
            address: key.address(),
            store,
            shutdown,
            handle,
        }
    }

    /// Waits until every prover is registered on chain (the agents register at start).
    pub async fn wait_registered(&self, provers: &[&RunningProver]) {
        let registry = ProverRegistry::new(self.addresses.prover_registry, &self.admin);
        for p in provers {
            wait_for(
                &format!("{} registered", p.address),
                Duration::from_secs(180),
                || async {
                    assert!(!p.handle.is_finished(), "a prover stopped early");
                    registry
                        .isRegistered(p.address)
                        .call()
                        .await
                        .expect("isRegistered")
                },
            )
            .await;
        }
    }

    /// The sequencer (the deployer) posts block 1 of two transfers; returns its root task id.
    pub async fn post_block(&self) -> u64 {
        let seq_store = Store::open(&self.dir.path().join("sequencer.db")).expect("store");
        let node = L2Node::restore(seq_store.clone(), devnet_genesis(), 100).expect("node");
        let submitter = Submitter::new(
            self.admin.clone(),
            self.deployer.clone(),
            seq_store.clone(),
            SubmitterConfig::default(),
            "test",
        );
        for (nonce, amount) in [(0u64, 10u64), (1, 20)] {
            node.submit(
                Transaction {
                    from: 1,
                    to: 2,
                    amount,
                    nonce,
                }
                .sign(&devnet_key(1)),
            )
            .expect("submit")
            .expect("accepted");
        }
        node.build_block(8).expect("build").expect("a block");
        let poster = BlockPoster {
            node: node.clone(),
            submitter,
            rollup: self.rollup,
            policy: BuildPolicy {
                max_block_txs: 8,
                block_interval: Duration::from_millis(50),
            },
        };
        poster.post_pending().await.expect("post");
        seq_store
            .block(1)
            .expect("row")
            .expect("block 1")
            .task_id
            .expect("root task")
    }

    /// Chain time of the head block.
    pub async fn now(&self) -> u64 {
        self.admin
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await
            .expect("head")
            .expect("a head block")
            .header
            .timestamp
    }

    /// Moves chain time forward by `secs` (and mines a block at the new time).
    pub async fn warp(&self, secs: u64) {
        let _ = self
            .admin
            .raw_request::<_, i64>("evm_increaseTime".into(), (secs,))
            .await
            .expect("evm_increaseTime");
        let _ = self
            .admin
            .raw_request::<_, String>("evm_mine".into(), ())
            .await
            .expect("evm_mine");
    }
}

impl Drop for World {
    fn drop(&mut self) {
        self.miner.cancel();
    }
}

/// A prover agent running in-process.
pub struct RunningProver {
    pub address: Address,
    pub store: Store,
    pub shutdown: CancellationToken,
    pub handle: JoinHandle<Result<(), ProverError>>,
}

impl RunningProver {
    /// Stops the agent and checks it ran cleanly.
    pub async fn stop(self) {
        self.shutdown.cancel();
        self.handle
            .await
            .expect("join")
            .expect("prover ran cleanly");
    }
}

impl World {
    /// The sequencer posts the next block of two transfers (account 1 → 2, at account 1's next L2
    /// nonce); returns (block number, root task id). The L2 node is restored from the sequencer's
    /// store each time, so this follows [`World::post_block`] and earlier calls.
    pub async fn post_next_block(&self) -> (u64, u64) {
        let seq_store = Store::open(&self.dir.path().join("sequencer.db")).expect("store");
        let node = L2Node::restore(seq_store.clone(), devnet_genesis(), 100).expect("node");
        let (_, nonce) = node.account(1).expect("account").expect("account 1");
        for (i, amount) in [10u64, 20].into_iter().enumerate() {
            node.submit(
                Transaction {
                    from: 1,
                    to: 2,
                    amount,
                    nonce: nonce + i as u64,
                }
                .sign(&devnet_key(1)),
            )
            .expect("submit")
            .expect("accepted");
        }
        let number = node
            .build_block(8)
            .expect("build")
            .expect("a block")
            .body
            .number;
        let submitter = Submitter::new(
            self.admin.clone(),
            self.deployer.clone(),
            seq_store.clone(),
            SubmitterConfig::default(),
            "test",
        );
        let poster = BlockPoster {
            node: node.clone(),
            submitter,
            rollup: self.rollup,
            policy: BuildPolicy {
                max_block_txs: 8,
                block_interval: Duration::from_millis(50),
            },
        };
        poster.post_pending().await.expect("post");
        let task_id = seq_store
            .block(number)
            .expect("row")
            .expect("block row")
            .task_id
            .expect("root task");
        (number, task_id)
    }

    /// Every transaction `from` sent to `to` whose input starts with `selector`, in chain order.
    pub async fn txs_from(&self, from: Address, to: Address, selector: [u8; 4]) -> Vec<B256> {
        use alloy::consensus::Transaction as _;
        let head = self.admin.get_block_number().await.expect("head");
        let mut found = Vec::new();
        for n in self.addresses.deployed_block..=head {
            let block = self
                .admin
                .get_block_by_number(alloy::eips::BlockNumberOrTag::Number(n))
                .full()
                .await
                .expect("block")
                .expect("block exists");
            for tx in block.transactions.into_transactions() {
                if tx.inner.signer() == from
                    && tx.to() == Some(to)
                    && tx.input().get(..4) == Some(&selector[..])
                {
                    found.push(*tx.inner.tx_hash());
                }
            }
        }
        found
    }

    /// Every log of `contracts` since the deployment, in chain order.
    pub async fn logs(&self, contracts: Vec<Address>) -> Vec<Log> {
        self.admin
            .get_logs(
                &Filter::new()
                    .address(contracts)
                    .from_block(self.addresses.deployed_block),
            )
            .await
            .expect("logs")
    }

    /// The logs of `contracts` that decode as `E`, with the log's (block, index) position.
    pub async fn events<E: SolEvent>(&self, contracts: Vec<Address>) -> Vec<((u64, u64), E)> {
        self.logs(contracts)
            .await
            .iter()
            .filter(|log| log.topic0() == Some(&E::SIGNATURE_HASH))
            .map(|log| {
                let at = (
                    log.block_number.expect("mined log"),
                    log.log_index.expect("mined log"),
                );
                (at, log.log_decode::<E>().expect("decode").inner.data)
            })
            .collect()
    }
}

impl RunningProver {
    /// Kills the agent where it stands (its run future is dropped: no graceful drain, no offer
    /// withdrawn), as a crash or `kill -9` would.
    pub async fn kill(self) -> Store {
        self.handle.abort();
        let _ = self.handle.await;
        self.store
    }
}
