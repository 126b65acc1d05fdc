//! Configuration: a TOML file, overridden by flags, which fall back to `PROOFMARKET_*` environment
//! variables (clap's `env`), over built-in defaults. Precedence: flag > env > file > default.
//!
//! Each role's file has the shared sections below plus its own (`[prover]`, `[sequencer]`); see the
//! checked-in examples in `agents/examples/`. Unknown keys are rejected so that a typo is an error, not
//! a silently ignored setting. Nothing secret belongs in the file: keys come from [`crate::keys`].

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::chain::addresses::Addresses;
use crate::cli::ChainArgs;

/// A configuration problem, reported before anything touches the chain.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("[C001] cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("[C002] config file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("[C003] no RPC URL: pass --rpc-url, set PROOFMARKET_RPC_URL or [chain].rpc_url")]
    MissingRpcUrl,
    #[error("[C004] RPC URL {url:?} is not an http(s) or ws(s) URL")]
    InvalidRpcUrl { url: String },
    #[error(
        "[C005] no addresses file: pass --addresses, set PROOFMARKET_ADDRESSES or [chain].addresses (written by `proofmarket deploy`)"
    )]
    MissingAddresses,
    #[error("[C006] cannot read addresses file {path}: {source}")]
    ReadAddresses {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("[C007] addresses file {path} is not valid: {message}")]
    ParseAddresses { path: PathBuf, message: String },
    #[error("[C008] invalid value for {key}: {message}")]
    Invalid { key: &'static str, message: String },
}

/// `[chain]`: where the chain is and how to read it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChainConfig {
    /// JSON-RPC endpoint.
    pub rpc_url: Option<String>,
    /// Addresses JSON written by `proofmarket deploy`.
    pub addresses: Option<PathBuf>,
    /// Chain id the RPC must report; defaults to the addresses file's.
    pub chain_id: Option<u64>,
    /// Blocks behind the head the monitor re-reads every poll, so that a reorg within this depth is
    /// replayed (handlers are idempotent). Default 12: deeper than any reorg seen on Ethereum since the
    /// merge; anvil never reorgs, so the devnet pays only a few re-read blocks.
    pub reorg_depth: u64,
    /// Milliseconds between head polls. Default 1000: about a tenth of an L1 slot, and anvil's
    /// devnet mines on demand.
    pub poll_interval_ms: u64,
    /// Blocks per `eth_getLogs` request while backfilling. Default 2000: under the 10k-block/10k-log
    /// limits common RPC providers apply.
    pub log_chunk_blocks: u64,
}

impl Default for ChainConfig {
    fn default() -> Self {
        Self {
            rpc_url: None,
            addresses: None,
            chain_id: None,
            reorg_depth: 12,
            poll_interval_ms: 1000,
            log_chunk_blocks: 2000,
        }
    }
}

/// `[store]`: the SQLite state file.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// Database path; default `<role>.db` in the working directory.
    pub path: Option<PathBuf>,
}

/// `[metrics]`: the Prometheus exporter.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Listen address for `/metrics`; disabled when absent.
    pub listen: Option<SocketAddr>,
}

/// The chain settings after merging flags, env and file, validated.
#[derive(Debug, Clone)]
pub struct ResolvedChain {
    pub rpc_url: String,
    pub addresses: Addresses,
    pub addresses_path: PathBuf,
    /// The chain id the RPC must report.
    pub chain_id: u64,
    pub reorg_depth: u64,
    pub poll_interval: Duration,
    pub log_chunk_blocks: u64,
}

impl ChainConfig {
    /// Merges the flags (which already hold env fallbacks) over this file section and loads the
    /// addresses file.
    pub fn resolve(&self, args: &ChainArgs) -> Result<ResolvedChain, ConfigError> {
        let rpc_url = resolve_rpc_url(args.rpc_url.as_deref().or(self.rpc_url.as_deref()))?;
        let addresses_path = args
            .addresses
            .clone()
            .or_else(|| self.addresses.clone())
            .ok_or(ConfigError::MissingAddresses)?;
        let addresses = Addresses::load(&addresses_path)?;
        let chain_id = args
            .chain_id
            .or(self.chain_id)
            .unwrap_or(addresses.chain_id);
        if self.log_chunk_blocks == 0 {
            return Err(ConfigError::Invalid {
                key: "chain.log_chunk_blocks",
                message: "must be at least 1".into(),
            });
        }
        if self.poll_interval_ms == 0 {
            return Err(ConfigError::Invalid {
                key: "chain.poll_interval_ms",
                message: "must be at least 1".into(),
            });
        }
        Ok(ResolvedChain {
            rpc_url,
            addresses,
            addresses_path,
            chain_id,
            reorg_depth: self.reorg_depth,
            poll_interval: Duration::from_millis(self.poll_interval_ms),
            log_chunk_blocks: self.log_chunk_blocks,
        })
    }
}

/// Validates an RPC URL (scheme only: reachability is checked when connecting).
pub fn resolve_rpc_url(url: Option<&str>) -> Result<String, ConfigError> {
    let url = url
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .ok_or(ConfigError::MissingRpcUrl)?;
    let ok = ["http://", "https://", "ws://", "wss://"]
        .iter()
        .any(|s| url.starts_with(s))
        && url.len() > url.find("://").map_or(0, |i| i + 3);
    if ok {
        Ok(url.to_string())
    } else {
        Err(ConfigError::InvalidRpcUrl {
            url: url.to_string(),
        })
    }
}

/// Reads and parses a TOML config file into the role's config type.
pub fn load_file<T: DeserializeOwned>(path: &Path) -> Result<T, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_str(&text, path)
}

/// Parses TOML text (the path is only for error messages).
pub fn parse_str<T: DeserializeOwned>(text: &str, path: &Path) -> Result<T, ConfigError> {
    toml::from_str(text).map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Loads the file when a path is given, else the role's defaults.
pub fn load_or_default<T: DeserializeOwned + Default>(
    path: Option<&Path>,
) -> Result<T, ConfigError> {
    path.map_or_else(|| Ok(T::default()), load_file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, Deserialize)]
    #[serde(deny_unknown_fields, default)]
    struct Sample {
        chain: ChainConfig,
        store: StoreConfig,
        metrics: MetricsConfig,
    }

    #[test]
    fn rpc_url_validation() {
        assert!(matches!(
            resolve_rpc_url(None),
            Err(ConfigError::MissingRpcUrl)
        ));
        assert!(matches!(
            resolve_rpc_url(Some("  ")),
            Err(ConfigError::MissingRpcUrl)
        ));
        assert!(matches!(
            resolve_rpc_url(Some("localhost:8545")),
            Err(ConfigError::InvalidRpcUrl { .. })
        ));
        assert!(matches!(
            resolve_rpc_url(Some("http://")),
            Err(ConfigError::InvalidRpcUrl { .. })
        ));
        assert_eq!(
            resolve_rpc_url(Some("http://127.0.0.1:8545")).unwrap(),
            "http://127.0.0.1:8545"
        );
    }

    #[test]
    fn typo_in_config_is_an_error_naming_the_key() {
        let err = parse_str::<Sample>("[chain]\nrpc_ulr = \"http://x\"\n", Path::new("p.toml"))
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("[C002]"), "{msg}");
        assert!(msg.contains("rpc_ulr"), "{msg}");
    }

    #[test]
    fn defaults_fill_missing_keys() {
        let s: Sample = parse_str("[chain]\nreorg_depth = 3\n", Path::new("p.toml")).unwrap();
        assert_eq!(s.chain.reorg_depth, 3);
        assert_eq!(s.chain.poll_interval_ms, 1000);
        assert!(s.metrics.listen.is_none());
        assert!(s.store.path.is_none());
    }

    #[test]
    fn missing_file_is_named() {
        let err = load_file::<Sample>(Path::new("/nonexistent/prover.toml")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/prover.toml"));
    }

    #[test]
    fn flags_override_file_and_addresses_are_required() {
        let file = ChainConfig {
            rpc_url: Some("http://file:1".into()),
            ..Default::default()
        };
        let args = ChainArgs {
            rpc_url: Some("http://flag:2".into()),
            ..Default::default()
        };
        assert!(matches!(
            file.resolve(&args),
            Err(ConfigError::MissingAddresses)
        ));

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("addresses.json");
        std::fs::write(&path, serde_json::to_string(&Addresses::example()).unwrap()).unwrap();
        let args = ChainArgs {
            addresses: Some(path),
            ..args
        };
        let resolved = file.resolve(&args).unwrap();
        assert_eq!(resolved.rpc_url, "http://flag:2");
        assert_eq!(resolved.chain_id, 31337);
    }
}
