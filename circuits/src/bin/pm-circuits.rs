//! `pm-circuits`: regenerates the committed artefacts of the circuits crate.
//!
//! * `generate-verifiers` — Solidity verifiers and adapters into `contracts/verifiers/`;
//! * `export-fixtures` — real proofs into `test/fixtures/`;
//! * `check` — the drift check (same as the cargo test): verifiers regenerate identically, fixtures
//!   have the current statements and their proofs verify;
//! * `constraint-counts` — prints each circuit's size (the snapshot format).
//!
//! Keys come from `--key-dir`, `$PROOFMARKET_KEY_DIR` or `target/proofmarket-keys/` (development
//! keys, NOT for production).

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use proofmarket_circuits::{
    fixtures,
    keys::{self, Keys},
    solidity,
    state::DEFAULT_DEPTH,
};

#[derive(Parser)]
#[command(
    name = "pm-circuits",
    about = "proofmarket circuits: verifiers, fixtures, drift check"
)]
struct Cli {
    /// Directory of the cached development keys.
    #[arg(long, env = keys::KEY_DIR_ENV)]
    key_dir: Option<PathBuf>,
    /// Repository root (defaults to the workspace this binary was built from).
    #[arg(long)]
    repo: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write the Solidity verifiers and adapters to contracts/verifiers/.
    GenerateVerifiers,
    /// Write the proof fixtures to test/fixtures/ (`--rollup-only`: just rollup_blocks.json).
    ExportFixtures {
        /// Only write rollup_blocks.json.
        #[arg(long)]
        rollup_only: bool,
    },
    /// Fail if the committed verifiers or fixtures drifted from the current circuits.
    Check,
    /// Print each circuit's constraint count.
    ConstraintCounts,
}

fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let key_dir = cli.key_dir.unwrap_or_else(keys::default_key_dir);
    let repo = cli.repo.unwrap_or_else(solidity::repo_root);
    match cli.command {
        Command::GenerateVerifiers => {
            let keys = Keys::load_or_setup(&key_dir)?;
            for path in solidity::write_files(&keys, &repo)? {
                println!("wrote {}", path.display());
            }
        }
        Command::ExportFixtures { rollup_only } => {
            let keys = Keys::load_or_setup(&key_dir)?;
            let written = if rollup_only {
                vec![fixtures::export_rollup_blocks(&keys, &repo)?]
            } else {
                fixtures::export_all(&keys, &repo)?
            };
            for path in written {
                println!("wrote {}", path.display());
            }
        }
        Command::Check => {
            let keys = Keys::load_or_setup(&key_dir)?;
            let drifted = solidity::check_files(&keys, &repo)?;
            if !drifted.is_empty() {
                let list: Vec<String> = drifted.iter().map(|p| p.display().to_string()).collect();
                return Err(format!(
                    "generated Solidity drifted (run `pm-circuits generate-verifiers`): {}",
                    list.join(", ")
                )
                .into());
            }
            fixtures::check_all(&keys, &repo)?;
            println!("verifiers and fixtures are up to date");
        }
        Command::ConstraintCounts => {
            print!(
                "{}",
                proofmarket_circuits::circuits::constraint_count_report(DEFAULT_DEPTH)?
            );
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
