// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMechanism} from "../../contracts/interfaces/IMechanism.sol";
import {IProverRegistry} from "../../contracts/interfaces/IProverRegistry.sol";
import {ISealedBidAuction} from "../../contracts/interfaces/ISealedBidAuction.sol";
import {ITaskRegistry} from "../../contracts/interfaces/ITaskRegistry.sol";
import {SealedBidRanking} from "../../contracts/libraries/SealedBidRanking.sol";
import {SealedBidAuction} from "../../contracts/mechanisms/SealedBidAuction.sol";
import {TaskRequest, TaskStatus} from "../../contracts/types/Task.sol";
import {Deployers} from "../utils/Deployers.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @notice Sealed-bid auction against the real TaskRegistry and ProverRegistry (test-double verifier only).
contract SealedBidAuctionTest is Deployers {
    uint32 internal constant COMMIT = 10 minutes;
    uint32 internal constant REVEAL = 10 minutes;
    uint32 internal constant MIN_PROVING = 20 minutes;
    uint96 internal constant BID_COLLATERAL = 1e18;
    uint96 internal constant WINNER_COLLATERAL = 10e18;
    uint8 internal constant MAX_BIDS = 8;

    SealedBidAuction internal firstPrice;
    SealedBidAuction internal secondPrice;
    address internal dave = makeAddr("dave");
    address internal outsider = makeAddr("outsider");

    function setUp() public {
        deployCore();
        firstPrice = _deployAuction(false);
        secondPrice = _deployAuction(true);
        address[4] memory provers = [alice, bob, carol, dave];
        for (uint256 i; i < provers.length; ++i) {
            registerProver(provers[i]);
            _fundBidder(provers[i]);
        }
        _fundBidder(outsider);
    }

    function _deployAuction(bool second) internal returns (SealedBidAuction a) {
        a = new SealedBidAuction(
            SealedBidAuction.Params({
                taskRegistry: ITaskRegistry(address(taskRegistry)),
                proverRegistry: IProverRegistry(address(proverRegistry)),
                token: IERC20(address(token)),
                treasury: treasury,
                secondPrice: second,
                commitWindow: COMMIT,
                revealWindow: REVEAL,
                minProvingWindow: MIN_PROVING,
                bidCollateral: BID_COLLATERAL,
                winnerCollateral: WINNER_COLLATERAL,
                maxBids: MAX_BIDS
            })
        );
        taskRegistry.setMechanism(address(a), true);
    }

    function _fundBidder(address who) internal {
        token.mint(who, 10e18);
        vm.startPrank(who);
        token.approve(address(firstPrice), type(uint256).max);
        token.approve(address(secondPrice), type(uint256).max);
        vm.stopPrank();
    }

    // ------------------------------------------------------------------ helpers

    function _request(SealedBidAuction a, uint256 seed, uint8 redundancy) internal view returns (TaskRequest memory r) {
        r = raceRequest(seed, redundancy);
        r.mechanism = address(a);
    }

    function _open(SealedBidAuction a, uint256 seed, uint8 redundancy) internal returns (uint256) {
        return openTask(requester, _request(a, seed, redundancy));
    }

    function _salt(address bidder) internal pure returns (bytes32) {
        return keccak256(abi.encode("salt", bidder));
    }

    function _commitment(SealedBidAuction a, uint256 taskId, address bidder, uint96 price)
        internal
        view
        returns (bytes32)
    {
        return a.commitmentOf(taskId, a.auctionOf(taskId).round, bidder, price, _salt(bidder));
    }

    function _commit(SealedBidAuction a, uint256 taskId, address bidder, uint96 price) internal {
        bytes32 c = _commitment(a, taskId, bidder, price);
        vm.prank(bidder);
        a.commitBid(taskId, c);
    }

    /// @dev A commit expected to revert with `err` (the commitment is computed before expectRevert).
    function _commitReverts(SealedBidAuction a, uint256 taskId, address bidder, bytes memory err) internal {
        bytes32 c = _commitment(a, taskId, bidder, 10e18);
        vm.expectRevert(err);
        vm.prank(bidder);
        a.commitBid(taskId, c);
    }

    function _reveal(SealedBidAuction a, uint256 taskId, address bidder, uint96 price) internal {
        vm.prank(bidder);
        a.revealBid(taskId, price, _salt(bidder));
    }

    function _toReveal(SealedBidAuction a, uint256 taskId) internal {
        (uint64 commitEnd,) = a.windowsOf(taskId);
        vm.warp(commitEnd);
    }

    function _toFinalize(SealedBidAuction a, uint256 taskId) internal {
        (, uint64 revealEnd) = a.windowsOf(taskId);
        vm.warp(revealEnd);
    }

    /// @dev Runs a full auction: everyone in `bidders` commits and reveals `prices`, then finalize.
    function _auction(SealedBidAuction a, uint256 taskId, address[] memory bidders, uint96[] memory prices) internal {
        for (uint256 i; i < bidders.length; ++i) {
            _commit(a, taskId, bidders[i], prices[i]);
        }
        _toReveal(a, taskId);
        for (uint256 i; i < bidders.length; ++i) {
            _reveal(a, taskId, bidders[i], prices[i]);
        }
        _toFinalize(a, taskId);
        a.finalize(taskId);
    }

    function _three(uint96 pa, uint96 pb, uint96 pc)
        internal
        view
        returns (address[] memory bidders, uint96[] memory prices)
    {
        bidders = new address[](3);
        prices = new uint96[](3);
        (bidders[0], bidders[1], bidders[2]) = (alice, bob, carol);
        (prices[0], prices[1], prices[2]) = (pa, pb, pc);
    }

    // ------------------------------------------------------------------ happy paths

    function test_OpenSetsReserveAndWindows() public {
        uint256 taskId = _open(firstPrice, 1, 2);
        ISealedBidAuction.Auction memory a = firstPrice.auctionOf(taskId);
        assertEq(a.reserve, TASK_BUDGET / 2);
        assertEq(a.slots, 2);
        assertEq(a.round, 1);
        assertEq(uint8(a.status), uint8(ISealedBidAuction.AuctionStatus.Bidding));
        (uint64 commitEnd, uint64 revealEnd) = firstPrice.windowsOf(taskId);
        assertEq(commitEnd, block.timestamp + COMMIT);
        assertEq(revealEnd, block.timestamp + COMMIT + REVEAL);
    }

    function test_FirstPrice_LowestBidWinsAndIsPaidItsBid() public {
        uint256 taskId = _open(firstPrice, 1, 1);
        (address[] memory b, uint96[] memory p) = _three(60e18, 40e18, 50e18);
        _auction(firstPrice, taskId, b, p);

        ITaskRegistry.Assignment memory asg = taskRegistry.assignmentOf(taskId, bob);
        assertTrue(asg.active);
        assertEq(asg.price, 40e18);
        assertEq(asg.collateral, WINNER_COLLATERAL);
        assertFalse(taskRegistry.assignmentOf(taskId, alice).active);
        assertEq(uint8(taskRegistry.taskOf(taskId).status), uint8(TaskStatus.Assigned));
        // Every revealer got its bid collateral back into its bond.
        assertEq(firstPrice.bondOf(alice), BID_COLLATERAL);
        assertEq(firstPrice.bondOf(bob), BID_COLLATERAL);

        uint256 paid = prove(taskId, 1, bob);
        assertEq(paid, 40e18);
        assertEq(uint8(taskRegistry.taskOf(taskId).status), uint8(TaskStatus.Fulfilled));
        assertEq(taskRegistry.claimable(requester), TASK_BUDGET - 40e18);
        assertEq(proverRegistry.proverOf(bob).locked, 0);
    }

    function test_SecondPrice_WinnerPaidBestLosingBid() public {
        uint256 taskId = _open(secondPrice, 1, 1);
        (address[] memory b, uint96[] memory p) = _three(60e18, 40e18, 50e18);
        _auction(secondPrice, taskId, b, p);
        assertEq(taskRegistry.assignmentOf(taskId, bob).price, 50e18);
        assertEq(prove(taskId, 1, bob), 50e18);
    }

    function test_SecondPrice_OneBidderPaidReserve() public {
        uint256 taskId = _open(secondPrice, 1, 1);
        _commit(secondPrice, taskId, alice, 30e18);
        _toReveal(secondPrice, taskId);
        _reveal(secondPrice, taskId, alice, 30e18);
        _toFinalize(secondPrice, taskId);
        secondPrice.finalize(taskId);
        assertEq(taskRegistry.assignmentOf(taskId, alice).price, TASK_BUDGET);
    }

    function test_FirstPrice_OneBidderPaidItsBid() public {
        uint256 taskId = _open(firstPrice, 1, 1);
        _commit(firstPrice, taskId, alice, 30e18);
        _toReveal(firstPrice, taskId);
        _reveal(firstPrice, taskId, alice, 30e18);
        _toFinalize(firstPrice, taskId);
        firstPrice.finalize(taskId);
        assertEq(taskRegistry.assignmentOf(taskId, alice).price, 30e18);
    }

    function test_Redundancy_TwoBestBidsWin() public {
        uint256 taskId = _open(firstPrice, 1, 2); // reserve 50e18
        (address[] memory b, uint96[] memory p) = _three(45e18, 20e18, 30e18);
        _auction(firstPrice, taskId, b, p);
        assertEq(taskRegistry.assignmentOf(taskId, bob).price, 20e18);
        assertEq(taskRegistry.assignmentOf(taskId, carol).price, 30e18);
        assertFalse(taskRegistry.assignmentOf(taskId, alice).active);
        prove(taskId, 1, bob);
        prove(taskId, 1, carol);
        assertEq(taskRegistry.claimable(requester), TASK_BUDGET - 50e18);
    }

    function test_Redundancy_SecondPriceUniformAtThirdBid() public {
        uint256 taskId = _open(secondPrice, 1, 2);
        (address[] memory b, uint96[] memory p) = _three(45e18, 20e18, 30e18);
        _auction(secondPrice, taskId, b, p);
        assertEq(taskRegistry.assignmentOf(taskId, bob).price, 45e18);
        assertEq(taskRegistry.assignmentOf(taskId, carol).price, 45e18);
    }

    // ------------------------------------------------------------------ game edge cases

    function test_NoReveal_ForfeitsCollateralToTreasury() public {
        uint256 taskId = _open(firstPrice, 1, 1);
        _commit(firstPrice, taskId, alice, 10e18);
        _commit(firstPrice, taskId, bob, 40e18);
        _toReveal(firstPrice, taskId);
        _reveal(firstPrice, taskId, bob, 40e18);
        _toFinalize(firstPrice, taskId);
        vm.expectEmit(address(firstPrice));
        emit ISealedBidAuction.AuctionFinalized(taskId, 1, BID_COLLATERAL);
        firstPrice.finalize(taskId);

        assertTrue(taskRegistry.assignmentOf(taskId, bob).active);
        assertEq(firstPrice.bondOf(alice), 0);
        assertEq(firstPrice.forfeited(), BID_COLLATERAL);
        uint256 before = token.balanceOf(treasury);
        firstPrice.sweepForfeits();
        assertEq(token.balanceOf(treasury) - before, BID_COLLATERAL);
        assertEq(firstPrice.forfeited(), 0);
        // Alice's stale commitment cannot be reopened or reclaimed.
        vm.expectRevert(abi.encodeWithSelector(ISealedBidAuction.NotReclaimable.selector, taskId, uint8(1)));
        vm.prank(alice);
        firstPrice.reclaimBid(taskId, 1);
    }

    function test_AllRevealLate_NoWinnerAllForfeitTaskExpires() public {
        uint256 taskId = _open(firstPrice, 1, 1);
        _commit(firstPrice, taskId, alice, 10e18);
        _commit(firstPrice, taskId, bob, 20e18);
        _toFinalize(firstPrice, taskId);
        (uint64 commitEnd, uint64 revealEnd) = firstPrice.windowsOf(taskId);
        vm.expectRevert(
            abi.encodeWithSelector(ISealedBidAuction.NotInRevealWindow.selector, taskId, commitEnd, revealEnd)
        );
        _reveal(firstPrice, taskId, alice, 10e18);
        firstPrice.finalize(taskId);
        assertEq(firstPrice.forfeited(), 2 * BID_COLLATERAL);
        assertEq(taskRegistry.taskOf(taskId).assignedCount, 0);

        vm.warp(taskRegistry.taskOf(taskId).deadline + 1);
        taskRegistry.expire(taskId);
        assertEq(uint8(taskRegistry.taskOf(taskId).status), uint8(TaskStatus.Expired));
        assertEq(taskRegistry.claimable(requester), TASK_BUDGET);
    }

    function test_Tie_BrokenBySaltSeedNotByOrder() public {
        uint256 taskId = _open(firstPrice, 1, 1);
        _commit(firstPrice, taskId, alice, 40e18);
        _commit(firstPrice, taskId, bob, 40e18);
        _toReveal(firstPrice, taskId);
        _reveal(firstPrice, taskId, alice, 40e18);
        _reveal(firstPrice, taskId, bob, 40e18);
        uint64 seed = uint64(uint256(_salt(alice))) ^ uint64(uint256(_salt(bob)));
        assertEq(firstPrice.auctionOf(taskId).seed, seed);
        address expected = SealedBidRanking.tieKey(seed, alice) < SealedBidRanking.tieKey(seed, bob) ? alice : bob;
        address other = expected == alice ? bob : alice;
        _toFinalize(firstPrice, taskId);
        firstPrice.finalize(taskId);
        assertTrue(taskRegistry.assignmentOf(taskId, expected).active);
        assertFalse(taskRegistry.assignmentOf(taskId, other).active);
    }

    /// @dev The ranking depends on the set of reveals, not on who revealed first.
    function testFuzz_TieWinnerIndependentOfRevealOrder(bool aliceFirst) public {
        uint256 taskId = _open(firstPrice, 1, 1);
        _commit(firstPrice, taskId, alice, 40e18);
        _commit(firstPrice, taskId, bob, 40e18);
        _toReveal(firstPrice, taskId);
        if (aliceFirst) {
            _reveal(firstPrice, taskId, alice, 40e18);
            _reveal(firstPrice, taskId, bob, 40e18);
        } else {
            _reveal(firstPrice, taskId, bob, 40e18);
            _reveal(firstPrice, taskId, alice, 40e18);
        }
        uint64 seed = uint64(uint256(_salt(alice))) ^ uint64(uint256(_salt(bob)));
        address expected = SealedBidRanking.tieKey(seed, alice) < SealedBidRanking.tieKey(seed, bob) ? alice : bob;
        _toFinalize(firstPrice, taskId);
        firstPrice.finalize(taskId);
        assertTrue(taskRegistry.assignmentOf(taskId, expected).active);
    }

    function test_BidAboveReserve_RefundedAndIgnored() public {
        uint256 taskId = _open(firstPrice, 1, 1);
        _commit(firstPrice, taskId, alice, TASK_BUDGET + 1);
        _commit(firstPrice, taskId, bob, 90e18);
        _toReveal(firstPrice, taskId);
        vm.expectEmit(address(firstPrice));
        emit ISealedBidAuction.BidRevealed(taskId, alice, TASK_BUDGET + 1, false);
        _reveal(firstPrice, taskId, alice, TASK_BUDGET + 1);
        _reveal(firstPrice, taskId, bob, 90e18);
        assertEq(firstPrice.bondOf(alice), BID_COLLATERAL);
        _toFinalize(firstPrice, taskId);
        firstPrice.finalize(taskId);
        assertFalse(taskRegistry.assignmentOf(taskId, alice).active);
        assertEq(taskRegistry.assignmentOf(taskId, bob).price, 90e18);
        assertEq(firstPrice.forfeited(), 0);
    }

    function test_ZeroBid_RefundedAndIgnored() public {
        uint256 taskId = _open(firstPrice, 1, 1);
        _commit(firstPrice, taskId, alice, 0);
        _toReveal(firstPrice, taskId);
        _reveal(firstPrice, taskId, alice, 0);
        _toFinalize(firstPrice, taskId);
        firstPrice.finalize(taskId);
        assertEq(taskRegistry.taskOf(taskId).assignedCount, 0);
        assertEq(firstPrice.bondOf(alice), BID_COLLATERAL);
    }

    function test_NoBids_TaskFallsBackToRace() public {
        TaskRequest memory r = _request(firstPrice, 1, 1);
        r.fallbackMechanism = address(race);
        r.fallbackWindow = 1 hours;
        uint256 taskId = openTask(requester, r);
        _toFinalize(firstPrice, taskId);
        firstPrice.finalize(taskId);
        assertEq(uint8(firstPrice.auctionOf(taskId).status), uint8(ISealedBidAuction.AuctionStatus.Finalized));

        vm.warp(taskRegistry.taskOf(taskId).deadline + 1);
        taskRegistry.expire(taskId);
        ITaskRegistry.Task memory t = taskRegistry.taskOf(taskId);
        assertEq(t.mechanism, address(race));
        assertEq(uint8(t.status), uint8(TaskStatus.Open));
        assertGt(prove(taskId, 1, carol), 0);
        assertEq(uint8(taskRegistry.taskOf(taskId).status), uint8(TaskStatus.Fulfilled));
    }

    function test_WinnerMissesDeadline_SlashedByExpiry() public {
        uint256 taskId = _open(firstPrice, 1, 1);
        (address[] memory b, uint96[] memory p) = _three(60e18, 40e18, 50e18);
        _auction(firstPrice, taskId, b, p);
        uint256 stakeBefore = proverRegistry.proverOf(bob).stake;
        vm.warp(taskRegistry.taskOf(taskId).deadline + 1);
        taskRegistry.expire(taskId);
        assertEq(stakeBefore - proverRegistry.proverOf(bob).stake, WINNER_COLLATERAL);
        assertEq(proverRegistry.recordOf(bob).missed, 1);
        assertEq(taskRegistry.taskOf(taskId).slashed, WINNER_COLLATERAL);
        assertEq(uint8(firstPrice.auctionOf(taskId).status), uint8(ISealedBidAuction.AuctionStatus.Finalized));
    }

    /// @dev Bids alice 60, bob 40, carol 50; bob then queues all its stake for withdrawal, so it can no
    ///      longer back an assignment.
    function _bidsWithBobUnassignable(SealedBidAuction a) internal returns (uint256 taskId) {
        taskId = _open(a, 1, 1);
        (address[] memory b, uint96[] memory p) = _three(60e18, 40e18, 50e18);
        for (uint256 i; i < 3; ++i) {
            _commit(a, taskId, b[i], p[i]);
        }
        _toReveal(a, taskId);
        for (uint256 i; i < 3; ++i) {
            _reveal(a, taskId, b[i], p[i]);
        }
        vm.prank(bob);
        proverRegistry.requestUnstake(PROVER_STAKE);
        _toFinalize(a, taskId);
    }

    function test_FirstPrice_WinnerWithoutFreeStake_NextBidMovesUp() public {
        uint256 taskId = _bidsWithBobUnassignable(firstPrice);
        vm.expectEmit(address(firstPrice));
        emit ISealedBidAuction.WinnerSkipped(
            taskId,
            bob,
            abi.encodeWithSelector(IProverRegistry.InsufficientFreeStake.selector, bob, WINNER_COLLATERAL, 0)
        );
        firstPrice.finalize(taskId);
        assertEq(taskRegistry.assignmentOf(taskId, carol).price, 50e18);
        assertFalse(taskRegistry.assignmentOf(taskId, bob).active);
    }

    function test_SecondPrice_WinnerWithoutFreeStake_PriceFromNextBid() public {
        uint256 taskId = _bidsWithBobUnassignable(secondPrice);
        vm.expectEmit(address(secondPrice));
        emit ISealedBidAuction.WinnerSkipped(taskId, bob, "");
        secondPrice.finalize(taskId);
        assertEq(taskRegistry.assignmentOf(taskId, carol).price, 60e18);
        assertFalse(taskRegistry.assignmentOf(taskId, bob).active);
    }

    /// @dev A finalize sent with too little gas for the registry's assign must not skip the winner.
    function test_LowGasFinalizeCannotSkipWinners() public {
        uint256 taskId = _open(firstPrice, 1, 1);
        _commit(firstPrice, taskId, bob, 40e18);
        _toReveal(firstPrice, taskId);
        _reveal(firstPrice, taskId, bob, 40e18);
        _toFinalize(firstPrice, taskId);
        for (uint256 gasLimit = 40_000; gasLimit < 140_000; gasLimit += 20_000) {
            try firstPrice.finalize{gas: gasLimit}(taskId) {
                break;
            } catch {}
        }
        // Whatever gas it was given, finalize either assigned bob or changed nothing.
        ISealedBidAuction.AuctionStatus status = firstPrice.auctionOf(taskId).status;
        if (status == ISealedBidAuction.AuctionStatus.Bidding) firstPrice.finalize(taskId);
        assertTrue(taskRegistry.assignmentOf(taskId, bob).active);
    }

    function test_CancelDuringBidding_CommitmentsReclaimable() public {
        uint256 taskId = _open(firstPrice, 1, 1);
        _commit(firstPrice, taskId, alice, 10e18);
        assertEq(firstPrice.bondOf(alice), 0);
        vm.prank(requester);
        taskRegistry.cancelTask(taskId);
        assertEq(uint8(firstPrice.auctionOf(taskId).status), uint8(ISealedBidAuction.AuctionStatus.Cancelled));
        vm.prank(alice);
        firstPrice.reclaimBid(taskId, 1);
        assertEq(firstPrice.bondOf(alice), BID_COLLATERAL);
        vm.expectRevert(abi.encodeWithSelector(ISealedBidAuction.NoCommitment.selector, taskId, alice));
        vm.prank(alice);
        firstPrice.reclaimBid(taskId, 1);
        vm.prank(alice);
        firstPrice.withdrawBond(BID_COLLATERAL);
        assertEq(token.balanceOf(address(firstPrice)), 0);
    }

    function test_ExpiryWithoutFinalize_ForfeitsUnrevealed() public {
        uint256 taskId = _open(firstPrice, 1, 1);
        _commit(firstPrice, taskId, alice, 10e18);
        _commit(firstPrice, taskId, bob, 20e18);
        _toReveal(firstPrice, taskId);
        _reveal(firstPrice, taskId, bob, 20e18);
        vm.warp(taskRegistry.taskOf(taskId).deadline + 1);
        taskRegistry.expire(taskId);
        assertEq(uint8(firstPrice.auctionOf(taskId).status), uint8(ISealedBidAuction.AuctionStatus.Closed));
        assertEq(firstPrice.forfeited(), BID_COLLATERAL);
    }

    function test_ReopenToSameInstance_StartsFreshRound() public {
        TaskRequest memory r = _request(firstPrice, 1, 1);
        r.fallbackMechanism = address(firstPrice);
        r.fallbackWindow = 1 hours;
        uint256 taskId = openTask(requester, r);
        _commit(firstPrice, taskId, alice, 10e18); // never revealed
        vm.warp(taskRegistry.taskOf(taskId).deadline + 1);
        taskRegistry.expire(taskId);
        assertEq(firstPrice.auctionOf(taskId).round, 2);
        assertEq(firstPrice.forfeited(), BID_COLLATERAL);
        // Alice may bid again in the new round.
        _commit(firstPrice, taskId, alice, 10e18);
        _toReveal(firstPrice, taskId);
        _reveal(firstPrice, taskId, alice, 10e18);
        _toFinalize(firstPrice, taskId);
        firstPrice.finalize(taskId);
        assertEq(prove(taskId, 1, alice), 10e18);
    }

    function test_CommitPullsShortfallFromWallet() public {
        uint256 taskId = _open(firstPrice, 1, 1);
        uint256 before = token.balanceOf(alice);
        _commit(firstPrice, taskId, alice, 10e18);
        assertEq(before - token.balanceOf(alice), BID_COLLATERAL);
        // With a deposited bond, a commit moves no tokens.
        uint256 task2 = _open(firstPrice, 2, 1);
        vm.prank(bob);
        firstPrice.depositBond(3e18);
        uint256 bobBefore = token.balanceOf(bob);
        _commit(firstPrice, task2, bob, 10e18);
        assertEq(token.balanceOf(bob), bobBefore);
        assertEq(firstPrice.bondOf(bob), 2e18);
    }

    // ------------------------------------------------------------------ reverts

    function test_RevertWhen_BidderNotRegistered() public {
        uint256 taskId = _open(firstPrice, 1, 1);
        _commitReverts(
            firstPrice,
            taskId,
            outsider,
            abi.encodeWithSelector(ISealedBidAuction.BidderNotRegistered.selector, outsider)
        );
    }

    function test_RevertWhen_CommitAfterCommitWindow() public {
        uint256 taskId = _open(firstPrice, 1, 1);
        (uint64 commitEnd,) = firstPrice.windowsOf(taskId);
        vm.warp(commitEnd);
        _commitReverts(
            firstPrice,
            taskId,
            alice,
            abi.encodeWithSelector(ISealedBidAuction.CommitWindowClosed.selector, taskId, commitEnd)
        );
    }

    function test_RevertWhen_CommitTwice() public {
        uint256 taskId = _open(firstPrice, 1, 1);
        _commit(firstPrice, taskId, alice, 10e18);
        _commitReverts(
            firstPrice,
            taskId,
            alice,
            abi.encodeWithSelector(ISealedBidAuction.AlreadyCommitted.selector, taskId, alice)
        );
    }

    function test_RevertWhen_CommitZero() public {
        uint256 taskId = _open(firstPrice, 1, 1);
        vm.expectRevert(abi.encodeWithSelector(ISealedBidAuction.ZeroCommitment.selector, bytes32(0)));
        vm.prank(alice);
        firstPrice.commitBid(taskId, bytes32(0));
    }

    function test_RevertWhen_AuctionFull() public {
        uint256 taskId = _open(firstPrice, 1, 1);
        for (uint256 i; i < MAX_BIDS; ++i) {
            address p = makeAddr(string(abi.encode("p", i)));
            registerProver(p);
            _fundBidder(p);
            _commit(firstPrice, taskId, p, 10e18);
        }
        _commitReverts(
            firstPrice, taskId, alice, abi.encodeWithSelector(ISealedBidAuction.AuctionFull.selector, taskId, MAX_BIDS)
        );
    }

    function test_RevertWhen_RevealBeforeWindow() public {
        uint256 taskId = _open(firstPrice, 1, 1);
        _commit(firstPrice, taskId, alice, 10e18);
        (uint64 commitEnd, uint64 revealEnd) = firstPrice.windowsOf(taskId);
        vm.expectRevert(
            abi.encodeWithSelector(ISealedBidAuction.NotInRevealWindow.selector, taskId, commitEnd, revealEnd)
        );
        _reveal(firstPrice, taskId, alice, 10e18);
    }

    function test_RevertWhen_RevealDoesNotMatch() public {
        uint256 taskId = _open(firstPrice, 1, 1);
        _commit(firstPrice, taskId, alice, 10e18);
        _toReveal(firstPrice, taskId);
        vm.expectRevert(abi.encodeWithSelector(ISealedBidAuction.CommitmentMismatch.selector, taskId, alice));
        _reveal(firstPrice, taskId, alice, 11e18);
    }

    function test_RevertWhen_RevealWithoutCommitment() public {
        uint256 taskId = _open(firstPrice, 1, 1);
        _toReveal(firstPrice, taskId);
        vm.expectRevert(abi.encodeWithSelector(ISealedBidAuction.NoCommitment.selector, taskId, alice));
        _reveal(firstPrice, taskId, alice, 10e18);
    }

    function test_RevertWhen_CommitmentCopiedByAnotherBidder() public {
        uint256 taskId = _open(firstPrice, 1, 1);
        bytes32 c = firstPrice.commitmentOf(taskId, 1, alice, 10e18, _salt(alice));
        vm.prank(alice);
        firstPrice.commitBid(taskId, c);
        vm.prank(bob);
        firstPrice.commitBid(taskId, c);
        _toReveal(firstPrice, taskId);
        vm.expectRevert(abi.encodeWithSelector(ISealedBidAuction.CommitmentMismatch.selector, taskId, bob));
        vm.prank(bob);
        firstPrice.revealBid(taskId, 10e18, _salt(alice));
    }

    function test_RevertWhen_FinalizeDuringReveal() public {
        uint256 taskId = _open(firstPrice, 1, 1);
        (, uint64 revealEnd) = firstPrice.windowsOf(taskId);
        vm.expectRevert(abi.encodeWithSelector(ISealedBidAuction.RevealWindowOpen.selector, taskId, revealEnd));
        firstPrice.finalize(taskId);
    }

    function test_RevertWhen_FinalizeTwice() public {
        uint256 taskId = _open(firstPrice, 1, 1);
        _toFinalize(firstPrice, taskId);
        firstPrice.finalize(taskId);
        vm.expectRevert(abi.encodeWithSelector(ISealedBidAuction.AuctionNotActive.selector, taskId));
        firstPrice.finalize(taskId);
    }

    function test_RevertWhen_LoserProves() public {
        uint256 taskId = _open(firstPrice, 1, 1);
        (address[] memory b, uint96[] memory p) = _three(60e18, 40e18, 50e18);
        _auction(firstPrice, taskId, b, p);
        bytes memory proof = proofOf(1, alice);
        uint256[] memory s = statement(1);
        vm.expectRevert(abi.encodeWithSelector(ISealedBidAuction.NotAWinner.selector, taskId, alice));
        vm.prank(alice);
        taskRegistry.submitProof(taskId, s, proof);
    }

    function test_RevertWhen_ProofBeforeFinalize() public {
        uint256 taskId = _open(firstPrice, 1, 1);
        bytes memory proof = proofOf(1, alice);
        uint256[] memory s = statement(1);
        vm.expectRevert(abi.encodeWithSelector(ISealedBidAuction.NotAWinner.selector, taskId, alice));
        vm.prank(alice);
        taskRegistry.submitProof(taskId, s, proof);
    }

    function test_RevertWhen_DeadlineTooSoon() public {
        TaskRequest memory r = _request(firstPrice, 1, 1);
        r.deadline = uint64(block.timestamp + COMMIT + REVEAL + MIN_PROVING - 1);
        fund(requester, r.maxPayment);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISealedBidAuction.DeadlineTooSoon.selector,
                1,
                r.deadline,
                block.timestamp + COMMIT + REVEAL + MIN_PROVING
            )
        );
        vm.prank(requester);
        taskRegistry.createTask(r);
    }

    function test_RevertWhen_RedundancyAboveMaxBids() public {
        TaskRequest memory r = _request(firstPrice, 1, MAX_BIDS + 1);
        fund(requester, r.maxPayment);
        vm.expectRevert(abi.encodeWithSelector(ISealedBidAuction.RedundancyTooHigh.selector, MAX_BIDS + 1));
        vm.prank(requester);
        taskRegistry.createTask(r);
    }

    function test_RevertWhen_HookCalledByOther() public {
        TaskRequest memory r = _request(firstPrice, 1, 1);
        vm.expectRevert(abi.encodeWithSelector(IMechanism.OnlyTaskRegistry.selector, address(this)));
        firstPrice.onTaskOpened(1, r);
        vm.expectRevert(abi.encodeWithSelector(IMechanism.OnlyTaskRegistry.selector, address(this)));
        firstPrice.onProofAccepted(1, alice, 1);
        vm.expectRevert(abi.encodeWithSelector(IMechanism.OnlyTaskRegistry.selector, address(this)));
        firstPrice.onTaskClosed(1);
    }

    function test_RevertWhen_WithdrawMoreThanBond() public {
        vm.prank(alice);
        firstPrice.depositBond(2e18);
        vm.expectRevert(abi.encodeWithSelector(ISealedBidAuction.InsufficientBond.selector, alice, 3e18, 2e18));
        vm.prank(alice);
        firstPrice.withdrawBond(3e18);
    }

    function test_RevertWhen_SweepNothing() public {
        vm.expectRevert(ISealedBidAuction.NothingToSweep.selector);
        firstPrice.sweepForfeits();
    }

    function test_RevertWhen_ConstructorParamInvalid() public {
        SealedBidAuction.Params memory p = SealedBidAuction.Params({
            taskRegistry: ITaskRegistry(address(taskRegistry)),
            proverRegistry: IProverRegistry(address(proverRegistry)),
            token: IERC20(address(token)),
            treasury: treasury,
            secondPrice: false,
            commitWindow: COMMIT,
            revealWindow: REVEAL,
            minProvingWindow: MIN_PROVING,
            bidCollateral: BID_COLLATERAL,
            winnerCollateral: WINNER_COLLATERAL,
            maxBids: 65
        });
        vm.expectRevert(abi.encodeWithSelector(ISealedBidAuction.InvalidParameter.selector, "maxBids"));
        new SealedBidAuction(p);
    }

    function test_Profile() public view {
        IMechanism.Profile memory p = firstPrice.profile();
        assertEq(p.kind, 2);
        assertLe(p.speed, 10);
        assertLe(p.cost, 10);
        assertLe(p.safety, 10);
        assertLe(p.censorshipResistance, 10);
    }

    // ------------------------------------------------------------------ fuzz

    /// @dev First price: the winner is the cheapest eligible bid and is assigned at exactly its bid; token
    ///      conservation: the auction holds Σ bonds + forfeited.
    function testFuzz_FirstPriceWinnerIsCheapest(uint96 pa, uint96 pb, uint96 pc, uint8 revealMask) public {
        pa = uint96(bound(pa, 1, TASK_BUDGET));
        pb = uint96(bound(pb, 1, TASK_BUDGET));
        pc = uint96(bound(pc, 1, TASK_BUDGET));
        uint256 taskId = _open(firstPrice, 1, 1);
        (address[] memory b, uint96[] memory p) = _three(pa, pb, pc);
        for (uint256 i; i < 3; ++i) {
            _commit(firstPrice, taskId, b[i], p[i]);
        }
        _toReveal(firstPrice, taskId);
        uint96 best = type(uint96).max;
        uint256 revealed;
        for (uint256 i; i < 3; ++i) {
            if (revealMask & (1 << i) != 0) {
                _reveal(firstPrice, taskId, b[i], p[i]);
                if (p[i] < best) best = p[i];
                ++revealed;
            }
        }
        _toFinalize(firstPrice, taskId);
        firstPrice.finalize(taskId);
        assertEq(firstPrice.forfeited(), (3 - revealed) * BID_COLLATERAL);
        uint256 bonds = firstPrice.bondOf(alice) + firstPrice.bondOf(bob) + firstPrice.bondOf(carol);
        assertEq(token.balanceOf(address(firstPrice)), bonds + firstPrice.forfeited());
        if (revealed == 0) {
            assertEq(taskRegistry.taskOf(taskId).assignedCount, 0);
            return;
        }
        uint256 winners;
        for (uint256 i; i < 3; ++i) {
            ITaskRegistry.Assignment memory a = taskRegistry.assignmentOf(taskId, b[i]);
            if (a.active) {
                ++winners;
                assertEq(a.price, p[i]);
                assertEq(p[i], best);
                assertTrue(revealMask & (1 << i) != 0);
            }
        }
        assertEq(winners, 1);
    }

    /// @dev Second price: every winner is assigned the same price, at least its bid, at most the reserve.
    function testFuzz_SecondPriceUniformAndIndividuallyRational(uint96 pa, uint96 pb, uint96 pc) public {
        uint256 taskId = _open(secondPrice, 1, 2);
        uint96 reserve = TASK_BUDGET / 2;
        pa = uint96(bound(pa, 1, reserve));
        pb = uint96(bound(pb, 1, reserve));
        pc = uint96(bound(pc, 1, reserve));
        (address[] memory b, uint96[] memory p) = _three(pa, pb, pc);
        _auction(secondPrice, taskId, b, p);
        uint96 max = pa > pb ? (pa > pc ? pa : pc) : (pb > pc ? pb : pc);
        uint256 winners;
        for (uint256 i; i < 3; ++i) {
            ITaskRegistry.Assignment memory a = taskRegistry.assignmentOf(taskId, b[i]);
            if (a.active) {
                ++winners;
                assertEq(a.price, max); // the (R+1)-th = third-lowest = highest of three
                assertGe(a.price, p[i]);
            }
        }
        assertEq(winners, 2);
    }
}
