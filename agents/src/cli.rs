//! The command-line surface: the subcommands and the argument groups they share.
//!
//! Every flag has an environment fallback (`PROOFMARKET_*`), and role commands also read a TOML config
//! file (see [`crate::config`]); precedence is flag > env > file > default. Secrets are never flags: the
//! private key comes from `PROOFMARKET_PRIVATE_KEY` or a keystore file (see [`crate::keys`]).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// proofmarket: a market of ZK proving mechanisms.
#[derive(Debug, Parser)]
#[command(name = "proofmarket", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub log: LogArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a prover: stake, watch tasks, decide, prove, submit, get paid.
    Prover(crate::prover::ProverArgs),
    /// Run the rollup sequencer: accept L2 transfers, build and post blocks, serve block data.
    Sequencer(crate::sequencer::SequencerArgs),
    /// Open a one-off proof task from the command line.
    Request(crate::request::RequestArgs),
    /// Show the registry, open tasks, provers and their records, the last proven block.
    Status(crate::status::StatusArgs),
    /// Deploy every contract from the forge artifacts and write an addresses JSON.
    Deploy(crate::deploy::DeployArgs),
    /// Run the whole system on an embedded anvil and print what happened.
    Devnet(crate::devnet::DevnetArgs),
}

/// Where the chain is and which deployment to talk to.
#[derive(Debug, Clone, Default, Args)]
pub struct ChainArgs {
    /// JSON-RPC endpoint (http or ws).
    #[arg(long, env = "PROOFMARKET_RPC_URL")]
    pub rpc_url: Option<String>,
    /// Addresses JSON written by `proofmarket deploy`.
    #[arg(long, env = "PROOFMARKET_ADDRESSES")]
    pub addresses: Option<PathBuf>,
    /// Chain id the RPC must report (defaults to the one in the addresses file).
    #[arg(long, env = "PROOFMARKET_CHAIN_ID")]
    pub chain_id: Option<u64>,
}

/// Where the signing key is. The key itself is never a flag: see [`crate::keys`].
#[derive(Debug, Clone, Default, Args)]
pub struct KeyArgs {
    /// Encrypted JSON keystore; its password is read from PROOFMARKET_KEYSTORE_PASSWORD.
    /// Without it the key is read from PROOFMARKET_PRIVATE_KEY.
    #[arg(long, env = "PROOFMARKET_KEYSTORE")]
    pub keystore: Option<PathBuf>,
}

/// Logging.
#[derive(Debug, Clone, Args)]
pub struct LogArgs {
    /// Log filter (tracing `EnvFilter` syntax), e.g. `info,proofmarket=debug`.
    #[arg(long, global = true, env = "PROOFMARKET_LOG", default_value = "info")]
    pub log: String,
    /// Emit JSON log lines instead of human-readable ones.
    #[arg(long, global = true, env = "PROOFMARKET_LOG_JSON")]
    pub log_json: bool,
}

/// Tracing targets of arkworks' constraint gadgets. Every gadget call opens an INFO span whose
/// fields are the `Debug` form of its arguments, including the whole constraint system, so a
/// subscriber that records them spends quadratic time and tens of gigabytes synthesising one base
/// circuit. They are silenced unless the operator's filter names them.
const CONSTRAINT_TRACE_TARGETS: [&str; 2] = ["gr1cs", "r1cs"];

/// The operator's log filter plus `target=off` for each constraint-tracing target it leaves out.
pub fn effective_log_filter(filter: &str) -> String {
    let named = |target: &str| {
        filter
            .split(',')
            .any(|directive| directive.trim().split(['=', '[']).next() == Some(target))
    };
    let mut effective = filter.to_string();
    for target in CONSTRAINT_TRACE_TARGETS {
        if !named(target) {
            if !effective.is_empty() {
                effective.push(',');
            }
            effective.push_str(target);
            effective.push_str("=off");
        }
    }
    effective
}

impl LogArgs {
    /// Installs the global tracing subscriber.
    pub fn init(&self) -> eyre::Result<()> {
        let filter = tracing_subscriber::EnvFilter::try_new(effective_log_filter(&self.log))
            .map_err(|e| eyre::eyre!("invalid --log filter {:?}: {e}", self.log))?;
        // Logs go to stderr: stdout carries only results (`request` prints the task id, `status
        // --json` its JSON), so scripts can capture them.
        let builder = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_target(false);
        let result = if self.log_json {
            builder.json().try_init()
        } else {
            builder.try_init()
        };
        result.map_err(|e| eyre::eyre!("cannot install the logger: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::effective_log_filter;

    #[test]
    fn constraint_tracing_is_silenced_unless_named() {
        assert_eq!(effective_log_filter("info"), "info,gr1cs=off,r1cs=off");
        assert_eq!(effective_log_filter(""), "gr1cs=off,r1cs=off");
        assert_eq!(
            effective_log_filter("info,gr1cs=trace"),
            "info,gr1cs=trace,r1cs=off"
        );
        assert_eq!(
            effective_log_filter("debug, r1cs[span]=debug"),
            "debug, r1cs[span]=debug,gr1cs=off"
        );
        // Every result is a filter tracing accepts.
        for filter in ["info", "", "info,proofmarket=debug", "warn,gr1cs=trace"] {
            tracing_subscriber::EnvFilter::try_new(effective_log_filter(filter)).unwrap();
        }
    }
}
