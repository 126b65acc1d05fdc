//! Election-then-race over the TaskLedger (`LedgerElectionRace`; docs/mechanisms.md, docs/one-word-tasks.md
//! "Election: no collateral, no slash"): what a prover does with a task the [`super::TaskBook`] tracks
//! under the election, and the draw that starts it.
//!
//! The instance fixes the draw's target block and the prover pool in the task's `mechanismState` when
//! the task opens. Once the target is past, anyone calls `draw(taskId, task, header)` with the target's
//! RLP header (within 256 blocks; later the call re-targets instead): its prevrandao elects up to three
//! provers of the pool, stake-weighted, among those whose registry entry has not changed since the
//! block before the target (`changedAt`). Until the election's end only the elected may prove, paid
//! their slot decayed from the draw; after it anyone registered may, paid on a fresh decay from the
//! end. The elected lock no collateral, so an elected prover that stays silent loses the task to the
//! open race, not stake.
//!
//! **The decision is pure** ([`decide`]): the task as the book holds it, the instance's terms (read once:
//! [`ElectionTerms::read`]), the election as the instance stores it ([`ElectionView`]), the prover's
//! registry position, the chain's time and head, and the cost model. Before the draw: draw when the
//! target is past and this prover is in the pool, or [`OUTSIDER_DRAW_GRACE_BLOCKS`] past when it
//! registered after the pool was fixed (`Retarget` when the target's hash is gone); after it:
//! prove if elected, wait out the window if not, then race. Whether a proof pays is the race's own
//! decision ([`super::race::decide_on`]) on the schedule that applies, and the stored agent's
//! [`ElectionConfig`] switches the draw and the open race.
//!
//! **The calls**: `draw` carries the task and goes through [`send_task_call`] (rebuilt once on
//! `StaleTask`), with the header fetched and checked as the stored election agent does
//! ([`header_rlp`]); a proof goes through [`super::race::submit_proof`].

use std::sync::OnceLock;

use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::Provider;
use alloy::sol_types::SolCall;
use proofmarket_bindings::LedgerElectionRace::{self, DrawRetargeted, ElectionDrawn};
use proofmarket_bindings::ProverRegistry;
use proofmarket_bindings::TaskLedger::{self, LedgerTask};

use super::book::TrackedTask;
use super::call::{
    LedgerCallError, TaskCallSent, chain_time, live_copy, send_task_call, task_as, view,
};
use super::race::{self, RaceDecision};
use super::sync::LedgerSync;
use crate::chain::ChainProvider;
use crate::chain::submitter::Submitter;
use crate::prover::cost::{CostEstimate, CostModel};
use crate::prover::mech::header_rlp;
use crate::prover::policy::election::ElectionConfig;
use crate::prover::strategy::RaceSchedule;

/// Blocks back whose hash the EVM still serves (`BlockHeaderRandomness.hashAvailable`).
pub const BLOCKHASH_WINDOW: u64 = 256;

/// Blocks past the target after which a registered prover outside the pool (registered after the
/// pool was fixed) draws too. The pool's members draw first, since they can be elected; but a task
/// nobody draws never reaches its open race, so when they are all offline an outsider must be able
/// to start it. Eight blocks (≈ 1.6 min on L1) are many times what an online member needs.
pub const OUTSIDER_DRAW_GRACE_BLOCKS: u64 = 8;

/// An election instance's immutable parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ElectionTerms {
    /// The `LedgerElectionRace` contract.
    pub election: Address,
    /// Provers elected per task (at most 3).
    pub elected_count: u8,
    /// Seconds from the draw during which only the elected may prove.
    pub election_window: u32,
    /// Seconds over which a proof's pay falls from the slot to the floor.
    pub decay_window: u32,
    /// The floor, in basis points of the slot.
    pub decay_floor_bps: u16,
}

/// The draw's target and pool, as fixed in the task's `mechanismState` (`targetOf`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DrawTarget {
    /// The block whose prevrandao seeds the draw.
    pub target_block: u64,
    /// Registered provers when it was fixed: positions below it can be drawn.
    pub pool_size: u64,
}

impl ElectionTerms {
    /// Reads the terms of the election at `election`.
    pub async fn read(
        provider: &ChainProvider,
        election: Address,
    ) -> Result<Self, LedgerCallError> {
        let contract = LedgerElectionRace::new(election, provider);
        Ok(Self {
            election,
            elected_count: view("electedCount", contract.electedCount().call()).await?,
            election_window: view("electionWindow", contract.electionWindow().call()).await?,
            decay_window: view("decayWindow", contract.decayWindow().call()).await?,
            decay_floor_bps: view("decayFloorBps", contract.decayFloorBps().call()).await?,
        })
    }

    /// The contract's `targetOf(mechanismState)`: bits 0-31 the target block, bits 32-55 the pool.
    pub fn target_of(mechanism_state: u64) -> DrawTarget {
        DrawTarget {
            target_block: mechanism_state & 0xffff_ffff,
            pool_size: (mechanism_state >> 32) & 0xff_ffff,
        }
    }

    /// How the elected are paid: their slot decayed from the draw (`electionEnd − electionWindow`).
    pub fn elected_schedule(&self, election_end: u64) -> RaceSchedule {
        self.schedule_from(election_end.saturating_sub(u64::from(self.election_window)))
    }

    /// How the open race is paid: the slot on a fresh decay from the election's end.
    pub fn open_schedule(&self, election_end: u64) -> RaceSchedule {
        self.schedule_from(election_end)
    }

    fn schedule_from(&self, start: u64) -> RaceSchedule {
        RaceSchedule {
            start,
            window: u64::from(self.decay_window),
            floor_bps: u32::from(self.decay_floor_bps),
        }
    }
}

/// A task's election as the instance stores it under the task's current opening (`electionOf`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ElectionView {
    /// Whether the election was drawn.
    pub drawn: bool,
    /// Until this time (inclusive) only the elected may prove.
    pub election_end: u64,
    /// The elected, in draw order (empty: nobody eligible was drawn, the open race started at once).
    pub elected: Vec<Address>,
}

/// Why the prover does nothing with a task now.
#[derive(Clone, Debug, PartialEq)]
pub enum Decline {
    /// The book holds the task as closed.
    Closed,
    /// It runs under another mechanism (e.g. reopened under its fallback).
    OtherMechanism(Address),
    /// Its deadline has passed.
    Expired,
    /// This prover already had a proof of it accepted.
    AlreadyProven,
    /// Not drawn, and the target block is not past yet (the draw must be mined after it).
    DrawTooEarly {
        /// The target block.
        target_block: u64,
    },
    /// Not drawn, and `[strategy.election].draw` is off.
    DrawDisabled,
    /// Not drawn, and this prover is not in the pool fixed with the target: it leaves the draw to
    /// those who can be elected — for good when it is not registered, until `draws_from` (the target
    /// plus [`OUTSIDER_DRAW_GRACE_BLOCKS`]) when it registered after the pool was fixed.
    NotInPool {
        /// The pool's size.
        pool_size: u64,
        /// The head from which it draws itself (`None`: not registered, it never draws).
        draws_from: Option<u64>,
    },
    /// Drawn, this prover was not elected, and only the elected may prove until `until`.
    ElectionWindowOpen {
        /// The election's end.
        until: u64,
    },
    /// The window is over, and `[strategy.election].open_race` is off.
    OpenRaceDisabled,
    /// The race's own reasons on the schedule that applies (too late, unprofitable, …).
    Race(race::Decline),
}

/// The election decision for one task at one time.
#[derive(Clone, Debug, PartialEq)]
pub enum ElectionDecision {
    /// Draw the election with the target block's header.
    Draw {
        /// The target block.
        target_block: u64,
    },
    /// The target's hash is gone (more than 256 blocks back): the same call re-targets the draw.
    Retarget {
        /// The lost target.
        target_block: u64,
    },
    /// Prove it.
    Prove {
        /// Expected pay (decayed slot, plus the cover bounty when this proof fulfils the task).
        payment: u128,
        /// When the proof is expected to be submitted.
        submit_at: u64,
        /// The cost estimate the decision used.
        cost: CostEstimate,
        /// Whether this prover proves as elected (paid from the draw) or in the open race (from the
        /// election's end).
        elected: bool,
    },
    /// Do nothing now.
    Decline(Decline),
}

/// What the prover knows of itself for the decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Me {
    /// Its address.
    pub address: Address,
    /// Its registry position (`proverAt`), `None` if not registered.
    pub position: Option<u64>,
    /// Whether it already had a proof of the task accepted (`hasProven`).
    pub already_proven: bool,
}

/// What `me` should do with `tracked` under the election `terms`, drawn as `election` says, at chain
/// time `now` with the chain's head at `head`; `txs` sizes the statement for the cost model.
#[allow(clippy::too_many_arguments)] // the decision's inputs, each named
pub fn decide(
    tracked: &TrackedTask,
    terms: &ElectionTerms,
    election: &ElectionView,
    me: &Me,
    now: u64,
    head: u64,
    txs: u64,
    cost: &CostModel,
    config: &ElectionConfig,
) -> ElectionDecision {
    use ElectionDecision as D;
    let task = &tracked.task;
    let decline = D::Decline;
    if !tracked.is_live() {
        return decline(Decline::Closed);
    }
    if task.mechanism != terms.election {
        return decline(Decline::OtherMechanism(task.mechanism));
    }
    if now > u64::from(task.deadline) {
        return decline(Decline::Expired);
    }
    if me.already_proven {
        return decline(Decline::AlreadyProven);
    }
    if !election.drawn {
        return draw_decision(task, me, head, config);
    }
    let elected = election.elected.contains(&me.address);
    let schedule = if elected {
        // The elected are paid from the draw whenever they prove: being late costs decay, not the right.
        terms.elected_schedule(election.election_end)
    } else if now <= election.election_end {
        return decline(Decline::ElectionWindowOpen {
            until: election.election_end,
        });
    } else if !config.open_race {
        return decline(Decline::OpenRaceDisabled);
    } else {
        terms.open_schedule(election.election_end)
    };
    match race::decide_on(
        tracked,
        terms.election,
        &schedule,
        me.address,
        me.already_proven,
        now,
        txs,
        cost,
    ) {
        RaceDecision::Prove {
            payment,
            submit_at,
            cost,
        } => D::Prove {
            payment,
            submit_at,
            cost,
            elected,
        },
        RaceDecision::Decline(reason) => decline(Decline::Race(reason)),
    }
}

/// The decision before the draw.
fn draw_decision(
    task: &LedgerTask,
    me: &Me,
    head: u64,
    config: &ElectionConfig,
) -> ElectionDecision {
    let target = ElectionTerms::target_of(task.mechanismState);
    let decline = ElectionDecision::Decline;
    // The draw is mined at head + 1 at the earliest, and needs the target strictly before it.
    if head < target.target_block {
        return decline(Decline::DrawTooEarly {
            target_block: target.target_block,
        });
    }
    if !config.draw {
        return decline(Decline::DrawDisabled);
    }
    let outsider_from = target.target_block + OUTSIDER_DRAW_GRACE_BLOCKS;
    match me.position {
        None => {
            return decline(Decline::NotInPool {
                pool_size: target.pool_size,
                draws_from: None,
            });
        }
        Some(p) if p >= target.pool_size && head < outsider_from => {
            return decline(Decline::NotInPool {
                pool_size: target.pool_size,
                draws_from: Some(outsider_from),
            });
        }
        Some(_) => {}
    }
    if head + 1 - target.target_block > BLOCKHASH_WINDOW {
        return ElectionDecision::Retarget {
            target_block: target.target_block,
        };
    }
    ElectionDecision::Draw {
        target_block: target.target_block,
    }
}

/// What a `draw` call did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DrawOutcome {
    /// The election was drawn (`ElectionDrawn`).
    Drawn {
        /// Provers elected (0: the open race started at once).
        elected: u64,
        /// The election's end.
        election_end: u64,
    },
    /// The target was lost and a new one fixed (`DrawRetargeted`).
    Retargeted {
        /// The new target.
        target_block: u64,
        /// The pool fixed with it.
        pool_size: u64,
    },
}

/// One prover's side of one election instance.
#[derive(Debug)]
pub struct ElectionAgent {
    provider: ChainProvider,
    terms: ElectionTerms,
    config: ElectionConfig,
    me: Address,
    registry: Address,
    /// The prover's registry position, once found (the registry's list only grows, so it never moves).
    position: OnceLock<u64>,
}

impl ElectionAgent {
    /// The agent of prover `me` on the election `terms` over `ledger` (whose prover registry the draw
    /// reads).
    pub async fn new(
        provider: ChainProvider,
        terms: ElectionTerms,
        config: ElectionConfig,
        me: Address,
        ledger: Address,
    ) -> Result<Self, LedgerCallError> {
        let registry = TaskLedger::new(ledger, &provider)
            .provers()
            .call()
            .await
            .map_err(LedgerCallError::rpc::<alloy::contract::Error>("provers"))?;
        Ok(Self {
            provider,
            terms,
            config,
            me,
            registry,
            position: OnceLock::new(),
        })
    }

    /// The election's terms.
    pub fn terms(&self) -> &ElectionTerms {
        &self.terms
    }

    /// This prover's registry position, `None` while it is not registered (looked up once found).
    pub async fn position(&self) -> Result<Option<u64>, LedgerCallError> {
        if let Some(p) = self.position.get() {
            return Ok(Some(*p));
        }
        let registry = ProverRegistry::new(self.registry, &self.provider);
        let rpc = LedgerCallError::rpc::<alloy::contract::Error>;
        let count: u64 = registry
            .proverCount()
            .call()
            .await
            .map_err(rpc("proverCount"))?
            .to();
        for i in 0..count {
            let prover = registry
                .proverAt(U256::from(i))
                .call()
                .await
                .map_err(rpc("proverAt"))?;
            if prover == self.me {
                return Ok(Some(*self.position.get_or_init(|| i)));
            }
        }
        Ok(None)
    }

    /// The election of `task_id` under the book's copy (`electionOf(taskId, openedAt)`).
    pub async fn observe(
        &self,
        sync: &LedgerSync,
        task_id: U256,
    ) -> Result<ElectionView, LedgerCallError> {
        let opened_at = sync
            .book()
            .get(task_id)
            .ok_or(LedgerCallError::NotLive(task_id))?
            .task
            .openedAt;
        let e = LedgerElectionRace::new(self.terms.election, &self.provider)
            .electionOf(task_id, opened_at)
            .call()
            .await
            .map_err(LedgerCallError::rpc::<alloy::contract::Error>("electionOf"))?;
        Ok(ElectionView {
            drawn: e.drawn,
            election_end: u64::from(e.electionEnd),
            elected: e.elected,
        })
    }

    /// Observes the task and decides at the chain's time and head.
    pub async fn decide_now(
        &self,
        sync: &LedgerSync,
        task_id: U256,
        txs: u64,
        cost: &CostModel,
    ) -> Result<ElectionDecision, LedgerCallError> {
        let election = self.observe(sync, task_id).await?;
        let already_proven = TaskLedger::new(sync.ledger(), &self.provider)
            .hasProven(task_id, self.me)
            .call()
            .await
            .map_err(LedgerCallError::rpc::<alloy::contract::Error>("hasProven"))?;
        let me = Me {
            address: self.me,
            position: self.position().await?,
            already_proven,
        };
        let head = self
            .provider
            .get_block_number()
            .await
            .map_err(LedgerCallError::rpc("eth_blockNumber"))?;
        let now = chain_time(&self.provider).await?;
        let tracked = sync
            .book()
            .get(task_id)
            .ok_or(LedgerCallError::NotLive(task_id))?;
        Ok(decide(
            tracked,
            &self.terms,
            &election,
            &me,
            now,
            head,
            txs,
            cost,
            &self.config,
        ))
    }

    /// Draws the election of `task_id` on `target_block` (or re-targets it when `retarget`: the hash
    /// is gone, so no header is needed), with the book's copy, at most once per key
    /// `ledger:<election>:draw:<taskId>:<openedAt>:<target>`.
    pub async fn draw(
        &self,
        sync: &mut LedgerSync,
        submitter: &Submitter,
        task_id: U256,
        target_block: u64,
        retarget: bool,
    ) -> Result<DrawOutcome, LedgerCallError> {
        let header: Bytes = if retarget {
            Bytes::new()
        } else {
            header_rlp(&self.provider, target_block)
                .await
                .map_err(LedgerCallError::rpc("eth_getBlockByNumber"))?
                .into()
        };
        let opened_at = live_copy(sync, task_id)?.openedAt;
        let key = format!(
            "ledger:{:#x}:draw:{task_id:#x}:{opened_at}:{target_block}",
            self.terms.election
        );
        let TaskCallSent { sent, .. } = send_task_call(
            sync,
            submitter,
            task_id,
            "LedgerElectionRace.draw",
            Some(&key),
            self.terms.election,
            |task| {
                LedgerElectionRace::drawCall {
                    taskId: task_id,
                    task: task_as(task),
                    header: header.clone(),
                }
                .abi_encode()
            },
        )
        .await?;
        if let Some(e) = sent.receipt.decoded_log::<ElectionDrawn>() {
            return Ok(DrawOutcome::Drawn {
                elected: e.elected.saturating_to(),
                election_end: e.electionEnd,
            });
        }
        if let Some(e) = sent.receipt.decoded_log::<DrawRetargeted>() {
            return Ok(DrawOutcome::Retargeted {
                target_block: e.targetBlock.saturating_to(),
                pool_size: e.poolSize.saturating_to(),
            });
        }
        Err(LedgerCallError::Refused {
            task_id,
            reason: "draw mined without an ElectionDrawn or DrawRetargeted log".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::book::{Closing, test_task};
    use alloy::primitives::Uint;

    type U96 = Uint<96, 2>;
    const ELECTION: Address = Address::repeat_byte(0xee);
    const ME: Address = Address::repeat_byte(0x01);
    const OTHER: Address = Address::repeat_byte(0x03);
    const TOKEN: u128 = 1_000_000_000_000_000_000;
    const OPENED: u64 = 1_000;
    const TARGET: u64 = 50;
    const POOL: u64 = 3;
    const DRAWN_AT: u64 = 1_030;
    const END: u64 = DRAWN_AT + 600;

    fn terms() -> ElectionTerms {
        ElectionTerms {
            election: ELECTION,
            elected_count: 1,
            election_window: 600,
            decay_window: 1_200,
            decay_floor_bps: 5_000,
        }
    }

    fn tracked() -> TrackedTask {
        let mut t = test_task(ELECTION, 100 * TOKEN, OPENED as u32);
        t.task.mechanismState = TARGET | POOL << 32;
        t
    }

    fn me(position: Option<u64>) -> Me {
        Me {
            address: ME,
            position,
            already_proven: false,
        }
    }

    fn drawn(elected: Vec<Address>) -> ElectionView {
        ElectionView {
            drawn: true,
            election_end: if elected.is_empty() { DRAWN_AT } else { END },
            elected,
        }
    }

    fn cost() -> CostModel {
        crate::ledger::race::sample_cost()
    }

    fn at(
        t: &TrackedTask,
        election: &ElectionView,
        me: &Me,
        now: u64,
        head: u64,
    ) -> ElectionDecision {
        decide(
            t,
            &terms(),
            election,
            me,
            now,
            head,
            1,
            &cost(),
            &ElectionConfig::default(),
        )
    }

    #[test]
    fn the_target_and_the_schedules_are_the_contracts() {
        assert_eq!(
            ElectionTerms::target_of(TARGET | POOL << 32 | 0xff << 56),
            DrawTarget {
                target_block: TARGET,
                pool_size: POOL
            },
            "bits 56-63 are not the pool's"
        );
        let t = terms();
        // DecaySchedule.decayed(slot, electionEnd − electionWindow, decayWindow, floor, t).
        assert_eq!(
            t.elected_schedule(END).decayed(100 * TOKEN, DRAWN_AT),
            100 * TOKEN
        );
        assert_eq!(
            t.elected_schedule(END).decayed(100 * TOKEN, DRAWN_AT + 600),
            75 * TOKEN,
            "half the decay window: 75 %"
        );
        assert_eq!(
            t.open_schedule(END).decayed(100 * TOKEN, END + 1_200),
            50 * TOKEN,
            "the open race decays from the election's end to the floor"
        );
    }

    #[test]
    fn draws_once_the_target_is_past_if_in_the_pool() {
        let undrawn = ElectionView::default();
        assert_eq!(
            at(&tracked(), &undrawn, &me(Some(0)), OPENED, TARGET - 1),
            ElectionDecision::Decline(Decline::DrawTooEarly {
                target_block: TARGET
            })
        );
        assert_eq!(
            at(&tracked(), &undrawn, &me(Some(2)), OPENED, TARGET),
            ElectionDecision::Draw {
                target_block: TARGET
            },
            "mined at TARGET + 1, after the target"
        );
        // Not registered: the draw is left to the pool for good.
        assert_eq!(
            at(&tracked(), &undrawn, &me(None), OPENED, TARGET + 100),
            ElectionDecision::Decline(Decline::NotInPool {
                pool_size: POOL,
                draws_from: None
            })
        );
        // Registered after the pool was fixed: left to the pool for the grace blocks, then drawn by
        // the outsider too (the pool's members all offline must not strand the task before its race).
        let outsider_from = TARGET + OUTSIDER_DRAW_GRACE_BLOCKS;
        assert_eq!(
            at(
                &tracked(),
                &undrawn,
                &me(Some(POOL)),
                OPENED,
                outsider_from - 1
            ),
            ElectionDecision::Decline(Decline::NotInPool {
                pool_size: POOL,
                draws_from: Some(outsider_from)
            })
        );
        assert_eq!(
            at(&tracked(), &undrawn, &me(Some(POOL)), OPENED, outsider_from),
            ElectionDecision::Draw {
                target_block: TARGET
            }
        );
        // The last block whose hash the draw can still read, then the re-target.
        assert_eq!(
            at(
                &tracked(),
                &undrawn,
                &me(Some(0)),
                OPENED,
                TARGET + BLOCKHASH_WINDOW - 1
            ),
            ElectionDecision::Draw {
                target_block: TARGET
            }
        );
        assert_eq!(
            at(
                &tracked(),
                &undrawn,
                &me(Some(0)),
                OPENED,
                TARGET + BLOCKHASH_WINDOW
            ),
            ElectionDecision::Retarget {
                target_block: TARGET
            }
        );
        let off = ElectionConfig {
            draw: false,
            ..ElectionConfig::default()
        };
        assert_eq!(
            decide(
                &tracked(),
                &terms(),
                &undrawn,
                &me(Some(0)),
                OPENED,
                TARGET,
                1,
                &cost(),
                &off
            ),
            ElectionDecision::Decline(Decline::DrawDisabled)
        );
    }

    #[test]
    fn the_elected_prove_paid_from_the_draw_even_after_the_window() {
        let election = drawn(vec![OTHER, ME]);
        for now in [DRAWN_AT + 10, END + 100] {
            let decision = at(&tracked(), &election, &me(Some(0)), now, TARGET + 3);
            let ElectionDecision::Prove {
                payment,
                submit_at,
                elected,
                ..
            } = decision
            else {
                panic!("the elected prove: {decision:?}");
            };
            assert!(elected);
            assert_eq!(
                payment,
                terms()
                    .elected_schedule(END)
                    .decayed(100 * TOKEN, submit_at)
            );
        }
    }

    #[test]
    fn outsiders_wait_out_the_window_then_race_when_the_elected_is_offline() {
        let election = drawn(vec![OTHER]);
        assert_eq!(
            at(&tracked(), &election, &me(Some(0)), END, TARGET + 3),
            ElectionDecision::Decline(Decline::ElectionWindowOpen { until: END }),
            "the window is inclusive of its end"
        );
        // The elected prover stayed silent: after the window the outsider races it, paid from the end.
        let decision = at(&tracked(), &election, &me(Some(0)), END + 1, TARGET + 90);
        let ElectionDecision::Prove {
            payment,
            submit_at,
            elected,
            ..
        } = decision
        else {
            panic!("the open race: {decision:?}");
        };
        assert!(!elected);
        assert_eq!(
            payment,
            terms().open_schedule(END).decayed(100 * TOKEN, submit_at)
        );
        // An empty election opened the race at the draw.
        assert!(matches!(
            at(
                &tracked(),
                &drawn(vec![]),
                &me(None),
                DRAWN_AT + 1,
                TARGET + 3
            ),
            ElectionDecision::Prove { elected: false, .. }
        ));
        let off = ElectionConfig {
            open_race: false,
            ..ElectionConfig::default()
        };
        assert_eq!(
            decide(
                &tracked(),
                &terms(),
                &election,
                &me(Some(0)),
                END + 1,
                TARGET + 90,
                1,
                &cost(),
                &off
            ),
            ElectionDecision::Decline(Decline::OpenRaceDisabled)
        );
    }

    #[test]
    fn declines_by_name() {
        let election = drawn(vec![ME]);
        let mut closed = tracked();
        closed.closed = Some(Closing::Fulfilled);
        assert_eq!(
            at(&closed, &election, &me(Some(0)), DRAWN_AT, TARGET + 3),
            ElectionDecision::Decline(Decline::Closed)
        );
        let mut moved = tracked();
        moved.task.mechanism = Address::repeat_byte(0xbb);
        assert_eq!(
            at(&moved, &election, &me(Some(0)), DRAWN_AT, TARGET + 3),
            ElectionDecision::Decline(Decline::OtherMechanism(Address::repeat_byte(0xbb)))
        );
        assert_eq!(
            at(
                &tracked(),
                &election,
                &me(Some(0)),
                OPENED + 3_601,
                TARGET + 3
            ),
            ElectionDecision::Decline(Decline::Expired)
        );
        let proven = Me {
            already_proven: true,
            ..me(Some(0))
        };
        assert_eq!(
            at(&tracked(), &election, &proven, DRAWN_AT, TARGET + 3),
            ElectionDecision::Decline(Decline::AlreadyProven)
        );
        // Elected, but 20.5 s × 2 does not fit in the 10 s left.
        assert!(matches!(
            at(
                &tracked(),
                &election,
                &me(Some(0)),
                OPENED + 3_590,
                TARGET + 3
            ),
            ElectionDecision::Decline(Decline::Race(race::Decline::Proof(
                race::ProofRefusal::TooLate { .. }
            )))
        ));
        // A tiny slot does not pay for 20.5 s at 1 token/s.
        let mut cheap = tracked();
        cheap.task.maxPayment = U96::from(TOKEN);
        assert!(matches!(
            at(&cheap, &election, &me(Some(0)), DRAWN_AT, TARGET + 3),
            ElectionDecision::Decline(Decline::Race(race::Decline::Proof(
                race::ProofRefusal::Unprofitable { .. }
            )))
        ));
    }
}
