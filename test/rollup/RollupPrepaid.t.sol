// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MechanismRouter} from "../../contracts/MechanismRouter.sol";
import {IRollup} from "../../contracts/interfaces/IRollup.sol";
import {IRouterInstances} from "../../contracts/interfaces/IRouterInstances.sol";
import {RollupTestBase} from "./RollupTestBase.sol";

/// @title RollupPrepaidTest
/// @notice The Rollup's books since the pool is parked in the TaskRegistry (docs/rollup.md, "Fees"): root tasks
///         are escrowed from the Rollup's registry balance, refunds count in the pool as soon as the registry
///         credits them, sequencer payouts draw on the registry balance when the loose tokens fall short, loose
///         tokens are parked again by the next request or by `sweepRefunds`, and the router path (which pulls
///         the escrow from the Rollup's own balance) withdraws the registry balance first. Also: the header ring
///         is pre-filled at deployment.
contract RollupPrepaidTest is RollupTestBase {
    function test_RequestEscrowsFromTheRegistryBalance() public {
        uint256 registryBefore = token.balanceOf(address(taskRegistry));
        IRollup.BlockHeader memory h = postAndRequest(0);
        uint256 budget = BLOCK_REWARD - h.sequencerReward;
        assertEq(token.balanceOf(address(taskRegistry)), registryBefore, "no token moved");
        assertEq(taskRegistry.claimable(address(rollup)), POOL_FUNDING - budget);
        assertEq(taskRegistry.taskOf(h.taskId).maxPayment, budget);
        assertEq(rollup.rewardPool(), POOL_FUNDING - BLOCK_REWARD, "the sequencer share stays reserved");
        assertEq(rollup.pendingRewards(), h.sequencerReward);
    }

    function test_RefundsCountInThePoolWithoutASweep() public {
        IRollup.BlockHeader memory h = postAndRequest(0);
        vm.warp(block.timestamp + PROOF_WINDOW / 2); // the race pays less than the budget
        uint256 paid = proveBlock(h, 0, 0);
        uint256 budget = BLOCK_REWARD - h.sequencerReward;
        assertLt(paid, budget);
        assertEq(rollup.rewardPool(), POOL_FUNDING - BLOCK_REWARD + (budget - paid), "the refund is in the pool");
        vm.expectRevert(IRollup.NothingToSweep.selector);
        rollup.sweepRefunds();
    }

    function test_SequencerPayoutDrawsOnTheRegistryAndTheNextRequestParksTheRest() public {
        IRollup.BlockHeader memory h1 = postAndRequest(0);
        uint256 paid = proveBlock(h1, 0, 0);
        rollup.finalize(one(h1));
        uint256 pool = rollup.rewardPool();
        assertEq(rollup.claimable(sequencer), h1.sequencerReward);

        vm.prank(sequencer);
        assertEq(rollup.withdraw(), h1.sequencerReward);
        assertEq(token.balanceOf(sequencer), h1.sequencerReward);
        assertEq(taskRegistry.claimable(address(rollup)), 0, "the registry balance was withdrawn");
        assertEq(token.balanceOf(address(rollup)), pool, "the rest is loose");
        assertEq(rollup.rewardPool(), pool, "and still in the pool");
        assertEq(POOL_FUNDING, pool + h1.sequencerReward + paid, "every token accounted for");

        IRollup.BlockHeader memory h2 = postAndRequest(1);
        assertEq(token.balanceOf(address(rollup)), 0, "the request parked the loose tokens again");
        assertEq(taskRegistry.claimable(address(rollup)), pool - (BLOCK_REWARD - h2.sequencerReward));
        assertEq(rollup.rewardPool(), pool - BLOCK_REWARD);
    }

    function test_SweepParksLooseTokens() public {
        IRollup.BlockHeader memory h1 = postAndRequest(0);
        proveBlock(h1, 0, 0);
        rollup.finalize(one(h1));
        vm.prank(sequencer);
        rollup.withdraw();
        uint256 loose = token.balanceOf(address(rollup));
        assertGt(loose, 0);

        vm.expectEmit(address(rollup));
        emit IRollup.RefundsSwept(loose);
        assertEq(rollup.sweepRefunds(), loose);
        assertEq(token.balanceOf(address(rollup)), 0);
        assertEq(taskRegistry.claimable(address(rollup)), loose);
    }

    function test_TokensSentToTheRollupJoinThePool() public {
        fund(address(this), 5e18);
        assertTrue(token.transfer(address(rollup), 5e18));
        assertEq(rollup.rewardPool(), POOL_FUNDING + 5e18);
    }

    /// The pool excludes what is reserved and credited: a block reward that only the reserved rewards could
    /// cover is refused.
    function test_RevertWhen_OnlyReservedRewardsCouldPayTheBlock() public {
        IRollup.Config memory c = defaultConfig();
        // forge-lint: disable-next-line(unsafe-typecast) 500e18 fits a uint96
        c.blockReward = uint96(POOL_FUNDING / 2) + 1;
        rollup.setConfig(c);
        IRollup.BlockHeader memory h1 = postAndRequest(0); // reserves the first block's sequencer share
        uint256 pool = POOL_FUNDING - c.blockReward;
        assertEq(rollup.rewardPool(), pool);
        IRollup.BlockHeader memory h2 = post(1);
        vm.expectRevert(abi.encodeWithSelector(IRollup.InsufficientRewardPool.selector, c.blockReward, pool));
        rollup.requestProof(h2);
        assertGt(taskRegistry.claimable(address(rollup)), c.blockReward, "the registry balance itself would do");
        assertGt(h1.sequencerReward, 0);
    }

    function test_RouterPathPullsFromTheRollupAfterWithdrawingTheRegistryBalance() public {
        MechanismRouter router = new MechanismRouter(taskRegistry, address(this));
        taskRegistry.grantRole(taskRegistry.ROUTER_ROLE(), address(router));
        router.addInstance(
            address(race),
            IRouterInstances.Limits({
                maxRedundancy: 4, stakeAtRisk: 0, minLeadTime: 0, minPricePerProof: 0, requiresData: false
            })
        );
        IRollup.Config memory c = defaultConfig();
        c.router = router;
        rollup.setConfig(c);

        IRollup.BlockHeader memory h1 = postAndRequest(0);
        uint256 budget = BLOCK_REWARD - h1.sequencerReward;
        assertEq(taskRegistry.claimable(address(rollup)), 0, "withdrawn for the router path");
        assertEq(token.balanceOf(address(rollup)), POOL_FUNDING - budget, "the escrow was pulled from it");
        assertEq(rollup.rewardPool(), POOL_FUNDING - BLOCK_REWARD);

        // a second routed block pulls from the loose tokens without touching the registry
        IRollup.BlockHeader memory h2 = postAndRequest(1);
        assertEq(token.balanceOf(address(rollup)), POOL_FUNDING - 2 * budget);
        proveBlock(h1, 0, 0);
        proveBlock(h2, 1, 0);
        rollup.finalize(two(h1, h2));
        assertEq(
            rollup.rewardPool() + rollup.claimable(sequencer) + taskRegistry.claimable(fixtureProvers[0]),
            POOL_FUNDING,
            "every token accounted for"
        );
    }

    // ------------------------------------------------------------------ the pre-filled header ring

    /// @dev Storage slot of `_headerRing[0]` (forge inspect Rollup storageLayout; also in test/gas/RollupGas.t.sol).
    uint256 internal constant HEADER_RING_SLOT = 9;

    function test_HeaderRingIsPrefilledAndNeverExposed() public {
        for (uint256 i; i < rollup.HEADER_RING_SIZE(); ++i) {
            assertEq(vm.load(address(rollup), bytes32(HEADER_RING_SLOT + i)), bytes32(uint256(1)), "pre-filled");
        }
        assertEq(rollup.headerHashOf(0), bytes32(0), "genesis has no header");
        assertEq(rollup.headerHashOf(1), bytes32(0), "not posted yet");
        IRollup.BlockHeader memory h = post(0);
        assertEq(rollup.headerHashOf(0), bytes32(0));
        assertEq(rollup.headerHashOf(1), keccak256(abi.encode(h)));
        assertEq(vm.load(address(rollup), bytes32(HEADER_RING_SLOT + 1)), keccak256(abi.encode(h)), "ring layout");
    }
}
