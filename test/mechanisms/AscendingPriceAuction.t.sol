// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAscendingPriceAuction} from "../../contracts/interfaces/IAscendingPriceAuction.sol";
import {IMechanism} from "../../contracts/interfaces/IMechanism.sol";
import {IProverRegistry} from "../../contracts/interfaces/IProverRegistry.sol";
import {ITaskRegistry} from "../../contracts/interfaces/ITaskRegistry.sol";
import {AscendingPriceAuction} from "../../contracts/mechanisms/AscendingPriceAuction.sol";
import {TaskRequest, TaskStatus} from "../../contracts/types/Task.sol";
import {MechanismDeployment} from "../../script/MechanismDeployment.sol";
import {Deployers} from "../utils/Deployers.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @notice Ascending-price lock auction against the real TaskRegistry and ProverRegistry.
contract AscendingPriceAuctionTest is Deployers, MechanismDeployment {
    uint16 internal constant FLOOR_BPS = 2000;
    uint32 internal constant RAMP = 10 minutes;
    uint32 internal constant LOCK_WINDOW = 15 minutes;
    uint96 internal constant LOCK_COLLATERAL = 20e18;

    AscendingPriceAuction internal auction;
    address internal outsider = makeAddr("outsider");

    function setUp() public {
        deployCore();
        auction = new AscendingPriceAuction(
            AscendingPriceAuction.Params({
                taskRegistry: ITaskRegistry(address(taskRegistry)),
                floorBps: FLOOR_BPS,
                rampPeriod: RAMP,
                lockWindow: LOCK_WINDOW,
                lockCollateral: LOCK_COLLATERAL
            })
        );
        taskRegistry.setMechanism(address(auction), true);
        registerProver(alice);
        registerProver(bob);
        registerProver(carol);
    }

    function _request(uint256 seed, uint8 redundancy) internal view returns (TaskRequest memory r) {
        r = raceRequest(seed, redundancy);
        r.mechanism = address(auction);
    }

    function _open(uint256 seed, uint8 redundancy) internal returns (uint256) {
        return openTask(requester, _request(seed, redundancy));
    }

    function _lock(uint256 taskId, address prover) internal returns (uint96) {
        vm.prank(prover);
        return auction.lock(taskId);
    }

    function _expectedPrice(uint256 ceiling, uint256 elapsed) internal pure returns (uint256) {
        uint256 floor = ceiling * FLOOR_BPS / 10_000;
        if (elapsed >= RAMP) return ceiling;
        return floor + (ceiling - floor) * elapsed / RAMP;
    }

    // ------------------------------------------------------------------ ramp

    function test_PriceRampsFromFloorToCeiling() public {
        uint256 taskId = _open(1, 1);
        uint256 start = block.timestamp;
        assertEq(auction.currentPrice(taskId), 20e18);
        vm.warp(start + RAMP / 2);
        assertEq(auction.currentPrice(taskId), 60e18);
        vm.warp(start + RAMP);
        assertEq(auction.currentPrice(taskId), 100e18);
        vm.warp(start + 10 * RAMP);
        assertEq(auction.currentPrice(taskId), 100e18);
    }

    function test_RampCeilingIsPerSlot() public {
        uint256 taskId = _open(1, 4);
        vm.warp(block.timestamp + RAMP);
        assertEq(auction.currentPrice(taskId), TASK_BUDGET / 4);
    }

    // ------------------------------------------------------------------ lock and prove

    function test_Lock_AssignsAtCurrentPriceAndLockerIsPaidIt() public {
        uint256 taskId = _open(1, 1);
        vm.warp(block.timestamp + RAMP / 4);
        uint96 price = _lock(taskId, alice);
        assertEq(price, 40e18);
        ITaskRegistry.Assignment memory a = taskRegistry.assignmentOf(taskId, alice);
        assertTrue(a.active);
        assertEq(a.price, 40e18);
        assertEq(a.collateral, LOCK_COLLATERAL);
        assertEq(proverRegistry.proverOf(alice).locked, LOCK_COLLATERAL);
        assertEq(auction.lockOf(taskId, alice).lockDeadline, block.timestamp + LOCK_WINDOW);

        // The price keeps ramping, but the locker is paid what it locked at.
        vm.warp(block.timestamp + RAMP);
        assertEq(prove(taskId, 1, alice), 40e18);
        assertEq(uint8(taskRegistry.taskOf(taskId).status), uint8(TaskStatus.Fulfilled));
        assertEq(taskRegistry.claimable(requester), TASK_BUDGET - 40e18);
        assertEq(proverRegistry.proverOf(alice).locked, 0);
        assertEq(auction.auctionOf(taskId).delivered, 1);
    }

    function test_LockerProvingAfterLockWindowBeforeSlashIsPaid() public {
        uint256 taskId = _open(1, 1);
        uint96 price = _lock(taskId, alice);
        vm.warp(block.timestamp + LOCK_WINDOW + 1);
        assertEq(prove(taskId, 1, alice), price);
    }

    function test_UnlockedProofPaysCurrentPrice() public {
        uint256 taskId = _open(1, 1);
        vm.warp(block.timestamp + RAMP / 2);
        vm.expectEmit(address(auction));
        emit IAscendingPriceAuction.UnlockedProof(taskId, bob, 60e18);
        assertEq(prove(taskId, 1, bob), 60e18);
        assertEq(proverRegistry.recordOf(bob).completed, 1);
    }

    function test_Redundancy_TwoLocksThenUnlockedRefused() public {
        uint256 taskId = _open(1, 2);
        _lock(taskId, alice);
        vm.warp(block.timestamp + RAMP);
        uint96 p2 = _lock(taskId, bob);
        assertEq(p2, 50e18);
        assertEq(uint8(taskRegistry.taskOf(taskId).status), uint8(TaskStatus.Assigned));
        bytes memory proof = proofOf(1, carol);
        uint256[] memory s = statement(1);
        vm.expectRevert(abi.encodeWithSelector(IAscendingPriceAuction.NoFreeSlot.selector, taskId));
        vm.prank(carol);
        taskRegistry.submitProof(taskId, s, proof);
        prove(taskId, 1, alice);
        prove(taskId, 1, bob);
        assertEq(uint8(taskRegistry.taskOf(taskId).status), uint8(TaskStatus.Fulfilled));
    }

    // ------------------------------------------------------------------ lapsed locks

    function test_SlashLock_CoverProverEarnsPricePlusBounty() public {
        uint256 taskId = _open(1, 1);
        vm.warp(block.timestamp + RAMP / 4);
        uint96 lockPrice = _lock(taskId, alice);
        vm.warp(block.timestamp + LOCK_WINDOW + 1);

        uint256 aliceStake = proverRegistry.proverOf(alice).stake;
        vm.expectEmit(address(auction));
        emit IAscendingPriceAuction.LockSlashed(taskId, alice, carol);
        vm.prank(carol);
        auction.slashLock(taskId, alice);
        assertEq(aliceStake - proverRegistry.proverOf(alice).stake, LOCK_COLLATERAL);
        assertEq(proverRegistry.recordOf(alice).missed, 1);
        ITaskRegistry.Task memory t = taskRegistry.taskOf(taskId);
        (, uint16 treasuryBps, uint16 coverBps) = taskRegistry.slashSplit();
        uint256 bounty = uint256(LOCK_COLLATERAL) * coverBps / 10_000;
        assertEq(t.coverBounty, bounty);
        assertEq(uint8(t.status), uint8(TaskStatus.Open));
        assertEq(auction.auctionOf(taskId).locked, 0);

        // The slot is free: the cover prover proves without a lock, at the current ramp price (≥ the
        // lapsed lock price), plus the bounty.
        uint256 price = auction.currentPrice(taskId);
        assertGe(price, lockPrice);
        uint256 paid = prove(taskId, 1, bob);
        assertEq(paid, price + bounty);
        // Conservation: requester gets the unpaid escrow and its share of the slash.
        uint256 toTreasury = uint256(LOCK_COLLATERAL) * treasuryBps / 10_000;
        assertEq(taskRegistry.claimable(requester), TASK_BUDGET - price + (LOCK_COLLATERAL - bounty - toTreasury));
    }

    function test_SlashLock_SlotCanBeLockedAgain() public {
        uint256 taskId = _open(1, 1);
        _lock(taskId, alice);
        vm.warp(block.timestamp + LOCK_WINDOW + 1);
        auction.slashLock(taskId, alice);
        uint96 p = _lock(taskId, bob);
        assertEq(p, 100e18);
        assertTrue(taskRegistry.assignmentOf(taskId, bob).active);
    }

    function test_ExpiryWithLiveLock_ReopensToSameInstanceFresh() public {
        TaskRequest memory r = _request(1, 1);
        r.fallbackMechanism = address(auction);
        r.fallbackWindow = 1 hours;
        uint256 taskId = openTask(requester, r);
        vm.warp(block.timestamp + TASK_DURATION - LOCK_WINDOW);
        _lock(taskId, alice);
        vm.warp(block.timestamp + LOCK_WINDOW + 1);
        taskRegistry.expire(taskId);
        assertEq(proverRegistry.recordOf(alice).missed, 1);
        IAscendingPriceAuction.Auction memory a = auction.auctionOf(taskId);
        assertEq(a.round, 2);
        assertEq(a.locked, 0);
        assertEq(auction.lockOf(taskId, alice).lockDeadline, 0);
        // Alice's old lock is stale: it cannot be slashed again, and the new round's price starts at the floor.
        vm.expectRevert(abi.encodeWithSelector(IAscendingPriceAuction.NoLock.selector, taskId, alice));
        auction.slashLock(taskId, alice);
        assertEq(auction.currentPrice(taskId), 20e18);
        _lock(taskId, bob);
        // The expiry slash's cover share carried over to the reopened task and goes to its prover.
        uint256 bounty = taskRegistry.taskOf(taskId).coverBounty;
        assertGt(bounty, 0);
        assertEq(prove(taskId, 1, bob), 20e18 + bounty);
    }

    /// @dev A race task (redundancy 2) that got one proof, then expired into this auction: only the missing
    ///      slot opens, priced within the unspent budget.
    function test_ReopenAfterPartialFulfilment_OnlyMissingSlotOpens() public {
        TaskRequest memory r = raceRequest(1, 2);
        r.fallbackMechanism = address(auction);
        r.fallbackWindow = 1 hours;
        uint256 taskId = openTask(requester, r);
        uint256 paid = prove(taskId, 1, carol);
        vm.warp(taskRegistry.taskOf(taskId).deadline + 1);
        taskRegistry.expire(taskId);

        IAscendingPriceAuction.Auction memory a = auction.auctionOf(taskId);
        assertEq(a.slots, 1);
        uint256 expectedMax = TASK_BUDGET - paid < TASK_BUDGET / 2 ? TASK_BUDGET - paid : TASK_BUDGET / 2;
        assertEq(a.slotMax, expectedMax);
        _lock(taskId, alice);
        bytes memory proof = proofOf(1, bob);
        uint256[] memory s = statement(1);
        vm.expectRevert(abi.encodeWithSelector(IAscendingPriceAuction.NoFreeSlot.selector, taskId));
        vm.prank(bob);
        taskRegistry.submitProof(taskId, s, proof);
        prove(taskId, 1, alice);
        assertEq(uint8(taskRegistry.taskOf(taskId).status), uint8(TaskStatus.Fulfilled));
    }

    // ------------------------------------------------------------------ reverts

    function test_RevertWhen_LockNoFreeSlot() public {
        uint256 taskId = _open(1, 1);
        _lock(taskId, alice);
        vm.expectRevert(abi.encodeWithSelector(IAscendingPriceAuction.NoFreeSlot.selector, taskId));
        _lock(taskId, bob);
    }

    function test_RevertWhen_LockPastDeadline() public {
        uint256 taskId = _open(1, 1);
        uint256 deadline = taskRegistry.taskOf(taskId).deadline;
        vm.warp(deadline - LOCK_WINDOW + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAscendingPriceAuction.LockPastDeadline.selector, taskId, block.timestamp + LOCK_WINDOW, deadline
            )
        );
        _lock(taskId, alice);
    }

    function test_RevertWhen_LockByUnregistered() public {
        uint256 taskId = _open(1, 1);
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.NotRegistered.selector, outsider));
        _lock(taskId, outsider);
        assertEq(auction.auctionOf(taskId).locked, 0);
    }

    function test_RevertWhen_LockWithoutFreeStake() public {
        uint256 taskId = _open(1, 1);
        vm.prank(alice);
        proverRegistry.requestUnstake(PROVER_STAKE - LOCK_COLLATERAL + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IProverRegistry.InsufficientFreeStake.selector, alice, LOCK_COLLATERAL, LOCK_COLLATERAL - 1
            )
        );
        _lock(taskId, alice);
    }

    function test_RevertWhen_LockTwiceBySameProver() public {
        uint256 taskId = _open(1, 2);
        _lock(taskId, alice);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.AlreadyAssigned.selector, taskId, alice));
        _lock(taskId, alice);
    }

    function test_RevertWhen_LockUnknownTask() public {
        vm.expectRevert(abi.encodeWithSelector(IAscendingPriceAuction.AuctionNotActive.selector, 42));
        _lock(42, alice);
    }

    function test_RevertWhen_LockAfterTaskClosed() public {
        uint256 taskId = _open(1, 1);
        vm.prank(requester);
        taskRegistry.cancelTask(taskId);
        vm.expectRevert(abi.encodeWithSelector(IAscendingPriceAuction.AuctionNotActive.selector, taskId));
        _lock(taskId, alice);
    }

    function test_RevertWhen_SlashLockBeforeLockDeadline() public {
        uint256 taskId = _open(1, 1);
        _lock(taskId, alice);
        uint256 lockDeadline = block.timestamp + LOCK_WINDOW;
        vm.warp(lockDeadline);
        vm.expectRevert(
            abi.encodeWithSelector(IAscendingPriceAuction.LockNotExpired.selector, taskId, alice, lockDeadline)
        );
        auction.slashLock(taskId, alice);
    }

    function test_RevertWhen_SlashLockWithoutLock() public {
        uint256 taskId = _open(1, 1);
        vm.expectRevert(abi.encodeWithSelector(IAscendingPriceAuction.NoLock.selector, taskId, bob));
        auction.slashLock(taskId, bob);
    }

    function test_RevertWhen_SlashLockAfterDelivery() public {
        uint256 taskId = _open(1, 2);
        _lock(taskId, alice);
        prove(taskId, 1, alice);
        vm.warp(block.timestamp + LOCK_WINDOW + 1);
        vm.expectRevert(abi.encodeWithSelector(IAscendingPriceAuction.NoLock.selector, taskId, alice));
        auction.slashLock(taskId, alice);
    }

    function test_RevertWhen_UnsupportedRedundancy() public {
        TaskRequest memory r = _request(1, 33);
        fund(requester, r.maxPayment);
        vm.expectRevert(abi.encodeWithSelector(IAscendingPriceAuction.UnsupportedRedundancy.selector, 33));
        vm.prank(requester);
        taskRegistry.createTask(r);
    }

    function test_RevertWhen_SlotMaxZero() public {
        TaskRequest memory r = _request(1, 3);
        r.maxPayment = 2;
        fund(requester, r.maxPayment);
        vm.expectRevert(abi.encodeWithSelector(IAscendingPriceAuction.SlotMaxZero.selector, 1, 2));
        vm.prank(requester);
        taskRegistry.createTask(r);
    }

    function test_RevertWhen_HookCalledByOther() public {
        vm.expectRevert(abi.encodeWithSelector(IMechanism.OnlyTaskRegistry.selector, address(this)));
        auction.onProofAccepted(1, alice, 0);
        vm.expectRevert(abi.encodeWithSelector(IMechanism.OnlyTaskRegistry.selector, address(this)));
        auction.onTaskClosed(1);
    }

    function test_RevertWhen_FloorAboveCeiling() public {
        vm.expectRevert(abi.encodeWithSelector(IAscendingPriceAuction.InvalidParameter.selector, "floorBps"));
        new AscendingPriceAuction(
            AscendingPriceAuction.Params({
                taskRegistry: ITaskRegistry(address(taskRegistry)),
                floorBps: 10_001,
                rampPeriod: RAMP,
                lockWindow: LOCK_WINDOW,
                lockCollateral: LOCK_COLLATERAL
            })
        );
    }

    function test_Profile() public view {
        IMechanism.Profile memory p = auction.profile();
        assertEq(p.kind, 3);
    }

    /// @dev The documented defaults deploy, are allow-listed, and run a task end to end (default lock
    ///      collateral 50 tokens fits the fixture's 1 000-token stake).
    function test_DefaultDeploymentRunsATask() public {
        AuctionMechanisms memory m = _deployAuctionMechanisms(
            ITaskRegistry(address(taskRegistry)),
            IProverRegistry(address(proverRegistry)),
            IERC20(address(token)),
            treasury
        );
        assertTrue(taskRegistry.isMechanism(address(m.sealedBidSecondPrice)));
        assertTrue(taskRegistry.isMechanism(address(m.sealedBidFirstPrice)));
        assertTrue(taskRegistry.isMechanism(address(m.electionRace)));
        assertTrue(m.sealedBidSecondPrice.secondPrice());
        assertFalse(m.sealedBidFirstPrice.secondPrice());
        TaskRequest memory r = raceRequest(7, 1);
        r.mechanism = address(m.ascending);
        uint256 taskId = openTask(requester, r);
        vm.warp(block.timestamp + DEFAULT_ASCENDING_RAMP_PERIOD);
        vm.prank(alice);
        assertEq(m.ascending.lock(taskId), TASK_BUDGET);
        assertEq(prove(taskId, 7, alice), TASK_BUDGET);
    }

    // ------------------------------------------------------------------ fuzz

    function testFuzz_LockPriceMatchesRampAndIsPaid(uint256 elapsed, uint96 budget) public {
        elapsed = bound(elapsed, 0, TASK_DURATION - LOCK_WINDOW);
        budget = uint96(bound(budget, 1, 1e30));
        TaskRequest memory r = _request(1, 1);
        r.maxPayment = budget;
        uint256 taskId = openTask(requester, r);
        vm.warp(block.timestamp + elapsed);
        uint96 price = _lock(taskId, alice);
        assertEq(price, _expectedPrice(budget, elapsed));
        assertEq(prove(taskId, 1, alice), price);
        assertEq(taskRegistry.claimable(requester), budget - price);
    }

    function testFuzz_PriceNonDecreasing(uint256 t1, uint256 t2) public {
        uint256 taskId = _open(1, 1);
        uint256 start = block.timestamp;
        t1 = bound(t1, 0, 2 * RAMP);
        t2 = bound(t2, t1, 2 * RAMP);
        vm.warp(start + t1);
        uint256 p1 = auction.currentPrice(taskId);
        vm.warp(start + t2);
        assertGe(auction.currentPrice(taskId), p1);
    }
}
