//! Shared set-up for the prover's failure tests: anvil, a full deployment through
//! `proofmarket::deploy`, an in-process sequencer that posts blocks, prover services with their own
//! key and store, and L1 queries the tests assert on (transactions and events per address).

#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::time::Duration;

use alloy::consensus::Transaction as _;
use alloy::eips::BlockNumberOrTag;
use alloy::node_bindings::{Anvil, AnvilInstance};
use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolEvent};
use proofmarket::chain::ChainProvider;
use proofmarket::chain::addresses::Addresses;
use proofmarket::chain::connect;
use proofmarket::chain::submitter::{Submitter, SubmitterConfig};
use proofmarket::deploy::{DeployParams, deploy};
use proofmarket::prover::cost::{Prices, ProvingSpeed};
use proofmarket::prover::error::ProverError;
use proofmarket::prover::service;
use proofmarket::prover::service::{Outcomes, ProverService, ProverSettings};
use proofmarket::sequencer::l1::{BlockPoster, BuildPolicy};
use proofmarket::sequencer::node::L2Node;
use proofmarket::store::Store;
use proofmarket::supervisor::{Backoff, Outcome, Supervisor};
use proofmarket_bindings::{ITaskRegistry, ProofToken, TaskRegistry};
use proofmarket_circuits::state::{Transaction, devnet_genesis, devnet_key};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub const TOKEN: u128 = 1_000_000_000_000_000_000;

/// anvil from node_modules (or PATH).
pub fn anvil() -> AnvilInstance {
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

/// A deployed system with a sequencer (anvil key 0, also the admin) ready to post blocks.
pub struct Net {
    pub anvil: AnvilInstance,
    pub admin: ChainProvider,
    pub deployer: PrivateKeySigner,
    pub addresses: Addresses,
    pub node: L2Node,
    pub seq_store: Store,
    pub poster: BlockPoster,
    pub dir: tempfile::TempDir,
    next_nonce: std::sync::atomic::AtomicU64,
}

impl Net {
    /// Deploys with the devnet parameters, changed by `tweak`.
    pub async fn start(tweak: impl FnOnce(&mut DeployParams)) -> Self {
        let anvil = anvil();
        let deployer: PrivateKeySigner = anvil.keys()[0].clone().into();
        let admin = connect(&anvil.endpoint(), Some(deployer.clone()))
            .await
            .expect("connect");
        let mut params = DeployParams::devnet(deployer.address());
        tweak(&mut params);
        let addresses = deploy(&admin, deployer.address(), &params)
            .await
            .expect("deploy");
        let dir = tempfile::tempdir().expect("tempdir");
        let seq_store = Store::open(&dir.path().join("sequencer.db")).expect("store");
        let node = L2Node::restore(seq_store.clone(), devnet_genesis(), 100).expect("node");
        let submitter = Submitter::new(
            admin.clone(),
            deployer.clone(),
            seq_store.clone(),
            SubmitterConfig::default(),
            "test-sequencer",
        );
        let poster = BlockPoster {
            node: node.clone(),
            submitter,
            rollup: addresses.rollup.expect("rollup deployed"),
            policy: BuildPolicy {
                max_block_txs: 8,
                block_interval: Duration::from_millis(50),
            },
        };
        Self {
            anvil,
            admin,
            deployer,
            addresses,
            node,
            seq_store,
            poster,
            dir,
            next_nonce: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// anvil's `i`th key.
    pub fn key(&self, i: usize) -> PrivateKeySigner {
        self.anvil.keys()[i].clone().into()
    }

    /// A provider signing with `key`.
    pub async fn provider(&self, key: &PrivateKeySigner) -> ChainProvider {
        connect(&self.anvil.endpoint(), Some(key.clone()))
            .await
            .expect("connect")
    }

    /// Mints 1 000 tokens to `to` (stake for a prover).
    pub async fn fund(&self, to: Address) {
        ProofToken::new(self.addresses.token, &self.admin)
            .mint(to, U256::from(1_000 * TOKEN))
            .send()
            .await
            .expect("mint")
            .get_receipt()
            .await
            .expect("mint receipt");
    }

    /// The sequencer builds and posts one block of two transfers (account 1 → 2); returns
    /// (block number, root task id).
    pub async fn post_block(&self) -> (u64, u64) {
        for amount in [10u64, 20] {
            let nonce = self
                .next_nonce
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.node
                .submit(
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
        let built = self.node.build_block(8).expect("build").expect("a block");
        self.poster.post_pending().await.expect("post");
        let number = built.body.number;
        let task_id = self
            .seq_store
            .block(number)
            .expect("row")
            .expect("block row")
            .task_id
            .expect("root task");
        (number, task_id)
    }

    /// The TaskRegistry, read through the admin's provider.
    pub fn registry(&self) -> TaskRegistry::TaskRegistryInstance<ChainProvider> {
        TaskRegistry::new(self.addresses.task_registry, self.admin.clone())
    }

    /// Prover settings for tests: fixed speed (no calibration), fast polling.
    pub fn settings(&self, sequencer_url: Option<String>) -> ProverSettings {
        ProverSettings {
            sequencer_url,
            workers: 1,
            max_concurrent: 2,
            stake: U256::from(100 * TOKEN),
            hardware_class: 0,
            poll_interval: Duration::from_millis(200),
            log_chunk_blocks: 1_000,
            reorg_depth: 12,
            prices: Prices::default(),
            speed: Some(ProvingSpeed {
                base_secs: 2.0,
                merge_secs: 1.0,
                root_secs: 1.0,
                workers: 1,
            }),
            key_dir: proofmarket_circuits::keys::default_key_dir(),
        }
    }

    /// Starts a prover service with `key` and the store at `store_path`.
    pub async fn start_prover(
        &self,
        key: &PrivateKeySigner,
        store_path: &Path,
        settings: ProverSettings,
    ) -> Running {
        let provider = self.provider(key).await;
        self.spawn_prover(provider, key, store_path, settings)
    }

    fn spawn_prover(
        &self,
        provider: ChainProvider,
        key: &PrivateKeySigner,
        store_path: &Path,
        settings: ProverSettings,
    ) -> Running {
        let store = Store::open(store_path).expect("prover store");
        let service = ProverService::new(
            provider,
            key.clone(),
            self.addresses.clone(),
            store.clone(),
            settings,
        );
        let outcomes = service.outcomes();
        let shutdown = CancellationToken::new();
        let handle = tokio::spawn(service.run(shutdown.clone()));
        Running {
            handle,
            shutdown,
            outcomes,
            store,
        }
    }

    /// Every transaction `from` sent to `to` whose input starts with `selector`, in chain order.
    pub async fn txs_from(&self, from: Address, to: Address, selector: [u8; 4]) -> Vec<B256> {
        let head = self.admin.get_block_number().await.expect("head");
        let mut found = Vec::new();
        for n in 0..=head {
            let block = self
                .admin
                .get_block_by_number(BlockNumberOrTag::Number(n))
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

    /// `submitProof` transactions `prover` sent.
    pub async fn submissions_by(&self, prover: Address) -> Vec<B256> {
        self.txs_from(
            prover,
            self.addresses.task_registry,
            ITaskRegistry::submitProofCall::SELECTOR,
        )
        .await
    }

    /// `ProofAccepted` events for `task_id` credited to `prover`.
    pub async fn accepted_for(&self, task_id: u64, prover: Address) -> usize {
        let filter = Filter::new()
            .address(self.addresses.task_registry)
            .event_signature(ITaskRegistry::ProofAccepted::SIGNATURE_HASH)
            .topic1(B256::from(U256::from(task_id)))
            .topic2(prover.into_word())
            .from_block(0);
        self.admin.get_logs(&filter).await.expect("logs").len()
    }
}

/// A running prover service.
pub struct Running {
    pub handle: JoinHandle<Result<(), ProverError>>,
    pub shutdown: CancellationToken,
    pub outcomes: Outcomes,
    pub store: Store,
}

impl Running {
    /// Stops it gracefully and checks it ran cleanly.
    pub async fn stop(self) {
        self.shutdown.cancel();
        self.handle
            .await
            .expect("join")
            .expect("the prover ran cleanly");
    }

    /// Panics with the service's result if it stopped on its own.
    pub fn assert_alive(&self) {
        assert!(!self.handle.is_finished(), "the prover stopped early");
    }

    /// The stored log cursor.
    pub fn cursor(&self) -> Option<u64> {
        self.store.cursor(service::CURSOR).expect("cursor")
    }
}

/// A TCP proxy in front of the RPC that a test can cut (every open connection is closed and new
/// ones are closed on accept, as when a provider drops) and restore.
pub struct Proxy {
    /// `http://127.0.0.1:<port>`: the URL to give the agent instead of anvil's.
    pub url: String,
    state: std::sync::Arc<ProxyState>,
    accept: JoinHandle<()>,
}

struct ProxyState {
    cut: std::sync::atomic::AtomicBool,
    /// Connections closed on accept while cut.
    refused: std::sync::atomic::AtomicUsize,
    /// Cancelled on `cut`: ends every connection opened before it.
    generation: std::sync::Mutex<CancellationToken>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `upstream` (`http://host:port`).
    pub async fn start(upstream: &str) -> Self {
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let url = format!("http://{}", listener.local_addr().expect("proxy address"));
        let state = std::sync::Arc::new(ProxyState {
            cut: std::sync::atomic::AtomicBool::new(false),
            refused: std::sync::atomic::AtomicUsize::new(0),
            generation: std::sync::Mutex::new(CancellationToken::new()),
        });
        let shared = state.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if shared.cut.load(std::sync::atomic::Ordering::SeqCst) {
                    shared
                        .refused
                        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    drop(inbound);
                    continue;
                }
                let token = shared.generation.lock().expect("proxy lock").clone();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = token.cancelled() => {}
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                    }
                });
            }
        });
        Self { url, state, accept }
    }

    /// Drops every connection and refuses new ones until [`Proxy::restore`].
    pub fn cut(&self) {
        self.state
            .cut
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let mut generation = self.state.generation.lock().expect("proxy lock");
        generation.cancel();
        *generation = CancellationToken::new();
    }

    /// Forwards again.
    pub fn restore(&self) {
        self.state
            .cut
            .store(false, std::sync::atomic::Ordering::SeqCst);
    }

    /// Connections refused while cut.
    pub fn refused(&self) -> usize {
        self.state.refused.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        if let Ok(generation) = self.state.generation.lock() {
            generation.cancel();
        }
    }
}

/// The supervisor's restart count for `service`, from the process's Prometheus recorder.
pub fn restarts(service: &str) -> u64 {
    let needle = format!("proofmarket_service_restarts_total{{service=\"{service}\"}} ");
    proofmarket::metrics::render()
        .lines()
        .find_map(|line| line.strip_prefix(&needle))
        .and_then(|n| n.trim().parse::<f64>().ok())
        .map_or(0, |n| n as u64)
}

/// A JSON-RPC proxy in front of anvil that can swallow one broadcast: the next
/// `eth_sendRawTransaction` whose transaction calls `selector` is held — never forwarded, never
/// answered — as if the sending process died between recording the signed transaction and its
/// broadcast reaching the node. Every other request is forwarded; every broadcast of a transaction
/// calling `selector` is recorded (held or forwarded, raw bytes).
///
/// It can also hold one call by method and first parameter ([`RpcProxy::hold_next_call`]) until
/// [`RpcProxy::release_held_calls`], then forward it — a request stuck in flight — and be cut
/// ([`RpcProxy::cut`]): every other request is answered `502 Bad Gateway` (not retried by alloy's
/// retry layer), as from a provider that went away, until [`RpcProxy::restore`].
pub struct RpcProxy {
    /// `http://127.0.0.1:<port>`: the URL to give the agent instead of anvil's.
    pub url: String,
    state: std::sync::Arc<RpcProxyState>,
    server: JoinHandle<()>,
}

struct RpcProxyState {
    upstream: String,
    client: reqwest::Client,
    selector: [u8; 4],
    hold_next: std::sync::atomic::AtomicBool,
    held: std::sync::Mutex<Vec<alloy::primitives::Bytes>>,
    forwarded: std::sync::Mutex<Vec<alloy::primitives::Bytes>>,
    /// The next call to hold: (method, first parameter compared without case; `None`: any).
    hold_call: std::sync::Mutex<Option<(String, Option<String>)>>,
    /// Calls held so far.
    calls_held: std::sync::atomic::AtomicUsize,
    /// Cancelled to let held calls through.
    release: CancellationToken,
    cut: std::sync::atomic::AtomicBool,
    /// Requests answered 502 while cut.
    refused: std::sync::atomic::AtomicUsize,
}

impl RpcProxyState {
    /// The raw transaction of an `eth_sendRawTransaction` request calling our selector.
    fn watched_raw_tx(&self, request: &serde_json::Value) -> Option<alloy::primitives::Bytes> {
        use alloy::eips::eip2718::Decodable2718;
        if request.get("method")?.as_str()? != "eth_sendRawTransaction" {
            return None;
        }
        let hex = request.get("params")?.get(0)?.as_str()?;
        let raw: alloy::primitives::Bytes = hex.parse().ok()?;
        let tx = alloy::consensus::TxEnvelope::decode_2718(&mut raw.as_ref()).ok()?;
        (tx.input().get(..4) == Some(&self.selector[..])).then_some(raw)
    }

    /// Whether `request` is the armed call to hold (disarming it).
    fn take_held_call(&self, request: &serde_json::Value) -> bool {
        let mut armed = self.hold_call.lock().expect("proxy lock");
        let matches = armed.as_ref().is_some_and(|(method, param)| {
            request.get("method").and_then(|m| m.as_str()) == Some(method.as_str())
                && param.as_ref().is_none_or(|param| {
                    request
                        .get("params")
                        .and_then(|p| p.get(0))
                        .and_then(|p| p.as_str())
                        .is_some_and(|p| p.eq_ignore_ascii_case(param))
                })
        });
        if matches {
            *armed = None;
        }
        matches
    }
}

async fn relay(
    axum::extract::State(state): axum::extract::State<std::sync::Arc<RpcProxyState>>,
    body: axum::body::Bytes,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let request: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let requests: Vec<&serde_json::Value> = match &request {
        serde_json::Value::Array(batch) => batch.iter().collect(),
        single => vec![single],
    };
    if requests.iter().any(|r| state.take_held_call(r)) {
        state
            .calls_held
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        // In flight until released (a cut does not end it), then forwarded like any other.
        state.release.cancelled().await;
    } else if state.cut.load(std::sync::atomic::Ordering::SeqCst) {
        state
            .refused
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        return (axum::http::StatusCode::BAD_GATEWAY, "cut").into_response();
    }
    for raw in requests.into_iter().filter_map(|r| state.watched_raw_tx(r)) {
        if state
            .hold_next
            .swap(false, std::sync::atomic::Ordering::SeqCst)
        {
            state.held.lock().expect("proxy lock").push(raw.clone());
            // The broadcast never reaches the node and its sender never hears back.
            std::future::pending::<()>().await;
        }
        state.forwarded.lock().expect("proxy lock").push(raw);
    }
    match state
        .client
        .post(&state.upstream)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
    {
        Ok(response) => {
            let status = axum::http::StatusCode::from_u16(response.status().as_u16())
                .unwrap_or(axum::http::StatusCode::BAD_GATEWAY);
            let bytes = response.bytes().await.unwrap_or_default();
            (
                status,
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                bytes,
            )
                .into_response()
        }
        Err(e) => (axum::http::StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

impl RpcProxy {
    /// Listens on a free loopback port and forwards to `upstream` (anvil's endpoint), watching
    /// broadcasts of transactions that call `selector`.
    pub async fn start(upstream: &str, selector: [u8; 4]) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the RPC proxy");
        let url = format!("http://{}", listener.local_addr().expect("proxy address"));
        let state = std::sync::Arc::new(RpcProxyState {
            upstream: upstream.to_string(),
            client: reqwest::Client::new(),
            selector,
            hold_next: std::sync::atomic::AtomicBool::new(false),
            held: std::sync::Mutex::default(),
            forwarded: std::sync::Mutex::default(),
            hold_call: std::sync::Mutex::default(),
            calls_held: std::sync::atomic::AtomicUsize::new(0),
            release: CancellationToken::new(),
            cut: std::sync::atomic::AtomicBool::new(false),
            refused: std::sync::atomic::AtomicUsize::new(0),
        });
        let router = axum::Router::new()
            .route("/", axum::routing::post(relay))
            .with_state(state.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Self { url, state, server }
    }

    /// Holds the next watched broadcast (see the type's docs).
    pub fn hold_next_broadcast(&self) {
        self.state
            .hold_next
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Watched broadcasts held so far (raw signed transactions).
    pub fn held(&self) -> Vec<alloy::primitives::Bytes> {
        self.state.held.lock().expect("proxy lock").clone()
    }

    /// Watched broadcasts forwarded to the node so far (raw signed transactions).
    pub fn forwarded(&self) -> Vec<alloy::primitives::Bytes> {
        self.state.forwarded.lock().expect("proxy lock").clone()
    }

    /// Holds the next call of `method` whose first parameter is `first_param` (e.g.
    /// `eth_getTransactionCount` of one account) until [`RpcProxy::release_held_calls`].
    pub fn hold_next_call(&self, method: &str, first_param: &str) {
        *self.state.hold_call.lock().expect("proxy lock") =
            Some((method.to_string(), Some(first_param.to_string())));
    }

    /// Holds the next call of `method`, whatever its parameters (e.g. a sender's first receipt
    /// poll after its broadcast), until [`RpcProxy::release_held_calls`].
    pub fn hold_next_call_of(&self, method: &str) {
        *self.state.hold_call.lock().expect("proxy lock") = Some((method.to_string(), None));
    }

    /// Calls held by [`RpcProxy::hold_next_call`] so far.
    pub fn calls_held(&self) -> usize {
        self.state
            .calls_held
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Forwards every held call (and any held later).
    pub fn release_held_calls(&self) {
        self.state.release.cancel();
    }

    /// Answers every request but a held call `502 Bad Gateway` until [`RpcProxy::restore`].
    pub fn cut(&self) {
        self.state
            .cut
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Forwards again.
    pub fn restore(&self) {
        self.state
            .cut
            .store(false, std::sync::atomic::Ordering::SeqCst);
    }

    /// Requests answered 502 while cut.
    pub fn refused(&self) -> usize {
        self.state.refused.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for RpcProxy {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Net {
    /// Starts a prover service with `key` and the store at `store_path`, talking to L1 through
    /// `rpc_url` (a proxy in front of anvil) instead of anvil's endpoint.
    pub async fn start_prover_via(
        &self,
        rpc_url: &str,
        key: &PrivateKeySigner,
        store_path: &Path,
        settings: ProverSettings,
    ) -> Running {
        let provider = connect(rpc_url, Some(key.clone()))
            .await
            .expect("connect through the proxy");
        self.spawn_prover(provider, key, store_path, settings)
    }

    /// The prover as `proofmarket prover` runs it: one service under the supervisor (restarts with a
    /// short backoff, no limit), its RPC through `rpc_url`, stopped within `grace` of the token.
    pub async fn start_supervised_prover_via(
        &self,
        rpc_url: &str,
        key: &PrivateKeySigner,
        store: &Store,
        grace: Duration,
    ) -> (CancellationToken, JoinHandle<Outcome>) {
        let provider = connect(rpc_url, Some(key.clone()))
            .await
            .expect("connect through the proxy");
        let service = ProverService::new(
            provider,
            key.clone(),
            self.addresses.clone(),
            store.clone(),
            self.settings(None),
        );
        let mut supervisor = Supervisor::new().without_signals().grace(grace);
        supervisor.spawn_with(
            service,
            Backoff {
                initial: Duration::from_millis(200),
                max: Duration::from_secs(1),
                stable: Duration::from_secs(60),
                max_restarts: None,
            },
        );
        let shutdown = supervisor.shutdown_token();
        (shutdown, tokio::spawn(supervisor.run()))
    }
}

/// The base-circuit fixture: circuit id, public inputs, and each fixture prover's proof bytes.
pub struct Fixture {
    pub circuit_id: B256,
    pub inputs: Vec<U256>,
    pub proofs: Vec<(Address, alloy::primitives::Bytes)>,
}

pub fn fixture() -> Fixture {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../test/fixtures/base.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("base fixture")).unwrap();
    Fixture {
        circuit_id: json["circuitId"].as_str().unwrap().parse().unwrap(),
        inputs: json["publicInputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().parse().unwrap())
            .collect(),
        proofs: json["proofs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["prover"].as_str().unwrap().parse().unwrap(),
                    p["proofBytes"].as_str().unwrap().parse().unwrap(),
                )
            })
            .collect(),
    }
}
