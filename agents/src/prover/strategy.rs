//! The prover's decisions, as pure functions: chain (and local) events in, actions out
//! (`Strategy::process_event(&mut self, e) -> Vec<Action>`, artemis style). No I/O happens here, so
//! every decision is unit-tested without a chain; the service (`service.rs`) turns actions into RPC
//! calls, fetches and proving jobs and feeds what happened back in as events.
//!
//! The lifecycle every mechanism shares (capacity, fetch → check → prove → submit, abandoning a task
//! whose slots filled, retries, expiring overdue assignments) lives in [`ProverStrategy`]. What differs
//! per mechanism — whether to race, what to bid, whether to lock — is a [`MechanismPolicy`], selected
//! by the mechanism's declared kind. [`RacePolicy`] implements the open proof race; later mechanisms
//! (sealed-bid, ascending lock, election, order book, tree nodes) implement the same trait and return
//! `Decision::Bid` / `Decision::Lock` where the race returns `Decision::Race`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use alloy::primitives::Address;

use super::cost::{CostEstimate, CostModel};
use super::policy::election::{
    ElectionAction, ElectionBook, ElectionConfig, ElectionEvent, ElectionPolicy, ElectionStep,
};
use super::policy::tree::{TreeAction, TreeBook, TreeConfig, TreeEvent, TreePolicy};
use super::policy::{ascending, order_book, sealed_bid};

/// Task ids as the TaskRegistry numbers them (1..taskCount; they fit a u64 on any real chain).
pub type TaskId = u64;

/// Mechanism families, as `IMechanism.Profile.kind` declares them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MechanismKind {
    /// Open proof race: anyone proves, the first K valid proofs are paid.
    Race,
    /// Sealed-bid reverse auction.
    SealedBid,
    /// Ascending-price lock auction.
    Ascending,
    /// Stake-weighted election, then a race among the elected.
    ElectionRace,
    /// Order book of standing offers.
    OrderBook,
    /// Protocol-elected tree assignment.
    TreeAssignment,
    /// A kind this agent does not know.
    Unknown(u8),
}

impl From<u8> for MechanismKind {
    fn from(kind: u8) -> Self {
        match kind {
            1 => Self::Race,
            2 => Self::SealedBid,
            3 => Self::Ascending,
            4 => Self::ElectionRace,
            5 => Self::OrderBook,
            6 => Self::TreeAssignment,
            other => Self::Unknown(other),
        }
    }
}

/// How a race pays each accepted proof (the ProofRace's `DecaySchedule`): each of the `redundancy`
/// slots is worth `max_payment / redundancy`, paid in full at `start`, falling linearly to
/// `floor_bps` of it at `start + window`, and staying at the floor until the deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RaceSchedule {
    /// When the decay starts (the task's `openedAt`).
    pub start: u64,
    /// Seconds from full to floor.
    pub window: u64,
    /// Share of a slot paid from `start + window` on, in basis points.
    pub floor_bps: u32,
}

impl RaceSchedule {
    /// `DecaySchedule.decayed(amount, start, window, floorBps, t)`, with the contract's rounding.
    pub fn decayed(&self, amount: u128, t: u64) -> u128 {
        const BPS: u128 = 10_000;
        let floor = u128::from(self.floor_bps).min(BPS);
        if t <= self.start {
            return amount;
        }
        let elapsed = u128::from(t - self.start);
        let window = u128::from(self.window);
        if elapsed >= window {
            return amount - amount * (BPS - floor) / BPS;
        }
        amount - amount * (BPS - floor) * elapsed / (BPS * window)
    }
}

/// What the strategy knows about an open task (the service enriches the registry's TaskCreated with
/// the mechanism's kind and terms and the block size the task proves).
#[derive(Clone, Debug, PartialEq)]
pub struct TaskView {
    /// The task.
    pub task_id: TaskId,
    /// Its mechanism instance.
    pub mechanism: Address,
    /// The mechanism's family.
    pub kind: MechanismKind,
    /// Transactions in the block the task proves (the tree size); `None` if not a block task this
    /// agent can prove.
    pub block_txs: Option<u64>,
    /// Escrowed budget.
    pub max_payment: u128,
    /// When the task was created (unix seconds).
    pub created_at: u64,
    /// Proof deadline (unix seconds).
    pub deadline: u64,
    /// Proofs needed.
    pub redundancy: u8,
    /// Proofs accepted so far.
    pub proofs_accepted: u8,
    /// Race payout terms, when the mechanism is a race.
    pub race: Option<RaceSchedule>,
    /// Collateral the mechanism would lock from us (zero for an open race).
    pub collateral: u128,
    /// The mechanism's per-task terms (auction windows, ramp, book state), when it has any.
    pub terms: MechanismTerms,
}

/// Per-task terms of the auction mechanisms, read from the instance when the task is seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MechanismTerms {
    /// None needed (race) or not read.
    #[default]
    None,
    /// Sealed-bid round.
    SealedBid(sealed_bid::SealedBidTerms),
    /// Ascending-price ramp.
    Ascending(ascending::AscendingTerms),
    /// Order-book matching state.
    OrderBook(order_book::BookTerms),
}

impl MechanismTerms {
    /// The sealed-bid round, if any.
    pub fn sealed_bid(&self) -> Option<sealed_bid::SealedBidTerms> {
        match self {
            Self::SealedBid(t) => Some(*t),
            _ => None,
        }
    }

    /// The ascending ramp, if any.
    pub fn ascending(&self) -> Option<ascending::AscendingTerms> {
        match self {
            Self::Ascending(t) => Some(*t),
            _ => None,
        }
    }

    /// The book state, if any.
    pub fn order_book(&self) -> Option<order_book::BookTerms> {
        match self {
            Self::OrderBook(t) => Some(*t),
            _ => None,
        }
    }
}

impl TaskView {
    /// What one race slot pays for a proof accepted at `at` (nothing after the deadline).
    pub fn race_payment_at(&self, at: u64) -> u128 {
        if at > self.deadline {
            return 0;
        }
        let slot = self.max_payment / u128::from(self.redundancy.max(1));
        match self.race {
            Some(schedule) => schedule.decayed(slot, at),
            None => slot,
        }
    }

    /// Slots still open.
    pub fn slots_left(&self) -> u8 {
        self.redundancy.saturating_sub(self.proofs_accepted)
    }
}

/// Why a submission failed, as the service decoded the revert (or transport error).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubmitFailure {
    /// `AlreadyProven(task, us)`: our proof is on chain already (an earlier attempt landed).
    AlreadyProvenByUs,
    /// The task cannot take proofs any more (`TaskNotOpen`, `TaskExpired`, slots filled, refused by
    /// the mechanism).
    Closed(String),
    /// The verifier refused the proof (`InvalidProof`, `PublicInputCount`, commitment mismatch): a
    /// bug or bad data; never retried.
    Rejected(String),
    /// RPC/transport trouble or an underpriced transaction: worth retrying.
    Transient(String),
}

/// Events the strategy reacts to.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// Chain time advanced (a new block's timestamp).
    Clock {
        /// Unix seconds.
        now: u64,
    },
    /// Latest gas price.
    GasPrice {
        /// Wei per gas.
        wei: u128,
    },
    /// A task opened (or reopened under a fallback mechanism).
    TaskOpened(TaskView),
    /// The block data behind a task was fetched and checked against its on-chain commitment.
    DataChecked {
        /// The task.
        task_id: TaskId,
        /// Whether it matched (a mismatch means the sequencer served bad data: never prove on it).
        ok: bool,
    },
    /// A prover was assigned to a task (lock mechanisms).
    Assigned {
        /// The task.
        task_id: TaskId,
        /// The assigned prover.
        prover: Address,
    },
    /// A proof was accepted for a task.
    ProofAccepted {
        /// The task.
        task_id: TaskId,
        /// Whose proof.
        prover: Address,
        /// Accepted so far.
        proofs_accepted: u8,
    },
    /// The task reached a final status (fulfilled, expired, cancelled).
    TaskClosed {
        /// The task.
        task_id: TaskId,
    },
    /// Our proof of the task's statement is ready to submit.
    ProofReady {
        /// The task.
        task_id: TaskId,
    },
    /// Proving failed locally (bad witness, worker crash).
    ProveFailed {
        /// The task.
        task_id: TaskId,
        /// What went wrong.
        reason: String,
    },
    /// A submission failed.
    SubmitFailed {
        /// The task.
        task_id: TaskId,
        /// Decoded cause.
        failure: SubmitFailure,
    },
    /// A new L1 head (mechanisms that wait for a block: election and tree draws).
    Head {
        /// Block number.
        block: u64,
    },
    /// An election-then-race log.
    Election(ElectionEvent),
    /// A tree-assignment log (or our range job's end).
    Tree(TreeEvent),
    /// Decide a task again (a lapsed lock on it was slashed, freeing its slot).
    Reconsider {
        /// The task.
        task_id: TaskId,
    },
    /// A reorg dropped the block holding our accepted proof of a task the chain still has open and
    /// not proven by us: the task is ours to decide again (the reopening `TaskOpened` follows).
    ProofReorgedOut {
        /// The task.
        task_id: TaskId,
    },
    /// Another prover's ascending-auction lock, with its exact deadline (read from chain).
    LockHeld {
        /// The task.
        task_id: TaskId,
        /// The locker.
        prover: Address,
        /// Its `lockDeadline`.
        until: u64,
    },
}

/// Actions the service carries out.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Fetch the task's block data and check it against the chain (answer: `DataChecked`).
    FetchData {
        /// The task.
        task_id: TaskId,
    },
    /// Prove the task's statement (answer: `ProofReady` or `ProveFailed`).
    Prove {
        /// The task.
        task_id: TaskId,
    },
    /// Submit our proof (idempotent in the service: never twice for one task).
    Submit {
        /// The task.
        task_id: TaskId,
    },
    /// Stop working on a task.
    Abandon {
        /// The task.
        task_id: TaskId,
        /// Why.
        reason: String,
    },
    /// Not taking the task.
    Decline {
        /// The task.
        task_id: TaskId,
        /// Why.
        reason: String,
    },
    /// Bid in an auction (sealed-bid, order book; mechanisms other than the race).
    Bid {
        /// The task.
        task_id: TaskId,
        /// Price asked.
        price: u128,
    },
    /// Lock the task with collateral (ascending auction).
    Lock {
        /// The task.
        task_id: TaskId,
        /// Collateral to lock.
        collateral: u128,
    },
    /// Call `TaskRegistry.expire` on an overdue task someone else held (slashes the dead prover and
    /// reopens the task, whose cover bounty we may then earn).
    Expire {
        /// The task.
        task_id: TaskId,
    },
    /// Waiting for the mechanism to assign us (an election or tree draw); nothing to send.
    Await {
        /// The task.
        task_id: TaskId,
        /// Why.
        reason: String,
    },
    /// An election-then-race call (draw, slash a silent elected prover).
    Election(ElectionAction),
    /// A tree-assignment call or range job.
    Tree(TreeAction),
    /// Reveal our sealed bid (the service holds price and salt in its store).
    Reveal {
        /// The task.
        task_id: TaskId,
    },
    /// Call the sealed-bid auction's `finalize` (anyone may; every bidder tries).
    Finalize {
        /// The task.
        task_id: TaskId,
    },
    /// Slash another prover's lapsed ascending-auction lock, freeing its slot.
    SlashLock {
        /// The task.
        task_id: TaskId,
        /// The locker.
        prover: Address,
    },
    /// Call the order book's `matchTask` for a task waiting for offers.
    MatchTask {
        /// The task.
        task_id: TaskId,
    },
    /// Post (or re-post) our standing order-book offer.
    PostOffer(order_book::Offer),
    /// Take our order-book offer off the book (matches already made stay bound).
    WithdrawOffer,
}

/// A mechanism policy's answer to an open task.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// Prove and submit as soon as possible.
    Race,
    /// Bid this price.
    Bid {
        /// Price asked.
        price: u128,
    },
    /// Lock with this collateral.
    Lock {
        /// Collateral.
        collateral: u128,
    },
    /// Do not take the task.
    Decline(String),
    /// Wait: the mechanism draws who proves (election, tree); work starts if it assigns us.
    Await(String),
    /// Decide again at this time (an ascending price still below our reservation price).
    Wait {
        /// Unix seconds.
        until: u64,
    },
    /// Call the order book's `matchTask`: the task waits for offers and ours qualifies.
    Match,
}

/// Everything a policy may look at besides the task.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// Chain time.
    pub now: u64,
    /// Cost model with the live gas price.
    pub cost: &'a CostModel,
    /// Distinct other provers seen winning race proofs recently (the competition).
    pub competitors: usize,
    /// This prover.
    pub me: Address,
}

/// One mechanism family's decisions. Implemented by [`RacePolicy`]; the sealed-bid, ascending-lock,
/// election, order-book and tree-node strategies implement it with their own `Decision`s.
pub trait MechanismPolicy: Send {
    /// Whether to take `task`, and how.
    fn evaluate(&self, task: &TaskView, ctx: &Context<'_>) -> Decision;
}

/// The open proof race: race when the expected payment at our finish time, weighted by the chance
/// of landing in one of the open slots, covers gas, compute and margin.
#[derive(Clone, Copy, Debug, Default)]
pub struct RacePolicy;

impl RacePolicy {
    /// Probability of taking one of `slots` slots against `competitors` others racing too. Equal
    /// speeds assumed: each racer is equally likely to be among the first `slots`.
    pub fn win_probability(slots: u8, competitors: usize) -> f64 {
        let racers = competitors as f64 + 1.0;
        (f64::from(slots) / racers).min(1.0)
    }
}

impl MechanismPolicy for RacePolicy {
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
        let finish = ctx.now + cost.prove_secs.ceil() as u64;
        let pay = task.race_payment_at(finish) as f64;
        let p_win = Self::win_probability(task.slots_left(), ctx.competitors);
        // A loser abandons before submitting when it sees the slots fill, so it pays compute but
        // (usually) not gas: expected value = p·(pay − gas) − compute − risk.
        let expected = p_win * (pay - cost.gas_tokens);
        let spend = CostEstimate {
            gas_tokens: 0.0,
            ..cost
        };
        if ctx.cost.worth_it(expected, &spend) && expected > 0.0 {
            Decision::Race
        } else {
            Decision::Decline(format!(
                "unprofitable: expected {expected:.3e} (p_win {p_win:.2}, pay {pay:.3e}) vs cost {:.3e}",
                cost.total()
            ))
        }
    }
}

/// Where one task stands for this prover.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Accepted but waiting for a free worker slot.
    Queued,
    /// Fetching and checking block data.
    Fetching,
    /// Proving.
    Proving,
    /// Submitted (or submitting).
    Submitting,
    /// Our proof was accepted.
    Done,
    /// Stopped: declined, abandoned, or closed before we finished.
    Dropped,
}

#[derive(Clone, Debug)]
struct Tracked {
    view: TaskView,
    phase: Phase,
    submit_attempts: u32,
    assigned_to_us: bool,
}

/// Configuration of the shared lifecycle.
#[derive(Clone, Copy, Debug)]
pub struct StrategyConfig {
    /// Tasks fetched/proven at once (the declared capacity).
    pub max_concurrent: usize,
    /// Submission attempts on transient errors before giving up.
    pub max_submit_attempts: u32,
    /// Whether to call `expire` on overdue tasks held by others.
    pub expire_overdue: bool,
}

impl Default for StrategyConfig {
    fn default() -> Self {
        Self {
            max_concurrent: 2,
            max_submit_attempts: 5,
            expire_overdue: true,
        }
    }
}

/// The prover's strategy: the shared lifecycle plus one policy per mechanism kind.
pub struct ProverStrategy {
    me: Address,
    cost: CostModel,
    config: StrategyConfig,
    now: u64,
    policies: BTreeMap<MechanismKind, Box<dyn MechanismPolicy>>,
    tasks: BTreeMap<TaskId, Tracked>,
    queue: VecDeque<TaskId>,
    /// Assigned to someone else, not yet proven: candidates for `expire` after the deadline.
    held_by_others: BTreeMap<TaskId, u64>,
    competitors: BTreeSet<Address>,
    election: ElectionBook,
    tree: TreeBook,
    /// Tasks to decide again at a time (ascending locks waiting for the price).
    deferred: BTreeMap<TaskId, u64>,
    /// Assigned to us before we saw the task open (an order-book match in the opening transaction).
    pre_assigned: BTreeSet<TaskId>,
    sealed: sealed_bid::SealedBidTracker,
    /// Other provers' ascending locks, when covering is on.
    locks: Option<ascending::LockWatch>,
    /// Lock windows of ascending tasks (to date other provers' locks).
    lock_windows: BTreeMap<TaskId, u64>,
    /// Our order-book offer, when posting one.
    book: Option<order_book::BookState>,
}

impl ProverStrategy {
    /// A strategy for prover `me` that races open proof races; other kinds are declined until a
    /// policy is registered for them with [`ProverStrategy::with_policy`].
    pub fn new(me: Address, cost: CostModel, config: StrategyConfig) -> Self {
        let mut policies: BTreeMap<MechanismKind, Box<dyn MechanismPolicy>> = BTreeMap::new();
        policies.insert(MechanismKind::Race, Box::new(RacePolicy));
        policies.insert(MechanismKind::ElectionRace, Box::new(ElectionPolicy));
        policies.insert(MechanismKind::TreeAssignment, Box::new(TreePolicy));
        Self {
            me,
            cost,
            config,
            now: 0,
            policies,
            tasks: BTreeMap::new(),
            queue: VecDeque::new(),
            held_by_others: BTreeMap::new(),
            competitors: BTreeSet::new(),
            election: ElectionBook::default(),
            tree: TreeBook::new(me, TreeConfig::default()),
            deferred: BTreeMap::new(),
            pre_assigned: BTreeSet::new(),
            sealed: sealed_bid::SealedBidTracker::default(),
            locks: None,
            lock_windows: BTreeMap::new(),
            book: None,
        }
    }

    /// Takes part in sealed-bid and ascending auctions and (with an offer) the order book, with
    /// these parameters ([`super::policy::StrategySection`]).
    pub fn with_auctions(
        mut self,
        sealed: sealed_bid::SealedBidConfig,
        ascending_config: ascending::AscendingConfig,
        offer: Option<order_book::Offer>,
    ) -> Self {
        self.policies.insert(
            MechanismKind::SealedBid,
            Box::new(sealed_bid::SealedBidPolicy { config: sealed }),
        );
        self.policies.insert(
            MechanismKind::Ascending,
            Box::new(ascending::AscendingPolicy {
                config: ascending_config,
            }),
        );
        self.locks = ascending_config
            .cover
            .then(|| ascending::LockWatch::new(ascending_config.slash_grace_secs));
        self.policies.insert(
            MechanismKind::OrderBook,
            Box::new(order_book::OrderBookPolicy { offer }),
        );
        self.book = offer.map(order_book::BookState::new);
        self
    }

    /// Stops re-posting the order-book offer (shutting down); returns whether it is on the book.
    pub fn stop_offering(&mut self) -> bool {
        match &mut self.book {
            Some(book) => {
                book.stopping = true;
                std::mem::replace(&mut book.posted, false)
            }
            None => false,
        }
    }

    /// Posts or withdraws the order-book offer as our free task slots change.
    fn sync_offer(&mut self, out: &mut Vec<Action>) {
        let busy = self.active()
            + self
                .tasks
                .values()
                .filter(|t| t.phase == Phase::Queued)
                .count();
        let free = self.config.max_concurrent.saturating_sub(busy);
        if let Some(book) = &mut self.book {
            match book.sync(free) {
                Some(order_book::OfferMove::Post(offer)) => out.push(Action::PostOffer(offer)),
                Some(order_book::OfferMove::Withdraw) => out.push(Action::WithdrawOffer),
                None => {}
            }
        }
    }

    /// Sets how this prover takes part in elections and trees (draws, open races, covers).
    pub fn with_mechanism_config(mut self, election: ElectionConfig, tree: TreeConfig) -> Self {
        self.election = ElectionBook::new(election);
        self.tree = TreeBook::new(self.me, tree);
        self
    }

    /// The view of a task the strategy has seen.
    pub fn view(&self, task_id: TaskId) -> Option<&TaskView> {
        self.tasks.get(&task_id).map(|t| &t.view)
    }

    /// The tree ranges of a task `prover` owns now (as far as the logs seen tell).
    pub fn tree_ranges_of(&self, task_id: TaskId, prover: Address) -> Vec<u8> {
        self.tree.ranges_of(task_id, prover)
    }

    /// The election's open race: take the task as a race if we wanted it and are not on it yet.
    fn open_race(&mut self, task_id: TaskId, out: &mut Vec<Action>) {
        if let Some(t) = self.tasks.get_mut(&task_id)
            && t.phase == Phase::Dropped
            && !t.assigned_to_us
            && t.view.slots_left() > 0
            && self.now < t.view.deadline
        {
            t.phase = Phase::Queued;
            self.queue.push_back(task_id);
        }
        self.start_queued(out);
    }

    fn election_steps(&mut self, steps: Vec<ElectionStep>, out: &mut Vec<Action>) {
        for step in steps {
            match step {
                ElectionStep::Act(action) => out.push(Action::Election(action)),
                ElectionStep::OpenRace(task_id) => self.open_race(task_id, out),
            }
        }
    }

    /// Registers (or replaces) the policy for one mechanism kind.
    pub fn with_policy(mut self, kind: MechanismKind, policy: Box<dyn MechanismPolicy>) -> Self {
        self.policies.insert(kind, policy);
        self
    }

    /// The phase of a task, if the strategy has seen it.
    pub fn phase(&self, task_id: TaskId) -> Option<Phase> {
        self.tasks.get(&task_id).map(|t| t.phase)
    }

    /// The cost model in use (with the latest gas price).
    pub fn cost(&self) -> &CostModel {
        &self.cost
    }

    fn active(&self) -> usize {
        self.tasks
            .values()
            .filter(|t| {
                matches!(
                    t.phase,
                    Phase::Fetching | Phase::Proving | Phase::Submitting
                )
            })
            .count()
    }

    /// Starts queued tasks while capacity allows, dropping any whose deadline has passed.
    fn start_queued(&mut self, out: &mut Vec<Action>) {
        while self.active() < self.config.max_concurrent {
            let Some(task_id) = self.queue.pop_front() else {
                break;
            };
            let now = self.now;
            let Some(t) = self.tasks.get_mut(&task_id) else {
                continue;
            };
            if t.phase != Phase::Queued {
                continue;
            }
            if now >= t.view.deadline || t.view.slots_left() == 0 {
                t.phase = Phase::Dropped;
                out.push(Action::Abandon {
                    task_id,
                    reason: "expired or filled while queued".into(),
                });
                continue;
            }
            t.phase = Phase::Fetching;
            out.push(Action::FetchData { task_id });
        }
    }

    fn drop_task(&mut self, task_id: TaskId, reason: &str, out: &mut Vec<Action>) {
        if let Some(t) = self.tasks.get_mut(&task_id)
            && !matches!(t.phase, Phase::Done | Phase::Dropped)
        {
            t.phase = Phase::Dropped;
            out.push(Action::Abandon {
                task_id,
                reason: reason.to_string(),
            });
        }
    }

    fn on_task_opened(&mut self, view: TaskView, out: &mut Vec<Action>) {
        let task_id = view.task_id;
        self.held_by_others.remove(&task_id);
        if let Some(t) = self.tasks.get(&task_id)
            && matches!(
                t.phase,
                Phase::Queued | Phase::Fetching | Phase::Proving | Phase::Submitting | Phase::Done
            )
        {
            // A replay (backfill after restart) or a reopen of a task we are already on.
            return;
        }
        self.deferred.remove(&task_id);
        if let Some(terms) = view.terms.ascending() {
            self.lock_windows.insert(task_id, terms.lock_window);
        }
        if self.pre_assigned.remove(&task_id) {
            // Assigned in the transaction that opened it (an order-book match): the work is owed.
            self.tasks.insert(
                task_id,
                Tracked {
                    view,
                    phase: Phase::Queued,
                    submit_attempts: 0,
                    assigned_to_us: true,
                },
            );
            self.queue.push_front(task_id);
            self.start_queued(out);
            return;
        }
        let ctx = Context {
            now: self.now.max(view.created_at),
            cost: &self.cost,
            competitors: self.competitors.len(),
            me: self.me,
        };
        let decision = match self.policies.get(&view.kind) {
            Some(policy) => policy.evaluate(&view, &ctx),
            None => Decision::Decline(format!("no strategy for mechanism kind {:?}", view.kind)),
        };
        if view.kind == MechanismKind::ElectionRace {
            self.election
                .watch(task_id, matches!(decision, Decision::Await(_)));
        }
        let tracked = |phase| Tracked {
            view: view.clone(),
            phase,
            submit_attempts: 0,
            assigned_to_us: false,
        };
        match decision {
            Decision::Race => {
                self.tasks.insert(task_id, tracked(Phase::Queued));
                self.queue.push_back(task_id);
                self.start_queued(out);
            }
            Decision::Bid { price } => {
                // Work starts once the mechanism assigns us (`Assigned`).
                if let Some(terms) = view.terms.sealed_bid() {
                    self.sealed.committed(task_id, &terms);
                }
                self.tasks.insert(task_id, tracked(Phase::Dropped));
                out.push(Action::Bid { task_id, price });
            }
            Decision::Wait { until } => {
                self.tasks.insert(task_id, tracked(Phase::Dropped));
                self.deferred.insert(task_id, until);
            }
            Decision::Match => {
                self.tasks.insert(task_id, tracked(Phase::Dropped));
                out.push(Action::MatchTask { task_id });
            }
            Decision::Lock { collateral } => {
                self.tasks.insert(task_id, tracked(Phase::Dropped));
                out.push(Action::Lock {
                    task_id,
                    collateral,
                });
            }
            Decision::Decline(reason) => {
                self.tasks.insert(task_id, tracked(Phase::Dropped));
                out.push(Action::Decline { task_id, reason });
            }
            Decision::Await(reason) => {
                // Work starts once the draw assigns us (`Assigned`), as for a won bid.
                self.tasks.insert(task_id, tracked(Phase::Dropped));
                out.push(Action::Await { task_id, reason });
            }
        }
    }

    /// Decides a task we are not working on again, with the clock as it is now.
    fn reconsider(&mut self, task_id: TaskId, out: &mut Vec<Action>) {
        self.deferred.remove(&task_id);
        let Some(t) = self.tasks.get(&task_id) else {
            return;
        };
        if t.phase != Phase::Dropped || t.assigned_to_us || self.now >= t.view.deadline {
            return;
        }
        let view = t.view.clone();
        self.on_task_opened(view, out);
    }

    fn on_assigned(&mut self, task_id: TaskId, prover: Address, out: &mut Vec<Action>) {
        self.election.on_assigned(task_id, prover);
        if prover != self.me {
            if let Some(t) = self.tasks.get(&task_id) {
                self.held_by_others.insert(task_id, t.view.deadline);
            }
            if let (Some(locks), Some(window)) = (&mut self.locks, self.lock_windows.get(&task_id))
            {
                // Dated from our clock (≤ the lock's block time): the service re-reads the exact
                // deadline before slashing.
                locks.locked(task_id, prover, self.now + window);
            }
            return;
        }
        self.deferred.remove(&task_id);
        if !self.tasks.contains_key(&task_id) {
            self.pre_assigned.insert(task_id);
        }
        if let Some(t) = self.tasks.get_mut(&task_id) {
            t.assigned_to_us = true;
            if t.phase == Phase::Dropped {
                // Our bid or lock won: the work is now owed (collateral at stake), so it jumps the queue.
                t.phase = Phase::Queued;
                self.queue.push_front(task_id);
            }
        }
        self.start_queued(out);
    }

    fn on_proof_accepted(
        &mut self,
        task_id: TaskId,
        prover: Address,
        accepted: u8,
        out: &mut Vec<Action>,
    ) {
        self.held_by_others.remove(&task_id);
        if let Some(locks) = &mut self.locks {
            locks.released(task_id, prover);
        }
        if let Some(t) = self.tasks.get(&task_id) {
            let left = t.view.redundancy.saturating_sub(accepted);
            self.election.on_proof_accepted(task_id, prover, left);
        }
        if prover == self.me {
            if let Some(t) = self.tasks.get_mut(&task_id) {
                t.view.proofs_accepted = accepted;
                t.phase = Phase::Done;
            }
            self.start_queued(out);
            return;
        }
        if self
            .tasks
            .get(&task_id)
            .is_some_and(|t| t.view.kind == MechanismKind::Race)
        {
            self.competitors.insert(prover);
        }
        let Some(t) = self.tasks.get_mut(&task_id) else {
            return;
        };
        t.view.proofs_accepted = accepted;
        // Slots full and we did not get one: stop, unless our own submission is already in flight
        // (it will fail cleanly and the service records why).
        if t.view.slots_left() == 0
            && matches!(t.phase, Phase::Queued | Phase::Fetching | Phase::Proving)
        {
            self.drop_task(task_id, "every slot was proven by others", out);
            self.start_queued(out);
        }
    }

    fn on_submit_failed(&mut self, task_id: TaskId, failure: SubmitFailure, out: &mut Vec<Action>) {
        let max = self.config.max_submit_attempts;
        let Some(t) = self.tasks.get_mut(&task_id) else {
            return;
        };
        if t.phase != Phase::Submitting {
            return;
        }
        match failure {
            SubmitFailure::AlreadyProvenByUs => t.phase = Phase::Done,
            SubmitFailure::Transient(reason) => {
                t.submit_attempts += 1;
                if t.submit_attempts < max {
                    out.push(Action::Submit { task_id });
                } else {
                    self.drop_task(
                        task_id,
                        &format!("gave up after {max} attempts: {reason}"),
                        out,
                    );
                }
            }
            SubmitFailure::Closed(reason) | SubmitFailure::Rejected(reason) => {
                self.drop_task(task_id, &reason, out);
            }
        }
        self.start_queued(out);
    }

    fn on_clock(&mut self, now: u64, out: &mut Vec<Action>) {
        self.now = self.now.max(now);
        let overdue: Vec<TaskId> = self
            .tasks
            .iter()
            .filter(|(_, t)| {
                matches!(t.phase, Phase::Queued | Phase::Fetching | Phase::Proving)
                    && self.now > t.view.deadline
            })
            .map(|(id, _)| *id)
            .collect();
        for task_id in overdue {
            self.drop_task(task_id, "deadline passed before our proof was ready", out);
        }
        if self.config.expire_overdue {
            let due: Vec<TaskId> = self
                .held_by_others
                .iter()
                .filter(|(_, deadline)| self.now > **deadline)
                .map(|(id, _)| *id)
                .collect();
            for task_id in due {
                self.held_by_others.remove(&task_id);
                out.push(Action::Expire { task_id });
            }
        }
        let steps = self.election.on_clock(self.now);
        self.election_steps(steps, out);
        out.extend(self.sealed.on_clock(self.now));
        if let Some(locks) = &mut self.locks {
            out.extend(locks.on_clock(self.now));
        }
        let due: Vec<TaskId> = self
            .deferred
            .iter()
            .filter(|(_, at)| self.now >= **at)
            .map(|(id, _)| *id)
            .collect();
        for task_id in due {
            self.reconsider(task_id, out);
        }
        let cost = self.cost;
        out.extend(
            self.tree
                .on_clock(self.now, &cost)
                .into_iter()
                .map(Action::Tree),
        );
        self.start_queued(out);
    }
}

/// The artemis-style strategy interface: one event in, the actions it calls for out.
pub trait Strategy {
    /// Reacts to one event.
    fn process_event(&mut self, event: Event) -> Vec<Action>;
}

impl Strategy for ProverStrategy {
    fn process_event(&mut self, event: Event) -> Vec<Action> {
        let mut out = Vec::new();
        match event {
            Event::Clock { now } => self.on_clock(now, &mut out),
            Event::GasPrice { wei } => self.cost.gas_price_wei = wei,
            Event::TaskOpened(view) => self.on_task_opened(view, &mut out),
            Event::DataChecked { task_id, ok } => {
                if let Some(t) = self.tasks.get_mut(&task_id)
                    && t.phase == Phase::Fetching
                {
                    if ok {
                        t.phase = Phase::Proving;
                        out.push(Action::Prove { task_id });
                    } else {
                        self.drop_task(
                            task_id,
                            "block data does not match its on-chain commitment",
                            &mut out,
                        );
                        self.start_queued(&mut out);
                    }
                }
            }
            Event::Assigned { task_id, prover } => self.on_assigned(task_id, prover, &mut out),
            Event::ProofAccepted {
                task_id,
                prover,
                proofs_accepted,
            } => self.on_proof_accepted(task_id, prover, proofs_accepted, &mut out),
            Event::TaskClosed { task_id } => {
                self.held_by_others.remove(&task_id);
                self.election.on_closed(task_id);
                self.tree.on_closed(task_id);
                self.deferred.remove(&task_id);
                self.pre_assigned.remove(&task_id);
                self.sealed.close(task_id);
                self.lock_windows.remove(&task_id);
                if let Some(locks) = &mut self.locks {
                    locks.closed(task_id);
                }
                if self
                    .tasks
                    .get(&task_id)
                    .is_some_and(|t| t.phase != Phase::Submitting)
                {
                    self.drop_task(task_id, "task closed", &mut out);
                }
                self.start_queued(&mut out);
            }
            Event::ProofReady { task_id } => {
                if let Some(t) = self.tasks.get_mut(&task_id)
                    && t.phase == Phase::Proving
                {
                    if t.view.slots_left() == 0 {
                        self.drop_task(task_id, "every slot was proven while we proved", &mut out);
                    } else {
                        t.phase = Phase::Submitting;
                        out.push(Action::Submit { task_id });
                    }
                }
            }
            Event::ProveFailed { task_id, reason } => {
                self.drop_task(task_id, &format!("proving failed: {reason}"), &mut out);
                self.start_queued(&mut out);
            }
            Event::SubmitFailed { task_id, failure } => {
                self.on_submit_failed(task_id, failure, &mut out)
            }
            Event::Head { block } => {
                let steps = self.election.on_head(block);
                self.election_steps(steps, &mut out);
                out.extend(self.tree.on_head(block).into_iter().map(Action::Tree));
            }
            Event::Election(event) => {
                let steps = self.election.on_event(event, self.now);
                self.election_steps(steps, &mut out);
            }
            Event::Tree(event) => {
                let cost = self.cost;
                out.extend(
                    self.tree
                        .on_event(event, self.now, &cost)
                        .into_iter()
                        .map(Action::Tree),
                );
            }
            Event::Reconsider { task_id } => self.reconsider(task_id, &mut out),
            Event::ProofReorgedOut { task_id } => {
                if let Some(t) = self.tasks.get_mut(&task_id)
                    && t.phase == Phase::Done
                {
                    // Dropped, not forgotten: the next `TaskOpened` decides it afresh, and the
                    // service's sender revives the submission it recorded rather than a new one.
                    t.phase = Phase::Dropped;
                    t.submit_attempts = 0;
                    t.view.proofs_accepted = 0;
                }
            }
            Event::LockHeld {
                task_id,
                prover,
                until,
            } => {
                if let Some(locks) = &mut self.locks {
                    locks.locked(task_id, prover, until);
                }
            }
        }
        self.sync_offer(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::cost::{Prices, ProvingSpeed};
    use super::*;

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

    fn task(id: TaskId) -> TaskView {
        TaskView {
            task_id: id,
            mechanism: Address::repeat_byte(0x11),
            kind: MechanismKind::Race,
            block_txs: Some(2),
            max_payment: TOKEN,
            created_at: 1_000,
            deadline: 1_600,
            redundancy: 1,
            proofs_accepted: 0,
            race: Some(RaceSchedule {
                start: 1_100,
                window: 500,
                floor_bps: 2_000,
            }),
            collateral: 0,
            terms: MechanismTerms::None,
        }
    }

    fn strategy() -> ProverStrategy {
        let mut s = ProverStrategy::new(ME, cost(), StrategyConfig::default());
        assert!(s.process_event(Event::Clock { now: 1_000 }).is_empty());
        s
    }

    #[test]
    fn races_a_profitable_task_through_fetch_prove_submit() {
        let mut s = strategy();
        assert_eq!(
            s.process_event(Event::TaskOpened(task(1))),
            vec![Action::FetchData { task_id: 1 }]
        );
        assert_eq!(
            s.process_event(Event::DataChecked {
                task_id: 1,
                ok: true
            }),
            vec![Action::Prove { task_id: 1 }]
        );
        assert_eq!(
            s.process_event(Event::ProofReady { task_id: 1 }),
            vec![Action::Submit { task_id: 1 }]
        );
        let done = s.process_event(Event::ProofAccepted {
            task_id: 1,
            prover: ME,
            proofs_accepted: 1,
        });
        assert!(done.is_empty());
        assert_eq!(s.phase(1), Some(Phase::Done));
    }

    #[test]
    fn declines_when_gas_exceeds_payment() {
        let mut s = strategy();
        // 450k gas at 1e9 wei = 4.5e14 tokens; pay only 1e14.
        let cheap = TaskView {
            max_payment: 100_000_000_000_000,
            ..task(1)
        };
        let actions = s.process_event(Event::TaskOpened(cheap));
        assert!(
            matches!(&actions[..], [Action::Decline { task_id: 1, reason }] if reason.starts_with("unprofitable"))
        );
        // A gas price drop makes the same kind of task worth it.
        s.process_event(Event::GasPrice { wei: 1 });
        let cheap2 = TaskView {
            max_payment: 100_000_000_000_000,
            ..task(2)
        };
        assert_eq!(
            s.process_event(Event::TaskOpened(cheap2)),
            vec![Action::FetchData { task_id: 2 }]
        );
    }

    #[test]
    fn declines_when_too_slow_for_the_deadline() {
        let mut s = strategy();
        // 16 txs ≈ 16 + 15 + 1 = 32 s; ×2 safety = 64 s > 50 s of slack.
        let big = TaskView {
            block_txs: Some(16),
            deadline: 1_050,
            ..task(1)
        };
        let actions = s.process_event(Event::TaskOpened(big));
        assert!(
            matches!(&actions[..], [Action::Decline { reason, .. }] if reason.starts_with("too slow"))
        );
    }

    #[test]
    fn declines_unknown_mechanisms_and_foreign_tasks() {
        let mut s = strategy();
        let auction = TaskView {
            kind: MechanismKind::SealedBid,
            ..task(1)
        };
        assert!(matches!(
            &s.process_event(Event::TaskOpened(auction))[..],
            [Action::Decline { .. }]
        ));
        let foreign = TaskView {
            block_txs: None,
            ..task(2)
        };
        assert!(matches!(
            &s.process_event(Event::TaskOpened(foreign))[..],
            [Action::Decline { .. }]
        ));
    }

    #[test]
    fn competition_lowers_the_expected_payment() {
        let c = cost();
        let ctx = |competitors| Context {
            now: 1_000,
            cost: &c,
            competitors,
            me: ME,
        };
        // Payment covers gas plus 10 s of compute: a sure win pays, a one-in-four chance does not
        // (4 s of compute at stake, 10% margin).
        let pay = 450_000 * 1_000_000_000u128 + 10_000_000_000_000;
        let t = TaskView {
            max_payment: pay,
            ..task(1)
        };
        assert_eq!(RacePolicy.evaluate(&t, &ctx(0)), Decision::Race);
        assert!(matches!(
            RacePolicy.evaluate(&t, &ctx(3)),
            Decision::Decline(_)
        ));
        assert_eq!(RacePolicy::win_probability(2, 1), 1.0);
        assert_eq!(RacePolicy::win_probability(1, 3), 0.25);
    }

    #[test]
    fn race_payment_decays_after_the_full_window() {
        let t = task(1);
        assert_eq!(t.race_payment_at(1_050), TOKEN);
        assert_eq!(t.race_payment_at(1_100), TOKEN);
        assert_eq!(t.race_payment_at(1_600), TOKEN / 5);
        assert_eq!(
            t.race_payment_at(1_350),
            TOKEN / 5 + (TOKEN - TOKEN / 5) / 2
        );
        assert_eq!(t.race_payment_at(1_601), 0);
        let two = TaskView {
            redundancy: 2,
            ..t.clone()
        };
        assert_eq!(two.race_payment_at(1_000), TOKEN / 2);
        // After the window the floor holds until the deadline.
        let longer = TaskView {
            deadline: 1_700,
            ..t
        };
        assert_eq!(longer.race_payment_at(1_650), TOKEN / 5);
    }

    #[test]
    fn capacity_queues_tasks_and_frees_slots() {
        let mut s = ProverStrategy::new(
            ME,
            cost(),
            StrategyConfig {
                max_concurrent: 1,
                ..Default::default()
            },
        );
        s.process_event(Event::Clock { now: 1_000 });
        assert_eq!(
            s.process_event(Event::TaskOpened(task(1))),
            vec![Action::FetchData { task_id: 1 }]
        );
        assert!(s.process_event(Event::TaskOpened(task(2))).is_empty());
        assert_eq!(s.phase(2), Some(Phase::Queued));
        s.process_event(Event::DataChecked {
            task_id: 1,
            ok: true,
        });
        s.process_event(Event::ProofReady { task_id: 1 });
        let next = s.process_event(Event::ProofAccepted {
            task_id: 1,
            prover: ME,
            proofs_accepted: 1,
        });
        assert_eq!(next, vec![Action::FetchData { task_id: 2 }]);
    }

    #[test]
    fn bad_data_is_never_proven() {
        let mut s = strategy();
        s.process_event(Event::TaskOpened(task(1)));
        let actions = s.process_event(Event::DataChecked {
            task_id: 1,
            ok: false,
        });
        assert!(matches!(&actions[..], [Action::Abandon { task_id: 1, .. }]));
        // A late ProofReady for it (a stale worker) does not lead to a submission.
        assert!(s.process_event(Event::ProofReady { task_id: 1 }).is_empty());
    }

    #[test]
    fn abandons_when_others_fill_the_slots() {
        let mut s = strategy();
        s.process_event(Event::TaskOpened(task(1)));
        s.process_event(Event::DataChecked {
            task_id: 1,
            ok: true,
        });
        let actions = s.process_event(Event::ProofAccepted {
            task_id: 1,
            prover: OTHER,
            proofs_accepted: 1,
        });
        assert!(matches!(&actions[..], [Action::Abandon { task_id: 1, .. }]));
        assert!(s.process_event(Event::ProofReady { task_id: 1 }).is_empty());
        // The winner now counts as a competitor for the next race.
        let c = s.cost;
        let ctx = Context {
            now: 1_000,
            cost: &c,
            competitors: s.competitors.len(),
            me: ME,
        };
        assert_eq!(ctx.competitors, 1);
    }

    #[test]
    fn a_proof_reorged_out_is_raced_again_and_a_replay_is_not() {
        let mut s = strategy();
        s.process_event(Event::TaskOpened(task(1)));
        s.process_event(Event::DataChecked {
            task_id: 1,
            ok: true,
        });
        s.process_event(Event::ProofReady { task_id: 1 });
        s.process_event(Event::ProofAccepted {
            task_id: 1,
            prover: ME,
            proofs_accepted: 1,
        });
        assert_eq!(s.phase(1), Some(Phase::Done));
        // The same opening log again without a reorg of our proof: nothing to do.
        assert!(s.process_event(Event::TaskOpened(task(1))).is_empty());
        // Our proof's block was reorged out: the re-included opening log starts the work again.
        assert!(
            s.process_event(Event::ProofReorgedOut { task_id: 1 })
                .is_empty()
        );
        assert_eq!(s.phase(1), Some(Phase::Dropped));
        assert_eq!(
            s.process_event(Event::TaskOpened(task(1))),
            vec![Action::FetchData { task_id: 1 }]
        );
        // Only a finished task is reopened this way: one in flight keeps going.
        assert!(
            s.process_event(Event::ProofReorgedOut { task_id: 1 })
                .is_empty()
        );
        assert_eq!(s.phase(1), Some(Phase::Fetching));
    }

    #[test]
    fn replayed_open_event_does_not_restart_work() {
        let mut s = strategy();
        s.process_event(Event::TaskOpened(task(1)));
        s.process_event(Event::DataChecked {
            task_id: 1,
            ok: true,
        });
        assert!(s.process_event(Event::TaskOpened(task(1))).is_empty());
        assert_eq!(s.phase(1), Some(Phase::Proving));
    }

    #[test]
    fn submit_failures_are_classified() {
        let mut s = ProverStrategy::new(
            ME,
            cost(),
            StrategyConfig {
                max_concurrent: 4,
                ..Default::default()
            },
        );
        s.process_event(Event::Clock { now: 1_000 });
        for id in 1..=4 {
            s.process_event(Event::TaskOpened(task(id)));
        }
        for id in 1..=4 {
            s.process_event(Event::DataChecked {
                task_id: id,
                ok: true,
            });
            s.process_event(Event::ProofReady { task_id: id });
        }
        let retry = s.process_event(Event::SubmitFailed {
            task_id: 1,
            failure: SubmitFailure::Transient("timeout".into()),
        });
        assert_eq!(retry[0], Action::Submit { task_id: 1 });
        let ours = s.process_event(Event::SubmitFailed {
            task_id: 2,
            failure: SubmitFailure::AlreadyProvenByUs,
        });
        assert!(!ours.iter().any(|a| matches!(a, Action::Submit { .. })));
        assert_eq!(s.phase(2), Some(Phase::Done));
        let rejected = s.process_event(Event::SubmitFailed {
            task_id: 3,
            failure: SubmitFailure::Rejected("InvalidProof()".into()),
        });
        assert!(matches!(
            &rejected[..],
            [Action::Abandon { task_id: 3, .. }, ..]
        ));
        // Transient errors are retried a bounded number of times.
        let mut last = Vec::new();
        for _ in 0..10 {
            last = s.process_event(Event::SubmitFailed {
                task_id: 4,
                failure: SubmitFailure::Transient("nonce too low".into()),
            });
            if matches!(s.phase(4), Some(Phase::Dropped)) {
                break;
            }
        }
        assert!(
            matches!(&last[..], [Action::Abandon { task_id: 4, reason }, ..] if reason.starts_with("gave up"))
        );
    }

    #[test]
    fn overdue_work_is_dropped_and_overdue_assignments_of_others_expired() {
        let mut s = strategy();
        s.process_event(Event::TaskOpened(task(1)));
        let lock = TaskView {
            kind: MechanismKind::Ascending,
            ..task(2)
        };
        s = s.with_policy(MechanismKind::Ascending, Box::new(FixedLock));
        assert_eq!(
            s.process_event(Event::TaskOpened(lock)),
            vec![Action::Lock {
                task_id: 2,
                collateral: 7
            }]
        );
        // Someone else won the lock.
        assert!(
            s.process_event(Event::Assigned {
                task_id: 2,
                prover: OTHER
            })
            .is_empty()
        );
        let late = s.process_event(Event::Clock { now: 1_601 });
        assert!(late.contains(&Action::Abandon {
            task_id: 1,
            reason: "deadline passed before our proof was ready".into()
        }));
        assert!(late.contains(&Action::Expire { task_id: 2 }));
        // Only once.
        assert!(
            !s.process_event(Event::Clock { now: 1_602 })
                .contains(&Action::Expire { task_id: 2 })
        );
    }

    #[test]
    fn a_won_lock_is_proven_first() {
        let mut s = ProverStrategy::new(
            ME,
            cost(),
            StrategyConfig {
                max_concurrent: 1,
                ..Default::default()
            },
        )
        .with_policy(MechanismKind::Ascending, Box::new(FixedLock));
        s.process_event(Event::Clock { now: 1_000 });
        s.process_event(Event::TaskOpened(task(1)));
        s.process_event(Event::TaskOpened(task(2)));
        s.process_event(Event::TaskOpened(TaskView {
            kind: MechanismKind::Ascending,
            ..task(3)
        }));
        assert!(
            s.process_event(Event::Assigned {
                task_id: 3,
                prover: ME
            })
            .is_empty()
        );
        s.process_event(Event::DataChecked {
            task_id: 1,
            ok: true,
        });
        s.process_event(Event::ProofReady { task_id: 1 });
        let next = s.process_event(Event::ProofAccepted {
            task_id: 1,
            prover: ME,
            proofs_accepted: 1,
        });
        assert_eq!(next, vec![Action::FetchData { task_id: 3 }]);
    }

    /// A stand-in lock policy (what the ascending-auction strategy will return) to exercise the
    /// shared lifecycle for assigned tasks.
    struct FixedLock;
    impl MechanismPolicy for FixedLock {
        fn evaluate(&self, _task: &TaskView, _ctx: &Context<'_>) -> Decision {
            Decision::Lock { collateral: 7 }
        }
    }
}
