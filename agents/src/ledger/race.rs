//! The open race over the TaskLedger (`LedgerProofRace`; docs/mechanisms.md, migration step 4 for
//! the race): whether to prove a task the [`super::TaskBook`] tracks, and submitting the proof with
//! the task's current version.
//!
//! The decision is pure ([`decide`]): the task as the book holds it, the race's terms (read once from
//! the contract: [`RaceTerms::read`]), the prover's cost model and the time. It proves when the task
//! is live under this race, open to it (no other assignee, no proof of its accepted yet), the proof
//! fits before the deadline with the cost model's safety factor, and what the race pays at the
//! expected submission time — the decayed slot, plus the cover bounty on the proof that fulfils —
//! covers the cost with the configured margin.
//!
//! [`submit_proof`] (shared by every ledger strategy: the ledger's `submitProof` is the same call
//! under any mechanism) sends `submitProof(id, task, inputs, proof)` with the book's copy through the
//! agent's [`Submitter`] (simulation before signing, one nonce manager per account, at most once per
//! idempotency key). A `StaleTask` revert means the copy missed a change (a reopen, a log not read
//! yet, a reorg): the task is rebuilt from its own logs ([`LedgerSync::refresh`]) and the proof sent
//! once more with the fresh copy; any other revert is returned by name, and nothing is retried
//! blindly.

use alloy::primitives::{Address, Bytes, U256};
use proofmarket_bindings::LedgerProofRace;
use proofmarket_bindings::TaskLedger::{self, LedgerTask};

use alloy::sol_types::SolCall;

use super::book::TrackedTask;
pub use super::call::chain_time;
use super::call::{LedgerCallError, logged, send_task_call, view};
use super::sync::LedgerSync;
use crate::chain::ChainProvider;
use crate::chain::submitter::Submitter;
use crate::prover::cost::{CostEstimate, CostModel};
use crate::prover::strategy::RaceSchedule;

/// A race instance's immutable parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RaceTerms {
    /// The `LedgerProofRace` contract.
    pub race: Address,
    /// Share of a slot paid once the decay is over, in basis points.
    pub floor_bps: u16,
    /// Seconds from full pay to the floor; zero: the task's own window (deadline − openedAt).
    pub decay_window: u32,
}

impl RaceTerms {
    /// Reads the terms of the race at `race`.
    pub async fn read(provider: &ChainProvider, race: Address) -> Result<Self, LedgerRaceError> {
        let contract = LedgerProofRace::new(race, provider);
        Ok(Self {
            race,
            floor_bps: view("floorBps", contract.floorBps().call()).await?,
            decay_window: view("decayWindow", contract.decayWindow().call()).await?,
        })
    }

    /// The task's decay schedule under this race.
    pub fn schedule(&self, task: &LedgerTask) -> RaceSchedule {
        let start = u64::from(task.openedAt);
        let window = if self.decay_window == 0 {
            u64::from(task.deadline).saturating_sub(start)
        } else {
            u64::from(self.decay_window)
        };
        RaceSchedule {
            start,
            window,
            floor_bps: u32::from(self.floor_bps),
        }
    }

    /// What the race pays a proof of `task` accepted at `at` (`LedgerProofRace.paymentAt`).
    pub fn payment_at(&self, task: &LedgerTask, at: u64) -> u128 {
        self.schedule(task).decayed(slot_budget(task), at)
    }
}

/// One slot of `task`'s budget: `maxPayment / redundancy`, rounded down.
pub fn slot_budget(task: &LedgerTask) -> u128 {
    let max: u128 = task.maxPayment.to();
    max / u128::from(task.redundancy.max(1))
}

/// Why the prover leaves a task alone.
#[derive(Clone, Debug, PartialEq)]
pub enum Decline {
    /// The book holds it as closed.
    Closed,
    /// It runs under another mechanism (e.g. reopened under its fallback).
    OtherMechanism(Address),
    /// Its deadline has passed.
    Expired,
    /// Another prover holds its assignment; only that prover may prove.
    AssignedToOther(Address),
    /// This prover already had a proof of it accepted.
    AlreadyProven,
    /// The proof is too late or does not pay.
    Proof(ProofRefusal),
}

/// Why an unassigned proof is not worth making (the race's, or an ascending auction's cover).
#[derive(Clone, Debug, PartialEq)]
pub enum ProofRefusal {
    /// The proof would not be done before the deadline with the safety factor.
    TooLate {
        /// Estimated proving time.
        prove_secs: f64,
        /// Seconds to the deadline.
        slack_secs: u64,
    },
    /// The pay at the expected submission time does not cover the cost with the margin.
    Unprofitable {
        /// Expected pay, token base units.
        payment: u128,
        /// Expected cost, token base units.
        cost: f64,
    },
}

/// An unassigned proof worth making.
#[derive(Clone, Debug, PartialEq)]
pub struct ProofPlan {
    /// Expected pay (the mechanism's, plus the cover bounty when this proof fulfils the task).
    pub payment: u128,
    /// When the proof is expected to be submitted (now + estimated proving time).
    pub submit_at: u64,
    /// The cost estimate (with `extra_gas_tokens` in its gas).
    pub cost: CostEstimate,
}

/// Whether an unassigned proof of `tracked` (a `txs`-transaction statement) is worth making at `now`:
/// it must be done before the deadline with the cost model's safety factor, and what the mechanism
/// pays at the expected submission (`pay_at`), plus the task's cover bounty when this proof fulfils
/// it and `extra_bounty` (a bounty a call before the proof adds), must cover the cost and
/// `extra_gas_tokens` (that call's gas) with the margin. An unassigned proof locks no collateral:
/// nothing to lose but the work. The caller has checked that the task is live, its mechanism's and
/// not past its deadline.
pub fn plan_unassigned_proof(
    tracked: &TrackedTask,
    now: u64,
    txs: u64,
    cost: &CostModel,
    (extra_gas_tokens, extra_bounty): (f64, u128),
    pay_at: impl Fn(u64) -> u128,
) -> Result<ProofPlan, ProofRefusal> {
    let task = &tracked.task;
    let slack_secs = u64::from(task.deadline).saturating_sub(now);
    let proof = cost.estimate(txs, 0, slack_secs as f64);
    if !cost.fits_deadline(proof.prove_secs, slack_secs as f64) {
        return Err(ProofRefusal::TooLate {
            prove_secs: proof.prove_secs,
            slack_secs,
        });
    }
    let estimate = CostEstimate {
        gas_tokens: proof.gas_tokens + extra_gas_tokens,
        ..proof
    };
    let submit_at = now + estimate.prove_secs.ceil() as u64;
    let mut payment = pay_at(submit_at);
    if tracked.proofs_accepted + 1 >= task.redundancy {
        payment += task.coverBounty.to::<u128>() + extra_bounty;
    }
    if !cost.worth_it(payment as f64, &estimate) {
        return Err(ProofRefusal::Unprofitable {
            payment,
            cost: estimate.total(),
        });
    }
    Ok(ProofPlan {
        payment,
        submit_at,
        cost: estimate,
    })
}

/// The race decision for one task.
#[derive(Clone, Debug, PartialEq)]
pub enum RaceDecision {
    /// Prove it: the race should pay `payment` at `submit_at`.
    Prove {
        /// Expected pay (decayed slot, plus the cover bounty when this proof fulfils the task).
        payment: u128,
        /// When the proof is expected to be submitted (now + estimated proving time).
        submit_at: u64,
        /// The cost estimate the decision used.
        cost: CostEstimate,
    },
    /// Leave it.
    Decline(Decline),
}

/// Whether `me` should prove `tracked` under the race `terms` at `now`: `txs` sizes the statement for
/// the cost model (1 for one base proof), `already_proven` is the prover's own record.
pub fn decide(
    tracked: &TrackedTask,
    terms: &RaceTerms,
    me: Address,
    already_proven: bool,
    now: u64,
    txs: u64,
    cost: &CostModel,
) -> RaceDecision {
    let schedule = terms.schedule(&tracked.task);
    decide_on(
        tracked,
        terms.race,
        &schedule,
        me,
        already_proven,
        now,
        txs,
        cost,
    )
}

/// The race decision for any mechanism at `mechanism` that pays an unassigned proof its slot
/// decayed on `schedule` (the open race: from `openedAt`; the election's elected: from the draw, its
/// open race: from the election's end).
#[allow(clippy::too_many_arguments)] // decide's inputs with the schedule spelled out
pub fn decide_on(
    tracked: &TrackedTask,
    mechanism: Address,
    schedule: &RaceSchedule,
    me: Address,
    already_proven: bool,
    now: u64,
    txs: u64,
    cost: &CostModel,
) -> RaceDecision {
    let task = &tracked.task;
    let decline = RaceDecision::Decline;
    if !tracked.is_live() {
        return decline(Decline::Closed);
    }
    if task.mechanism != mechanism {
        return decline(Decline::OtherMechanism(task.mechanism));
    }
    let deadline = u64::from(task.deadline);
    if now > deadline {
        return decline(Decline::Expired);
    }
    if task.assignee != Address::ZERO && task.assignee != me {
        return decline(Decline::AssignedToOther(task.assignee));
    }
    if already_proven {
        return decline(Decline::AlreadyProven);
    }
    match plan_unassigned_proof(tracked, now, txs, cost, (0.0, 0), |at| {
        schedule.decayed(slot_budget(task), at)
    }) {
        Ok(ProofPlan {
            payment,
            submit_at,
            cost,
        }) => RaceDecision::Prove {
            payment,
            submit_at,
            cost,
        },
        Err(refusal) => decline(Decline::Proof(refusal)),
    }
}

/// A failed submission: the ledger calls' error ([`LedgerCallError`], codes L201–L206).
pub type LedgerRaceError = LedgerCallError;

/// What an accepted submission did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Submitted {
    /// Credited to the prover (its `ProofAccepted.credited`).
    pub credited: U256,
    /// Proofs accepted now; equal to the redundancy: the task is fulfilled.
    pub proofs_accepted: u8,
    /// Whether the book's copy was stale and the task had to be rebuilt first.
    pub refreshed: bool,
    /// False when this proof had already been sent under its key (an earlier run): its receipt is
    /// returned, nothing is sent twice.
    pub fresh: bool,
}

/// The idempotency key of a proof of `task_id` on `ledger`: one proof per prover and task, across
/// restarts (the submitter's store keeps it).
pub fn proof_key(ledger: Address, task_id: U256) -> String {
    format!("ledger:{ledger:#x}:submitProof:{task_id:#x}")
}

/// Submits `proof` of `task_id` through `submitter` (whose account the proof is bound to) with the
/// book's copy, rebuilding the task once when the simulation says `StaleTask`. The call is the
/// ledger's, whatever the task's mechanism, so every ledger strategy proves through this one
/// function: a race proof, an ascending auction's locked or cover proof, an order-book match's. The submitter refuses
/// a call that would revert before any nonce is spent, and sends the proof at most once per
/// [`proof_key`]. The book learns the outcome from the logs on its next sync.
pub async fn submit_proof(
    sync: &mut LedgerSync,
    submitter: &Submitter,
    task_id: U256,
    inputs: Vec<U256>,
    proof: Bytes,
) -> Result<Submitted, LedgerRaceError> {
    let key = proof_key(sync.ledger(), task_id);
    let ledger = sync.ledger();
    let sent = send_task_call(
        sync,
        submitter,
        task_id,
        "TaskLedger.submitProof",
        Some(&key),
        ledger,
        |task| {
            TaskLedger::submitProofCall {
                taskId: task_id,
                t: task.clone(),
                publicInputs: inputs.clone(),
                proof: proof.clone(),
            }
            .abi_encode()
        },
    )
    .await?;
    let accepted = logged::<TaskLedger::ProofAccepted>(task_id, &sent)?;
    Ok(Submitted {
        credited: accepted.credited,
        proofs_accepted: accepted.proofsAccepted,
        refreshed: sent.refreshed,
        fresh: sent.sent.fresh,
    })
}

/// The race strategies' unit-test cost model: 20 s per base proof, negligible gas, 1 token per
/// proving second, 10 % margin.
#[cfg(test)]
pub(crate) fn sample_cost() -> CostModel {
    use crate::prover::cost::{Prices, ProvingSpeed};
    CostModel {
        speed: ProvingSpeed {
            base_secs: 20.0,
            ..ProvingSpeed::default()
        },
        prices: Prices {
            token_per_wei: 0.0,
            compute_per_sec: 1e18,
            min_margin_bps: 1_000,
            ..Prices::default()
        },
        gas_price_wei: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::book::{Closing, test_task};
    use alloy::primitives::Uint;

    type U96 = Uint<96, 2>;
    const RACE: Address = Address::repeat_byte(0xaa);
    const ME: Address = Address::repeat_byte(0x01);
    const TOKEN: u128 = 1_000_000_000_000_000_000;

    fn terms() -> RaceTerms {
        RaceTerms {
            race: RACE,
            floor_bps: 2500,
            decay_window: 0,
        }
    }

    fn tracked(redundancy: u8) -> TrackedTask {
        let mut t = test_task(RACE, 100 * TOKEN, 1_000);
        t.task.redundancy = redundancy;
        t.task.flags = 32;
        t
    }

    fn cost() -> CostModel {
        sample_cost()
    }

    fn prove_secs() -> f64 {
        cost().estimate(1, 0, 3_600.0).prove_secs
    }

    #[test]
    fn the_payment_follows_the_contracts_decay() {
        let t = tracked(1).task;
        let terms = terms();
        assert_eq!(terms.payment_at(&t, 1_000), 100 * TOKEN, "full at openedAt");
        assert_eq!(
            terms.payment_at(&t, 1_000 + 1_800),
            62_500_000_000_000_000_000,
            "halfway: 62.5 %"
        );
        assert_eq!(
            terms.payment_at(&t, 1_000 + 3_600),
            25 * TOKEN,
            "the floor at the end"
        );
        let fixed = RaceTerms {
            decay_window: 600,
            ..terms
        };
        assert_eq!(
            fixed.payment_at(&t, 1_000 + 600),
            25 * TOKEN,
            "a fixed window"
        );
        assert_eq!(
            terms.payment_at(&tracked(4).task, 1_000),
            25 * TOKEN,
            "a slot of four"
        );
    }

    #[test]
    fn proves_an_open_task_it_can_finish_at_a_profit() {
        let decision = decide(&tracked(1), &terms(), ME, false, 1_060, 1, &cost());
        let RaceDecision::Prove {
            payment, submit_at, ..
        } = decision
        else {
            panic!("expected Prove, got {decision:?}");
        };
        assert_eq!(submit_at, 1_060 + prove_secs().ceil() as u64);
        assert_eq!(payment, terms().payment_at(&tracked(1).task, submit_at));
    }

    #[test]
    fn the_fulfilling_proof_counts_the_cover_bounty() {
        let mut t = tracked(2);
        t.task.coverBounty = U96::from(10 * TOKEN);
        let first = decide(&t, &terms(), ME, false, 1_000, 1, &cost());
        t.proofs_accepted = 1;
        let last = decide(&t, &terms(), ME, false, 1_000, 1, &cost());
        let (RaceDecision::Prove { payment: a, .. }, RaceDecision::Prove { payment: b, .. }) =
            (first, last)
        else {
            panic!("both prove");
        };
        assert_eq!(b - a, 10 * TOKEN);
    }

    #[test]
    fn declines_what_it_cannot_or_should_not_prove() {
        let terms = terms();
        let cost = cost();
        let mut closed = tracked(1);
        closed.closed = Some(Closing::Fulfilled);
        assert_eq!(
            decide(&closed, &terms, ME, false, 1_000, 1, &cost),
            RaceDecision::Decline(Decline::Closed)
        );

        let mut moved = tracked(1);
        moved.task.mechanism = Address::repeat_byte(0xbb);
        assert_eq!(
            decide(&moved, &terms, ME, false, 1_000, 1, &cost),
            RaceDecision::Decline(Decline::OtherMechanism(Address::repeat_byte(0xbb)))
        );
        assert_eq!(
            decide(&tracked(1), &terms, ME, false, 4_601, 1, &cost),
            RaceDecision::Decline(Decline::Expired)
        );
        let mut assigned = tracked(1);
        assigned.task.assignee = Address::repeat_byte(0x03);
        assert_eq!(
            decide(&assigned, &terms, ME, false, 1_000, 1, &cost),
            RaceDecision::Decline(Decline::AssignedToOther(Address::repeat_byte(0x03)))
        );
        assigned.task.assignee = ME;
        assert!(matches!(
            decide(&assigned, &terms, ME, false, 1_000, 1, &cost),
            RaceDecision::Prove { .. }
        ));
        assert_eq!(
            decide(&tracked(2), &terms, ME, true, 1_000, 1, &cost),
            RaceDecision::Decline(Decline::AlreadyProven)
        );
        assert!(matches!(
            decide(&tracked(1), &terms, ME, false, 4_590, 1, &cost),
            RaceDecision::Decline(Decline::Proof(ProofRefusal::TooLate { slack_secs: 10, .. }))
        ));
        // A slot of four (25 tokens), decayed to ≈ 9.3 by the submission, does not pay for 20.5 s at 1 token/s.
        assert!(matches!(
            decide(&tracked(4), &terms, ME, false, 4_000, 1, &cost),
            RaceDecision::Decline(Decline::Proof(ProofRefusal::Unprofitable { .. }))
        ));
    }
}
