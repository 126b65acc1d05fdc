//! Shared set-up of the agents' TaskLedger tests on anvil: waiting for a mined, successful
//! transaction (`send!`), the ledger core — a ProverRegistry of the ledger's own (one binds one
//! task core) and the TaskLedger over the deployment's token and verifier registry, bound to it —
//! and a [`LedgerWorld`] around it for the strategy tests: funded accounts with their providers,
//! registered provers, the requester's deposit and tasks, submitters, books (or a prover's whole
//! state in one file, for restarts), the fixture's proofs, the clock, and a cost model.

#![allow(dead_code)] // each test binary uses a different subset

use alloy::primitives::{Address, Bytes, U256, Uint, keccak256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionReceipt;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolValue;
use proofmarket::chain::submitter::{Submitter, SubmitterConfig};
use proofmarket::chain::{ChainProvider, connect};
use proofmarket::deploy::{DeployParams, deploy};
use proofmarket::ledger::{LedgerSync, chain_time};
use proofmarket::prover::cost::{CostModel, Prices, ProvingSpeed};
use proofmarket::store::Store;
use proofmarket_bindings::{ProofToken, ProverRegistry, TaskLedger};

use crate::prover_support::{Fixture, TOKEN, anvil, fixture};

/// The receipt of `call`, after asserting that the transaction succeeded.
pub async fn mined(
    call: impl std::future::IntoFuture<Output = TransactionReceipt>,
) -> TransactionReceipt {
    let receipt = call.await;
    assert!(
        receipt.status(),
        "transaction reverted: {:?}",
        receipt.transaction_hash
    );
    receipt
}

/// Sends a contract call and waits for its successful receipt.
macro_rules! send {
    ($call:expr) => {
        $crate::ledger_support::mined(async {
            $call
                .send()
                .await
                .expect("send")
                .get_receipt()
                .await
                .expect("receipt")
        })
    };
}

/// A deployed ledger core.
pub struct LedgerCore {
    pub registry: Address,
    pub ledger: Address,
}

/// Deploys a ProverRegistry (minimum stake 100 tokens, a week's unstake delay) and a TaskLedger on
/// `token` and `verifier_registry`, with `admin` as admin and treasury, and binds the registry to
/// the ledger.
pub async fn deploy_ledger_core(
    provider: &ChainProvider,
    admin: Address,
    token: Address,
    verifier_registry: Address,
) -> LedgerCore {
    let registry = ProverRegistry::deploy(
        provider.clone(),
        token,
        U256::from(100 * TOKEN),
        7 * 24 * 3600,
        admin,
    )
    .await
    .expect("deploy ProverRegistry");
    let ledger = TaskLedger::deploy(
        provider.clone(),
        token,
        *registry.address(),
        verifier_registry,
        admin,
        admin,
    )
    .await
    .expect("deploy TaskLedger");
    let role = registry.TASK_REGISTRY_ROLE().call().await.unwrap();
    send!(registry.grantRole(role, *ledger.address())).await;
    LedgerCore {
        registry: *registry.address(),
        ledger: *ledger.address(),
    }
}

/// Anvil with the stored deployment's token and Groth16 verifier registry (`proofmarket::deploy`)
/// and the ledger core; anvil accounts `0..n` funded, each with a provider signing with its key.
/// Account 0 deploys and administers (and is the treasury); the fixture has proofs for 1-3.
pub struct LedgerWorld {
    pub anvil: alloy::node_bindings::AnvilInstance,
    pub keys: Vec<PrivateKeySigner>,
    pub accounts: Vec<Address>,
    pub providers: Vec<ChainProvider>,
    pub token: Address,
    pub core: LedgerCore,
    /// The first block after the stored deployment: where a book of the ledger starts reading.
    pub start_block: u64,
    pub fixture: Fixture,
}

impl LedgerWorld {
    /// Starts anvil and deploys, with `n` funded accounts.
    pub async fn start(n: usize) -> Self {
        let anvil = anvil();
        let keys: Vec<PrivateKeySigner> = (0..n).map(|i| anvil.keys()[i].clone().into()).collect();
        let mut providers = Vec::new();
        for key in &keys {
            providers.push(connect(&anvil.endpoint(), Some(key.clone())).await.unwrap());
        }
        let admin = &providers[0];
        let mut params = DeployParams::devnet(keys[0].address());
        params.rollup = None;
        params.fund = keys.iter().map(|k| k.address()).collect();
        let addresses = deploy(admin, keys[0].address(), &params)
            .await
            .expect("deploy");
        let start_block = admin.get_block_number().await.unwrap() + 1;
        let core = deploy_ledger_core(
            admin,
            keys[0].address(),
            addresses.token,
            addresses.verifier_registry,
        )
        .await;
        Self {
            anvil,
            accounts: keys.iter().map(|k| k.address()).collect(),
            keys,
            providers,
            token: addresses.token,
            core,
            start_block,
            fixture: fixture(),
        }
    }

    /// Account 0's provider (admin, requester).
    pub fn admin(&self) -> &ChainProvider {
        &self.providers[0]
    }

    /// The ledger, called by account `i`.
    pub fn ledger(&self, i: usize) -> TaskLedger::TaskLedgerInstance<&ChainProvider> {
        TaskLedger::new(self.core.ledger, &self.providers[i])
    }

    /// The ledger's ProverRegistry, read by account 0.
    pub fn registry(&self) -> ProverRegistry::ProverRegistryInstance<&ChainProvider> {
        ProverRegistry::new(self.core.registry, self.admin())
    }

    /// Allow-lists `mechanism` on the ledger.
    pub async fn allow(&self, mechanism: Address) {
        send!(self.ledger(0).setMechanism(mechanism, true)).await;
    }

    /// Registers account `i` as a prover with `stake` tokens and hardware class 0 (capacity 4).
    pub async fn register(&self, i: usize, stake: u128) {
        self.register_class(i, stake, 0).await;
    }

    /// Registers account `i` as a prover with `stake` tokens and `hardware_class` (capacity 4).
    pub async fn register_class(&self, i: usize, stake: u128, hardware_class: u8) {
        let provider = &self.providers[i];
        send!(ProofToken::new(self.token, provider).approve(self.core.registry, U256::from(stake)))
            .await;
        send!(ProverRegistry::new(self.core.registry, provider).register(
            U256::from(stake),
            hardware_class,
            4
        ))
        .await;
    }

    /// Deposits `amount` tokens of account `i` into the ledger (a requester's escrow).
    pub async fn deposit(&self, i: usize, amount: u128) {
        let provider = &self.providers[i];
        send!(ProofToken::new(self.token, provider).approve(self.core.ledger, U256::from(amount)))
            .await;
        send!(self.ledger(i).deposit(U256::from(amount))).await;
    }

    /// Account `i`'s ledger balance (credits).
    pub async fn balance(&self, account: Address) -> u128 {
        self.ledger(0).balanceOf(account).call().await.unwrap().to()
    }

    /// A submitter for account `i`, with a store of its own under `dir`.
    pub fn submitter(&self, i: usize, dir: &std::path::Path) -> Submitter {
        Submitter::new(
            self.providers[i].clone(),
            self.keys[i].clone(),
            Store::open(&dir.join(format!("submitter-{i}.db"))).unwrap(),
            SubmitterConfig::default(),
            "ledger-test",
        )
    }

    /// Account `i`'s book of the ledger, with a store of its own under `dir`.
    pub fn sync(&self, i: usize, dir: &std::path::Path) -> LedgerSync {
        LedgerSync::restore(
            self.providers[i].clone(),
            self.core.ledger,
            Store::open(&dir.join(format!("book-{i}.db"))).unwrap(),
            self.start_block,
            50,
        )
        .unwrap()
    }

    /// The fixture's statement commitment (what a task for its proof must carry).
    pub fn input_commitment(&self) -> alloy::primitives::B256 {
        keccak256(self.fixture.inputs.abi_encode_packed())
    }

    /// The fixture's proof bound to `prover`.
    pub fn proof_of(&self, prover: Address) -> Bytes {
        self.fixture
            .proofs
            .iter()
            .find(|(p, _)| *p == prover)
            .map(|(_, b)| b.clone())
            .expect("a fixture proof for the prover")
    }

    /// Moves the chain's clock `seconds` on and mines a block there.
    pub async fn warp(&self, seconds: u64) {
        let admin = self.admin();
        admin
            .raw_request::<_, serde_json::Value>("evm_increaseTime".into(), (seconds,))
            .await
            .expect("evm_increaseTime");
        admin
            .raw_request::<_, serde_json::Value>("evm_mine".into(), ())
            .await
            .expect("evm_mine");
    }

    /// Mines the next block at exactly `timestamp` (later blocks go on from there).
    pub async fn warp_to(&self, timestamp: u64) {
        let admin = self.admin();
        admin
            .raw_request::<_, serde_json::Value>("evm_setNextBlockTimestamp".into(), (timestamp,))
            .await
            .expect("evm_setNextBlockTimestamp");
        admin
            .raw_request::<_, serde_json::Value>("evm_mine".into(), ())
            .await
            .expect("evm_mine");
    }

    /// A new provider signing as account `i` (a restarted agent's: its own nonce cache).
    pub async fn provider(&self, i: usize) -> ChainProvider {
        connect(&self.anvil.endpoint(), Some(self.keys[i].clone()))
            .await
            .unwrap()
    }

    /// Account `i` as a prover keeps itself: one state file `db` (reopened as it was left, for a
    /// restart) holding its ledger book and its submitter's intents, on a provider of its own.
    pub async fn prover_state(
        &self,
        i: usize,
        db: &std::path::Path,
    ) -> (ChainProvider, Store, LedgerSync, Submitter) {
        let provider = self.provider(i).await;
        let store = Store::open(db).unwrap();
        let sync = LedgerSync::restore(
            provider.clone(),
            self.core.ledger,
            store.clone(),
            self.start_block,
            50,
        )
        .unwrap();
        let submitter = Submitter::new(
            provider.clone(),
            self.keys[i].clone(),
            store.clone(),
            SubmitterConfig::default(),
            "ledger-test",
        );
        (provider, store, sync, submitter)
    }

    /// The requester's (account 0's) ledger balance.
    pub async fn requester_balance(&self) -> U256 {
        self.ledger(0)
            .balanceOf(self.accounts[0])
            .call()
            .await
            .unwrap()
    }

    /// Opens a task for the fixture's statement under `mechanism` (one proof, `max_payment`, due in
    /// `seconds`) from the requester's (account 0's) deposit; returns its id and the task as created.
    pub async fn open_task(
        &self,
        mechanism: Address,
        max_payment: u128,
        seconds: u64,
    ) -> (U256, TaskLedger::LedgerTask) {
        let now = chain_time(self.admin()).await.unwrap();
        let request = TaskLedger::LedgerRequest {
            circuitId: self.fixture.circuit_id,
            inputCommitment: self.input_commitment(),
            deadline: now + seconds,
            maxPayment: Uint::<96, 2>::from(max_payment),
            redundancy: 1,
            mechanism,
            notifyRequester: false,
            fallbackMechanism: Address::ZERO,
            fallbackWindow: 0,
            minCollateral: Uint::<96, 2>::ZERO,
            mechanismData: Bytes::new(),
        };
        let receipt = send!(self.ledger(0).createTask(request)).await;
        let created = receipt
            .decoded_log::<TaskLedger::TaskCreated>()
            .expect("TaskCreated");
        (created.taskId, created.task.clone())
    }

    /// Mines `blocks` empty blocks.
    pub async fn mine(&self, blocks: u64) {
        self.admin()
            .raw_request::<_, serde_json::Value>("anvil_mine".into(), (blocks,))
            .await
            .expect("anvil_mine");
    }

    /// Deploys a one-word router over the ledger (the ledger's `router()`, with `ROUTER_ROLE`) with
    /// `instances` as its instances 0, 1, …, each allowing redundancy up to 4 and no other limit.
    pub async fn deploy_router(&self, instances: &[Address]) -> Address {
        use proofmarket_bindings::LedgerMechanismRouter;
        use proofmarket_bindings::ledger_mechanism_router::IRouterInstances;
        let router =
            LedgerMechanismRouter::deploy(self.admin().clone(), self.core.ledger, self.accounts[0])
                .await
                .expect("deploy LedgerMechanismRouter");
        let ledger = self.ledger(0);
        let role = ledger.ROUTER_ROLE().call().await.unwrap();
        send!(ledger.grantRole(role, *router.address())).await;
        send!(ledger.setRouter(*router.address())).await;
        for instance in instances {
            send!(router.addInstance(
                *instance,
                IRouterInstances::Limits {
                    maxRedundancy: 4,
                    stakeAtRisk: alloy::primitives::Uint::ZERO,
                    minLeadTime: 0,
                    minPricePerProof: alloy::primitives::Uint::ZERO,
                    requiresData: false,
                }
            ))
            .await;
        }
        *router.address()
    }
}

/// The default cost model at 1 gwei, proving at `compute_per_sec` token base units per second:
/// proving is a few seconds, gas is cheap next to a 100-token task.
pub fn cost_model(compute_per_sec: f64) -> CostModel {
    CostModel {
        speed: ProvingSpeed::default(),
        prices: Prices {
            compute_per_sec,
            ..Prices::default()
        },
        gas_price_wei: 1_000_000_000,
    }
}
