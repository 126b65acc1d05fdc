// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerAscendingPriceAuction} from "../../../contracts/interfaces/ILedgerAscendingPriceAuction.sol";
import {ILedgerMechanism} from "../../../contracts/interfaces/ILedgerMechanism.sol";
import {IMechanism} from "../../../contracts/interfaces/IMechanism.sol";
import {IProofVerifier} from "../../../contracts/interfaces/IProofVerifier.sol";
import {IProverRegistry} from "../../../contracts/interfaces/IProverRegistry.sol";
import {ITaskLedger} from "../../../contracts/interfaces/ITaskLedger.sol";
import {SlashSplit} from "../../../contracts/libraries/SlashSplit.sol";
import {LedgerAscendingPriceAuction} from "../../../contracts/mechanisms/ledger/LedgerAscendingPriceAuction.sol";
import {LedgerProofRace} from "../../../contracts/mechanisms/ledger/LedgerProofRace.sol";
import {LedgerRequest, LedgerTask, TaskWord} from "../../../contracts/types/LedgerTask.sol";
import {LedgerFixture} from "../LedgerFixture.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Vm} from "forge-std/Vm.sol";

/// @title LedgerAscendingPriceAuctionTest
/// @notice The ascending-price lock auction over the TaskLedger (real ledger, real ProverRegistry, the HashVerifier
///         test circuit), with the deployment's default parameters (floor 20 %, ramp 120 s, lock window 600 s, lock
///         collateral 50 tokens): the ramp, the lock and its payment, the lapsed lock (slash, cover bounty, lock
///         anew), concurrent locks, the deadline, stale copies, the hooks' caller, copied proofs, expiry and the
///         fallback reopen; differential fuzz of the ramp against a top-down reference; escrow conservation after
///         every step.
contract LedgerAscendingPriceAuctionTest is LedgerFixture {
    uint16 internal constant FLOOR_BPS = 2000;
    uint32 internal constant RAMP = 120;
    uint32 internal constant LOCK_WINDOW = 600;
    uint96 internal constant LOCK_COLLATERAL = 50e18;
    uint256 internal constant FLOOR = TASK_BUDGET * FLOOR_BPS / 10_000;

    LedgerAscendingPriceAuction internal auction;
    address internal dave = makeAddr("dave");

    function setUp() public {
        deployLedger();
        auction = _deploy(FLOOR_BPS, RAMP, LOCK_WINDOW, LOCK_COLLATERAL);
        ledger.setMechanism(address(auction), true);
        vm.label(address(auction), "LedgerAscendingPriceAuction");
        registerProver(alice);
        registerProver(bob);
        registerProver(carol);
    }

    /// Reference ramp, top-down: ceiling − ⌈(ceiling − floor)(period − elapsed)/period⌉ (512-bit mulDiv), which
    /// equals the library's floor + ⌊(ceiling − floor)·elapsed/period⌋.
    function referencePrice(uint256 ceiling, uint256 floorBps, uint256 start, uint256 period, uint256 at)
        internal
        pure
        returns (uint256)
    {
        uint256 floor = Math.mulDiv(ceiling, floorBps, 10_000);
        if (period == 0) return ceiling;
        uint256 elapsed = at > start ? at - start : 0;
        if (elapsed > period) elapsed = period;
        return ceiling - Math.mulDiv(ceiling - floor, period - elapsed, period, Math.Rounding.Ceil);
    }

    // ------------------------------------------------------------------ declaration

    function test_Hooks_DeclareNoFlagsAndRedundancyOne() public view {
        (uint8 flags, uint8 cap) = auction.hooks();
        assertEq(flags, 0, "no open, close or assigned-proof hook");
        assertEq(cap, 1, "locks are assignments, which need redundancy 1");
        (bool allowed, uint8 hookFlags, uint8 redundancyCap) = ledger.mechanismOf(address(auction));
        assertTrue(allowed);
        assertEq(hookFlags, 0);
        assertEq(redundancyCap, 1);
        assertEq(address(auction.ledger()), address(ledger));
        assertEq(auction.floorBps(), FLOOR_BPS);
        assertEq(auction.rampPeriod(), RAMP);
        assertEq(auction.lockWindow(), LOCK_WINDOW);
        assertEq(auction.lockCollateral(), LOCK_COLLATERAL);
    }

    function test_Profile() public view {
        IMechanism.Profile memory p = auction.profile();
        assertEq(p.kind, 3);
        assertEq(p.speed, 8);
        assertEq(p.cost, 6);
        assertEq(p.safety, 5);
        assertEq(p.censorshipResistance, 7);
    }

    function test_RevertWhen_TaskAsksForRedundancyAboveOne() public {
        LedgerRequest memory r = ledgerRequest(1, 2, address(auction));
        depositFor(requester, r.maxPayment);
        uint256 id = ledger.nextTaskId(requester);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.TooManyWinners.selector, id, 2, 1));
        vm.prank(requester);
        ledger.createTask(r);
    }

    function test_RevertWhen_InvalidParameters() public {
        vm.expectRevert(abi.encodeWithSelector(ILedgerAscendingPriceAuction.InvalidParameter.selector, "ledger"));
        new LedgerAscendingPriceAuction(
            ILedgerAscendingPriceAuction.Params({
                ledger: ITaskLedger(address(0)),
                floorBps: FLOOR_BPS,
                rampPeriod: RAMP,
                lockWindow: LOCK_WINDOW,
                lockCollateral: LOCK_COLLATERAL
            })
        );
        vm.expectRevert(abi.encodeWithSelector(ILedgerAscendingPriceAuction.InvalidParameter.selector, "floorBps"));
        _deploy(10_001, RAMP, LOCK_WINDOW, LOCK_COLLATERAL);
        vm.expectRevert(abi.encodeWithSelector(ILedgerAscendingPriceAuction.InvalidParameter.selector, "lockWindow"));
        _deploy(FLOOR_BPS, RAMP, 0, LOCK_COLLATERAL);
    }

    function test_RevertWhen_HookNotCalledByTheLedger() public {
        (uint256 id, LedgerTask memory t) = _open(1);
        vm.startPrank(bob);
        vm.expectRevert(abi.encodeWithSelector(ILedgerMechanism.OnlyTaskLedger.selector, bob));
        auction.onTaskOpened(id, t, "");
        vm.expectRevert(abi.encodeWithSelector(ILedgerMechanism.OnlyTaskLedger.selector, bob));
        auction.onProofAccepted(id, t, bob, 0);
        vm.expectRevert(abi.encodeWithSelector(ILedgerMechanism.OnlyTaskLedger.selector, bob));
        auction.onTaskClosed(id, t);
        vm.stopPrank();
        vm.startPrank(address(ledger));
        assertEq(auction.onTaskOpened(id, t, ""), 0, "never declared; answers the zero state");
        assertEq(auction.onProofAccepted(id, t, bob, 0), FLOOR);
        auction.onTaskClosed(id, t);
        vm.stopPrank();
    }

    // ------------------------------------------------------------------ ramp

    function test_PriceRampsFromFloorToCeiling() public {
        (, LedgerTask memory t) = _open(1);
        uint256 start = t.openedAt;
        assertEq(auction.currentPrice(t), FLOOR, "floor at the opening");
        assertEq(auction.priceAt(t, start - 1), FLOOR, "floor before it");
        assertEq(auction.priceAt(t, start + RAMP / 2), (FLOOR + TASK_BUDGET) / 2);
        assertEq(auction.priceAt(t, start + RAMP - 1), FLOOR + (TASK_BUDGET - FLOOR) * (RAMP - 1) / RAMP);
        assertEq(auction.priceAt(t, start + RAMP), TASK_BUDGET, "ceiling at the ramp's end");
        assertEq(auction.priceAt(t, start + 10 * RAMP), TASK_BUDGET, "and after");
    }

    function test_ZeroRampPeriodOffersTheCeilingAtOnce() public {
        LedgerAscendingPriceAuction flat = _deploy(FLOOR_BPS, 0, LOCK_WINDOW, LOCK_COLLATERAL);
        ledger.setMechanism(address(flat), true);
        (uint256 id, LedgerTask memory t) = openLedger(ledgerRequest(1, 1, address(flat)));
        assertEq(flat.currentPrice(t), TASK_BUDGET);
        assertEq(proveLedger(id, t, 1, alice), TASK_BUDGET);
        assertConserved();
    }

    // ------------------------------------------------------------------ lock

    /// A lock in the opening block takes the floor: the ledger assigns the locker (ProverAssigned carries the
    /// price, the collateral and the lock deadline as mechanismState) and the ProverRegistry locks its collateral.
    function test_Lock_AtTheStartOfTheRamp() public {
        (uint256 id, LedgerTask memory t) = _open(1);
        uint64 lockDeadline = uint64(block.timestamp + LOCK_WINDOW);
        vm.expectEmit(address(ledger));
        emit ITaskLedger.ProverAssigned(id, alice, uint96(FLOOR), LOCK_COLLATERAL, lockDeadline);
        vm.prank(alice);
        (uint96 price, uint64 returnedDeadline) = auction.lock(id, t);
        assertEq(price, FLOOR);
        assertEq(returnedDeadline, lockDeadline);
        LedgerTask memory n = _locked(id, t, alice, price, lockDeadline);
        assertTrue(ledger.taskWord(id).matches(ledger.hashTask(n)), "the word is the locked task");
        assertEq(auction.lockDeadlineOf(n), lockDeadline);
        assertEq(auction.lockDeadlineOf(t), 0, "an unlocked task has no lock deadline");
        assertEq(proverRegistry.proverOf(alice).locked, LOCK_COLLATERAL);
        assertEq(proverRegistry.proverOf(alice).activeAssignments, 1);
        assertConserved();
    }

    function test_Lock_AtTheEndOfTheRamp() public {
        (uint256 id, LedgerTask memory t) = _open(1);
        vm.warp(uint256(t.openedAt) + RAMP);
        (uint96 price, uint64 lockDeadline) = _lock(id, t, alice);
        assertEq(price, TASK_BUDGET);
        _locked(id, t, alice, price, lockDeadline);
        assertConserved();
    }

    function test_Lock_AfterTheRampEndedTakesTheMax() public {
        (uint256 id, LedgerTask memory t) = _open(1);
        vm.warp(uint256(t.openedAt) + 2000);
        (uint96 price, uint64 lockDeadline) = _lock(id, t, alice);
        assertEq(price, TASK_BUDGET);
        LedgerTask memory n = _locked(id, t, alice, price, lockDeadline);
        assertEq(proveLedger(id, n, 1, alice), TASK_BUDGET);
        assertEq(ledger.balanceOf(requester), 0);
        assertConserved();
    }

    /// The locker is paid its locked price by the ledger without a call to the auction (no HOOK_ASSIGNED_PROOF),
    /// its collateral is released, and the slot's rest goes back to the requester.
    function test_LockerIsPaidItsLockedPrice() public {
        (uint256 id, LedgerTask memory t) = _open(1);
        vm.warp(block.timestamp + RAMP / 2);
        (uint96 price, uint64 lockDeadline) = _lock(id, t, alice);
        assertEq(price, (FLOOR + TASK_BUDGET) / 2);
        LedgerTask memory n = _locked(id, t, alice, price, lockDeadline);
        vm.warp(block.timestamp + 300);
        vm.expectCall(address(auction), abi.encodeWithSelector(ILedgerMechanism.onProofAccepted.selector), 0);
        assertEq(proveLedger(id, n, 1, alice), price, "the locked price, not the ramp's current one");
        assertEq(ledger.balanceOf(requester), TASK_BUDGET - price);
        assertEq(proverRegistry.proverOf(alice).locked, 0, "collateral released");
        assertEq(proverRegistry.proverOf(alice).activeAssignments, 0);
        assertEq(TaskWord.unwrap(ledger.taskWord(id)), 0);
        assertConserved();
    }

    /// Nobody slashed the lapsed lock: the locker still proves and is paid its price (the stored rule).
    function test_LockerProvingAfterTheLockDeadlineBeforeASlashIsPaid() public {
        (uint256 id, LedgerTask memory t) = _open(1);
        (uint96 price, uint64 lockDeadline) = _lock(id, t, alice);
        LedgerTask memory n = _locked(id, t, alice, price, lockDeadline);
        vm.warp(uint256(lockDeadline) + 100);
        assertEq(proveLedger(id, n, 1, alice), FLOOR);
        assertConserved();
    }

    function test_Lock_MinCollateralRaisesTheCollateral() public {
        LedgerRequest memory r = _request(1);
        r.minCollateral = 80e18;
        (uint256 id, LedgerTask memory t) = openLedger(r);
        assertEq(auction.collateralOf(t), 80e18);
        vm.prank(alice);
        auction.lock(id, t);
        assertEq(proverRegistry.proverOf(alice).locked, 80e18);
        r = _request(2);
        r.minCollateral = 10e18;
        (, LedgerTask memory low) = openLedger(r);
        assertEq(auction.collateralOf(low), LOCK_COLLATERAL, "a lower floor leaves the instance's collateral");
    }

    /// Two provers lock the same `LedgerTask` copy: the first lands; the second, built on the copy the first
    /// changed, is stale. With the current copy (rebuilt from ProverAssigned) it is AlreadyAssigned.
    function test_RevertWhen_TwoProversLockTheSameTask() public {
        (uint256 id, LedgerTask memory t) = _open(1);
        (uint96 price, uint64 lockDeadline) = _lock(id, t, alice);
        LedgerTask memory n = _locked(id, t, alice, price, lockDeadline);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.StaleTask.selector, id));
        vm.prank(bob);
        auction.lock(id, t);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.AlreadyAssigned.selector, id, alice));
        vm.prank(bob);
        auction.lock(id, n);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.AlreadyAssigned.selector, id, alice));
        vm.prank(alice);
        auction.lock(id, n);
        assertEq(proverRegistry.proverOf(bob).locked, 0);
        assertConserved();
    }

    /// A lock must end by the task's deadline: the last second to lock is deadline − lockWindow.
    function test_RevertWhen_LockPastTheDeadline() public {
        (uint256 id, LedgerTask memory t) = _open(1);
        vm.warp(uint256(t.deadline) - LOCK_WINDOW + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                ILedgerAscendingPriceAuction.LockPastDeadline.selector, id, block.timestamp + LOCK_WINDOW, t.deadline
            )
        );
        vm.prank(alice);
        auction.lock(id, t);

        vm.warp(uint256(t.deadline) - LOCK_WINDOW);
        (uint96 price, uint64 lockDeadline) = _lock(id, t, alice);
        assertEq(lockDeadline, t.deadline, "a lock ending at the deadline is allowed");
        _locked(id, t, alice, price, lockDeadline);
        assertConserved();
    }

    function test_RevertWhen_LockAfterTheTaskDeadline() public {
        (uint256 id, LedgerTask memory t) = _open(1);
        vm.warp(uint256(t.deadline) + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                ILedgerAscendingPriceAuction.LockPastDeadline.selector, id, block.timestamp + LOCK_WINDOW, t.deadline
            )
        );
        vm.prank(alice);
        auction.lock(id, t);
    }

    function test_RevertWhen_LockByAnUnregisteredProver() public {
        (uint256 id, LedgerTask memory t) = _open(1);
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.NotRegistered.selector, dave));
        vm.prank(dave);
        auction.lock(id, t);
    }

    function test_RevertWhen_LockWithoutFreeStake() public {
        LedgerRequest memory r = _request(1);
        r.minCollateral = uint96(PROVER_STAKE + 1);
        (uint256 id, LedgerTask memory t) = openLedger(r);
        vm.expectRevert(
            abi.encodeWithSelector(
                IProverRegistry.InsufficientFreeStake.selector, alice, PROVER_STAKE + 1, PROVER_STAKE
            )
        );
        vm.prank(alice);
        auction.lock(id, t);
    }

    function test_RevertWhen_LockAtCapacity() public {
        registerProver(dave, PROVER_STAKE, 1);
        (uint256 id, LedgerTask memory t) = _open(1);
        _lock(id, t, dave);
        (uint256 id2, LedgerTask memory t2) = _open(2);
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.CapacityExceeded.selector, dave, 1));
        vm.prank(dave);
        auction.lock(id2, t2);
    }

    function test_RevertWhen_LockATaskOfAnotherMechanism() public {
        (uint256 id, LedgerTask memory t) = openRace(1, 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.OnlyTaskMechanism.selector, address(auction), id));
        vm.prank(alice);
        auction.lock(id, t);
    }

    function test_RevertWhen_LockAClosedTask() public {
        (uint256 id, LedgerTask memory t) = _open(1);
        proveLedger(id, t, 1, bob);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.StaleTask.selector, id));
        vm.prank(alice);
        auction.lock(id, t);
    }

    function test_RevertWhen_AnotherProverProvesALockedTask() public {
        (uint256 id, LedgerTask memory t) = _open(1);
        (uint96 price, uint64 lockDeadline) = _lock(id, t, alice);
        LedgerTask memory n = _locked(id, t, alice, price, lockDeadline);
        bytes memory proof = proofOf(1, bob);
        uint256[] memory s = statement(1);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.AssignedToOther.selector, id, alice));
        vm.prank(bob);
        ledger.submitProof(id, n, s, proof);
    }

    // ------------------------------------------------------------------ proofs without a lock

    function test_UnlockedProofPaysTheCurrentPrice() public {
        (uint256 id, LedgerTask memory t) = _open(1);
        vm.warp(block.timestamp + 30);
        uint256 expected = FLOOR + (TASK_BUDGET - FLOOR) * 30 / RAMP;
        assertEq(proveLedger(id, t, 1, bob), expected);
        assertEq(ledger.balanceOf(requester), TASK_BUDGET - expected);
        assertEq(proverRegistry.proverOf(bob).locked, 0, "no collateral without a lock");
        assertConserved();
    }

    /// bob copies alice's proof from the mempool: it verifies only with alice's address, so it fails.
    function test_RevertWhen_ProofIsStolenFromTheMempool() public {
        (uint256 id, LedgerTask memory t) = _open(1);
        bytes memory aliceProof = proofOf(1, alice);
        uint256[] memory s = statement(1);
        vm.expectRevert(IProofVerifier.InvalidProof.selector);
        vm.prank(bob);
        ledger.submitProof(id, t, s, aliceProof);
        vm.prank(alice);
        assertEq(ledger.submitProof(id, t, s, aliceProof), FLOOR);
        assertEq(ledger.balanceOf(bob), 0);
        assertConserved();
    }

    // ------------------------------------------------------------------ lapsed lock

    /// Lock, then vanish: after the lock deadline anyone slashes; the collateral is split treasury / cover bounty /
    /// requester, the task is free again, and a cover prover without a lock earns the current ramp price plus the
    /// cover share.
    function test_LapsedLock_SlashedAndACoverProverEarnsThePriceAndTheBounty() public {
        (uint256 id, LedgerTask memory t) = _open(1);
        (uint96 price, uint64 lockDeadline) = _lock(id, t, alice);
        LedgerTask memory n = _locked(id, t, alice, price, lockDeadline);
        vm.warp(uint256(lockDeadline) + 1);
        (uint256 toTreasury, uint256 toCover, uint256 toRequester) = SlashSplit.split(LOCK_COLLATERAL, 2000, 5000);
        vm.expectEmit(address(ledger));
        emit ITaskLedger.AssignmentSlashed(id, alice, LOCK_COLLATERAL, toTreasury, toCover, toRequester, 0);
        vm.prank(carol);
        auction.slashLock(id, n);
        LedgerTask memory free = slashedVersion(n, toCover, 0);
        track(id, free);
        assertTrue(ledger.taskWord(id).matches(ledger.hashTask(free)), "unlocked, the bounty in the task");
        assertEq(proverRegistry.proverOf(alice).stake, PROVER_STAKE - LOCK_COLLATERAL);
        assertEq(proverRegistry.proverOf(alice).locked, 0);
        assertEq(proverRegistry.recordOf(alice).missed, 1);
        assertEq(ledger.balanceOf(treasury), toTreasury);
        assertEq(ledger.balanceOf(requester), toRequester);
        assertEq(ledger.balanceOf(carol), 0, "the slasher earns nothing; the cover prover does");
        assertConserved();

        // The ramp has reached its ceiling by now (the lock window is longer than the ramp).
        assertEq(proveLedger(id, free, 1, bob), TASK_BUDGET + toCover);
        assertEq(ledger.balanceOf(requester), toRequester, "the whole slot paid");
        assertEq(TaskWord.unwrap(ledger.taskWord(id)), 0);
        assertConserved();
    }

    /// After the slash the task may be locked anew, at the current price, and the new locker's proof fulfils it
    /// and takes the bounty.
    function test_LapsedLock_TaskCanBeLockedAgain() public {
        (uint256 id, LedgerTask memory t) = _open(1);
        (uint96 price, uint64 lockDeadline) = _lock(id, t, alice);
        LedgerTask memory n = _locked(id, t, alice, price, lockDeadline);
        vm.warp(uint256(lockDeadline) + 1);
        auction.slashLock(id, n);
        (, uint256 toCover, uint256 toRequester) = SlashSplit.split(LOCK_COLLATERAL, 2000, 5000);
        LedgerTask memory free = slashedVersion(n, toCover, 0);
        track(id, free);
        (uint96 second, uint64 secondDeadline) = _lock(id, free, bob);
        assertEq(second, TASK_BUDGET, "the ramp does not restart within the round");
        LedgerTask memory m = _locked(id, free, bob, second, secondDeadline);
        assertConserved();
        assertEq(proveLedger(id, m, 1, bob), TASK_BUDGET + toCover);
        assertEq(ledger.balanceOf(requester), toRequester);
        assertConserved();
    }

    function test_RevertWhen_SlashLockBeforeTheLockDeadline() public {
        (uint256 id, LedgerTask memory t) = _open(1);
        (uint96 price, uint64 lockDeadline) = _lock(id, t, alice);
        LedgerTask memory n = _locked(id, t, alice, price, lockDeadline);
        vm.warp(lockDeadline);
        vm.expectRevert(
            abi.encodeWithSelector(ILedgerAscendingPriceAuction.LockNotExpired.selector, id, alice, lockDeadline)
        );
        auction.slashLock(id, n);
    }

    function test_RevertWhen_SlashLockWithoutALock() public {
        (uint256 id, LedgerTask memory t) = _open(1);
        vm.expectRevert(abi.encodeWithSelector(ILedgerAscendingPriceAuction.NoLock.selector, id));
        auction.slashLock(id, t);
    }

    function test_RevertWhen_SlashLockAfterDelivery() public {
        (uint256 id, LedgerTask memory t) = _open(1);
        (uint96 price, uint64 lockDeadline) = _lock(id, t, alice);
        LedgerTask memory n = _locked(id, t, alice, price, lockDeadline);
        proveLedger(id, n, 1, alice);
        vm.warp(uint256(lockDeadline) + 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.StaleTask.selector, id));
        auction.slashLock(id, n);
    }

    /// A forged copy whose lock deadline was moved into the past is refused by the ledger, not slashed.
    function test_RevertWhen_SlashLockWithAForgedLockDeadline() public {
        (uint256 id, LedgerTask memory t) = _open(1);
        (uint96 price, uint64 lockDeadline) = _lock(id, t, alice);
        LedgerTask memory forged = _locked(id, t, alice, price, lockDeadline);
        forged.mechanismState = uint64(block.timestamp);
        vm.warp(block.timestamp + 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.StaleTask.selector, id));
        auction.slashLock(id, forged);
        assertEq(proverRegistry.proverOf(alice).locked, LOCK_COLLATERAL);
    }

    // ------------------------------------------------------------------ expiry and fallback

    function test_Expire_UnlockedTaskRefundsTheBudget() public {
        (uint256 id, LedgerTask memory t) = _open(1);
        vm.warp(uint256(t.deadline) + 1);
        vm.expectEmit(address(ledger));
        emit ITaskLedger.TaskExpiredFinal(id, TASK_BUDGET);
        ledger.expire(id, t);
        assertEq(ledger.balanceOf(requester), TASK_BUDGET);
        assertConserved();
    }

    /// A lock still live at the deadline is slashed by the expiry; with no fallback the requester gets the budget
    /// back with the cover and requester shares.
    function test_Expire_WithALiveLockSlashesAndRefunds() public {
        (uint256 id, LedgerTask memory t) = _open(1);
        vm.warp(uint256(t.deadline) - LOCK_WINDOW);
        (uint96 price, uint64 lockDeadline) = _lock(id, t, alice);
        LedgerTask memory n = _locked(id, t, alice, price, lockDeadline);
        vm.warp(uint256(t.deadline) + 1);
        ledger.expire(id, n);
        (uint256 toTreasury, uint256 toCover, uint256 toRequester) = SlashSplit.split(LOCK_COLLATERAL, 2000, 5000);
        assertEq(ledger.balanceOf(requester), TASK_BUDGET + toCover + toRequester);
        assertEq(ledger.balanceOf(treasury), toTreasury);
        assertEq(proverRegistry.proverOf(alice).stake, PROVER_STAKE - LOCK_COLLATERAL);
        assertConserved();
    }

    /// Expiry with a live lock, reopened to the same instance as the fallback: the lock is gone (slashed), the
    /// ramp restarts at the reopen, and the new locker's proof takes the carried-over cover bounty.
    function test_Fallback_ReopenToTheSameInstanceRestartsTheRamp() public {
        LedgerRequest memory r = _request(1);
        r.fallbackMechanism = address(auction);
        r.fallbackWindow = 1200;
        (uint256 id, LedgerTask memory t) = openLedger(r);
        vm.warp(block.timestamp + 1000);
        (uint96 price, uint64 lockDeadline) = _lock(id, t, alice);
        LedgerTask memory n = _locked(id, t, alice, price, lockDeadline);
        vm.warp(uint256(t.deadline) + 1);
        vm.recordLogs();
        ledger.expire(id, n);
        LedgerTask memory re = _lastReopened();
        track(id, re);
        assertEq(re.assignee, address(0), "no lock survives the reopen");
        assertEq(re.openedAt, block.timestamp);
        assertEq(auction.currentPrice(re), FLOOR, "the ramp restarts");
        assertConserved();

        (uint96 second, uint64 secondDeadline) = _lock(id, re, bob);
        assertEq(second, FLOOR);
        LedgerTask memory m = _locked(id, re, bob, second, secondDeadline);
        (, uint256 toCover, uint256 toRequester) = SlashSplit.split(LOCK_COLLATERAL, 2000, 5000);
        assertEq(proveLedger(id, m, 1, bob), FLOOR + toCover);
        assertEq(ledger.balanceOf(requester), toRequester + TASK_BUDGET - FLOOR);
        assertConserved();
    }

    /// A redundancy-2 race that got one of its proofs expires into the auction: only the missing slot is open,
    /// priced on a ramp of the slot (maxPayment / 2). It cannot be locked (the ledger assigns redundancy-1 tasks
    /// only) but is proven without a lock.
    function test_Fallback_RedundantTaskIsProvenWithoutALock() public {
        LedgerProofRace race2 = new LedgerProofRace(
            ledger, 4, 10_000, 0, IMechanism.Profile({kind: 1, speed: 9, cost: 4, safety: 3, censorshipResistance: 9})
        );
        ledger.setMechanism(address(race2), true);
        LedgerRequest memory r = ledgerRequest(1, 2, address(race2));
        r.fallbackMechanism = address(auction);
        r.fallbackWindow = 1200;
        (uint256 id, LedgerTask memory t) = openLedger(r);
        assertEq(proveLedger(id, t, 1, alice), TASK_BUDGET / 2);
        vm.warp(uint256(t.deadline) + 1);
        vm.recordLogs();
        ledger.expire(id, t);
        LedgerTask memory re = _lastReopened();
        track(id, re);
        uint256 slotFloor = TASK_BUDGET / 2 * FLOOR_BPS / 10_000;
        assertEq(auction.currentPrice(re), slotFloor);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.AssignmentNeedsRedundancyOne.selector, id, 2));
        vm.prank(bob);
        auction.lock(id, re);
        vm.warp(block.timestamp + RAMP);
        assertEq(proveLedger(id, re, 1, bob), TASK_BUDGET / 2, "the slot's ceiling after the ramp");
        assertEq(TaskWord.unwrap(ledger.taskWord(id)), 0);
        assertConserved();
    }

    function test_Cancel_OnlyBeforeALock() public {
        (uint256 id, LedgerTask memory t) = _open(1);
        (uint96 price, uint64 lockDeadline) = _lock(id, t, alice);
        LedgerTask memory n = _locked(id, t, alice, price, lockDeadline);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.CannotCancel.selector, id));
        vm.prank(requester);
        ledger.cancelTask(id, n);
        (uint256 id2, LedgerTask memory t2) = _open(2);
        vm.prank(requester);
        ledger.cancelTask(id2, t2);
        assertEq(ledger.balanceOf(requester), TASK_BUDGET);
        assertConserved();
    }

    // ------------------------------------------------------------------ fuzz

    /// Lock at any time a lock can end by the deadline: the price is the reference ramp's, and it is what the
    /// locker is paid; the requester gets exactly the rest.
    function testFuzz_LockPriceMatchesTheReferenceAndIsPaid(uint256 elapsed, uint96 budget) public {
        elapsed = bound(elapsed, 0, TASK_DURATION - LOCK_WINDOW);
        budget = uint96(bound(budget, 1, 1e30));
        LedgerRequest memory r = _request(1);
        r.maxPayment = budget;
        (uint256 id, LedgerTask memory t) = openLedger(r);
        vm.warp(block.timestamp + elapsed);
        (uint96 price, uint64 lockDeadline) = _lock(id, t, alice);
        assertEq(price, referencePrice(budget, FLOOR_BPS, t.openedAt, RAMP, block.timestamp));
        LedgerTask memory n = _locked(id, t, alice, price, lockDeadline);
        assertEq(proveLedger(id, n, 1, alice), price);
        assertEq(ledger.balanceOf(requester), budget - price);
        assertConserved();
    }

    /// The ramp of any instance and any task against the reference, and non-decreasing in time.
    function testFuzz_PriceMatchesTheReference(
        uint96 budget,
        uint8 redundancy,
        uint16 floorBps,
        uint32 rampPeriod,
        uint32 openedAt,
        uint32 at,
        uint32 later
    ) public {
        redundancy = uint8(bound(redundancy, 1, 255));
        floorBps = uint16(bound(floorBps, 0, 10_000));
        LedgerAscendingPriceAuction a = _deploy(floorBps, rampPeriod, LOCK_WINDOW, LOCK_COLLATERAL);
        LedgerTask memory t;
        t.maxPayment = budget;
        t.redundancy = redundancy;
        t.openedAt = openedAt;
        uint256 price = a.priceAt(t, at);
        assertEq(price, referencePrice(uint256(budget) / redundancy, floorBps, openedAt, rampPeriod, at));
        later = uint32(bound(later, at, type(uint32).max));
        assertGe(a.priceAt(t, later), price, "non-decreasing");
        assertLe(price, uint256(budget) / redundancy, "never above the slot");
    }

    /// Random lives of a few tasks (lock or not, prove, let the lock lapse and slash it, cover, expire): after every
    /// step the ledger's balance is Σ credits + Σ live escrow.
    function testFuzz_EscrowIsConserved(uint256 seed) public {
        for (uint256 k; k < 4; ++k) {
            uint256 choice = uint256(keccak256(abi.encode(seed, k)));
            (uint256 id, LedgerTask memory t) = _open(10 + k);
            vm.warp(block.timestamp + choice % 200);
            if (choice & 0x100 != 0) {
                address locker = k % 2 == 0 ? alice : bob;
                (uint96 price, uint64 lockDeadline) = _lock(id, t, locker);
                t = _locked(id, t, locker, price, lockDeadline);
                assertConserved();
                if (choice & 0x200 != 0) {
                    proveLedger(id, t, 10 + k, locker);
                    assertConserved();
                    continue;
                }
                vm.warp(uint256(lockDeadline) + 1 + (choice >> 16) % 100);
                if (choice & 0x400 != 0) {
                    (, uint256 toCover,) = SlashSplit.split(LOCK_COLLATERAL, 2000, 5000);
                    auction.slashLock(id, t);
                    t = slashedVersion(t, toCover, 0);
                    track(id, t);
                    assertConserved();
                }
            }
            if (choice & 0x800 != 0 && block.timestamp <= t.deadline && t.assignee == address(0)) {
                proveLedger(id, t, 10 + k, carol);
            } else {
                vm.warp(uint256(t.deadline) + 1);
                ledger.expire(id, t);
            }
            assertConserved();
        }
    }

    // ------------------------------------------------------------------ helpers

    function _deploy(uint16 floorBps, uint32 rampPeriod, uint32 lockWindow, uint96 lockCollateral)
        internal
        returns (LedgerAscendingPriceAuction)
    {
        return new LedgerAscendingPriceAuction(
            ILedgerAscendingPriceAuction.Params({
                ledger: ledger,
                floorBps: floorBps,
                rampPeriod: rampPeriod,
                lockWindow: lockWindow,
                lockCollateral: lockCollateral
            })
        );
    }

    function _request(uint256 seed) internal view returns (LedgerRequest memory) {
        return ledgerRequest(seed, 1, address(auction));
    }

    function _open(uint256 seed) internal returns (uint256, LedgerTask memory) {
        return openLedger(_request(seed));
    }

    function _lock(uint256 id, LedgerTask memory t, address prover) internal returns (uint96, uint64) {
        vm.prank(prover);
        return auction.lock(id, t);
    }

    /// @dev `t` as the ledger holds it after `prover`'s lock (tracked for the conservation check).
    function _locked(uint256 id, LedgerTask memory t, address prover, uint96 price, uint64 lockDeadline)
        internal
        returns (LedgerTask memory n)
    {
        n = withAssignment(t, prover, price, auction.collateralOf(t), lockDeadline);
        track(id, n);
    }

    /// @dev The task of the last TaskReopened among the recorded logs (vm.recordLogs before the expiry).
    function _lastReopened() internal returns (LedgerTask memory n) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i = logs.length; i > 0; --i) {
            if (logs[i - 1].topics[0] == ITaskLedger.TaskReopened.selector) {
                return abi.decode(logs[i - 1].data, (LedgerTask));
            }
        }
        fail();
    }
}
