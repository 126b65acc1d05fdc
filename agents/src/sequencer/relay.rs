//! The node-proof relay: how tree-assignment provers hand each other node proofs.
//!
//! | route | what |
//! |---|---|
//! | `PUT /nodes/{id}` | store a node proof: `{"prover", "circuitId", "publicInputs": [...], "proof"}`; 200 `{"stored": true}` (or `false` when the same proof is already there); 400 when `id` is not `keccak256(circuitId ‖ publicInputs)` or the body is malformed; 413 above the size bound; 507 when the node already holds [`MAX_PER_NODE`] proofs |
//! | `GET /nodes/{id}` | every proof stored for the node: `{"nodes": [...]}`; 404 when none |
//!
//! **Content-addressed.** A node's id is `keccak256(circuit id ‖ public inputs without the prover)`
//! (`proofmarket_circuits::circuits::node_id`), so the server checks the id against the body: nobody
//! can file a proof under another node's id. The server does **not** verify the Groth16 proof (it
//! holds no keys) and cannot authenticate the `prover` field, since a proof for any prover address can
//! be made by anyone with the block data: several proofs per node are kept (distinct proof bytes, at
//! most [`MAX_PER_NODE`]) and the fetcher verifies each against its claimed prover before use.
//!
//! **Untrusted.** The relay can withhold or lose proofs (it is in memory, bounded by
//! [`MAX_NODES`], oldest evicted first) or serve garbage; it cannot make a fetcher accept a wrong
//! proof. A root prover that cannot get a verified proof of a range builds the range itself; a range
//! owner whose proof never reaches the root prover is still paid for its attestation on L1 (L1 does
//! not verify ranges), and an unattested range is covered by its uncle.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use alloy::primitives::{Address, B256, Bytes, U256, keccak256};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Largest request body (a node proof is ≈ 1 KiB of JSON).
pub const MAX_BODY: usize = 16 * 1024;
/// Largest number of public inputs a node may carry.
pub const MAX_INPUTS: usize = 32;
/// Proof bytes (`abi.encode(uint256[8])`).
pub const PROOF_LEN: usize = 256;
/// Nodes held at once (oldest evicted first).
pub const MAX_NODES: usize = 4096;
/// Distinct proofs held per node.
pub const MAX_PER_NODE: usize = 4;

/// One node proof as relayed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelayedNode {
    /// Who made it (the proof is bound to this address; the fetcher verifies against it).
    pub prover: Address,
    /// The circuit that proves the node.
    pub circuit_id: B256,
    /// Public inputs without the prover.
    pub public_inputs: Vec<U256>,
    /// The proof in EVM form.
    pub proof: Bytes,
}

impl RelayedNode {
    /// The node's content address, `keccak256(circuit id ‖ public inputs)`.
    pub fn node_id(&self) -> B256 {
        let mut preimage = Vec::with_capacity(32 * (1 + self.public_inputs.len()));
        preimage.extend_from_slice(self.circuit_id.as_slice());
        for input in &self.public_inputs {
            preimage.extend_from_slice(&input.to_be_bytes::<32>());
        }
        keccak256(&preimage)
    }
}

/// Why the relay refused a node.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RelayError {
    /// The id in the path is not the body's content address.
    #[error("[R001] node id {given} does not match the body's statement ({actual})")]
    IdMismatch {
        /// Path id.
        given: B256,
        /// `keccak256(circuitId ‖ publicInputs)` of the body.
        actual: B256,
    },
    /// Inputs or proof of the wrong size.
    #[error("[R002] malformed node: {0}")]
    Malformed(String),
    /// The node already holds the most proofs kept per node.
    #[error("[R003] node {0} already holds {MAX_PER_NODE} proofs")]
    NodeFull(B256),
}

#[derive(Default)]
struct Inner {
    nodes: HashMap<B256, Vec<RelayedNode>>,
    order: VecDeque<B256>,
}

/// The relay's in-memory store (cheap to clone; shared by the HTTP handlers).
#[derive(Clone, Default)]
pub struct NodeRelay {
    inner: Arc<Mutex<Inner>>,
}

impl NodeRelay {
    /// An empty relay.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores `node` under `id` after checking it; returns whether it was new.
    pub fn put(&self, id: B256, node: RelayedNode) -> Result<bool, RelayError> {
        if node.public_inputs.is_empty() || node.public_inputs.len() > MAX_INPUTS {
            return Err(RelayError::Malformed(format!(
                "{} public inputs (1..={MAX_INPUTS})",
                node.public_inputs.len()
            )));
        }
        if node.proof.len() != PROOF_LEN {
            return Err(RelayError::Malformed(format!(
                "proof of {} bytes (expected {PROOF_LEN})",
                node.proof.len()
            )));
        }
        let actual = node.node_id();
        if actual != id {
            return Err(RelayError::IdMismatch { given: id, actual });
        }
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let fresh = !inner.nodes.contains_key(&id);
        let entry = inner.nodes.entry(id).or_default();
        if entry
            .iter()
            .any(|n| n.proof == node.proof && n.prover == node.prover)
        {
            return Ok(false);
        }
        if entry.len() >= MAX_PER_NODE {
            return Err(RelayError::NodeFull(id));
        }
        entry.push(node);
        if fresh {
            inner.order.push_back(id);
            while inner.order.len() > MAX_NODES {
                if let Some(old) = inner.order.pop_front() {
                    inner.nodes.remove(&old);
                }
            }
        }
        Ok(true)
    }

    /// Every proof stored for `id`.
    pub fn get(&self, id: B256) -> Vec<RelayedNode> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .nodes
            .get(&id)
            .cloned()
            .unwrap_or_default()
    }
}

type ApiError = (StatusCode, Json<Value>);

async fn put_node(
    State(relay): State<NodeRelay>,
    Path(id): Path<B256>,
    body: Result<Json<RelayedNode>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(node) = body.map_err(|e| {
        (
            e.status(),
            Json(json!({ "error": "malformed", "reason": e.body_text() })),
        )
    })?;
    match relay.put(id, node) {
        Ok(stored) => Ok(Json(json!({ "stored": stored }))),
        Err(e) => {
            let status = match e {
                RelayError::NodeFull(_) => StatusCode::INSUFFICIENT_STORAGE,
                _ => StatusCode::BAD_REQUEST,
            };
            Err((
                status,
                Json(json!({ "error": "refused", "reason": e.to_string() })),
            ))
        }
    }
}

async fn get_node(
    State(relay): State<NodeRelay>,
    Path(id): Path<B256>,
) -> Result<Json<Value>, ApiError> {
    let nodes = relay.get(id);
    if nodes.is_empty() {
        return Err((
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "unknown_node", "reason": format!("no proof of node {id}") })),
        ));
    }
    Ok(Json(json!({ "nodes": nodes })))
}

/// The relay's routes (merged into the sequencer's router).
pub fn router(relay: NodeRelay) -> Router {
    Router::new()
        .route("/nodes/{id}", get(get_node).put(put_node))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(relay)
}

/// `GET /nodes/{id}` answer.
#[derive(Debug, Deserialize)]
struct NodesResponse {
    nodes: Vec<RelayedNode>,
}

/// A client of a relay (the prover's side).
#[derive(Clone, Debug)]
pub struct RelayClient {
    http: reqwest::Client,
    base: String,
}

impl RelayClient {
    /// A client for the relay served at `base` (the sequencer's URL).
    pub fn new(base: &str) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_string(),
        })
    }

    /// Publishes a node proof.
    pub async fn put(&self, node: &RelayedNode) -> Result<(), String> {
        let url = format!("{}/nodes/{}", self.base, node.node_id());
        let response = self
            .http
            .put(&url)
            .json(node)
            .send()
            .await
            .map_err(|e| format!("PUT {url}: {e}"))?;
        if !response.status().is_success() {
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            return Err(format!("PUT {url}: HTTP {status}: {body}"));
        }
        Ok(())
    }

    /// Every proof the relay holds for `id` (empty when none). The caller verifies each.
    pub async fn get(&self, id: B256) -> Result<Vec<RelayedNode>, String> {
        let url = format!("{}/nodes/{id}", self.base);
        let response = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| format!("GET {url}: {e}"))?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(Vec::new());
        }
        if !response.status().is_success() {
            return Err(format!("GET {url}: HTTP {}", response.status()));
        }
        let body: NodesResponse = response
            .json()
            .await
            .map_err(|e| format!("GET {url}: bad JSON: {e}"))?;
        Ok(body.nodes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(prover: u8, input: u64) -> RelayedNode {
        RelayedNode {
            prover: Address::repeat_byte(prover),
            circuit_id: B256::repeat_byte(0xc1),
            public_inputs: vec![U256::from(input), U256::from(7u64)],
            proof: Bytes::from(vec![prover; PROOF_LEN]),
        }
    }

    #[test]
    fn stores_by_content_address_and_refuses_a_wrong_id() {
        let relay = NodeRelay::new();
        let a = node(1, 5);
        assert_eq!(relay.put(a.node_id(), a.clone()), Ok(true));
        assert_eq!(relay.put(a.node_id(), a.clone()), Ok(false), "idempotent");
        assert_eq!(relay.get(a.node_id()), vec![a.clone()]);
        let other = node(1, 6);
        assert_eq!(
            relay.put(a.node_id(), other.clone()),
            Err(RelayError::IdMismatch {
                given: a.node_id(),
                actual: other.node_id()
            })
        );
        assert!(relay.get(B256::ZERO).is_empty());
    }

    #[test]
    fn the_id_is_the_circuits_node_id() {
        use proofmarket_circuits::circuits::{CircuitKind, node_id};
        use proofmarket_circuits::evm::fr_to_u256;
        let inputs = [
            proofmarket_circuits::Fr::from(3u64),
            proofmarket_circuits::Fr::from(9u64),
        ];
        let relayed = RelayedNode {
            prover: Address::ZERO,
            circuit_id: CircuitKind::Merge.id(),
            public_inputs: inputs.iter().map(|f| fr_to_u256(*f)).collect(),
            proof: Bytes::from(vec![0u8; PROOF_LEN]),
        };
        assert_eq!(relayed.node_id(), node_id(CircuitKind::Merge, &inputs).0);
    }

    #[test]
    fn bounds_sizes_and_proofs_per_node() {
        let relay = NodeRelay::new();
        let mut short = node(1, 5);
        short.proof = Bytes::from(vec![0u8; 10]);
        assert!(matches!(
            relay.put(short.node_id(), short),
            Err(RelayError::Malformed(_))
        ));
        let mut wide = node(1, 5);
        wide.public_inputs = vec![U256::ZERO; MAX_INPUTS + 1];
        assert!(matches!(
            relay.put(wide.node_id(), wide),
            Err(RelayError::Malformed(_))
        ));
        let id = node(1, 5).node_id();
        for prover in 1..=MAX_PER_NODE as u8 {
            assert_eq!(relay.put(id, node(prover, 5)), Ok(true));
        }
        assert_eq!(relay.put(id, node(99, 5)), Err(RelayError::NodeFull(id)));
        assert_eq!(relay.get(id).len(), MAX_PER_NODE);
    }

    #[tokio::test]
    async fn serves_put_and_get_over_http() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = tokio::spawn(async move {
            axum::serve(listener, router(NodeRelay::new()))
                .await
                .expect("serve");
        });
        let client = RelayClient::new(&format!("http://{addr}")).expect("client");
        let a = node(1, 5);
        assert!(client.get(a.node_id()).await.expect("get").is_empty());
        client.put(&a).await.expect("put");
        assert_eq!(client.get(a.node_id()).await.expect("get"), vec![a.clone()]);
        // A body filed under another node's id is refused with 400.
        let url = format!("http://{addr}/nodes/{}", B256::ZERO);
        let response = reqwest::Client::new()
            .put(&url)
            .json(&a)
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        // Oversized bodies are refused before parsing.
        let huge = vec![b'x'; MAX_BODY + 1];
        let response = reqwest::Client::new()
            .put(&url)
            .header("content-type", "application/json")
            .body(huge)
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        server.abort();
    }
}
