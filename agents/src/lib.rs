//! proofmarket agents as a library: the `proofmarket` binary is a thin clap front over these modules, and
//! the integration tests drive the same code against an anvil they spawn.
//!
//! Shared infrastructure: [`config`] (TOML file + flags + env), [`keys`] (signer from env or keystore),
//! [`store`] (SQLite state), [`supervisor`] (restarted services, graceful shutdown), [`chain`] (provider,
//! chain monitor, submitter, revert decoding), [`metrics`] (Prometheus), [`ledger`] (the one-word task core's
//! tasks rebuilt from its logs). Roles: [`prover`], [`sequencer`],
//! [`request`], [`status`], [`deploy`], [`devnet`].

pub mod chain;
pub mod cli;
pub mod config;
pub mod deploy;
pub mod devnet;
pub mod error;
pub mod keys;
pub mod ledger;
pub mod metrics;
pub mod prover;
pub mod request;
pub mod sequencer;
pub mod status;
pub mod store;
pub mod supervisor;
