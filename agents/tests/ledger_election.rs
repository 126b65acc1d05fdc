//! Election-then-race over the one-word TaskLedger, end to end on anvil: a `LedgerElectionRace` with
//! one elected prover per task, the provers' strategies waiting for the target block, one of the pool
//! drawing with the target's RLP header, the elected prover proving with the real Groth16 fixture
//! proof and paid its slot decayed from the draw, the others declining in the window; with the
//! elected prover offline, an outsider races after the window and is paid on the fresh decay from the
//! election's end; and a draw left for more than 256 blocks re-targets and is drawn on the new target.
//!
//! Determinism: only anvil account 1 declares the instance's minimum hardware class (1), so it is the
//! only eligible prover, and the weight cap is its stake, so an attempt that picks it always accepts
//! it. A draw of 32 attempts over a pool of three misses it with probability (2/3)^32 ≈ 2·10⁻⁶
//! (`agents/tests/mechanism_election.rs` avoided a flaky empty draw the same way).

mod prover_support;
#[macro_use]
mod ledger_support;

use std::path::Path;

use alloy::primitives::{Address, U256, Uint};
use ledger_support::{LedgerWorld, cost_model};
use proofmarket::chain::submitter::Submitter;
use proofmarket::ledger::election::{
    Decline, DrawOutcome, ElectionAgent, ElectionDecision, ElectionTerms,
};
use proofmarket::ledger::race::{self, slot_budget};
use proofmarket::ledger::{LedgerCallError, LedgerSync};
use proofmarket::prover::cost::{CostModel, Prices};
use proofmarket::prover::policy::election::ElectionConfig;
use proofmarket_bindings::{LedgerElectionRace, TaskLedger};
use prover_support::TOKEN;

type U96 = Uint<96, 2>;

const STAKE: u128 = 200 * TOKEN;
const DEPOSIT: u128 = 1_000 * TOKEN;
const MAX_PAYMENT: u128 = 100 * TOKEN;
const ELECTION_WINDOW: u32 = 600;
const DRAW_DELAY: u16 = 2;

struct World {
    chain: LedgerWorld,
    election: Address,
}

/// One prover: its book, its submitter and its election agent.
struct Prover {
    sync: LedgerSync,
    submitter: Submitter,
    agent: ElectionAgent,
}

impl Prover {
    fn me(&self) -> Address {
        self.submitter.address()
    }

    async fn decide(&mut self, task_id: U256) -> ElectionDecision {
        self.sync.sync().await.expect("sync");
        self.agent
            .decide_now(&self.sync, task_id, 1, &cost())
            .await
            .expect("decide")
    }
}

impl World {
    /// The election over a ledger core, anvil accounts 1-3 registered with 200 tokens (account 1
    /// with hardware class 1, the only eligible one), the requester's 1,000-token deposit.
    async fn start() -> Self {
        let chain = LedgerWorld::start(4).await;
        let election = LedgerElectionRace::deploy(
            chain.admin().clone(),
            LedgerElectionRace::Params {
                ledger: chain.core.ledger,
                electedCount: 1,
                minHardwareClass: 1,
                drawDelay: DRAW_DELAY,
                electionWindow: ELECTION_WINDOW,
                decayWindow: 1_200,
                decayFloorBps: 5_000,
                weightCap: U96::from(STAKE),
                maxAttempts: 32,
            },
        )
        .await
        .expect("deploy LedgerElectionRace");
        chain.allow(*election.address()).await;
        // Accounts 2 and 3 declare class 0: in the pool, never elected; they draw and race.
        for i in 1..=3 {
            chain.register_class(i, STAKE, u8::from(i == 1)).await;
        }
        chain.deposit(0, DEPOSIT).await;
        Self {
            chain,
            election: *election.address(),
        }
    }

    async fn prover(&self, i: usize, dir: &Path) -> Prover {
        let chain = &self.chain;
        let (provider, _, sync, submitter) = chain
            .prover_state(i, &dir.join(format!("prover-{i}.db")))
            .await;
        let terms = ElectionTerms::read(&provider, self.election).await.unwrap();
        let agent = ElectionAgent::new(
            provider,
            terms,
            ElectionConfig::default(),
            chain.keys[i].address(),
            chain.core.ledger,
        )
        .await
        .unwrap();
        Prover {
            sync,
            submitter,
            agent,
        }
    }

    /// Opens a 100-token task on the election, due in an hour.
    async fn open_task(&self) -> (U256, TaskLedger::LedgerTask) {
        self.chain
            .open_task(self.election, MAX_PAYMENT, 3_600)
            .await
    }

    /// Submits `prover`'s proof of `task_id`; returns the credit and the proof's block time.
    async fn prove(
        &self,
        prover: &mut Prover,
        task_id: U256,
    ) -> Result<(u128, u64), LedgerCallError> {
        let proof = self.chain.proof_of(prover.me());
        let submitted = race::submit_proof(
            &mut prover.sync,
            &prover.submitter,
            task_id,
            self.chain.fixture.inputs.clone(),
            proof,
        )
        .await?;
        assert_eq!(submitted.proofs_accepted, 1);
        // Anvil mines each transaction in its own block, and nothing was sent since.
        let at = race::chain_time(self.chain.admin()).await.unwrap();
        Ok((submitted.credited.to(), at))
    }

    async fn elected(&self, task_id: U256, opened_at: u32) -> Vec<Address> {
        LedgerElectionRace::new(self.election, self.chain.admin())
            .electionOf(task_id, opened_at)
            .call()
            .await
            .unwrap()
            .elected
    }
}

/// The default cost model (a micro-token per proving second).
fn cost() -> CostModel {
    cost_model(Prices::default().compute_per_sec)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_elected_proves_and_an_outsider_races_after_the_window_when_it_is_offline() {
    let world = World::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut elected = world.prover(1, dir.path()).await;
    let mut drawer = world.prover(2, dir.path()).await;
    let mut outsider = world.prover(3, dir.path()).await;
    assert_eq!(drawer.agent.position().await.unwrap(), Some(1));
    let balance_before = world.chain.requester_balance().await;

    // Task A: the pool waits for the target, one of it draws, the elected proves.
    let (a, task_a) = world.open_task().await;
    let target = ElectionTerms::target_of(task_a.mechanismState);
    let on_chain = LedgerElectionRace::new(world.election, world.chain.admin())
        .targetOf(task_a.mechanismState)
        .call()
        .await
        .unwrap();
    assert_eq!(
        (
            U256::from(target.target_block),
            U256::from(target.pool_size)
        ),
        (on_chain.targetBlock, on_chain.poolSize),
        "the agent reads the target as the contract's targetOf"
    );
    assert_eq!(target.pool_size, 3);
    assert_eq!(
        drawer.decide(a).await,
        ElectionDecision::Decline(Decline::DrawTooEarly {
            target_block: target.target_block
        })
    );
    world.chain.mine(u64::from(DRAW_DELAY)).await;
    let decision = drawer.decide(a).await;
    assert_eq!(
        decision,
        ElectionDecision::Draw {
            target_block: target.target_block
        }
    );
    let outcome = drawer
        .agent
        .draw(
            &mut drawer.sync,
            &drawer.submitter,
            a,
            target.target_block,
            false,
        )
        .await
        .expect("the draw is accepted with the target's header");
    let DrawOutcome::Drawn {
        elected: count,
        election_end,
    } = outcome
    else {
        panic!("drawn: {outcome:?}");
    };
    assert_eq!(count, 1);
    assert_eq!(
        world.elected(a, task_a.openedAt).await,
        vec![elected.me()],
        "the only eligible prover"
    );
    // Nobody draws twice: the drawer now waits out the window like every outsider.
    for p in [&mut drawer, &mut outsider] {
        assert_eq!(
            p.decide(a).await,
            ElectionDecision::Decline(Decline::ElectionWindowOpen {
                until: election_end
            })
        );
    }
    // An outsider's proof in the window is refused by name.
    let err = world
        .prove(&mut outsider, a)
        .await
        .expect_err("only the elected prove in the window");
    assert!(
        matches!(&err, LedgerCallError::Refused { reason, .. } if reason.contains("ElectionWindowOpen")),
        "{err}"
    );
    let decision = elected.decide(a).await;
    let ElectionDecision::Prove {
        elected: as_elected,
        payment,
        ..
    } = decision
    else {
        panic!("the elected prover proves: {decision:?}");
    };
    assert!(as_elected);
    let (paid_a, at) = world.prove(&mut elected, a).await.expect("accepted");
    let expected = elected
        .agent
        .terms()
        .elected_schedule(election_end)
        .decayed(slot_budget(&task_a), at);
    assert_eq!(paid_a, expected, "paid its slot decayed from the draw");
    assert!(
        payment <= paid_a + TOKEN,
        "decision {payment} vs paid {paid_a}"
    );
    assert_eq!(
        elected.decide(a).await,
        ElectionDecision::Decline(Decline::Closed),
        "one proof fulfils it; the book closed it"
    );

    // Task B: the elected prover is offline; an outsider races after the window.
    let (b, task_b) = world.open_task().await;
    world.chain.mine(u64::from(DRAW_DELAY)).await;
    let decision = outsider.decide(b).await;
    let ElectionDecision::Draw { target_block } = decision else {
        panic!("the outsider is in the pool and draws: {decision:?}");
    };
    let DrawOutcome::Drawn { election_end, .. } = outsider
        .agent
        .draw(
            &mut outsider.sync,
            &outsider.submitter,
            b,
            target_block,
            false,
        )
        .await
        .expect("drawn")
    else {
        panic!("drawn");
    };
    assert_eq!(world.elected(b, task_b.openedAt).await, vec![elected.me()]);
    assert_eq!(
        outsider.decide(b).await,
        ElectionDecision::Decline(Decline::ElectionWindowOpen {
            until: election_end
        })
    );
    world.chain.warp(u64::from(ELECTION_WINDOW) + 1).await;
    let decision = outsider.decide(b).await;
    assert!(
        matches!(decision, ElectionDecision::Prove { elected: false, .. }),
        "after the window the outsider races: {decision:?}"
    );
    let (paid_b, at) = world.prove(&mut outsider, b).await.expect("accepted");
    let expected = outsider
        .agent
        .terms()
        .open_schedule(election_end)
        .decayed(slot_budget(&task_b), at);
    assert_eq!(paid_b, expected, "paid on the fresh decay from the end");
    assert!(paid_b > MAX_PAYMENT / 2 && paid_b <= MAX_PAYMENT);

    assert_eq!(
        world.chain.requester_balance().await,
        balance_before - U256::from(paid_a) - U256::from(paid_b),
        "each task refunded maxPayment − the payment"
    );
    let ledger = world.chain.ledger(0);
    assert_eq!(
        ledger.balanceOf(elected.me()).call().await.unwrap(),
        U256::from(paid_a)
    );
    assert_eq!(
        ledger.balanceOf(outsider.me()).call().await.unwrap(),
        U256::from(paid_b)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draw_left_past_256_blocks_retargets_and_is_drawn_on_the_new_target() {
    let world = World::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut drawer = world.prover(2, dir.path()).await;
    let (c, task_c) = world.open_task().await;
    let old = ElectionTerms::target_of(task_c.mechanismState);
    world.chain.mine(300).await;
    let decision = drawer.decide(c).await;
    assert_eq!(
        decision,
        ElectionDecision::Retarget {
            target_block: old.target_block
        }
    );
    let outcome = drawer
        .agent
        .draw(
            &mut drawer.sync,
            &drawer.submitter,
            c,
            old.target_block,
            true,
        )
        .await
        .expect("the re-target is accepted");
    let DrawOutcome::Retargeted {
        target_block,
        pool_size,
    } = outcome
    else {
        panic!("re-targeted: {outcome:?}");
    };
    assert!(target_block > old.target_block + 256);
    assert_eq!(pool_size, 3);
    // The book folds the new state (MechanismStateSet) and the draw waits for the new target.
    assert_eq!(
        drawer.decide(c).await,
        ElectionDecision::Decline(Decline::DrawTooEarly { target_block })
    );
    world.chain.mine(u64::from(DRAW_DELAY)).await;
    assert_eq!(
        drawer.decide(c).await,
        ElectionDecision::Draw { target_block }
    );
    let outcome = drawer
        .agent
        .draw(&mut drawer.sync, &drawer.submitter, c, target_block, false)
        .await
        .expect("drawn on the new target");
    assert!(
        matches!(outcome, DrawOutcome::Drawn { elected: 1, .. }),
        "{outcome:?}"
    );
    assert_eq!(
        world.elected(c, task_c.openedAt).await,
        vec![world.chain.keys[1].address()]
    );
}
