//! Deterministic DEVELOPMENT proving keys, cached on disk.
//!
//! **NOT FOR PRODUCTION.** Each key comes from a Groth16 setup whose randomness ("toxic waste") is a
//! ChaCha20 stream seeded from a public string, so anyone can recompute it and forge proofs. This makes
//! the verifying keys, and so the generated Solidity verifiers, reproducible; a production deployment
//! needs a multi-party ceremony. Keys live in `$PROOFMARKET_KEY_DIR` or `target/proofmarket-keys/`
//! (never committed) under a file name carrying a hash of the circuit's constraint matrices, so a
//! changed circuit never loads a stale key.

use std::{
    fs,
    io::{BufReader, BufWriter},
    path::{Path, PathBuf},
};

use alloy_primitives::{B256, keccak256};
use ark_bn254::{Bn254, Fr};
use ark_ff::{BigInteger, PrimeField};
use ark_groth16::{Groth16, PreparedVerifyingKey, ProvingKey, VerifyingKey};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisError, SynthesisMode,
};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_snark::SNARK;
use rand_chacha::{ChaCha20Rng, rand_core::SeedableRng};

use crate::{
    circuits::{BaseCircuit, CircuitKind, MergeCircuit, RootCircuit},
    state::DEFAULT_DEPTH,
};

/// Environment variable overriding the key directory.
pub const KEY_DIR_ENV: &str = "PROOFMARKET_KEY_DIR";

/// Errors loading or generating keys.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Constraint synthesis or setup failed.
    #[error("setup of the {circuit} circuit failed: {source}")]
    Setup {
        /// The circuit.
        circuit: &'static str,
        /// Why.
        source: SynthesisError,
    },
    /// Reading or writing the cache failed.
    #[error("key cache {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// (De)serialising a key failed.
    #[error("key file {path}: {source}")]
    Serialization {
        /// The file.
        path: PathBuf,
        /// Why.
        source: ark_serialize::SerializationError,
    },
}

/// The default key directory: `$PROOFMARKET_KEY_DIR`, else `<workspace>/target/proofmarket-keys`.
pub fn default_key_dir() -> PathBuf {
    match std::env::var_os(KEY_DIR_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/proofmarket-keys"),
    }
}

/// Synthesises a circuit's shape as Groth16's setup does.
fn synthesize_shape(kind: CircuitKind, depth: usize) -> Result<ConstraintSystem<Fr>, KeyError> {
    let setup_error = |source| KeyError::Setup {
        circuit: kind.name(),
        source,
    };
    let cs = ark_relations::gr1cs::ConstraintSystemRef::new(ConstraintSystem::new());
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Setup);
    match kind {
        CircuitKind::Base => BaseCircuit::blank(depth).generate_constraints(cs.clone()),
        CircuitKind::Merge => MergeCircuit::default().generate_constraints(cs.clone()),
        CircuitKind::Root => RootCircuit::default().generate_constraints(cs.clone()),
    }
    .map_err(setup_error)?;
    cs.finalize();
    cs.into_inner()
        .ok_or(setup_error(SynthesisError::MissingCS))
}

/// Size of a circuit: what the constraint-count snapshot records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CircuitShape {
    /// Number of constraints.
    pub constraints: usize,
    /// Number of public inputs (the constant 1 excluded).
    pub public_inputs: usize,
    /// Number of witness variables.
    pub witnesses: usize,
    /// keccak256 of the constraint matrices: names the key file.
    pub hash: B256,
}

/// Synthesises a circuit and measures it.
pub fn circuit_shape(kind: CircuitKind, depth: usize) -> Result<CircuitShape, KeyError> {
    let cs = synthesize_shape(kind, depth)?;
    let cs_ref = ark_relations::gr1cs::ConstraintSystemRef::new(cs);
    let matrices = cs_ref.to_matrices().map_err(|source| KeyError::Setup {
        circuit: kind.name(),
        source,
    })?;
    let mut bytes = Vec::new();
    bytes.extend_from_slice(kind.id().as_slice());
    bytes.extend_from_slice(&(depth as u64).to_le_bytes());
    for (label, predicate_matrices) in &matrices {
        bytes.extend_from_slice(label.as_bytes());
        for matrix in predicate_matrices {
            bytes.extend_from_slice(&(matrix.len() as u64).to_le_bytes());
            for row in matrix {
                bytes.extend_from_slice(&(row.len() as u64).to_le_bytes());
                for (coefficient, variable) in row {
                    bytes.extend_from_slice(&coefficient.into_bigint().to_bytes_le());
                    bytes.extend_from_slice(&(*variable as u64).to_le_bytes());
                }
            }
        }
    }
    Ok(CircuitShape {
        constraints: cs_ref.num_constraints(),
        public_inputs: cs_ref.num_instance_variables() - 1,
        witnesses: cs_ref.num_witness_variables(),
        hash: keccak256(&bytes),
    })
}

/// The public seed string of a circuit's development setup.
pub fn dev_setup_seed(kind: CircuitKind, depth: usize) -> String {
    format!(
        "proofmarket.dev-setup.NOT-FOR-PRODUCTION.{}.v1.depth{depth}",
        kind.name()
    )
}

/// One circuit's keys.
#[derive(Clone)]
pub struct CircuitKey {
    /// Which circuit.
    pub kind: CircuitKind,
    /// The proving key (contains the verifying key).
    pub pk: ProvingKey<Bn254>,
    /// The prepared verifying key.
    pub pvk: PreparedVerifyingKey<Bn254>,
    /// The circuit's shape.
    pub shape: CircuitShape,
}

impl CircuitKey {
    /// The verifying key.
    pub fn vk(&self) -> &VerifyingKey<Bn254> {
        &self.pk.vk
    }

    /// Runs the deterministic development setup (slow: seconds for the base circuit).
    pub fn setup(kind: CircuitKind, depth: usize) -> Result<Self, KeyError> {
        let shape = circuit_shape(kind, depth)?;
        let mut rng = ChaCha20Rng::from_seed(keccak256(dev_setup_seed(kind, depth)).0);
        let setup_error = |source| KeyError::Setup {
            circuit: kind.name(),
            source,
        };
        let (pk, _) = match kind {
            CircuitKind::Base => {
                Groth16::<Bn254>::circuit_specific_setup(BaseCircuit::blank(depth), &mut rng)
            }
            CircuitKind::Merge => {
                Groth16::<Bn254>::circuit_specific_setup(MergeCircuit::default(), &mut rng)
            }
            CircuitKind::Root => {
                Groth16::<Bn254>::circuit_specific_setup(RootCircuit::default(), &mut rng)
            }
        }
        .map_err(setup_error)?;
        Self::from_pk(kind, pk, shape)
    }

    fn from_pk(
        kind: CircuitKind,
        pk: ProvingKey<Bn254>,
        shape: CircuitShape,
    ) -> Result<Self, KeyError> {
        let pvk = Groth16::<Bn254>::process_vk(&pk.vk).map_err(|source| KeyError::Setup {
            circuit: kind.name(),
            source,
        })?;
        Ok(Self {
            kind,
            pk,
            pvk,
            shape,
        })
    }

    /// The cache file name: `<circuit>-d<depth>-<shape hash prefix>.pk`.
    pub fn file_name(kind: CircuitKind, depth: usize, shape: &CircuitShape) -> String {
        format!(
            "{}-d{depth}-{}.pk",
            kind.name(),
            &hex::encode(shape.hash)[..16]
        )
    }

    /// Loads the key from `dir`, or runs the setup and caches it there.
    pub fn load_or_setup(dir: &Path, kind: CircuitKind, depth: usize) -> Result<Self, KeyError> {
        let shape = circuit_shape(kind, depth)?;
        let path = dir.join(Self::file_name(kind, depth, &shape));
        if path.exists() {
            let file = fs::File::open(&path).map_err(|source| KeyError::Io {
                path: path.clone(),
                source,
            })?;
            // The cache is our own output; points were checked when the key was first written.
            let pk = ProvingKey::<Bn254>::deserialize_uncompressed_unchecked(BufReader::new(file))
                .map_err(|source| KeyError::Serialization {
                    path: path.clone(),
                    source,
                })?;
            return Self::from_pk(kind, pk, shape);
        }
        let key = Self::setup(kind, depth)?;
        fs::create_dir_all(dir).map_err(|source| KeyError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        // Write to a temporary file and rename, so a concurrent reader never sees half a key. The
        // temporary name is unique per process *and* per call: threads of one process (parallel
        // tests on a fresh checkout) set up the same key at once, and a shared name let one thread
        // rename the file away from under another.
        static SETUPS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let tmp = dir.join(format!(
            "{}.tmp{}-{}",
            Self::file_name(kind, depth, &shape),
            std::process::id(),
            SETUPS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let file = fs::File::create(&tmp).map_err(|source| KeyError::Io {
            path: tmp.clone(),
            source,
        })?;
        key.pk
            .serialize_uncompressed(BufWriter::new(file))
            .map_err(|source| KeyError::Serialization {
                path: tmp.clone(),
                source,
            })?;
        fs::rename(&tmp, &path).map_err(|source| KeyError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(key)
    }
}

/// The keys of all three circuits for one tree depth.
#[derive(Clone)]
pub struct Keys {
    /// Account tree depth the base key is for.
    pub depth: usize,
    /// Base circuit key.
    pub base: CircuitKey,
    /// Merge circuit key.
    pub merge: CircuitKey,
    /// Root circuit key.
    pub root: CircuitKey,
}

impl Keys {
    /// Loads (or sets up and caches) all three keys for [`DEFAULT_DEPTH`].
    pub fn load_or_setup(dir: &Path) -> Result<Self, KeyError> {
        Self::load_or_setup_with_depth(dir, DEFAULT_DEPTH)
    }

    /// Loads (or sets up and caches) all three keys for a given tree depth.
    pub fn load_or_setup_with_depth(dir: &Path, depth: usize) -> Result<Self, KeyError> {
        Ok(Self {
            depth,
            base: CircuitKey::load_or_setup(dir, CircuitKind::Base, depth)?,
            merge: CircuitKey::load_or_setup(dir, CircuitKind::Merge, depth)?,
            root: CircuitKey::load_or_setup(dir, CircuitKind::Root, depth)?,
        })
    }

    /// The key of a circuit kind.
    pub fn get(&self, kind: CircuitKind) -> &CircuitKey {
        match kind {
            CircuitKind::Base => &self.base,
            CircuitKind::Merge => &self.merge,
            CircuitKind::Root => &self.root,
        }
    }
}
