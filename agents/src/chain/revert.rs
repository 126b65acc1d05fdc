//! Typed revert decoding: turns revert data into `TaskExpired(taskId: 7, deadline: 1700000000)`
//! instead of hex, for every custom error any proofmarket contract declares, plus Solidity's
//! `Error(string)` and `Panic(uint256)`.
//!
//! Code that must branch on an error matches the generated enums with [`decode_as`] (e.g.
//! `decode_as::<TaskRegistry::TaskRegistryErrors>(&data)`); logs and user-facing messages use
//! [`describe`], which covers all contracts at once from their ABIs.

use std::collections::HashMap;
use std::sync::OnceLock;

use alloy::dyn_abi::{DynSolValue, ErrorExt};
use alloy::json_abi::Error as AbiError;
use alloy::primitives::{Bytes, FixedBytes};
use alloy::sol_types::{Panic, Revert, SolError, SolInterface};

/// A decoded revert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedRevert {
    /// The error's name (`TaskExpired`, `Error`, `Panic`), or `unknown` for an unknown selector.
    pub name: String,
    /// Human-readable form with argument names: `TaskExpired(taskId: 7, deadline: 1700000000)`.
    pub display: String,
    /// The raw revert data.
    pub data: Bytes,
}

impl std::fmt::Display for DecodedRevert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display)
    }
}

fn errors_by_selector() -> &'static HashMap<FixedBytes<4>, AbiError> {
    static TABLE: OnceLock<HashMap<FixedBytes<4>, AbiError>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = HashMap::new();
        for (_contract, error) in proofmarket_bindings::all_errors() {
            table.entry(error.selector()).or_insert(error);
        }
        table
    })
}

/// Decodes revert data into one of the generated error enums, for code that branches on the error.
pub fn decode_as<E: SolInterface>(data: &[u8]) -> Option<E> {
    E::abi_decode(data).ok()
}

/// Describes revert data: a custom error of any proofmarket contract, `Error(string)`, `Panic(code)`,
/// an empty revert, or the raw hex when the selector is unknown.
pub fn describe(data: &[u8]) -> DecodedRevert {
    let raw = Bytes::copy_from_slice(data);
    if data.is_empty() {
        return DecodedRevert {
            name: "empty".into(),
            display: "reverted without data".into(),
            data: raw,
        };
    }
    if let Ok(revert) = Revert::abi_decode(data) {
        return DecodedRevert {
            name: "Error".into(),
            display: format!("Error({:?})", revert.reason),
            data: raw,
        };
    }
    if let Ok(panic) = Panic::abi_decode(data) {
        let kind = panic
            .kind()
            .map_or_else(|| "unknown panic".to_string(), |k| k.to_string());
        return DecodedRevert {
            name: "Panic".into(),
            display: format!("Panic({:#x}: {kind})", panic.code),
            data: raw,
        };
    }
    if data.len() >= 4 {
        let selector = FixedBytes::<4>::from_slice(&data[..4]);
        if let Some(error) = errors_by_selector().get(&selector)
            && let Ok(decoded) = error.decode_error(data)
        {
            {
                let args = error
                    .inputs
                    .iter()
                    .zip(decoded.body.iter())
                    .map(|(param, value)| {
                        if param.name.is_empty() {
                            format_value(value)
                        } else {
                            format!("{}: {}", param.name, format_value(value))
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                return DecodedRevert {
                    name: error.name.clone(),
                    display: format!("{}({args})", error.name),
                    data: raw,
                };
            }
        }
    }
    DecodedRevert {
        name: "unknown".into(),
        display: format!("unknown revert 0x{}", hex::encode(data)),
        data: raw,
    }
}

/// Finds revert data in an RPC error (an `eth_call` / `eth_estimateGas` that reverted).
pub fn revert_data_of_rpc<E>(err: &alloy::transports::RpcError<E>) -> Option<Bytes> {
    err.as_error_resp()
        .and_then(|payload| payload.as_revert_data())
}

/// Finds revert data in a contract-call error.
pub fn revert_data_of_contract(err: &alloy::contract::Error) -> Option<Bytes> {
    err.as_revert_data()
}

/// Describes a contract-call error: the decoded revert when there is one, else the error itself.
pub fn describe_contract_error(err: &alloy::contract::Error) -> String {
    match revert_data_of_contract(err) {
        Some(data) => describe(&data).display,
        None => err.to_string(),
    }
}

fn format_value(value: &DynSolValue) -> String {
    match value {
        DynSolValue::Bool(b) => b.to_string(),
        DynSolValue::Int(i, _) => i.to_string(),
        DynSolValue::Uint(u, _) => u.to_string(),
        DynSolValue::FixedBytes(w, size) => format!("0x{}", hex::encode(&w[..*size])),
        DynSolValue::Address(a) => a.to_checksum(None),
        DynSolValue::Function(f) => format!("0x{}", hex::encode(f.as_slice())),
        DynSolValue::Bytes(b) => format!("0x{}", hex::encode(b)),
        DynSolValue::String(s) => format!("{s:?}"),
        DynSolValue::Array(items) | DynSolValue::FixedArray(items) => {
            format!(
                "[{}]",
                items
                    .iter()
                    .map(format_value)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
        DynSolValue::Tuple(items) => {
            format!(
                "({})",
                items
                    .iter()
                    .map(format_value)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
        #[allow(unreachable_patterns)]
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use alloy::primitives::{Address, U256};
    use alloy::sol_types::SolError;
    use proofmarket_bindings::{IProverRegistry, ITaskRegistry};

    use super::*;

    #[test]
    fn custom_error_with_arguments_is_named() {
        let data = ITaskRegistry::TaskExpired {
            taskId: U256::from(7),
            deadline: 1_700_000_000,
        }
        .abi_encode();
        let decoded = describe(&data);
        assert_eq!(decoded.name, "TaskExpired");
        assert_eq!(
            decoded.display,
            "TaskExpired(taskId: 7, deadline: 1700000000)"
        );
        let typed = decode_as::<ITaskRegistry::ITaskRegistryErrors>(&data);
        assert!(
            matches!(typed, Some(ITaskRegistry::ITaskRegistryErrors::TaskExpired(e)) if e.taskId == U256::from(7))
        );
    }

    #[test]
    fn address_arguments_are_checksummed() {
        let prover: Address = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
            .parse()
            .unwrap();
        let data = IProverRegistry::NotRegistered { prover }.abi_encode();
        assert_eq!(
            describe(&data).display,
            "NotRegistered(prover: 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266)"
        );
    }

    #[test]
    fn string_panic_empty_and_unknown() {
        let data = Revert::from("nope").abi_encode();
        assert_eq!(describe(&data).display, "Error(\"nope\")");
        let data = Panic::from(0x11).abi_encode();
        assert!(describe(&data).display.starts_with("Panic(0x11"));
        assert_eq!(describe(&[]).name, "empty");
        let unknown = describe(&[0xde, 0xad, 0xbe, 0xef]);
        assert_eq!(unknown.name, "unknown");
        assert_eq!(unknown.display, "unknown revert 0xdeadbeef");
    }
}
