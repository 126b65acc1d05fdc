//! Error conventions shared by every agent module.
//!
//! Each module has its own `thiserror` enum whose messages start with a stable code, so operators can
//! grep logs and runbooks can name failures:
//!
//! | prefix | module |
//! |---|---|
//! | `C0xx` | [`crate::config`] — bad or missing configuration |
//! | `K0xx` | [`crate::keys`] — signing key |
//! | `R0xx` | [`crate::chain`] — RPC, chain id, deployment checks |
//! | `M0xx` | [`crate::chain::monitor`] — log ingestion |
//! | `T0xx` | [`crate::chain::submitter`] — transactions and decoded reverts |
//! | `S0xx` | [`crate::store`] — SQLite state |
//! | `Q0xx` | [`crate::sequencer`] — L2 transfers and blocks |
//! | `D0xx` | [`crate::deploy`] — deployment |
//!
//! `eyre` is used only at the binary's edge and inside service loops. A service signals that retrying
//! cannot help (bad config, wrong chain) by returning an error wrapped in [`Fatal`]; the supervisor
//! then stops everything instead of restarting with backoff.

use std::fmt;

/// Marks an error as not worth retrying: the supervisor shuts down instead of restarting the service.
#[derive(Debug)]
pub struct Fatal(pub eyre::Report);

impl fmt::Display for Fatal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

impl std::error::Error for Fatal {}

/// Wraps `err` so that the supervisor treats it as fatal.
pub fn fatal(err: impl Into<eyre::Report>) -> eyre::Report {
    eyre::Report::new(Fatal(err.into()))
}

/// Whether `err` (or anything in its chain) was marked [`Fatal`].
pub fn is_fatal(err: &eyre::Report) -> bool {
    err.chain().any(|e| e.is::<Fatal>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fatal_marker_survives_context() {
        use eyre::WrapErr;
        let err: eyre::Result<()> = Err(fatal(eyre::eyre!("wrong chain id")));
        let wrapped = err.wrap_err("starting the monitor").unwrap_err();
        assert!(is_fatal(&wrapped));
        assert!(!is_fatal(&eyre::eyre!("connection refused")));
    }
}
