// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAscendingPriceAuction} from "../../contracts/interfaces/IAscendingPriceAuction.sol";
import {IElectionRace} from "../../contracts/interfaces/IElectionRace.sol";
import {IProverRegistry} from "../../contracts/interfaces/IProverRegistry.sol";
import {ISealedBidAuction} from "../../contracts/interfaces/ISealedBidAuction.sol";
import {ITaskRegistry} from "../../contracts/interfaces/ITaskRegistry.sol";
import {ITreeAssignment} from "../../contracts/interfaces/ITreeAssignment.sol";
import {TaskStatus} from "../../contracts/types/Task.sol";
import {RouterFixture} from "../mechanisms/MechanismRouter.t.sol";
import {MarketHandler} from "./MarketHandler.sol";
import {console2} from "forge-std/console2.sol";

/// @notice Invariants of the whole market with every mechanism active at once: the six real mechanism
///         contracts and the router over one ProverRegistry and one TaskRegistry (see test/invariant/README.md,
///         "Market invariant suite").
contract MarketInvariantsTest is RouterFixture {
    MarketHandler internal handler;

    function setUp() public {
        deployRouter();
        handler = new MarketHandler(
            MarketHandler.System({
                token: token,
                provers: proverRegistry,
                tasks: taskRegistry,
                router: router,
                race: race,
                sealedBid: sealedBid,
                ascending: ascending,
                election: election,
                book: book,
                tree: tree,
                verifier: testVerifier,
                circuit: TEST_CIRCUIT,
                treasury: treasury
            })
        );
        token.grantRole(token.MINTER_ROLE(), address(handler));
        handler.setUpActors();

        // Task creation and proofs are listed more than once to weight them up.
        bytes4[] memory selectors = new bytes4[](37);
        selectors[0] = MarketHandler.createTask.selector;
        selectors[1] = MarketHandler.createTask.selector;
        selectors[2] = MarketHandler.createTask.selector;
        selectors[3] = MarketHandler.submitProof.selector;
        selectors[4] = MarketHandler.submitProof.selector;
        selectors[5] = MarketHandler.submitProof.selector;
        selectors[6] = MarketHandler.submitProof.selector;
        selectors[7] = MarketHandler.expire.selector;
        selectors[8] = MarketHandler.cancel.selector;
        selectors[9] = MarketHandler.withdraw.selector;
        selectors[10] = MarketHandler.deposit.selector;
        selectors[11] = MarketHandler.recordOutcome.selector;
        selectors[12] = MarketHandler.sealedCommit.selector;
        selectors[13] = MarketHandler.sealedCommit.selector;
        selectors[14] = MarketHandler.sealedReveal.selector;
        selectors[15] = MarketHandler.sealedReveal.selector;
        selectors[16] = MarketHandler.sealedFinalize.selector;
        selectors[17] = MarketHandler.sealedReclaim.selector;
        selectors[18] = MarketHandler.sealedBond.selector;
        selectors[19] = MarketHandler.sealedSweep.selector;
        selectors[20] = MarketHandler.ascendingLock.selector;
        selectors[21] = MarketHandler.ascendingSlash.selector;
        selectors[22] = MarketHandler.electionDraw.selector;
        selectors[23] = MarketHandler.electionSlash.selector;
        selectors[24] = MarketHandler.bookPost.selector;
        selectors[25] = MarketHandler.bookWithdraw.selector;
        selectors[26] = MarketHandler.bookMatch.selector;
        selectors[27] = MarketHandler.treeDraw.selector;
        selectors[28] = MarketHandler.treeAttest.selector;
        selectors[29] = MarketHandler.treeCover.selector;
        selectors[30] = MarketHandler.treeBond.selector;
        selectors[31] = MarketHandler.addStake.selector;
        selectors[32] = MarketHandler.requestUnstake.selector;
        selectors[33] = MarketHandler.completeUnstake.selector;
        selectors[34] = MarketHandler.setCapacity.selector;
        selectors[35] = MarketHandler.warp.selector;
        selectors[36] = MarketHandler.cancelUnstake.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    // ------------------------------------------------------------------ conservation

    /// Every contract's token balance equals what it owes, computed from its own state: the task registry
    /// holds live escrow + cover bounties + credited payouts; the prover registry holds the stakes; the
    /// sealed-bid auction holds free bonds + collateral of open commitments + forfeits; the tree holds free
    /// pool bonds + locked range bonds + credits; race, ascending, election, order book and router hold
    /// nothing. And together they hold exactly what the handler minted minus what the actors hold.
    function invariant_TokensAreConserved() public view {
        address[] memory accounts = handler.accounts();

        uint256 openEscrow;
        uint256 credited;
        for (uint256 i; i < handler.taskCount(); ++i) {
            ITaskRegistry.Task memory t = taskRegistry.taskOf(handler.taskIds(i));
            if (t.status == TaskStatus.Open || t.status == TaskStatus.Assigned) {
                openEscrow += uint256(t.maxPayment) - t.paid + t.coverBounty;
            } else {
                assertEq(t.coverBounty, 0, "a closed task holds no bounty");
            }
        }
        for (uint256 i; i < accounts.length; ++i) {
            credited += taskRegistry.claimable(accounts[i]);
        }
        assertEq(token.balanceOf(address(taskRegistry)), openEscrow + credited, "task registry balance");

        uint256 stakes;
        for (uint256 i; i < handler.proverCount(); ++i) {
            stakes += proverRegistry.proverOf(handler.proverActors(i)).stake;
        }
        assertEq(token.balanceOf(address(proverRegistry)), stakes, "prover registry balance");

        assertEq(token.balanceOf(address(sealedBid)), _sealedLiabilities(accounts), "sealed-bid balance");
        assertEq(token.balanceOf(address(tree)), _treeLiabilities(accounts), "tree balance");

        assertEq(token.balanceOf(address(race)), 0, "race holds nothing");
        assertEq(token.balanceOf(address(ascending)), 0, "ascending holds nothing");
        assertEq(token.balanceOf(address(election)), 0, "election holds nothing");
        assertEq(token.balanceOf(address(book)), 0, "order book holds nothing");
        assertEq(token.balanceOf(address(router)), 0, "router holds nothing");

        uint256 held = token.balanceOf(address(taskRegistry)) + token.balanceOf(address(proverRegistry))
            + token.balanceOf(address(sealedBid)) + token.balanceOf(address(tree));
        uint256 wallets;
        for (uint256 i; i < accounts.length; ++i) {
            wallets += token.balanceOf(accounts[i]);
        }
        assertEq(held, handler.ghost_minted() - wallets, "protocol holds minted minus wallets");
        assertEq(token.totalSupply(), handler.ghost_minted(), "no token minted outside the handler");
    }

    /// @dev Σ free bonds + bidCollateral × open commitments (live round: commits − reveals; cancelled round:
    ///      commitments not yet reclaimed) + forfeits not yet swept.
    function _sealedLiabilities(address[] memory accounts) internal view returns (uint256 sum) {
        uint256 open;
        for (uint256 i; i < handler.taskCount(); ++i) {
            uint256 id = handler.taskIds(i);
            ISealedBidAuction.Auction memory a = sealedBid.auctionOf(id);
            if (a.status == ISealedBidAuction.AuctionStatus.Bidding) {
                open += a.commits - a.reveals;
            } else if (a.status == ISealedBidAuction.AuctionStatus.Cancelled) {
                for (uint256 j; j < accounts.length; ++j) {
                    if (sealedBid.commitmentFor(id, a.round, accounts[j]) != bytes32(0)) open += 1;
                }
            }
        }
        for (uint256 i; i < accounts.length; ++i) {
            sum += sealedBid.bondOf(accounts[i]);
        }
        sum += open * sealedBid.bidCollateral() + sealedBid.forfeited();
    }

    /// @dev Σ free pool bonds + rangeBond × locked ranges + Σ credits.
    function _treeLiabilities(address[] memory accounts) internal view returns (uint256 sum) {
        uint256 rangeBond = defaultTreeParams().rangeBond;
        for (uint256 i; i < accounts.length; ++i) {
            (uint256 free, uint256 locked) = tree.bondOf(accounts[i]);
            sum += free + rangeBond * locked + tree.claimable(accounts[i]);
        }
    }

    // ------------------------------------------------------------------ payments

    /// No task is paid twice or over budget: one acceptance per (task, prover), never more proofs than its
    /// redundancy, paid + reserved ≤ budget, and the `paid` it records equals the payments (proof payments
    /// without the cover bounty, plus contributor payments) seen in the registry's events.
    function invariant_NoTaskPaidTwiceOrOverBudget() public view {
        assertEq(handler.ghost_doubleAcceptances(), 0, "double acceptance");
        for (uint256 i; i < handler.taskCount(); ++i) {
            uint256 id = handler.taskIds(i);
            ITaskRegistry.Task memory t = taskRegistry.taskOf(id);
            assertLe(t.proofsAccepted, t.redundancy, "proofs <= redundancy");
            assertLe(uint256(t.paid) + t.reserved, t.maxPayment, "paid + reserved <= budget");
            assertEq(t.paid, handler.ghost_paidToTask(id), "paid == payments observed");
            if (t.status == TaskStatus.Fulfilled) assertEq(t.proofsAccepted, t.redundancy, "fulfilled");
        }
    }

    /// A copied proof is never accepted, under any mechanism.
    function invariant_CopiedProofsNeverPay() public view {
        assertEq(handler.ghost_copiedProofsAccepted(), 0);
    }

    // ------------------------------------------------------------------ stake and capacity

    /// For every prover: locked ≤ stake, locked + pending unstake ≤ stake, live assignments ≤ declared
    /// capacity, and locked stake and live assignments equal what the task registry's live assignments (made
    /// by any mechanism) add up to.
    function invariant_StakeLocksAndCapacity() public view {
        for (uint256 i; i < handler.proverCount(); ++i) {
            address p = handler.proverActors(i);
            IProverRegistry.Prover memory info = proverRegistry.proverOf(p);
            assertLe(info.locked, info.stake, "locked <= stake");
            assertLe(uint256(info.locked) + info.pendingUnstake, info.stake, "locked + pending <= stake");
            assertLe(info.activeAssignments, info.maxConcurrent, "capacity");
            uint256 locked;
            uint256 active;
            for (uint256 j; j < handler.taskCount(); ++j) {
                ITaskRegistry.Assignment memory a = taskRegistry.assignmentOf(handler.taskIds(j), p);
                if (a.active) {
                    locked += a.collateral;
                    active += 1;
                }
            }
            assertEq(info.locked, locked, "locked == live collateral");
            assertEq(info.activeAssignments, active, "active == live assignments");
        }
    }

    /// A tree draw gives a range only to a member with a free declared slot: right after the draw, every
    /// member it drew has live registry assignments + locked ranges (range 0 and its root assignment
    /// counting once) ≤ maxConcurrent. (Later assignments by other mechanisms and a lowered capacity can
    /// exceed it: the registry does not see tree ranges.)
    function invariant_TreeDrawsRespectCapacity() public view {
        assertEq(handler.ghost_treeCapacityBreaches(), 0);
    }

    /// A task's reserved budget is the sum of its live assignments' prices; live assignments plus accepted
    /// proofs never exceed its redundancy; a closed task has no live assignment.
    function invariant_ReservationsMatchAssignments() public view {
        for (uint256 i; i < handler.taskCount(); ++i) {
            uint256 id = handler.taskIds(i);
            ITaskRegistry.Task memory t = taskRegistry.taskOf(id);
            address[] memory live = liveAssignees(id);
            uint256 reserved;
            for (uint256 j; j < live.length; ++j) {
                ITaskRegistry.Assignment memory a = taskRegistry.assignmentOf(id, live[j]);
                assertTrue(a.active, "listed assignee is live");
                reserved += a.price;
            }
            assertEq(t.reserved, reserved, "reserved == live prices");
            assertLe(uint256(t.assignedCount) + t.proofsAccepted, t.redundancy, "slots");
            if (t.status != TaskStatus.Open && t.status != TaskStatus.Assigned) {
                assertEq(t.assignedCount, 0, "closed task has no live assignment");
            }
        }
    }

    /// Each mechanism's own bookkeeping agrees with the registry's assignments, for every task live under it:
    /// the ascending auction's live locks and the election's live elected provers are the task's live
    /// assignments (and never exceed the slots it opened with); an order-book offer's live matches are the
    /// prover's live assignments on book tasks; a tree member's locked
    /// ranges are the drawn or attested ranges it owns in drawn trees.
    function invariant_MechanismStateMatchesRegistry() public view {
        uint256 n = handler.taskCount();
        for (uint256 i; i < n; ++i) {
            uint256 id = handler.taskIds(i);
            ITaskRegistry.Task memory t = taskRegistry.taskOf(id);
            if (t.status != TaskStatus.Open && t.status != TaskStatus.Assigned) continue;
            if (t.mechanism == address(ascending)) {
                IAscendingPriceAuction.Auction memory a = ascending.auctionOf(id);
                assertEq(a.locked, t.assignedCount, "ascending locks == live assignments");
                assertLe(uint256(a.locked) + a.delivered, a.slots, "ascending slots");
            } else if (t.mechanism == address(election)) {
                IElectionRace.Election memory e = election.electionOf(id);
                assertEq(e.live, t.assignedCount, "elected live == live assignments");
                assertLe(uint256(e.live) + e.delivered, e.slots, "election slots");
            }
        }
        for (uint256 p; p < handler.proverCount(); ++p) {
            address prover = handler.proverActors(p);
            uint256 matched;
            uint256 ranges;
            for (uint256 i; i < n; ++i) {
                uint256 id = handler.taskIds(i);
                ITaskRegistry.Task memory t = taskRegistry.taskOf(id);
                bool live = t.status == TaskStatus.Open || t.status == TaskStatus.Assigned;
                if (live && t.mechanism == address(book) && taskRegistry.assignmentOf(id, prover).active) matched += 1;
                ITreeAssignment.TreeTask memory tt = tree.treeOf(id);
                if (tt.status != ITreeAssignment.TreeStatus.Drawn) continue;
                for (uint256 r; r < tt.rangeCount; ++r) {
                    ITreeAssignment.Range memory rg = tree.rangeOf(id, r);
                    bool locks =
                        rg.state == ITreeAssignment.RangeState.Drawn || rg.state == ITreeAssignment.RangeState.Attested;
                    if (locks && rg.owner == prover) ranges += 1;
                }
            }
            assertEq(book.offerOf(prover).active, matched, "offer live matches == book assignments");
            (, uint256 lockedRanges) = tree.bondOf(prover);
            assertEq(lockedRanges, ranges, "locked ranges == drawn/attested ranges owned");
        }
    }

    /// Tasks move only along legal state transitions.
    function invariant_LegalTransitions() public view {
        assertEq(handler.ghost_illegalTransitions(), 0);
    }

    /// With `-vv`, prints per run the successful calls per action, tasks opened and fulfilled per mechanism,
    /// and how tasks ended, to check that the handler reaches every mechanism's paths and not just reverts.
    function afterInvariant() external view {
        string[32] memory names = [
            "createTask",
            "routed",
            "submitProof",
            "expire",
            "reopened",
            "cancel",
            "withdraw",
            "deposit",
            "recordOutcome",
            "sealedCommit",
            "sealedReveal",
            "sealedFinalize",
            "sealedReclaim",
            "sealedBond",
            "sealedSweep",
            "ascendingLock",
            "ascendingSlash",
            "electionDraw",
            "electionSlash",
            "bookPost",
            "bookWithdraw",
            "bookMatch",
            "treeDraw",
            "treeAttest",
            "treeCover",
            "treeBond",
            "addStake",
            "requestUnstake",
            "completeUnstake",
            "setCapacity",
            "warp",
            "cancelUnstake"
        ];
        for (uint256 i; i < names.length; ++i) {
            console2.log(names[i], handler.calls(bytes32(bytes(names[i]))));
        }
        string[7] memory kinds = ["", "race", "sealed", "ascending", "election", "book", "tree"];
        for (uint8 k = 1; k <= 6; ++k) {
            console2.log(
                string.concat(kinds[k], " opened/fulfilled"), handler.openedPerKind(k), handler.fulfilledPerKind(k)
            );
        }
        uint256[6] memory byStatus;
        for (uint256 i; i < handler.taskCount(); ++i) {
            byStatus[uint8(taskRegistry.taskOf(handler.taskIds(i)).status)] += 1;
        }
        console2.log("open/assigned/fulfilled", byStatus[1], byStatus[2], byStatus[3]);
        console2.log("expired/cancelled", byStatus[4], byStatus[5]);
    }
}
