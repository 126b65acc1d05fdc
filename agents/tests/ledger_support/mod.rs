//! Shared set-up of the agents' TaskLedger tests on anvil: waiting for a mined, successful
//! transaction (`send!`), the ledger core — a ProverRegistry of the ledger's own (one binds one
//! task core) and the TaskLedger over the deployment's token and verifier registry, bound to it — and
//! a whole chain around it ([`LedgerChain`]: registered provers, a requester's deposit, tasks for the
//! fixture's statement, the clock).

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

/// A fresh anvil with the stored deployment (no rollup: its token and Groth16 verifier registry), the
/// first anvil accounts funded, and a ledger core over them. Account 0 is the deployer, admin,
/// treasury and requester; the fixture's proofs are for accounts 1-3.
pub struct LedgerChain {
    pub anvil: alloy::node_bindings::AnvilInstance,
    pub keys: Vec<PrivateKeySigner>,
    pub admin: ChainProvider,
    pub token: Address,
    pub core: LedgerCore,
    /// The first block after the stored deployment: where a ledger book starts reading.
    pub start_block: u64,
    pub fixture: Fixture,
}

impl LedgerChain {
    /// Starts anvil and deploys, funding anvil accounts `0..accounts`.
    pub async fn start(accounts: usize) -> Self {
        let anvil = anvil();
        let keys: Vec<PrivateKeySigner> = (0..accounts)
            .map(|i| anvil.keys()[i].clone().into())
            .collect();
        let admin = connect(&anvil.endpoint(), Some(keys[0].clone()))
            .await
            .unwrap();
        let mut params = DeployParams::devnet(keys[0].address());
        params.rollup = None;
        params.fund = keys.iter().map(|k| k.address()).collect();
        let addresses = deploy(&admin, keys[0].address(), &params)
            .await
            .expect("deploy");
        let start_block = admin.get_block_number().await.unwrap() + 1;
        let core = deploy_ledger_core(
            &admin,
            keys[0].address(),
            addresses.token,
            addresses.verifier_registry,
        )
        .await;
        Self {
            anvil,
            keys,
            admin,
            token: addresses.token,
            core,
            start_block,
            fixture: fixture(),
        }
    }

    /// A provider signing as anvil account `i`.
    pub async fn provider(&self, i: usize) -> ChainProvider {
        connect(&self.anvil.endpoint(), Some(self.keys[i].clone()))
            .await
            .unwrap()
    }

    /// Anvil account `i` as a prover keeps itself: one state file `db` (reopened as it was left, for a
    /// restart) holding its ledger book and its submitter's intents.
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

    pub fn ledger(&self) -> TaskLedger::TaskLedgerInstance<&ChainProvider> {
        TaskLedger::new(self.core.ledger, &self.admin)
    }

    /// Allows `mechanism` on the ledger.
    pub async fn allow(&self, mechanism: Address) {
        send!(self.ledger().setMechanism(mechanism, true)).await;
    }

    /// Registers anvil account `i` in the ledger's registry with `stake` and `hardware_class`
    /// (capacity 4).
    pub async fn register(&self, i: usize, stake: u128, hardware_class: u8) {
        let prover = self.provider(i).await;
        send!(ProofToken::new(self.token, &prover).approve(self.core.registry, U256::from(stake)))
            .await;
        send!(ProverRegistry::new(self.core.registry, &prover).register(
            U256::from(stake),
            hardware_class,
            4
        ))
        .await;
    }

    /// The requester (account 0) deposits `amount` into the ledger.
    pub async fn deposit(&self, amount: u128) {
        let token = ProofToken::new(self.token, &self.admin);
        send!(token.approve(self.core.ledger, U256::from(amount))).await;
        send!(self.ledger().deposit(U256::from(amount))).await;
    }

    /// The requester's ledger balance.
    pub async fn requester_balance(&self) -> U256 {
        self.ledger()
            .balanceOf(self.keys[0].address())
            .call()
            .await
            .unwrap()
    }

    /// Opens a task for the fixture's statement under `mechanism` (one proof, `max_payment`, due in
    /// `seconds`) from the requester's deposit; returns its id and the task as created.
    pub async fn open_task(
        &self,
        mechanism: Address,
        max_payment: u128,
        seconds: u64,
    ) -> (U256, TaskLedger::LedgerTask) {
        let now = chain_time(&self.admin).await.unwrap();
        let request = TaskLedger::LedgerRequest {
            circuitId: self.fixture.circuit_id,
            inputCommitment: keccak256(self.fixture.inputs.abi_encode_packed()),
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
        let receipt = send!(self.ledger().createTask(request)).await;
        let created = receipt
            .decoded_log::<TaskLedger::TaskCreated>()
            .expect("TaskCreated");
        (created.taskId, created.task.clone())
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

    /// Mines `blocks` empty blocks.
    pub async fn mine(&self, blocks: u64) {
        self.admin
            .raw_request::<_, serde_json::Value>("anvil_mine".into(), (blocks,))
            .await
            .expect("anvil_mine");
    }

    /// Moves the clock `seconds` forward and mines a block at the new time.
    pub async fn warp(&self, seconds: u64) {
        self.admin
            .raw_request::<_, serde_json::Value>("evm_increaseTime".into(), (seconds,))
            .await
            .expect("evm_increaseTime");
        self.mine(1).await;
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
