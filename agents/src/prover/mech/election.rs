//! Election-then-race on chain: decoding `ElectionRace` logs, calling `draw` with the target
//! block's RLP header (the contract checks it against `blockhash` and reads its prevrandao) and
//! `slashElected`.

use alloy::primitives::{Address, U256};
use alloy::rpc::types::Log;
use alloy::sol_types::{SolCall, SolEvent};
use proofmarket_bindings::ElectionRace;

use crate::chain::ChainProvider;
use crate::prover::policy::election::{ElectionAction, ElectionEvent};
use crate::prover::strategy::TaskId;
use crate::prover::submit::Sender;

/// The election event of an `ElectionRace` log.
pub fn decode(log: &Log) -> Option<ElectionEvent> {
    let topic = *log.topic0()?;
    let id = |t: U256| TaskId::try_from(t).ok();
    if topic == ElectionRace::DrawScheduled::SIGNATURE_HASH {
        let e = log.log_decode::<ElectionRace::DrawScheduled>().ok()?;
        let d = &e.inner.data;
        return Some(ElectionEvent::DrawScheduled {
            task_id: id(d.taskId)?,
            target_block: u64::try_from(d.targetBlock).ok()?,
        });
    }
    if topic == ElectionRace::DrawRetargeted::SIGNATURE_HASH {
        let e = log.log_decode::<ElectionRace::DrawRetargeted>().ok()?;
        let d = &e.inner.data;
        return Some(ElectionEvent::DrawScheduled {
            task_id: id(d.taskId)?,
            target_block: u64::try_from(d.targetBlock).ok()?,
        });
    }
    if topic == ElectionRace::ElectionDrawn::SIGNATURE_HASH {
        let e = log.log_decode::<ElectionRace::ElectionDrawn>().ok()?;
        let d = &e.inner.data;
        return Some(ElectionEvent::Drawn {
            task_id: id(d.taskId)?,
            elected: u64::try_from(d.elected).unwrap_or(u64::MAX),
            election_end: d.electionEnd,
        });
    }
    if topic == ElectionRace::ElectedSlashed::SIGNATURE_HASH {
        let e = log.log_decode::<ElectionRace::ElectedSlashed>().ok()?;
        let d = &e.inner.data;
        return Some(ElectionEvent::Slashed {
            task_id: id(d.taskId)?,
            prover: d.prover,
        });
    }
    None
}

/// Carries out an election action; returns a line for the log.
pub async fn execute(
    provider: &ChainProvider,
    sender: &Sender,
    mechanism: Address,
    action: ElectionAction,
) -> Result<String, String> {
    match action {
        ElectionAction::Draw {
            task_id,
            target_block,
        } => {
            let header = super::header_rlp(provider, target_block)
                .await
                .map_err(|e| e.to_string())?;
            let call = ElectionRace::drawCall {
                taskId: U256::from(task_id),
                header: header.into(),
            };
            let sent = sender
                .send_once(
                    &format!("election:draw:{task_id}:{target_block}"),
                    Some(task_id),
                    "draw",
                    mechanism,
                    call.abi_encode().into(),
                )
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!("drew the election (tx {})", sent.tx_hash))
        }
        ElectionAction::SlashElected { task_id, prover } => {
            let call = ElectionRace::slashElectedCall {
                taskId: U256::from(task_id),
                prover,
            };
            let sent = sender
                .send_once(
                    &format!("election:slash:{task_id}:{prover}"),
                    Some(task_id),
                    "slashElected",
                    mechanism,
                    call.abi_encode().into(),
                )
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!(
                "slashed silent elected {prover} (tx {})",
                sent.tx_hash
            ))
        }
    }
}
