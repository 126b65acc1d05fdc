//! The sequencer's HTTP API (JSON):
//!
//! | route | what |
//! |---|---|
//! | `POST /tx` | submit a signed transfer: `{"tx": "0x<88-byte encoding>"}` or `{"from", "to", "amount", "nonce", "signature": "0x<64 bytes>"}`; 200 `{"accepted": true, "txHash"}` or 400/422/503 `{"accepted": false, "code", "reason"}` |
//! | `GET /blocks/:n` | a built block's data (`number`, `txs` calldata, roots, commitment, data hash, status, L1 tx, task id) |
//! | `GET /accounts/:i` | an account's balance and next nonce as the next block will see them |
//! | `GET /health` | liveness and the L2 tip |
//! | `PUT /nodes/:id`, `GET /nodes/:id` | the untrusted node-proof relay of tree assignment (see `relay.rs`) |

use std::net::SocketAddr;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use proofmarket_circuits::signature::Signature;
use proofmarket_circuits::state::{SignedTransaction, Transaction};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::node::{BlockBody, L2Node, Rejection, decode_hex};

/// `POST /tx` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum TxRequest {
    /// The calldata encoding of one transfer.
    Encoded { tx: String },
    /// The transfer's fields and its signature.
    Fields {
        from: u32,
        to: u32,
        amount: u64,
        nonce: u64,
        signature: String,
    },
}

impl TxRequest {
    /// Decodes the request into a signed transfer.
    pub fn decode(&self) -> Result<SignedTransaction, Rejection> {
        match self {
            Self::Encoded { tx } => decode_hex(tx),
            Self::Fields {
                from,
                to,
                amount,
                nonce,
                signature,
            } => {
                let bytes = hex::decode(signature.trim().trim_start_matches("0x"))
                    .map_err(|e| Rejection::malformed(format!("signature is not hex: {e}")))?;
                let signature = Signature::from_bytes(&bytes)
                    .map_err(|e| Rejection::malformed(e.to_string()))?;
                Ok(SignedTransaction {
                    tx: Transaction {
                        from: *from,
                        to: *to,
                        amount: *amount,
                        nonce: *nonce,
                    },
                    signature,
                })
            }
        }
    }
}

/// A block as served, with its L1 progress.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockResponse {
    #[serde(flatten)]
    pub body: BlockBody,
    pub status: String,
    pub l1_tx: Option<alloy::primitives::B256>,
    /// The root-proof task's id (hex: a ledger task id does not fit 64 bits).
    pub task_id: Option<alloy::primitives::U256>,
}

type ApiError = (StatusCode, Json<Value>);

fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "sequencer API error");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(json!({ "error": "internal", "reason": e.to_string() })),
    )
}

fn rejected(r: &Rejection) -> ApiError {
    let status = match r.code {
        "malformed" => StatusCode::BAD_REQUEST,
        "mempool_full" => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    (
        status,
        Json(json!({ "accepted": false, "code": r.code, "reason": r.reason })),
    )
}

async fn post_tx(
    State(node): State<L2Node>,
    body: Result<Json<TxRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(request) = body.map_err(|e| {
        crate::metrics::l2_tx("malformed");
        rejected(&Rejection::malformed(e.body_text()))
    })?;
    let tx = request
        .decode()
        .inspect_err(|_| crate::metrics::l2_tx("malformed"))
        .map_err(|r| rejected(&r))?;
    match node.submit(tx).map_err(internal)? {
        Ok(hash) => {
            crate::metrics::l2_tx("accepted");
            tracing::debug!(%hash, from = tx.tx.from, to = tx.tx.to, "transfer accepted");
            Ok(Json(json!({ "accepted": true, "txHash": hash })))
        }
        Err(rejection) => {
            crate::metrics::l2_tx(rejection.code);
            Err(rejected(&rejection))
        }
    }
}

async fn get_block(
    State(node): State<L2Node>,
    Path(number): Path<u64>,
) -> Result<Json<BlockResponse>, ApiError> {
    let row = node
        .store()
        .block(number)
        .map_err(internal)?
        .ok_or_else(|| {
            (
                StatusCode::NOT_FOUND,
                Json(json!({ "error": "unknown_block", "reason": format!("no block {number}") })),
            )
        })?;
    let body: BlockBody = serde_json::from_str(&row.body).map_err(internal)?;
    Ok(Json(BlockResponse {
        body,
        status: row.status,
        l1_tx: row.l1_tx,
        // The stored header is the poster's record of the post in `l1_tx`; before the poster has
        // read that post's receipt (the follower may see its event first, after a prune the
        // header is still the pruned post's), only the row's task id is current.
        task_id: if row.l1_tx.is_some() {
            super::l1::root_task_id(node.store(), number).map_err(internal)?
        } else {
            None
        }
        .or(row.task_id.map(alloy::primitives::U256::from)),
    }))
}

async fn get_account(
    State(node): State<L2Node>,
    Path(index): Path<u32>,
) -> Result<Json<Value>, ApiError> {
    match node.account(index).map_err(internal)? {
        Some((balance, nonce)) => Ok(Json(
            json!({ "index": index, "balance": balance, "nonce": nonce }),
        )),
        None => Err((
            StatusCode::NOT_FOUND,
            Json(
                json!({ "error": "unknown_account", "reason": format!("account {index} is outside the tree") }),
            ),
        )),
    }
}

async fn health(State(node): State<L2Node>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({
        "status": "ok",
        "tip": node.tip().map_err(internal)?,
        "mempool": node.mempool_len().map_err(internal)?,
    })))
}

/// The router (exposed for tests).
pub fn router(node: L2Node) -> Router {
    Router::new()
        .route("/tx", post(post_tx))
        .route("/blocks/{number}", get(get_block))
        .route("/accounts/{index}", get(get_account))
        .route("/health", get(health))
        .with_state(node)
        .merge(super::relay::router(super::relay::NodeRelay::new()))
}

/// Binds `addr` and serves until `shutdown`; returns the bound address once listening.
pub async fn serve(
    node: L2Node,
    addr: SocketAddr,
    shutdown: CancellationToken,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let handle = tokio::spawn(async move {
        let served = axum::serve(listener, router(node))
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "sequencer HTTP server stopped");
        }
    });
    tracing::info!(%bound, "sequencer API on http://{bound}");
    Ok((bound, handle))
}
