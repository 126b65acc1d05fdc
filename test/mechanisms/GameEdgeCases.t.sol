// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAscendingPriceAuction} from "../../contracts/interfaces/IAscendingPriceAuction.sol";
import {ISealedBidAuction} from "../../contracts/interfaces/ISealedBidAuction.sol";
import {ITaskRegistry} from "../../contracts/interfaces/ITaskRegistry.sol";
import {TaskRequest, TaskStatus} from "../../contracts/types/Task.sol";
import {RouterFixture} from "./MechanismRouter.t.sol";

/// @notice Game edge cases that cross mechanisms, on the default deployment of every mechanism over one core
///         (the single-mechanism cases — sealed-bid no reveal / all reveal late / tie / one bidder / bid above
///         the reserve, election with an offline elected prover, order book with an empty book, tree with
///         every prover failing — are in each mechanism's own test file; see test/invariant/README.md).
contract GameEdgeCasesTest is RouterFixture {
    function setUp() public {
        deployRouter();
        registerProver(alice);
        registerProver(bob);
    }

    function _request(uint256 seed, address mechanism, address fallbackMechanism)
        internal
        view
        returns (TaskRequest memory r)
    {
        r = raceRequest(seed, 1);
        r.mechanism = mechanism;
        r.fallbackMechanism = fallbackMechanism;
        r.fallbackWindow = 1 hours;
    }

    /// @dev The registry's balance equals the credit of everyone involved (no task left live).
    function _assertSettled() internal view {
        address[4] memory all = [alice, bob, requester, treasury];
        uint256 credited;
        for (uint256 i; i < all.length; ++i) {
            credited += taskRegistry.claimable(all[i]);
        }
        assertEq(token.balanceOf(address(taskRegistry)), credited, "registry holds exactly the credits");
    }

    /// Ascending: a prover locks at the ramp's ceiling and vanishes. Expiry slashes its lock collateral and
    /// reopens the task under its fallback (the open race); the prover who covers earns the race payment plus
    /// the cover share of the slashed collateral; treasury and requester get the rest of the collateral.
    function test_Ascending_LockThenVanish_SlashedReopenedCovererEarnsCollateralShare() public {
        uint256 taskId = openTask(requester, _request(1, address(ascending), address(race)));
        vm.warp(block.timestamp + 30 minutes); // the ramp's end: the slot maximum
        vm.prank(alice);
        uint96 lockPrice = ascending.lock(taskId);
        assertEq(lockPrice, TASK_BUDGET);
        uint256 aliceStake = proverRegistry.proverOf(alice).stake;
        uint96 collateral = ascending.lockCollateral();

        // Alice never proves; nobody slashes her lock before the deadline: the registry's expiry does.
        vm.warp(taskRegistry.taskOf(taskId).deadline + 1);
        taskRegistry.expire(taskId);
        assertEq(aliceStake - proverRegistry.proverOf(alice).stake, collateral, "lock collateral slashed");
        assertEq(proverRegistry.recordOf(alice).missed, 1);
        assertEq(proverRegistry.proverOf(alice).locked, 0);
        assertEq(proverRegistry.proverOf(alice).activeAssignments, 0);

        ITaskRegistry.Task memory t = taskRegistry.taskOf(taskId);
        assertEq(uint8(t.status), uint8(TaskStatus.Open), "reopened");
        assertEq(t.mechanism, address(race));
        (, uint16 treasuryBps, uint16 coverBps) = taskRegistry.slashSplit();
        uint256 bounty = uint256(collateral) * coverBps / 10_000;
        uint256 toTreasury = uint256(collateral) * treasuryBps / 10_000;
        assertGt(bounty, 0);
        assertEq(t.coverBounty, bounty);
        assertEq(taskRegistry.claimable(treasury), toTreasury);
        assertEq(taskRegistry.claimable(requester), collateral - bounty - toTreasury);

        // Bob covers at once under the race (full payment at the reopen) and takes the bounty with it.
        uint256 racePay = race.paymentAt(taskRegistry.budgetOf(taskId), block.timestamp);
        assertEq(racePay, TASK_BUDGET);
        assertEq(prove(taskId, 1, bob), racePay + bounty, "coverer: race payment + part of the collateral");
        assertEq(uint8(taskRegistry.taskOf(taskId).status), uint8(TaskStatus.Fulfilled));
        assertEq(taskRegistry.taskOf(taskId).coverBounty, 0);
        // The stale lock pays nothing and cannot be slashed twice.
        vm.expectRevert(abi.encodeWithSelector(IAscendingPriceAuction.NoLock.selector, taskId, alice));
        ascending.slashLock(taskId, alice);
        _assertSettled();
    }

    /// Sealed-bid: the only bidder bids above the reserve. Its reveal refunds its collateral but the bid does
    /// not compete, so finalize assigns nobody; at the deadline the task falls back to the ascending auction,
    /// where a prover locks and proves it at the ramp price.
    function test_SealedBid_OnlyBidAboveReserve_NobodyWins_FallsBackToAscending() public {
        uint256 taskId = openTask(requester, _request(2, address(sealedBid), address(ascending)));
        ISealedBidAuction.Auction memory a = sealedBid.auctionOf(taskId);
        uint96 price = a.reserve + 1;
        bytes32 salt = keccak256("salt");
        fund(alice, sealedBid.bidCollateral());
        vm.startPrank(alice);
        token.approve(address(sealedBid), type(uint256).max);
        sealedBid.commitBid(taskId, sealedBid.commitmentOf(taskId, a.round, alice, price, salt));
        vm.stopPrank();

        (uint64 commitEnd, uint64 revealEnd) = sealedBid.windowsOf(taskId);
        vm.warp(commitEnd);
        vm.prank(alice);
        sealedBid.revealBid(taskId, price, salt);
        assertEq(sealedBid.bondOf(alice), sealedBid.bidCollateral(), "collateral back in the bond");
        assertEq(sealedBid.auctionOf(taskId).bids, 0, "not eligible");

        vm.warp(revealEnd);
        vm.expectEmit(address(sealedBid));
        emit ISealedBidAuction.AuctionFinalized(taskId, 0, 0);
        sealedBid.finalize(taskId);
        assertEq(taskRegistry.taskOf(taskId).assignedCount, 0);
        assertEq(sealedBid.forfeited(), 0, "a revealed bid forfeits nothing");

        // Nobody may prove under the sealed-bid round (no winner).
        bytes memory proof = proofOf(2, bob);
        uint256[] memory s = statement(2);
        vm.expectRevert(abi.encodeWithSelector(ISealedBidAuction.NotAWinner.selector, taskId, bob));
        vm.prank(bob);
        taskRegistry.submitProof(taskId, s, proof);

        vm.warp(taskRegistry.taskOf(taskId).deadline + 1);
        taskRegistry.expire(taskId);
        assertEq(taskRegistry.taskOf(taskId).mechanism, address(ascending), "fell back");
        assertEq(proverRegistry.recordOf(alice).missed, 0, "a bidder that never won is not slashed");

        vm.warp(block.timestamp + 15 minutes);
        uint96 expected = ascending.currentPrice(taskId);
        vm.prank(bob);
        assertEq(ascending.lock(taskId), expected);
        assertEq(prove(taskId, 2, bob), expected);
        assertEq(uint8(taskRegistry.taskOf(taskId).status), uint8(TaskStatus.Fulfilled));
        assertEq(taskRegistry.claimable(requester), TASK_BUDGET - expected);
        _assertSettled();
        assertEq(token.balanceOf(address(sealedBid)), sealedBid.bondOf(alice), "auction holds only the bond");
    }
}
