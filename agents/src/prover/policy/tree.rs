//! Tree assignment (`TreeAssignment`, kind 6): pure decisions.
//!
//! The block's root task splits into leaf ranges; after a seed block, anyone calls `draw`, which
//! draws each range's owner from the mechanism's bonded pool. Each owner proves its range's base
//! proofs and inner merges, publishes the range's top node proof on the sequencer's node relay and
//! `attest`s it on L1 before the range deadline. Range 0's owner is the root prover (assigned in the
//! TaskRegistry): it fetches the other ranges' top nodes, verifies them, builds the merges above
//! and the root, and submits the root proof. After the range deadline, the owner of a silent
//! range's sibling subtree (its "uncle", having attested its own range) may `cover` it: prove it
//! itself, take its share and half of the failed owner's bond.
//!
//! * [`TreePolicy`] answers the task's opening: `Await` (we are only involved if drawn; the root is
//!   an ordinary registry assignment for the shared lifecycle) or `Decline` for a block we cannot build.
//! * [`TreeBook`] follows each tree: `draw` once the seed block is past (with that block's header,
//!   whose prevrandao the contract checks against the block hash and uses as the seed), prove and
//!   attest the ranges drawn to us, cover a sibling's silent range when its share pays for the work.

use std::collections::BTreeMap;

use alloy::primitives::Address;

use crate::prover::cost::CostModel;
use crate::prover::strategy::{Context, Decision, MechanismPolicy, TaskId, TaskView};

/// Tree assignment: a member of the pool is drawn or not; it declines only blocks it cannot build.
#[derive(Clone, Copy, Debug, Default)]
pub struct TreePolicy;

impl MechanismPolicy for TreePolicy {
    fn evaluate(&self, task: &TaskView, _ctx: &Context<'_>) -> Decision {
        if task.block_txs.is_none() {
            return Decision::Decline("not a block task this prover can build".into());
        }
        if task.slots_left() == 0 {
            return Decision::Decline("the root proof is already accepted".into());
        }
        // Being drawn is not a choice (the pool bond is the commitment): wait for the draw.
        Decision::Await("waiting for the tree draw".into())
    }
}

/// The instance's terms a cover decision needs (read once per instance by the service).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeTerms {
    /// Bond locked per drawn range.
    pub range_bond: u128,
    /// Share of a covered range's bond paid to the uncle, in basis points.
    pub uncle_bps: u16,
    /// Contribution units per base proof, merge and root.
    pub base_weight: u16,
    /// Units per merge.
    pub merge_weight: u16,
    /// Units of the root proof.
    pub root_weight: u16,
}

impl TreeTerms {
    /// Total units of a tree of `txs` leaves: n base, n − 1 merges, one root.
    pub fn total_units(&self, txs: u64) -> u128 {
        u128::from(self.base_weight) * u128::from(txs)
            + u128::from(self.merge_weight) * u128::from(txs.saturating_sub(1))
            + u128::from(self.root_weight)
    }

    /// Units of a range of `count` leaves leading `merges_led` merges above the ranges.
    pub fn range_units(&self, count: u32, merges_led: u8) -> u128 {
        u128::from(self.base_weight) * u128::from(count)
            + u128::from(self.merge_weight)
                * (u128::from(count.saturating_sub(1)) + u128::from(merges_led))
    }
}

/// Tree facts the service decodes from `TreeAssignment` logs (enriched with views).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TreeEvent {
    /// `TreeOpened` (with the task's budget and the instance's terms).
    Opened {
        /// The task.
        task_id: TaskId,
        /// Leaves.
        txs: u64,
        /// Block whose prevrandao seeds the draw.
        draw_block: u64,
        /// The task's budget.
        max_payment: u128,
        /// The task's deadline.
        deadline: u64,
        /// Instance terms.
        terms: TreeTerms,
    },
    /// `DrawReanchored`: the seed moved to a later block.
    Reanchored {
        /// The task.
        task_id: TaskId,
        /// New seed block.
        draw_block: u64,
    },
    /// `RangeDrawn` (with the range's sibling and led merges from `rangeOf`).
    RangeDrawn {
        /// The task.
        task_id: TaskId,
        /// Range index.
        range: u8,
        /// Drawn owner.
        owner: Address,
        /// First leaf.
        start: u32,
        /// Leaves.
        count: u32,
        /// Merges above the ranges it leads.
        merges_led: u8,
        /// The range whose owner may cover it (`None` for a single-range tree).
        sibling: Option<u8>,
    },
    /// `TreeDrawn`: the root prover and the attestation deadline.
    Drawn {
        /// The task.
        task_id: TaskId,
        /// Range 0's owner.
        root_prover: Address,
        /// Attest by this time (unix seconds).
        range_deadline: u64,
    },
    /// `RangeAttested` (also emitted by a cover).
    Attested {
        /// The task.
        task_id: TaskId,
        /// Range index.
        range: u8,
        /// Who attested (owner or uncle).
        prover: Address,
    },
    /// `RangeCovered`: the uncle became the owner.
    Covered {
        /// The task.
        task_id: TaskId,
        /// Range index.
        range: u8,
        /// The covering prover.
        uncle: Address,
    },
    /// Our range job (prove, publish, attest or cover) finished.
    RangeDone {
        /// The task.
        task_id: TaskId,
        /// Range index.
        range: u8,
        /// Whether the attestation (or cover) landed; the error otherwise.
        result: Result<(), String>,
    },
}

impl TreeEvent {
    /// The task the event is about.
    pub fn task_id(&self) -> TaskId {
        match self {
            Self::Opened { task_id, .. }
            | Self::Reanchored { task_id, .. }
            | Self::RangeDrawn { task_id, .. }
            | Self::Drawn { task_id, .. }
            | Self::Attested { task_id, .. }
            | Self::Covered { task_id, .. }
            | Self::RangeDone { task_id, .. } => *task_id,
        }
    }
}

/// Calls and jobs the service carries out for a tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TreeAction {
    /// `TreeAssignment.draw(taskId, rlp(header of draw_block))`.
    Draw {
        /// The task.
        task_id: TaskId,
        /// The seed block, whose header the draw carries.
        draw_block: u64,
    },
    /// Prove the range's subtree, publish its top node on the relay, then `attest` (or `cover`).
    ProveRange {
        /// The task.
        task_id: TaskId,
        /// Range index.
        range: u8,
        /// First leaf.
        start: u32,
        /// Leaves.
        count: u32,
        /// Cover a sibling's silent range instead of attesting our own.
        cover: bool,
    },
}

/// Tree behaviour (the `draw` and `cover` keys of `[strategy.tree]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeConfig {
    /// Call `draw` once the seed block is past (default true).
    pub draw: bool,
    /// Cover a sibling's silent range when it pays (default true).
    pub cover: bool,
}

impl Default for TreeConfig {
    fn default() -> Self {
        Self {
            draw: true,
            cover: true,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RangeStatus {
    Drawn,
    Attested,
    Covered,
}

#[derive(Clone, Debug)]
struct RangeInfo {
    owner: Address,
    start: u32,
    count: u32,
    merges_led: u8,
    sibling: Option<u8>,
    status: RangeStatus,
    /// Our job on it is running or done (never started twice).
    job: bool,
}

#[derive(Clone, Debug)]
struct TreeWatch {
    txs: u64,
    draw_block: u64,
    draw_sent_for: Option<u64>,
    max_payment: u128,
    deadline: u64,
    terms: TreeTerms,
    range_deadline: Option<u64>,
    ranges: BTreeMap<u8, RangeInfo>,
}

/// The trees this prover follows.
#[derive(Clone, Debug, Default)]
pub struct TreeBook {
    me: Address,
    config: TreeConfig,
    tasks: BTreeMap<TaskId, TreeWatch>,
}

impl TreeBook {
    /// A book for prover `me`.
    pub fn new(me: Address, config: TreeConfig) -> Self {
        Self {
            me,
            config,
            tasks: BTreeMap::new(),
        }
    }

    /// The ranges of a task owned by `prover` now.
    pub fn ranges_of(&self, task_id: TaskId, prover: Address) -> Vec<u8> {
        self.tasks
            .get(&task_id)
            .map(|t| {
                t.ranges
                    .iter()
                    .filter(|(_, r)| r.owner == prover)
                    .map(|(i, _)| *i)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A tree log (or our range job's end). `now` is chain time.
    pub fn on_event(&mut self, event: TreeEvent, now: u64, cost: &CostModel) -> Vec<TreeAction> {
        let me = self.me;
        match event {
            TreeEvent::Opened {
                task_id,
                txs,
                draw_block,
                max_payment,
                deadline,
                terms,
            } => {
                self.tasks.entry(task_id).or_insert(TreeWatch {
                    txs,
                    draw_block,
                    draw_sent_for: None,
                    max_payment,
                    deadline,
                    terms,
                    range_deadline: None,
                    ranges: BTreeMap::new(),
                });
                Vec::new()
            }
            TreeEvent::Reanchored {
                task_id,
                draw_block,
            } => {
                if let Some(t) = self.tasks.get_mut(&task_id) {
                    t.draw_block = draw_block;
                }
                Vec::new()
            }
            TreeEvent::RangeDrawn {
                task_id,
                range,
                owner,
                start,
                count,
                merges_led,
                sibling,
            } => {
                let Some(t) = self.tasks.get_mut(&task_id) else {
                    return Vec::new();
                };
                let ours = owner == me;
                t.ranges.insert(
                    range,
                    RangeInfo {
                        owner,
                        start,
                        count,
                        merges_led,
                        sibling,
                        status: RangeStatus::Drawn,
                        job: ours,
                    },
                );
                if ours {
                    vec![TreeAction::ProveRange {
                        task_id,
                        range,
                        start,
                        count,
                        cover: false,
                    }]
                } else {
                    Vec::new()
                }
            }
            TreeEvent::Drawn {
                task_id,
                range_deadline,
                ..
            } => {
                if let Some(t) = self.tasks.get_mut(&task_id) {
                    t.range_deadline = Some(range_deadline);
                }
                self.on_clock(now, cost)
            }
            TreeEvent::Attested {
                task_id,
                range,
                prover,
            } => {
                if let Some(r) = self
                    .tasks
                    .get_mut(&task_id)
                    .and_then(|t| t.ranges.get_mut(&range))
                    && r.status == RangeStatus::Drawn
                {
                    r.status = RangeStatus::Attested;
                    r.owner = prover;
                }
                self.on_clock(now, cost)
            }
            TreeEvent::Covered {
                task_id,
                range,
                uncle,
            } => {
                if let Some(r) = self
                    .tasks
                    .get_mut(&task_id)
                    .and_then(|t| t.ranges.get_mut(&range))
                {
                    r.status = RangeStatus::Covered;
                    r.owner = uncle;
                }
                self.on_clock(now, cost)
            }
            TreeEvent::RangeDone { .. } => Vec::new(),
        }
    }

    /// The task closed: stop following it.
    pub fn on_closed(&mut self, task_id: TaskId) {
        self.tasks.remove(&task_id);
    }

    /// A new L1 head: draw every tree whose seed block is past.
    pub fn on_head(&mut self, block: u64) -> Vec<TreeAction> {
        if !self.config.draw {
            return Vec::new();
        }
        let mut out = Vec::new();
        for (task_id, t) in &mut self.tasks {
            // Mined in a block ≥ head + 1 > draw_block.
            if t.range_deadline.is_none()
                && t.ranges.is_empty()
                && block >= t.draw_block
                && t.draw_sent_for != Some(t.draw_block)
            {
                t.draw_sent_for = Some(t.draw_block);
                out.push(TreeAction::Draw {
                    task_id: *task_id,
                    draw_block: t.draw_block,
                });
            }
        }
        out
    }

    /// Chain time: after a range deadline, cover the silent ranges we are the uncle of, when the
    /// range's share plus the uncle's part of the bond pays for proving it.
    pub fn on_clock(&mut self, now: u64, cost: &CostModel) -> Vec<TreeAction> {
        if !self.config.cover {
            return Vec::new();
        }
        let me = self.me;
        let mut out = Vec::new();
        for (task_id, t) in &mut self.tasks {
            let Some(range_deadline) = t.range_deadline else {
                continue;
            };
            if now <= range_deadline || now >= t.deadline {
                continue;
            }
            let uncle_of: Vec<u8> = t
                .ranges
                .iter()
                .filter(|(_, r)| r.status == RangeStatus::Drawn && r.owner != me && !r.job)
                .filter(|(_, r)| {
                    r.sibling.and_then(|s| t.ranges.get(&s)).is_some_and(|s| {
                        s.owner == me
                            && matches!(s.status, RangeStatus::Attested | RangeStatus::Covered)
                    })
                })
                .map(|(i, _)| *i)
                .collect();
            for range in uncle_of {
                let Some(r) = t.ranges.get_mut(&range) else {
                    continue;
                };
                let share = t.max_payment * t.terms.range_units(r.count, r.merges_led)
                    / t.terms.total_units(t.txs).max(1);
                let bond = t.terms.range_bond * u128::from(t.terms.uncle_bps) / 10_000;
                let slack = t.deadline.saturating_sub(now) as f64;
                let mut estimate = cost.estimate(u64::from(r.count), 0, slack);
                // A range has no root proof; the cover transaction replaces the submission.
                estimate.prove_secs -= cost.speed.root_secs;
                estimate.compute_tokens = estimate.prove_secs * cost.prices.compute_per_sec;
                if !cost.fits_deadline(estimate.prove_secs, slack)
                    || !cost.worth_it((share + bond) as f64, &estimate)
                {
                    continue;
                }
                r.job = true;
                out.push(TreeAction::ProveRange {
                    task_id: *task_id,
                    range,
                    start: r.start,
                    count: r.count,
                    cover: true,
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prover::cost::{Prices, ProvingSpeed};

    const ME: Address = Address::repeat_byte(0xaa);
    const OTHER: Address = Address::repeat_byte(0xbb);
    const TOKEN: u128 = 1_000_000_000_000_000_000;

    fn cost() -> CostModel {
        CostModel {
            speed: ProvingSpeed {
                base_secs: 1.0,
                merge_secs: 1.0,
                root_secs: 1.0,
                workers: 1,
            },
            prices: Prices::default(),
            gas_price_wei: 1_000_000_000,
        }
    }

    fn terms() -> TreeTerms {
        TreeTerms {
            range_bond: 20 * TOKEN,
            uncle_bps: 5_000,
            base_weight: 1,
            merge_weight: 1,
            root_weight: 1,
        }
    }

    fn opened(book: &mut TreeBook, max_payment: u128) {
        book.on_event(
            TreeEvent::Opened {
                task_id: 1,
                txs: 4,
                draw_block: 10,
                max_payment,
                deadline: 2_000,
                terms: terms(),
            },
            1_000,
            &cost(),
        );
    }

    fn drawn(book: &mut TreeBook, owners: [Address; 2]) -> Vec<TreeAction> {
        let mut out = Vec::new();
        for (i, owner) in owners.into_iter().enumerate() {
            out.extend(book.on_event(
                TreeEvent::RangeDrawn {
                    task_id: 1,
                    range: i as u8,
                    owner,
                    start: 2 * i as u32,
                    count: 2,
                    merges_led: u8::from(i == 0),
                    sibling: Some(1 - i as u8),
                },
                1_000,
                &cost(),
            ));
        }
        out.extend(book.on_event(
            TreeEvent::Drawn {
                task_id: 1,
                root_prover: owners[0],
                range_deadline: 1_500,
            },
            1_000,
            &cost(),
        ));
        out
    }

    #[test]
    fn units_follow_the_contract() {
        // docs/mechanisms.md: 8 transactions in ranges of 2, weights 1/1/1 → 16 units; range 0
        // leads two merges (and takes the root through the root proof): 2 + 1 + 2 = 5.
        let t = terms();
        assert_eq!(t.total_units(8), 16);
        assert_eq!(t.range_units(2, 2), 5);
        assert_eq!(t.range_units(2, 0), 3);
        assert_eq!(t.range_units(1, 0), 1);
    }

    #[test]
    fn draws_once_the_seed_block_is_past() {
        let mut book = TreeBook::new(ME, TreeConfig::default());
        opened(&mut book, 100 * TOKEN);
        assert!(book.on_head(9).is_empty());
        assert_eq!(
            book.on_head(10),
            vec![TreeAction::Draw {
                task_id: 1,
                draw_block: 10
            }]
        );
        assert!(book.on_head(11).is_empty(), "once per seed block");
        book.on_event(
            TreeEvent::Reanchored {
                task_id: 1,
                draw_block: 300,
            },
            1_000,
            &cost(),
        );
        assert_eq!(
            book.on_head(300),
            vec![TreeAction::Draw {
                task_id: 1,
                draw_block: 300
            }],
            "re-anchored: the new seed block's header"
        );
        drawn(&mut book, [OTHER, OTHER]);
        book.on_event(
            TreeEvent::Reanchored {
                task_id: 1,
                draw_block: 400,
            },
            1_000,
            &cost(),
        );
        assert!(
            book.on_head(500).is_empty(),
            "drawn trees are not drawn again"
        );
    }

    #[test]
    fn proves_and_attests_the_ranges_drawn_to_us() {
        let mut book = TreeBook::new(ME, TreeConfig::default());
        opened(&mut book, 100 * TOKEN);
        let actions = drawn(&mut book, [OTHER, ME]);
        assert_eq!(
            actions,
            vec![TreeAction::ProveRange {
                task_id: 1,
                range: 1,
                start: 2,
                count: 2,
                cover: false
            }]
        );
        assert_eq!(book.ranges_of(1, ME), vec![1]);
        assert_eq!(book.ranges_of(1, OTHER), vec![0]);
    }

    #[test]
    fn the_uncle_covers_a_silent_range_after_the_deadline() {
        let mut book = TreeBook::new(ME, TreeConfig::default());
        opened(&mut book, 100 * TOKEN);
        drawn(&mut book, [OTHER, ME]);
        // Before our own range is attested we are not (yet) an uncle the contract accepts.
        assert!(book.on_clock(1_600, &cost()).is_empty());
        book.on_event(
            TreeEvent::Attested {
                task_id: 1,
                range: 1,
                prover: ME,
            },
            1_100,
            &cost(),
        );
        assert!(
            book.on_clock(1_500, &cost()).is_empty(),
            "the owner still has time"
        );
        let cover = vec![TreeAction::ProveRange {
            task_id: 1,
            range: 0,
            start: 0,
            count: 2,
            cover: true,
        }];
        assert_eq!(book.on_clock(1_501, &cost()), cover);
        assert!(book.on_clock(1_502, &cost()).is_empty(), "covered once");
        book.on_event(
            TreeEvent::Covered {
                task_id: 1,
                range: 0,
                uncle: ME,
            },
            1_510,
            &cost(),
        );
        assert_eq!(book.ranges_of(1, ME), vec![0, 1]);
    }

    #[test]
    fn an_attested_range_or_a_past_deadline_is_not_covered() {
        let mut book = TreeBook::new(ME, TreeConfig::default());
        opened(&mut book, 100 * TOKEN);
        drawn(&mut book, [OTHER, ME]);
        for range in [0, 1] {
            book.on_event(
                TreeEvent::Attested {
                    task_id: 1,
                    range,
                    prover: if range == 0 { OTHER } else { ME },
                },
                1_100,
                &cost(),
            );
        }
        assert!(book.on_clock(1_600, &cost()).is_empty());
        let mut late = TreeBook::new(ME, TreeConfig::default());
        opened(&mut late, 100 * TOKEN);
        drawn(&mut late, [OTHER, ME]);
        late.on_event(
            TreeEvent::Attested {
                task_id: 1,
                range: 1,
                prover: ME,
            },
            1_100,
            &cost(),
        );
        assert!(
            late.on_clock(2_000, &cost()).is_empty(),
            "past the deadline"
        );
    }

    #[test]
    fn a_cover_that_does_not_pay_is_skipped() {
        let mut book = TreeBook::new(ME, TreeConfig::default());
        // A budget of 1 base unit and no bond: nothing covers an hour of compute.
        book.on_event(
            TreeEvent::Opened {
                task_id: 1,
                txs: 4,
                draw_block: 10,
                max_payment: 1,
                deadline: 20_000,
                terms: TreeTerms {
                    range_bond: 0,
                    ..terms()
                },
            },
            1_000,
            &cost(),
        );
        drawn(&mut book, [OTHER, ME]);
        book.on_event(
            TreeEvent::Attested {
                task_id: 1,
                range: 1,
                prover: ME,
            },
            1_100,
            &cost(),
        );
        let expensive = CostModel {
            prices: Prices {
                compute_per_sec: 1e18,
                ..Prices::default()
            },
            ..cost()
        };
        assert!(book.on_clock(1_600, &expensive).is_empty());
    }
}
