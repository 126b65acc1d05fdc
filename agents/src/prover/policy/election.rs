//! Election-then-race (`ElectionRace`, kind 4): pure decisions.
//!
//! The mechanism fixes a target block when the task opens; after it anyone calls `draw` with the
//! block's header, which elects up to N provers stake-weighted and assigns them (with collateral)
//! through the registry. Only the elected may prove until the election window ends; after it anyone
//! may prove a free slot, and an elected prover that has not delivered may be slashed by anyone.
//!
//! What this prover does:
//!
//! * [`ElectionPolicy`] answers the task's opening: `Await` (wait for the draw) when the block is one
//!   we can build and the slot price covers our cost with the collateral at risk, `Decline` otherwise.
//! * [`ElectionBook`] follows the draw: it asks the service to call `draw` once the target block is
//!   past (anyone may; every waiting prover tries, the first wins and the others' estimates revert),
//!   records who was elected (the registry's `ProverAssigned`), and once the window has ended with
//!   slots still free it asks to slash the elected provers that did not deliver and opens the task to
//!   us as a race ([`ElectionStep::OpenRace`]).
//! * Being elected is an ordinary assignment for the shared lifecycle: `ProverStrategy` moves an
//!   awaited task to the front of the queue when `ProverAssigned` names us.

use std::collections::{BTreeMap, BTreeSet};

use alloy::primitives::Address;

use crate::prover::cost::CostEstimate;
use crate::prover::strategy::{Context, Decision, MechanismPolicy, TaskId, TaskView};

/// Election-then-race: wait for the draw when the slot price pays for the work and the collateral risk.
#[derive(Clone, Copy, Debug, Default)]
pub struct ElectionPolicy;

impl MechanismPolicy for ElectionPolicy {
    fn evaluate(&self, task: &TaskView, ctx: &Context<'_>) -> Decision {
        let Some(txs) = task.block_txs else {
            return Decision::Decline("not a block task this prover can build".into());
        };
        if task.slots_left() == 0 {
            return Decision::Decline("every slot already proven".into());
        }
        let slack = task.deadline.saturating_sub(ctx.now) as f64;
        let cost: CostEstimate = ctx.cost.estimate(txs, task.collateral, slack);
        if !ctx.cost.fits_deadline(cost.prove_secs, slack) {
            return Decision::Decline(format!(
                "too slow: {:.1}s estimated, {slack:.0}s to the deadline",
                cost.prove_secs
            ));
        }
        // Elected, we are paid the slot maximum decayed from the draw: proving right after it pays
        // (almost) the full slot. In the open race the same slot is paid on a fresh decay.
        let slot = (task.max_payment / u128::from(task.redundancy.max(1))) as f64;
        if ctx.cost.worth_it(slot, &cost) {
            Decision::Await("waiting for the election draw".into())
        } else {
            Decision::Decline(format!(
                "unprofitable: slot {slot:.3e} vs cost {:.3e}",
                cost.total()
            ))
        }
    }
}

/// Election facts the service decodes from `ElectionRace` logs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ElectionEvent {
    /// `DrawScheduled` / `DrawRetargeted`: the draw needs `target_block` to be past.
    DrawScheduled {
        /// The task.
        task_id: TaskId,
        /// The block whose prevrandao seeds the draw.
        target_block: u64,
    },
    /// `ElectionDrawn`: the election happened.
    Drawn {
        /// The task.
        task_id: TaskId,
        /// Provers elected (0: the open race starts at once).
        elected: u64,
        /// When the open race starts (unix seconds).
        election_end: u64,
    },
    /// `ElectedSlashed`: an elected prover was slashed and its slot freed.
    Slashed {
        /// The task.
        task_id: TaskId,
        /// The slashed prover.
        prover: Address,
    },
}

impl ElectionEvent {
    /// The task the event is about.
    pub fn task_id(&self) -> TaskId {
        match self {
            Self::DrawScheduled { task_id, .. }
            | Self::Drawn { task_id, .. }
            | Self::Slashed { task_id, .. } => *task_id,
        }
    }
}

/// Calls the service makes for the election.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ElectionAction {
    /// `ElectionRace.draw(taskId, rlp(header of target_block))`.
    Draw {
        /// The task.
        task_id: TaskId,
        /// Whose header to send.
        target_block: u64,
    },
    /// `ElectionRace.slashElected(taskId, prover)`.
    SlashElected {
        /// The task.
        task_id: TaskId,
        /// The elected prover that did not deliver in the window.
        prover: Address,
    },
}

/// What the book asks of the strategy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ElectionStep {
    /// Carry out a call.
    Act(ElectionAction),
    /// The window is over with a slot free: race the task now (if we are not already on it).
    OpenRace(TaskId),
}

/// Election behaviour (`[strategy.election]` in the prover config).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ElectionConfig {
    /// Call `draw` when the target block is past (default true: anyone may, and a task nobody draws
    /// is proven by nobody).
    pub draw: bool,
    /// After the window, slash elected provers that did not deliver and race the freed slot
    /// (default true: the slash funds the cover bounty we then earn).
    pub open_race: bool,
}

impl Default for ElectionConfig {
    fn default() -> Self {
        Self {
            draw: true,
            open_race: true,
        }
    }
}

#[derive(Clone, Debug, Default)]
struct Watch {
    /// We would prove it (the policy said Await); a declined task is still drawn and slashed.
    wanted: bool,
    target_block: Option<u64>,
    draw_sent_for: Option<u64>,
    election_end: Option<u64>,
    elected: BTreeSet<Address>,
    delivered: BTreeSet<Address>,
    slash_sent: BTreeSet<Address>,
    opened: bool,
    full: bool,
}

/// The elections this prover follows.
#[derive(Clone, Debug, Default)]
pub struct ElectionBook {
    config: ElectionConfig,
    tasks: BTreeMap<TaskId, Watch>,
}

impl ElectionBook {
    /// A book with `config`.
    pub fn new(config: ElectionConfig) -> Self {
        Self {
            config,
            tasks: BTreeMap::new(),
        }
    }

    /// Starts following an election task (`wanted`: the policy would prove it).
    pub fn watch(&mut self, task_id: TaskId, wanted: bool) {
        let w = self.tasks.entry(task_id).or_default();
        w.wanted |= wanted;
    }

    /// Whether `prover` was elected for the task.
    pub fn is_elected(&self, task_id: TaskId, prover: Address) -> bool {
        self.tasks
            .get(&task_id)
            .is_some_and(|w| w.elected.contains(&prover))
    }

    /// Whether the book follows the task.
    pub fn follows(&self, task_id: TaskId) -> bool {
        self.tasks.contains_key(&task_id)
    }

    /// An election log.
    pub fn on_event(&mut self, event: ElectionEvent, now: u64) -> Vec<ElectionStep> {
        match event {
            // The mechanism logs these while the task is being created, before the registry's
            // and the rollup's events that open it in the strategy: start following here.
            ElectionEvent::DrawScheduled {
                task_id,
                target_block,
            } => {
                self.tasks.entry(task_id).or_default().target_block = Some(target_block);
                Vec::new()
            }
            ElectionEvent::Drawn {
                task_id,
                elected: _,
                election_end,
            } => {
                self.tasks.entry(task_id).or_default().election_end = Some(election_end);
                self.on_clock(now)
            }
            ElectionEvent::Slashed { task_id, prover } => {
                if let Some(w) = self.tasks.get_mut(&task_id) {
                    w.elected.remove(&prover);
                }
                Vec::new()
            }
        }
    }

    /// The registry assigned `prover` (the draw elects by assigning).
    pub fn on_assigned(&mut self, task_id: TaskId, prover: Address) {
        if let Some(w) = self.tasks.get_mut(&task_id) {
            w.elected.insert(prover);
        }
    }

    /// A proof was accepted; `slots_left` after it.
    pub fn on_proof_accepted(&mut self, task_id: TaskId, prover: Address, slots_left: u8) {
        if let Some(w) = self.tasks.get_mut(&task_id) {
            w.delivered.insert(prover);
            w.full = slots_left == 0;
        }
    }

    /// The task closed: stop following it.
    pub fn on_closed(&mut self, task_id: TaskId) {
        self.tasks.remove(&task_id);
    }

    /// A new L1 head: draw every election whose target block is past.
    pub fn on_head(&mut self, block: u64) -> Vec<ElectionStep> {
        if !self.config.draw {
            return Vec::new();
        }
        let mut out = Vec::new();
        for (task_id, w) in &mut self.tasks {
            let Some(target) = w.target_block else {
                continue;
            };
            // Mined in block ≥ head + 1 > target.
            if w.election_end.is_none() && block >= target && w.draw_sent_for != Some(target) {
                w.draw_sent_for = Some(target);
                out.push(ElectionStep::Act(ElectionAction::Draw {
                    task_id: *task_id,
                    target_block: target,
                }));
            }
        }
        out
    }

    /// Chain time: after a window ends with slots free, slash the silent elected and race.
    pub fn on_clock(&mut self, now: u64) -> Vec<ElectionStep> {
        if !self.config.open_race {
            return Vec::new();
        }
        let mut out = Vec::new();
        for (task_id, w) in &mut self.tasks {
            let Some(end) = w.election_end else {
                continue;
            };
            if now < end || w.full || !w.wanted {
                continue;
            }
            let silent: Vec<Address> = w
                .elected
                .iter()
                .filter(|p| !w.delivered.contains(*p) && !w.slash_sent.contains(*p))
                .copied()
                .collect();
            for prover in silent {
                w.slash_sent.insert(prover);
                out.push(ElectionStep::Act(ElectionAction::SlashElected {
                    task_id: *task_id,
                    prover,
                }));
            }
            if !w.opened {
                w.opened = true;
                out.push(ElectionStep::OpenRace(*task_id));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Address = Address::repeat_byte(0xa1);
    const B: Address = Address::repeat_byte(0xb2);

    #[test]
    fn draws_once_per_target_after_it_is_past() {
        let mut book = ElectionBook::default();
        // The schedule is logged before the task opens in the strategy.
        book.on_event(
            ElectionEvent::DrawScheduled {
                task_id: 1,
                target_block: 10,
            },
            100,
        );
        book.watch(1, true);
        assert!(book.on_head(9).is_empty(), "target not reached");
        let draw = ElectionStep::Act(ElectionAction::Draw {
            task_id: 1,
            target_block: 10,
        });
        assert_eq!(book.on_head(10), vec![draw]);
        assert!(book.on_head(11).is_empty(), "never twice for one target");
        // Re-targeted (nobody drew within 256 blocks): one more draw for the new target.
        book.on_event(
            ElectionEvent::DrawScheduled {
                task_id: 1,
                target_block: 300,
            },
            100,
        );
        assert_eq!(
            book.on_head(301),
            vec![ElectionStep::Act(ElectionAction::Draw {
                task_id: 1,
                target_block: 300
            })]
        );
        book.on_event(
            ElectionEvent::Drawn {
                task_id: 1,
                elected: 1,
                election_end: 500,
            },
            120,
        );
        assert!(book.on_head(400).is_empty(), "drawn: nothing to draw");
    }

    #[test]
    fn a_silent_elected_prover_is_slashed_and_the_slot_raced_after_the_window() {
        let mut book = ElectionBook::default();
        book.watch(1, true);
        book.on_assigned(1, B);
        assert!(book.is_elected(1, B) && !book.is_elected(1, A));
        assert!(
            book.on_event(
                ElectionEvent::Drawn {
                    task_id: 1,
                    elected: 1,
                    election_end: 500
                },
                200
            )
            .is_empty(),
            "nothing before the window ends"
        );
        assert!(book.on_clock(499).is_empty());
        assert_eq!(
            book.on_clock(500),
            vec![
                ElectionStep::Act(ElectionAction::SlashElected {
                    task_id: 1,
                    prover: B
                }),
                ElectionStep::OpenRace(1)
            ]
        );
        assert!(book.on_clock(600).is_empty(), "slash and race once");
    }

    #[test]
    fn a_delivered_or_full_task_is_left_alone() {
        let mut book = ElectionBook::default();
        book.watch(1, true);
        book.on_assigned(1, B);
        book.on_proof_accepted(1, B, 0);
        book.on_event(
            ElectionEvent::Drawn {
                task_id: 1,
                elected: 1,
                election_end: 500,
            },
            200,
        );
        assert!(book.on_clock(900).is_empty());
        // Redundancy 2: one delivered, one silent → only the silent one is slashed.
        book.watch(2, true);
        book.on_assigned(2, A);
        book.on_assigned(2, B);
        book.on_proof_accepted(2, A, 1);
        book.on_event(
            ElectionEvent::Drawn {
                task_id: 2,
                elected: 2,
                election_end: 500,
            },
            200,
        );
        assert_eq!(
            book.on_clock(501),
            vec![
                ElectionStep::Act(ElectionAction::SlashElected {
                    task_id: 2,
                    prover: B
                }),
                ElectionStep::OpenRace(2)
            ]
        );
    }

    #[test]
    fn an_empty_election_opens_the_race_at_once_and_unwanted_tasks_are_not_raced() {
        let mut book = ElectionBook::default();
        book.watch(1, true);
        assert_eq!(
            book.on_event(
                ElectionEvent::Drawn {
                    task_id: 1,
                    elected: 0,
                    election_end: 200
                },
                200
            ),
            vec![ElectionStep::OpenRace(1)]
        );
        book.watch(2, false);
        book.on_event(
            ElectionEvent::Drawn {
                task_id: 2,
                elected: 0,
                election_end: 200,
            },
            200,
        );
        assert!(book.on_clock(300).is_empty());
        book.on_closed(1);
        assert!(!book.follows(1));
    }

    #[test]
    fn disabled_draws_and_races_do_nothing() {
        let mut book = ElectionBook::new(ElectionConfig {
            draw: false,
            open_race: false,
        });
        book.watch(1, true);
        book.on_event(
            ElectionEvent::DrawScheduled {
                task_id: 1,
                target_block: 1,
            },
            0,
        );
        assert!(book.on_head(5).is_empty());
        book.on_event(
            ElectionEvent::Drawn {
                task_id: 1,
                elected: 0,
                election_end: 0,
            },
            0,
        );
        assert!(book.on_clock(10).is_empty());
    }
}
