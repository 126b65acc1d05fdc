//! The agent's signing key, from an environment variable or an encrypted keystore file — never a
//! command-line flag, which would leak through `ps`, shell history and CI logs.
//!
//! Resolution order: `--keystore <file>` (or `PROOFMARKET_KEYSTORE`) with its password from
//! `PROOFMARKET_KEYSTORE_PASSWORD` (or the file named by `PROOFMARKET_KEYSTORE_PASSWORD_FILE`); otherwise
//! the hex private key in `PROOFMARKET_PRIVATE_KEY`. Error messages name the variable or file, never the
//! secret.

use std::path::{Path, PathBuf};

use alloy::signers::local::PrivateKeySigner;

use crate::cli::KeyArgs;

/// Environment variable holding a hex private key.
pub const PRIVATE_KEY_ENV: &str = "PROOFMARKET_PRIVATE_KEY";
/// Environment variable holding the keystore password.
pub const KEYSTORE_PASSWORD_ENV: &str = "PROOFMARKET_KEYSTORE_PASSWORD";
/// Environment variable naming a file that holds the keystore password.
pub const KEYSTORE_PASSWORD_FILE_ENV: &str = "PROOFMARKET_KEYSTORE_PASSWORD_FILE";

/// Why no signer could be loaded. Codes are stable (`K00x`) for operators' runbooks.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "[K001] no signing key: set {PRIVATE_KEY_ENV}, or pass --keystore <file> with {KEYSTORE_PASSWORD_ENV}"
    )]
    Missing,
    #[error("[K002] {PRIVATE_KEY_ENV} is not a 32-byte hex private key")]
    InvalidPrivateKey,
    #[error(
        "[K003] keystore {path} is set but neither {KEYSTORE_PASSWORD_ENV} nor {KEYSTORE_PASSWORD_FILE_ENV} is"
    )]
    MissingPassword { path: PathBuf },
    #[error("[K004] cannot read the keystore password file {path}: {source}")]
    PasswordFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("[K005] cannot decrypt keystore {path} (wrong password or not a keystore): {reason}")]
    Keystore { path: PathBuf, reason: String },
}

/// Loads the signer named by `args` and the process environment.
pub fn load_signer(args: &KeyArgs) -> Result<PrivateKeySigner, KeyError> {
    load_signer_with(args, |name| std::env::var(name).ok())
}

/// Loads the signer with an explicit environment lookup (tests pass a map instead of mutating the
/// process environment).
pub fn load_signer_with(
    args: &KeyArgs,
    env: impl Fn(&str) -> Option<String>,
) -> Result<PrivateKeySigner, KeyError> {
    if let Some(path) = &args.keystore {
        let password = match (env(KEYSTORE_PASSWORD_ENV), env(KEYSTORE_PASSWORD_FILE_ENV)) {
            (Some(password), _) => password,
            (None, Some(file)) => read_password_file(Path::new(&file))?,
            (None, None) => return Err(KeyError::MissingPassword { path: path.clone() }),
        };
        return PrivateKeySigner::decrypt_keystore(path, password).map_err(|e| {
            KeyError::Keystore {
                path: path.clone(),
                reason: e.to_string(),
            }
        });
    }
    let key = env(PRIVATE_KEY_ENV)
        .filter(|k| !k.trim().is_empty())
        .ok_or(KeyError::Missing)?;
    parse_private_key(&key)
}

/// Parses a hex private key (with or without `0x`).
pub fn parse_private_key(key: &str) -> Result<PrivateKeySigner, KeyError> {
    key.trim()
        .parse::<PrivateKeySigner>()
        .map_err(|_| KeyError::InvalidPrivateKey)
}

fn read_password_file(path: &Path) -> Result<String, KeyError> {
    let raw = std::fs::read_to_string(path).map_err(|source| KeyError::PasswordFile {
        path: path.to_path_buf(),
        source,
    })?;
    // A trailing newline from `echo pw > file` is not part of the password.
    Ok(raw.trim_end_matches(['\n', '\r']).to_string())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    const ANVIL_KEY_0: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn private_key_from_env() {
        let signer = load_signer_with(&KeyArgs::default(), env(&[(PRIVATE_KEY_ENV, ANVIL_KEY_0)]))
            .expect("valid key");
        assert_eq!(
            signer.address().to_string(),
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
        );
    }

    #[test]
    fn missing_and_malformed_keys_are_named_errors() {
        let missing = load_signer_with(&KeyArgs::default(), env(&[])).unwrap_err();
        assert!(matches!(missing, KeyError::Missing));
        let bad =
            load_signer_with(&KeyArgs::default(), env(&[(PRIVATE_KEY_ENV, "0x1234")])).unwrap_err();
        assert!(matches!(bad, KeyError::InvalidPrivateKey));
        // The message never echoes the secret.
        assert!(!bad.to_string().contains("1234"));
    }

    #[test]
    fn keystore_round_trip_and_wrong_password() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = hex::decode(ANVIL_KEY_0.trim_start_matches("0x")).expect("hex");
        let (created, _) = PrivateKeySigner::encrypt_keystore(
            dir.path(),
            &mut rand_for_tests(),
            &key,
            "hunter2",
            Some("prover.json"),
        )
        .expect("encrypt");
        let args = KeyArgs {
            keystore: Some(dir.path().join("prover.json")),
        };

        let loaded =
            load_signer_with(&args, env(&[(KEYSTORE_PASSWORD_ENV, "hunter2")])).expect("decrypt");
        assert_eq!(loaded.address(), created.address());

        let pw_file = dir.path().join("pw");
        std::fs::write(&pw_file, "hunter2\n").expect("write");
        let via_file = load_signer_with(
            &args,
            env(&[(KEYSTORE_PASSWORD_FILE_ENV, pw_file.to_str().expect("utf8"))]),
        )
        .expect("decrypt via password file");
        assert_eq!(via_file.address(), created.address());

        let wrong = load_signer_with(&args, env(&[(KEYSTORE_PASSWORD_ENV, "nope")])).unwrap_err();
        assert!(matches!(wrong, KeyError::Keystore { .. }));
        let no_pw = load_signer_with(&args, env(&[])).unwrap_err();
        assert!(matches!(no_pw, KeyError::MissingPassword { .. }));
    }

    fn rand_for_tests() -> impl alloy::signers::k256::elliptic_curve::rand_core::CryptoRngCore {
        alloy::signers::k256::elliptic_curve::rand_core::OsRng
    }
}
