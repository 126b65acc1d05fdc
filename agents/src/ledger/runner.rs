//! One prover over a whole TaskLedger market: every task its book tracks under an instance it serves
//! goes to that instance family's strategy, and the decision is carried out — the step between the
//! five strategies of this module's siblings and a prover service that runs them (docs/agents.md,
//! "The ledger runner").
//!
//! [`LedgerProver::start`] learns each instance's family from its declared profile (`kind` 1 race, 2
//! sealed-bid, 3 ascending, 4 election, 5 order book), reads its terms once, and posts the standing
//! offer on every order book. [`LedgerProver::step`] is one pass: sync the book, then for each live
//! task under a served instance decide at the chain's time and act — prove (through
//! [`super::race::submit_proof`], the one proof submission), lock, slash and cover, commit, reveal,
//! finalize, draw. A call one task's strategy sends that is refused (another prover locked first, a
//! window closed in between) is reported for that task and decided again on the next pass; it never
//! stops the pass. Every call goes through the account's `Submitter` with an idempotency key, so a
//! pass repeated after a crash sends nothing twice.
//!
//! What to prove comes from a [`ProofSource`]: the statement behind a task's input commitment is
//! not on chain, so a prover serves only the tasks whose statement it can build (the LedgerRollup's
//! root tasks: [`super::rollup_source::RollupSource`]). The source answers `None` for the others,
//! which are left alone before anything is sent for them.

use std::collections::BTreeMap;

use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::Provider;
use proofmarket_bindings::{IMechanism, TaskLedger::LedgerTask};

use super::ascending::{self, AscendingDecision};
use super::call::{LedgerCallError, chain_time, view};
use super::election::{ElectionAgent, ElectionDecision, ElectionTerms};
use super::order_book::{self, BookDecision, BookTerms, OfferSent};
use super::race::{self, RaceDecision, RaceTerms};
use super::sealed_bid::{self, SealedBidAgent, SealedBidDecision};
use super::sync::LedgerSync;
use crate::chain::ChainProvider;
use crate::chain::submitter::Submitter;
use crate::prover::cost::CostModel;
use crate::prover::policy::StrategySection;
use crate::prover::policy::sealed_bid::SealedBidPolicy;
use crate::store::Store;

/// The statements a prover can prove.
///
/// `learn` and `prove` are async: a source that proves real circuits reads the chain to learn its
/// statements and proves for seconds, which it does on blocking threads (the worker pool) while
/// the runtime goes on; `statement_size` only reads what was learned.
pub trait ProofSource {
    /// Learns what is new (e.g. blocks posted since the last pass) before a pass decides; called
    /// once per pass, after the book's sync. A failure is the source's to log: what it did not learn
    /// is declined this pass and learned again on the next.
    fn learn(&mut self) -> impl Future<Output = ()> + Send {
        async {}
    }
    /// The size of `task`'s statement for the cost model (transactions; 1 for a base proof), or
    /// `None` when this prover cannot build the statement behind its input commitment.
    fn statement_size(&self, task: &LedgerTask) -> Option<u64>;
    /// The public inputs (without the prover, which the ledger appends) and a proof of `task`'s
    /// statement bound to `prover`; `None` when it cannot be built (the reason logged by the source).
    fn prove(
        &self,
        task: &LedgerTask,
        prover: Address,
    ) -> impl Future<Output = Option<(Vec<U256>, Bytes)>> + Send;
}

/// A served instance: its family and what its strategy read once.
#[derive(Debug)]
pub enum Family {
    /// `LedgerProofRace` (kind 1).
    Race(RaceTerms),
    /// `LedgerSealedBidAuction` (kind 2).
    SealedBid(SealedBidAgent),
    /// `LedgerAscendingPriceAuction` (kind 3).
    Ascending(ascending::AuctionTerms),
    /// `LedgerElectionRace` (kind 4).
    Election(ElectionAgent),
    /// `LedgerOrderBook` (kind 5).
    OrderBook(BookTerms),
}

impl Family {
    /// The family's name, for reports.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Race(_) => "race",
            Self::SealedBid(_) => "sealed-bid",
            Self::Ascending(_) => "ascending",
            Self::Election(_) => "election",
            Self::OrderBook(_) => "order-book",
        }
    }
}

/// What one pass did with one task (waits and declines are not reported).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acted {
    /// A proof was accepted; `credited` to this prover.
    Proved {
        credited: U256,
    },
    /// The task was locked (ascending) at `price`.
    Locked {
        price: u128,
    },
    /// Another prover's lapsed lock was slashed (the proof follows in the same pass).
    Slashed {
        locker: Address,
    },
    /// A sealed bid was committed, revealed, or the round finalized.
    Committed,
    Revealed,
    Finalized {
        winner: Address,
    },
    /// The election was drawn (or re-targeted).
    Drawn,
    /// A call was refused or failed; the task is decided again on the next pass.
    Failed {
        reason: String,
    },
}

/// One prover's runner over one ledger.
pub struct LedgerProver<P: ProofSource> {
    sync: LedgerSync,
    submitter: Submitter,
    provider: ChainProvider,
    me: Address,
    cost: CostModel,
    strategy: StrategySection,
    families: BTreeMap<Address, Family>,
    proofs: P,
}

impl<P: ProofSource> LedgerProver<P> {
    /// A runner for the submitter's account over the book `sync`, serving `instances` (each
    /// allow-listed in the ledger; its family read from its declared profile), bidding and offering
    /// with `cost` and `strategy`, persisting sealed bids in `store`. Posts the standing offer on every
    /// order book when `[strategy.order_book].enabled` (with `max_concurrent` as the capacity unless
    /// configured).
    #[allow(clippy::too_many_arguments)] // the runner's parts, each named
    pub async fn start(
        sync: LedgerSync,
        submitter: Submitter,
        store: Store,
        instances: &[Address],
        cost: CostModel,
        strategy: &StrategySection,
        max_concurrent: usize,
        proofs: P,
    ) -> Result<Self, LedgerCallError> {
        let provider = submitter.provider().clone();
        let me = submitter.address();
        let mut families = BTreeMap::new();
        for &instance in instances {
            let kind = view(
                "profile",
                IMechanism::new(instance, &provider).profile().call(),
            )
            .await?
            .kind;
            let family = match kind {
                1 => Family::Race(RaceTerms::read(&provider, instance).await?),
                2 => Family::SealedBid(SealedBidAgent::new(
                    provider.clone(),
                    store.clone(),
                    sealed_bid::AuctionTerms::read(&provider, instance).await?,
                    SealedBidPolicy {
                        config: strategy.sealed_bid,
                    },
                    me,
                )),
                3 => Family::Ascending(ascending::AuctionTerms::read(&provider, instance).await?),
                4 => Family::Election(
                    ElectionAgent::new(
                        provider.clone(),
                        ElectionTerms::read(&provider, instance).await?,
                        strategy.election,
                        me,
                        sync.ledger(),
                    )
                    .await?,
                ),
                5 => {
                    let terms = BookTerms::read(&provider, instance).await?;
                    if !strategy.order_book.enabled {
                        // Off: no standing offer; a match made earlier is still proven.
                        families.insert(instance, Family::OrderBook(terms));
                        continue;
                    }
                    let offer = order_book::standing_offer(
                        &strategy.order_book,
                        &cost,
                        &terms,
                        max_concurrent,
                    )
                    .map_err(|reason| LedgerCallError::CallRefused {
                        call: "LedgerOrderBook.postOffer",
                        reason,
                    })?;
                    let sent = order_book::post_offer(&submitter, instance, &offer).await?;
                    tracing::info!(book = %instance, price = offer.price, proving_time = offer.proving_time, ?sent, "standing offer");
                    Family::OrderBook(terms)
                }
                other => {
                    return Err(LedgerCallError::CallRefused {
                        call: "IMechanism.profile",
                        reason: format!(
                            "instance {instance} declares kind {other}, which has no ledger strategy"
                        ),
                    });
                }
            };
            families.insert(instance, family);
        }
        Ok(Self {
            sync,
            submitter,
            provider,
            me,
            cost,
            strategy: strategy.clone(),
            families,
            proofs,
        })
    }

    /// The served instances and their families.
    pub fn families(&self) -> &BTreeMap<Address, Family> {
        &self.families
    }

    /// The proof source.
    pub fn proofs(&self) -> &P {
        &self.proofs
    }

    /// The book.
    pub fn sync(&self) -> &LedgerSync {
        &self.sync
    }

    /// One pass: sync the book, then decide and act on every live task under a served instance
    /// whose statement this prover can build. Returns what was done, task by task.
    pub async fn step(&mut self) -> Result<Vec<(U256, Acted)>, LedgerCallError> {
        self.sync.sync().await?;
        self.proofs.learn().await;
        let now = chain_time(&self.provider).await?;
        let tasks: Vec<(U256, u64)> = self
            .sync
            .book()
            .live()
            .filter(|t| self.families.contains_key(&t.task.mechanism))
            .filter_map(|t| {
                self.proofs
                    .statement_size(&t.task)
                    .map(|txs| (t.task_id, txs))
            })
            .collect();
        let mut done = Vec::new();
        for (task_id, txs) in tasks {
            match self.step_task(task_id, txs, now).await {
                Ok(acted) => done.extend(acted.into_iter().map(|a| (task_id, a))),
                Err(e) => {
                    tracing::warn!(task = %format!("{task_id:#x}"), error = %e, "ledger task step failed; deciding again next pass");
                    done.push((
                        task_id,
                        Acted::Failed {
                            reason: e.to_string(),
                        },
                    ));
                }
            }
        }
        Ok(done)
    }

    async fn step_task(
        &mut self,
        task_id: U256,
        txs: u64,
        now: u64,
    ) -> Result<Vec<Acted>, LedgerCallError> {
        let Some(tracked) = self.sync.book().get(task_id).cloned() else {
            return Ok(Vec::new());
        };
        let mechanism = tracked.task.mechanism;
        // Taken out of the map while its strategy acts, which needs the runner mutably.
        let Some(family) = self.families.remove(&mechanism) else {
            return Ok(Vec::new());
        };
        let acted = self.step_family(&family, &tracked, txs, now).await;
        self.families.insert(mechanism, family);
        acted
    }

    async fn step_family(
        &mut self,
        family: &Family,
        tracked: &super::book::TrackedTask,
        txs: u64,
        now: u64,
    ) -> Result<Vec<Acted>, LedgerCallError> {
        let task_id = tracked.task_id;
        let ledger = self.sync.ledger();
        match family {
            Family::Race(terms) => {
                let already = view(
                    "hasProven",
                    proofmarket_bindings::TaskLedger::new(ledger, &self.provider)
                        .hasProven(task_id, self.me)
                        .call(),
                )
                .await?;
                match race::decide(tracked, terms, self.me, already, now, txs, &self.cost) {
                    RaceDecision::Prove { .. } => self.prove(task_id).await,
                    RaceDecision::Decline(_) => Ok(Vec::new()),
                }
            }
            Family::Ascending(terms) => {
                let terms = *terms;
                let free = ascending::free_stake(&self.provider, terms.registry, self.me).await?;
                let prover = ascending::Prover {
                    address: self.me,
                    cost: &self.cost,
                    config: &self.strategy.ascending,
                    free_stake: Some(free),
                };
                match ascending::decide(tracked, &terms, &prover, now, txs) {
                    AscendingDecision::Lock { .. } => {
                        let locked = ascending::lock(
                            &mut self.sync,
                            &self.submitter,
                            terms.auction,
                            task_id,
                        )
                        .await?;
                        // Prove at once: the lock's collateral is at stake until the proof lands.
                        let mut acted = vec![Acted::Locked {
                            price: locked.price,
                        }];
                        // The lock made a new version of the task: read its log (from the cursor,
                        // not a rebuild from creation) so the proof carries it.
                        self.sync.sync().await?;
                        acted.extend(self.prove(task_id).await?);
                        Ok(acted)
                    }
                    AscendingDecision::Prove { .. } => self.prove(task_id).await,
                    AscendingDecision::Cover { locker, .. } => {
                        ascending::slash_lock(
                            &mut self.sync,
                            &self.submitter,
                            terms.auction,
                            task_id,
                        )
                        .await?;
                        self.sync.sync().await?;
                        let mut acted = vec![Acted::Slashed { locker }];
                        acted.extend(self.prove(task_id).await?);
                        Ok(acted)
                    }
                    AscendingDecision::Wait { .. } | AscendingDecision::Decline(_) => {
                        Ok(Vec::new())
                    }
                }
            }
            Family::SealedBid(agent) => {
                let decision = agent
                    .decide_now(&self.sync, task_id, txs, &self.cost)
                    .await?;
                match &decision {
                    SealedBidDecision::Prove { .. } => self.prove(task_id).await,
                    SealedBidDecision::Decline(_) => Ok(Vec::new()),
                    _ => {
                        let acted = agent
                            .act(&mut self.sync, &self.submitter, task_id, &decision)
                            .await?;
                        Ok(acted
                            .map(|a| match a {
                                sealed_bid::Acted::Committed(_) => Acted::Committed,
                                sealed_bid::Acted::Revealed(_) => Acted::Revealed,
                                sealed_bid::Acted::Finalized(f) => {
                                    Acted::Finalized { winner: f.winner }
                                }
                            })
                            .into_iter()
                            .collect())
                    }
                }
            }
            Family::Election(agent) => {
                match agent
                    .decide_now(&self.sync, task_id, txs, &self.cost)
                    .await?
                {
                    ElectionDecision::Draw { target_block } => {
                        agent
                            .draw(
                                &mut self.sync,
                                &self.submitter,
                                task_id,
                                target_block,
                                false,
                            )
                            .await?;
                        Ok(vec![Acted::Drawn])
                    }
                    ElectionDecision::Retarget { target_block } => {
                        agent
                            .draw(&mut self.sync, &self.submitter, task_id, target_block, true)
                            .await?;
                        Ok(vec![Acted::Drawn])
                    }
                    ElectionDecision::Prove { .. } => self.prove(task_id).await,
                    ElectionDecision::Decline(_) => Ok(Vec::new()),
                }
            }
            Family::OrderBook(terms) => match order_book::decide(tracked, terms.book, self.me, now)
            {
                BookDecision::Prove { .. } => self.prove(task_id).await,
                BookDecision::Decline(_) => Ok(Vec::new()),
            },
        }
    }

    /// Builds the proof of `task_id`'s statement (the book's copy) and submits it.
    async fn prove(&mut self, task_id: U256) -> Result<Vec<Acted>, LedgerCallError> {
        let task = super::call::live_copy(&self.sync, task_id)?;
        let Some((inputs, proof)) = self.proofs.prove(&task, self.me).await else {
            return Ok(Vec::new());
        };
        let submitted =
            race::submit_proof(&mut self.sync, &self.submitter, task_id, inputs, proof).await?;
        Ok(vec![Acted::Proved {
            credited: submitted.credited,
        }])
    }

    /// Takes this prover's offers off every order book (a graceful stop: live matches stay bound
    /// and must still be proven).
    pub async fn withdraw_offers(&self) -> Result<Vec<OfferSent>, LedgerCallError> {
        let mut sent = Vec::new();
        for (address, family) in &self.families {
            if let Family::OrderBook(_) = family {
                sent.push(order_book::withdraw_offer(&self.submitter, *address).await?);
            }
        }
        Ok(sent)
    }

    /// The chain's head block.
    pub async fn head(&self) -> Result<u64, LedgerCallError> {
        self.provider
            .get_block_number()
            .await
            .map_err(LedgerCallError::rpc("eth_blockNumber"))
    }
}
