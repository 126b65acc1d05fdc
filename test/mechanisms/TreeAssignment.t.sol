// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMechanism} from "../../contracts/interfaces/IMechanism.sol";
import {IOrderBook} from "../../contracts/interfaces/IOrderBook.sol";
import {IProverRegistry} from "../../contracts/interfaces/IProverRegistry.sol";
import {ITaskRegistry} from "../../contracts/interfaces/ITaskRegistry.sol";
import {ITreeAssignment} from "../../contracts/interfaces/ITreeAssignment.sol";
import {BlockHeaderRandomness} from "../../contracts/libraries/BlockHeaderRandomness.sol";
import {TreeShape} from "../../contracts/libraries/TreeShape.sol";
import {OrderBook} from "../../contracts/mechanisms/OrderBook.sol";
import {TreeAssignment} from "../../contracts/mechanisms/TreeAssignment.sol";
import {TaskRequest, TaskStatus} from "../../contracts/types/Task.sol";
import {Deployers} from "../utils/Deployers.sol";
import {TestMechanism} from "../utils/TestMechanism.sol";
import {HeaderBuilder} from "./ElectionRace.t.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Test, console2} from "forge-std/Test.sol";

/// @notice Exposes TreeShape for the tests.
contract TreeShapeHarness {
    function split(uint256 n, uint256 rangeSize, uint256 maxRanges) external pure returns (TreeShape.Split memory) {
        return TreeShape.split(n, rangeSize, maxRanges);
    }

    function rangeCount(uint256 n, uint256 rangeSize) external pure returns (uint256) {
        return TreeShape.rangeCount(n, rangeSize);
    }
}

contract TreeShapeTest is Test {
    TreeShapeHarness internal h = new TreeShapeHarness();

    function test_SingleRange() public view {
        TreeShape.Split memory s = h.split(3, 4, 16);
        assertEq(s.length, 1);
        assertEq(s.count[0], 3);
        assertEq(s.mergesLed[0], 0);
        assertEq(s.sibling[0], TreeShape.NO_SIBLING);
    }

    function test_EightLeavesInRangesOfTwo() public view {
        TreeShape.Split memory s = h.split(8, 2, 16);
        assertEq(s.length, 4);
        assertEq(s.start[2], 4);
        assertEq(s.mergesLed[0], 2, "range 0 leads the left merge and the top merge");
        assertEq(s.mergesLed[1], 0);
        assertEq(s.mergesLed[2], 1);
        assertEq(s.sibling[0], 1);
        assertEq(s.sibling[1], 0);
        assertEq(s.sibling[2], 3);
        assertEq(s.sibling[3], 2);
    }

    function test_UnbalancedFiveLeaves() public view {
        // 5 → 4 | 1; 4 → 2 | 2: ranges [0,2) [2,4) [4,5); the last range's sibling subtree is [0,4),
        // owned (as a merge) by range 0.
        TreeShape.Split memory s = h.split(5, 2, 16);
        assertEq(s.length, 3);
        assertEq(s.count[2], 1);
        assertEq(s.sibling[2], 0);
        assertEq(s.sibling[0], 1);
        assertEq(s.mergesLed[0], 2);
    }

    function test_RevertWhen_EmptyTree() public {
        vm.expectRevert(abi.encodeWithSelector(TreeShape.EmptyTree.selector, 0));
        h.split(0, 2, 16);
    }

    function test_RevertWhen_ZeroRangeSize() public {
        vm.expectRevert(abi.encodeWithSelector(TreeShape.ZeroRangeSize.selector, 0));
        h.split(4, 0, 16);
    }

    function test_RevertWhen_TooManyRanges() public {
        vm.expectRevert(abi.encodeWithSelector(TreeShape.TooManyRanges.selector, 1_000_000, 16));
        h.split(1_000_000, 1, 16);
    }

    /// @notice Ranges tile the leaves left to right, respect the size cap, count every merge exactly once,
    ///         and each sibling link is symmetric for sibling ranges.
    function testFuzz_SplitInvariants(uint256 n, uint256 rangeSize) public view {
        n = bound(n, 1, 4096);
        rangeSize = bound(rangeSize, 1, 512);
        uint256 k = h.rangeCount(n, rangeSize);
        vm.assume(k <= 64);
        TreeShape.Split memory s = h.split(n, rangeSize, 64);
        assertEq(s.length, k);
        uint256 next;
        uint256 merges;
        for (uint256 i; i < k; ++i) {
            assertEq(s.start[i], next, "contiguous");
            assertGt(s.count[i], 0);
            assertLe(s.count[i], rangeSize);
            next += s.count[i];
            merges += s.count[i] - 1 + s.mergesLed[i];
            if (k > 1) {
                assertLt(s.sibling[i], k);
                assertTrue(s.sibling[i] != i);
            }
        }
        assertEq(next, n, "every leaf covered");
        assertEq(merges, n - 1, "n - 1 merges");
    }
}

/// @notice Fixture: the real core, a TreeAssignment instance and four bonded provers.
abstract contract TreeFixture is Deployers, HeaderBuilder {
    uint96 internal constant RANGE_BOND = 20e18;
    uint96 internal constant ROOT_COLLATERAL = 100e18;
    uint256 internal constant POOL_BOND = 100e18;

    TreeAssignment internal tree;
    address internal dave = makeAddr("dave");
    address[] internal members;

    function deployTree() internal {
        deployCore();
        tree = new TreeAssignment(taskRegistry, proverRegistry, IERC20(address(token)), treeParams());
        taskRegistry.setMechanism(address(tree), true);
        proverRegistry.addCapacityHolder(address(tree));
        vm.label(address(tree), "TreeAssignment");
        members = [alice, bob, carol, dave];
        for (uint256 i; i < members.length; ++i) {
            registerProver(members[i]);
            joinPool(members[i], POOL_BOND);
        }
    }

    function treeParams() internal pure returns (ITreeAssignment.Params memory) {
        return ITreeAssignment.Params({
            rangeBond: RANGE_BOND,
            rootCollateral: ROOT_COLLATERAL,
            rangeWindowBps: 5000,
            uncleBps: 5000,
            maxRanges: 16,
            maxPoolSize: 8,
            drawDelay: 2,
            exitDelay: 1 hours,
            baseWeight: 1,
            mergeWeight: 1,
            rootWeight: 1,
            profile: IMechanism.Profile({kind: 6, speed: 8, cost: 4, safety: 7, censorshipResistance: 10})
        });
    }

    function joinPool(address prover, uint256 amount) internal {
        joinPoolOn(tree, prover, amount);
    }

    /// @dev Mints `amount` to `prover` (registered already) and bonds it in `t`'s pool.
    function joinPoolOn(TreeAssignment t, address prover, uint256 amount) internal {
        token.mint(prover, amount);
        vm.startPrank(prover);
        token.approve(address(t), amount);
        t.joinPool(amount);
        vm.stopPrank();
    }

    function treeRequest(uint256 seed, uint32 txCount, uint32 rangeSize) internal view returns (TaskRequest memory r) {
        r = raceRequest(seed, 1);
        r.mechanism = address(tree);
        r.mechanismData = abi.encode(txCount, rangeSize);
    }

    function openTree(uint256 seed, uint32 txCount, uint32 rangeSize) internal returns (uint256) {
        return openTask(requester, treeRequest(seed, txCount, rangeSize));
    }

    /// @dev Makes the chain hold a header of the seed block with prevrandao `mix`; returns the header.
    function seedHeader(uint256 taskId, bytes32 mix) internal returns (bytes memory header) {
        uint256 drawBlock = tree.treeOf(taskId).drawBlock;
        header = _header(drawBlock, mix, "");
        vm.setBlockhash(drawBlock, keccak256(header));
    }

    /// @dev Moves past the seed block, publishes its header with prevrandao `mix`, and draws.
    function drawTree(uint256 taskId, bytes32 mix) internal {
        vm.roll(tree.treeOf(taskId).drawBlock + 1);
        tree.draw(taskId, seedHeader(taskId, mix));
    }

    function owner(uint256 taskId, uint256 range) internal view returns (address) {
        return tree.rangeOf(taskId, range).owner;
    }

    function attest(uint256 taskId, uint256 range) internal {
        vm.prank(owner(taskId, range));
        tree.attest(taskId, range, keccak256(abi.encode("top", range)), keccak256(abi.encode("node", range)));
    }

    function attestAll(uint256 taskId) internal {
        uint256 k = tree.treeOf(taskId).rangeCount;
        for (uint256 i; i < k; ++i) {
            attest(taskId, i);
        }
    }

    function freeBond(address prover) internal view returns (uint256 free) {
        (free,) = tree.bondOf(prover);
    }

    /// @dev token balance of the mechanism == Σ free bonds + rangeBond × Σ locked ranges + Σ claimable.
    function assertTreeConserved(address[] memory accounts) internal view {
        uint256 sum;
        for (uint256 i; i < tree.memberSlots(); ++i) {
            ITreeAssignment.Member memory m = tree.memberAt(i);
            (, uint256 locked) = tree.bondOf(m.prover);
            sum += m.freeBond + uint256(RANGE_BOND) * locked;
        }
        for (uint256 i; i < accounts.length; ++i) {
            sum += tree.claimable(accounts[i]);
        }
        assertEq(token.balanceOf(address(tree)), sum, "tree conservation");
    }

    function everyone() internal view returns (address[] memory a) {
        a = new address[](5);
        a[0] = alice;
        a[1] = bob;
        a[2] = carol;
        a[3] = dave;
        a[4] = requester;
    }
}

contract TreeAssignmentTest is TreeFixture {
    bytes32 internal constant SEED = keccak256("block hash");

    function setUp() public {
        deployTree();
    }

    // ================================================================== opening and drawing

    function test_OpenRecordsTheTree() public {
        uint256 taskId = openTree(1, 8, 2);
        ITreeAssignment.TreeTask memory t = tree.treeOf(taskId);
        assertEq(t.txCount, 8);
        assertEq(t.rangeSize, 2);
        assertEq(t.rangeCount, 4);
        assertEq(t.drawBlock, block.number + 2);
        assertEq(uint8(t.status), uint8(ITreeAssignment.TreeStatus.AwaitingDraw));
    }

    function test_RevertWhen_DrawTooEarly() public {
        uint256 taskId = openTree(1, 8, 2);
        vm.expectRevert(abi.encodeWithSelector(ITreeAssignment.DrawTooEarly.selector, taskId, block.number + 2));
        tree.draw(taskId, "");
        // The seed block itself is not past yet either.
        vm.roll(block.number + 2);
        vm.expectRevert(abi.encodeWithSelector(ITreeAssignment.DrawTooEarly.selector, taskId, block.number));
        tree.draw(taskId, "");
    }

    function test_DrawAssignsDistinctOwnersAndTheRoot() public {
        uint256 taskId = openTree(1, 8, 2);
        uint256 openedAt = block.timestamp;
        drawTree(taskId, SEED);
        address[4] memory o = [owner(taskId, 0), owner(taskId, 1), owner(taskId, 2), owner(taskId, 3)];
        for (uint256 i; i < 4; ++i) {
            for (uint256 j = i + 1; j < 4; ++j) {
                assertTrue(o[i] != o[j], "distinct while enough members qualify");
            }
            (uint256 free, uint256 locked) = tree.bondOf(o[i]);
            assertEq(free, POOL_BOND - RANGE_BOND);
            assertEq(locked, 1);
        }
        assertEq(tree.rootProverOf(taskId), o[0]);
        ITaskRegistry.Assignment memory a = taskRegistry.assignmentOf(taskId, o[0]);
        assertTrue(a.active);
        assertEq(a.collateral, ROOT_COLLATERAL);
        assertEq(a.price, 0);
        ITreeAssignment.TreeTask memory t = tree.treeOf(taskId);
        assertTrue(t.rootAssigned);
        assertEq(t.rangeDeadline, openedAt + TASK_DURATION / 2);
        assertEq(uint8(t.status), uint8(ITreeAssignment.TreeStatus.Drawn));
        assertTreeConserved(everyone());
    }

    function test_DrawIsDeterministicInTheSeed() public {
        uint256 a = openTree(1, 8, 2);
        uint256 b = openTree(2, 8, 2);
        drawTree(a, SEED);
        tree.draw(b, seedHeader(b, SEED));
        // Different task ids mix into the seed: the draws differ somewhere, but each is reproducible.
        bool differs;
        for (uint256 i; i < 4; ++i) {
            if (owner(a, i) != owner(b, i)) differs = true;
        }
        assertTrue(differs);
    }

    function test_DrawReanchorsWhenSeedAgedOut() public {
        uint256 taskId = openTree(1, 8, 2);
        uint256 drawBlock = tree.treeOf(taskId).drawBlock;
        vm.roll(drawBlock + 300);
        vm.expectEmit(address(tree));
        emit ITreeAssignment.DrawReanchored(taskId, drawBlock + 302);
        tree.draw(taskId, "");
        assertEq(uint8(tree.treeOf(taskId).status), uint8(ITreeAssignment.TreeStatus.AwaitingDraw));
        drawTree(taskId, SEED);
        assertEq(uint8(tree.treeOf(taskId).status), uint8(ITreeAssignment.TreeStatus.Drawn));
    }

    /// @notice The seed is the seed block's prevrandao, not its hash: a builder that changes the block's
    ///         contents (extraData, transactions, anything but the beacon chain's RANDAO mix) changes its
    ///         hash but not the draw.
    function test_GrindingTheBlockContentsDoesNotChangeTheDraw() public {
        uint256 snap = vm.snapshotState();
        uint256 taskId = openTree(1, 8, 2);
        uint256 drawBlock = tree.treeOf(taskId).drawBlock;
        vm.roll(drawBlock + 1);
        bytes memory a = _header(drawBlock, SEED, "builder A");
        vm.setBlockhash(drawBlock, keccak256(a));
        tree.draw(taskId, a);
        address[4] memory first = [owner(taskId, 0), owner(taskId, 1), owner(taskId, 2), owner(taskId, 3)];
        vm.revertToState(snap);
        taskId = openTree(1, 8, 2);
        vm.roll(drawBlock + 1);
        bytes memory b = _header(drawBlock, SEED, "builder B, another nonce");
        assertTrue(keccak256(a) != keccak256(b), "a different block hash");
        vm.setBlockhash(drawBlock, keccak256(b));
        tree.draw(taskId, b);
        for (uint256 i; i < 4; ++i) {
            assertEq(owner(taskId, i), first[i], "same prevrandao, same draw");
        }
    }

    function test_RevertWhen_DrawWithForgedHeader() public {
        uint256 taskId = openTree(1, 8, 2);
        uint256 drawBlock = tree.treeOf(taskId).drawBlock;
        vm.roll(drawBlock + 1);
        bytes memory real = _header(drawBlock, SEED, "");
        vm.setBlockhash(drawBlock, keccak256(real));
        bytes memory forged = _header(drawBlock, keccak256("chosen by the caller"), "");
        vm.expectRevert(
            abi.encodeWithSelector(
                BlockHeaderRandomness.HeaderHashMismatch.selector, drawBlock, keccak256(real), keccak256(forged)
            )
        );
        tree.draw(taskId, forged);
        assertEq(uint8(tree.treeOf(taskId).status), uint8(ITreeAssignment.TreeStatus.AwaitingDraw));
    }

    /// @notice A draw sent with too little gas for the registry's root assignment must not leave the root
    ///      unbacked (drawn, but without root collateral): it reverts, and a draw with enough gas assigns.
    function test_LowGasDrawCannotLeaveTheRootUnassigned() public {
        uint256 taskId = openTree(1, 8, 2);
        vm.roll(tree.treeOf(taskId).drawBlock + 1);
        bytes memory header = seedHeader(taskId, SEED);
        bool outOfGasSeen;
        for (uint256 gasLimit = 60_000; gasLimit < 400_000; gasLimit += 2000) {
            try tree.draw{gas: gasLimit}(taskId, header) {
                assertTrue(tree.treeOf(taskId).rootAssigned, "drawn only with the root assigned");
                break;
            } catch (bytes memory reason) {
                if (bytes4(reason) == ITreeAssignment.AssignmentOutOfGas.selector) outOfGasSeen = true;
                assertEq(uint8(tree.treeOf(taskId).status), uint8(ITreeAssignment.TreeStatus.AwaitingDraw));
            }
        }
        assertTrue(outOfGasSeen, "some limit starved the assignment alone");
        assertEq(uint8(tree.treeOf(taskId).status), uint8(ITreeAssignment.TreeStatus.Drawn));
    }

    function test_RevertWhen_DrawWithMalformedHeader() public {
        uint256 taskId = openTree(1, 8, 2);
        uint256 drawBlock = tree.treeOf(taskId).drawBlock;
        vm.roll(drawBlock + 1);
        bytes memory junk = hex"c3010203"; // a list of three items: no mixHash
        vm.setBlockhash(drawBlock, keccak256(junk));
        vm.expectRevert(BlockHeaderRandomness.MalformedHeader.selector);
        tree.draw(taskId, junk);
    }

    function test_RevertWhen_DrawWithEmptyPool() public {
        for (uint256 i; i < members.length; ++i) {
            vm.prank(members[i]);
            tree.requestLeave(POOL_BOND);
        }
        vm.warp(block.timestamp + 1 hours);
        for (uint256 i; i < members.length; ++i) {
            vm.prank(members[i]);
            tree.leavePool();
        }
        assertEq(tree.poolSize(), 0);
        uint256 taskId = openTree(1, 8, 2);
        vm.roll(tree.treeOf(taskId).drawBlock + 1);
        bytes memory header = seedHeader(taskId, SEED);
        vm.expectRevert(abi.encodeWithSelector(ITreeAssignment.NoEligibleProvers.selector, taskId));
        tree.draw(taskId, header);
    }

    function test_RevertWhen_DrawTwice() public {
        uint256 taskId = openTree(1, 8, 2);
        drawTree(taskId, SEED);
        vm.expectRevert(
            abi.encodeWithSelector(ITreeAssignment.WrongStatus.selector, taskId, ITreeAssignment.TreeStatus.Drawn)
        );
        tree.draw(taskId, "");
    }

    function test_RevertWhen_DrawAfterDeadline() public {
        uint256 taskId = openTree(1, 8, 2);
        vm.warp(block.timestamp + TASK_DURATION);
        uint256 drawBlock = tree.treeOf(taskId).drawBlock;
        vm.roll(drawBlock + 1);
        vm.expectRevert(abi.encodeWithSelector(ITreeAssignment.TaskPastDeadline.selector, taskId, block.timestamp));
        tree.draw(taskId, "");
    }

    function test_UnderBondedMemberIsNeverDrawn() public {
        address eve = makeAddr("eve");
        registerProver(eve);
        joinPool(eve, RANGE_BOND - 1);
        for (uint256 s; s < 8; ++s) {
            uint256 taskId = openTree(s, 2, 1);
            drawTree(taskId, keccak256(abi.encode(s)));
            assertTrue(owner(taskId, 0) != eve && owner(taskId, 1) != eve);
        }
    }

    /// @notice With more ranges than qualified members, members are reused once everyone has one.
    function test_MoreRangesThanMembersReusesMembers() public {
        uint256 taskId = openTree(1, 16, 2); // 8 ranges, 4 members with 5 bonds' worth each
        drawTree(taskId, SEED);
        uint256 locked;
        for (uint256 i; i < members.length; ++i) {
            (, uint256 l) = tree.bondOf(members[i]);
            assertGe(l, 1, "everyone drawn at least once");
            locked += l;
        }
        assertEq(locked, 8);
        assertTreeConserved(everyone());
    }

    // ================================================================== bond changes after the seed

    /// @dev Opens a 2-range tree and moves to the block before its seed block, whose prevrandao the chain
    ///      (and so anyone watching it) knows from now on.
    function openAndReachSeed() internal returns (uint256 taskId) {
        taskId = openTree(1, 8, 4);
        vm.roll(tree.treeOf(taskId).drawBlock - 1);
    }

    function owners(uint256 taskId) internal view returns (address[2] memory) {
        return [owner(taskId, 0), owner(taskId, 1)];
    }

    /// @notice Anyone who has seen the seed can join the pool before the draw lands, with any bond. None of
    ///         1–4 such joins, of bonds a hundred to four hundred times the members', moves the draw.
    function test_JoinsAfterTheSeedDoNotMoveTheDraw() public {
        uint256 taskId = openAndReachSeed();
        uint256 before = vm.snapshotState();
        drawTree(taskId, SEED);
        address[2] memory expected = owners(taskId);
        for (uint256 n = 1; n <= 4; ++n) {
            vm.revertToState(before);
            for (uint256 i; i < n; ++i) {
                address late = makeAddr(string(abi.encode("late", i)));
                registerProver(late);
                joinPool(late, (i + 1) * 100 * POOL_BOND);
            }
            drawTree(taskId, SEED);
            assertEq(owners(taskId)[0], expected[0], "range 0 and the root unchanged");
            assertEq(owners(taskId)[1], expected[1], "range 1 unchanged");
        }
    }

    /// @notice A member that tops up once the seed is known is not drawn (it passes its turn), and the
    ///         others keep their order: the runner-up takes range 0. Topping up members that were not going
    ///         to be drawn changes nothing.
    function test_TopUpAfterTheSeedPassesTheTurn() public {
        uint256 taskId = openAndReachSeed();
        uint256 before = vm.snapshotState();
        drawTree(taskId, SEED);
        address[2] memory expected = owners(taskId);

        vm.revertToState(before);
        for (uint256 i; i < members.length; ++i) {
            if (members[i] != expected[0] && members[i] != expected[1]) joinPool(members[i], 100 * POOL_BOND);
        }
        drawTree(taskId, SEED);
        assertEq(owners(taskId)[0], expected[0]);
        assertEq(owners(taskId)[1], expected[1]);

        vm.revertToState(before);
        joinPool(expected[0], 1);
        drawTree(taskId, SEED);
        assertEq(owner(taskId, 0), expected[1], "the runner-up moves up");
        assertTrue(owner(taskId, 1) != expected[0], "the member that topped up holds no range");
        (, uint256 locked) = tree.bondOf(expected[0]);
        assertEq(locked, 0);
    }

    /// @notice A top-up made before the seed could be known counts in full: a member that multiplies its
    ///         bond by 1000 in the opening block takes range 0.
    function test_TopUpBeforeTheSeedCounts() public {
        uint256 taskId = openTree(1, 8, 4);
        uint256 before = vm.snapshotState();
        drawTree(taskId, SEED);
        address outsider;
        for (uint256 i; i < members.length; ++i) {
            if (members[i] != owner(taskId, 0) && members[i] != owner(taskId, 1)) outsider = members[i];
        }
        vm.revertToState(before);
        assertEq(block.number, tree.treeOf(taskId).drawBlock - 2, "the opening block");
        joinPool(outsider, 999 * POOL_BOND);
        drawTree(taskId, SEED);
        assertEq(owner(taskId, 0), outsider);
    }

    /// @notice A member whose exit is ready can time its leave; leaving part of its bond once the seed is
    ///         known passes its turn like a top-up.
    function test_LeaveAfterTheSeedPassesTheTurn() public {
        for (uint256 i; i < members.length; ++i) {
            vm.prank(members[i]);
            tree.requestLeave(RANGE_BOND);
        }
        vm.warp(block.timestamp + 1 hours);
        uint256 taskId = openAndReachSeed();
        uint256 before = vm.snapshotState();
        drawTree(taskId, SEED);
        address[2] memory expected = owners(taskId);
        vm.revertToState(before);
        vm.prank(expected[0]);
        tree.leavePool();
        drawTree(taskId, SEED);
        assertEq(owner(taskId, 0), expected[1], "the runner-up moves up");
        assertTrue(owner(taskId, 1) != expected[0]);
        assertTreeConserved(everyone());
    }

    /// @notice After a re-anchor the seed is the new block's: a change made before that seed became known
    ///         counts again.
    function test_ReanchoredDrawCountsChangesBeforeTheNewSeed() public {
        uint256 taskId = openAndReachSeed();
        joinPool(alice, 999 * POOL_BOND);
        vm.roll(tree.treeOf(taskId).drawBlock + 300);
        tree.draw(taskId, "");
        uint256 drawBlock = tree.treeOf(taskId).drawBlock;
        assertGe(drawBlock, block.number + 1);
        drawTree(taskId, SEED);
        assertEq(owner(taskId, 0), alice, "the top-up predates the new seed");
    }

    // ================================================================== declared capacity

    /// @dev A second instance whose pool is `who` alone, registered with `capacity` declared slots.
    function soloTree(address who, uint16 capacity) internal returns (TreeAssignment solo) {
        solo = new TreeAssignment(taskRegistry, proverRegistry, IERC20(address(token)), treeParams());
        taskRegistry.setMechanism(address(solo), true);
        proverRegistry.addCapacityHolder(address(solo));
        registerProver(who, PROVER_STAKE, capacity);
        joinPoolOn(solo, who, POOL_BOND);
    }

    function openOn(TreeAssignment t, uint256 seed, uint32 txCount, uint32 rangeSize) internal returns (uint256) {
        TaskRequest memory r = raceRequest(seed, 1);
        r.mechanism = address(t);
        r.mechanismData = abi.encode(txCount, rangeSize);
        return openTask(requester, r);
    }

    function headerOn(TreeAssignment t, uint256 taskId) internal returns (bytes memory header) {
        uint256 drawBlock = t.treeOf(taskId).drawBlock;
        if (block.number <= drawBlock) vm.roll(drawBlock + 1);
        header = _header(drawBlock, SEED, "");
        vm.setBlockhash(drawBlock, keccak256(header));
    }

    /// @notice Range 0 and the root assignment of the same task are one job: a member with one declared
    ///         slot can take a single-range tree, and that slot is then used until the task closes.
    function test_RangeZeroAndTheRootUseOneDeclaredSlot() public {
        address eve = makeAddr("eve");
        TreeAssignment solo = soloTree(eve, 1);
        uint256 first = openOn(solo, 1, 2, 4);
        uint256 second = openOn(solo, 2, 2, 4);
        solo.draw(first, headerOn(solo, first));
        assertEq(solo.rootProverOf(first), eve);
        assertTrue(solo.treeOf(first).rootAssigned);
        assertEq(proverRegistry.proverOf(eve).activeAssignments, 1);
        (, uint256 locked) = solo.bondOf(eve);
        assertEq(locked, 1);
        bytes memory header = headerOn(solo, second);
        vm.expectRevert(abi.encodeWithSelector(ITreeAssignment.NoEligibleProvers.selector, second));
        solo.draw(second, header);

        // Once the first tree closes, the slot is free again.
        vm.prank(eve);
        solo.attest(first, 0, 0, 0);
        prove(first, 1, eve);
        solo.draw(second, header);
        assertEq(solo.rootProverOf(second), eve);
    }

    /// @notice Every further range drawn to a member takes one more of its declared slots.
    function test_RevertWhen_EveryMemberAtCapacity() public {
        address eve = makeAddr("eve");
        TreeAssignment solo = soloTree(eve, 1);
        uint256 taskId = openOn(solo, 1, 4, 2); // two ranges, one member with one slot
        bytes memory header = headerOn(solo, taskId);
        vm.expectRevert(abi.encodeWithSelector(ITreeAssignment.NoEligibleProvers.selector, taskId));
        solo.draw(taskId, header);

        // With two slots the same member takes both ranges (the root counted with range 0).
        address frank = makeAddr("frank");
        TreeAssignment duo = soloTree(frank, 2);
        taskId = openOn(duo, 1, 4, 2);
        duo.draw(taskId, headerOn(duo, taskId));
        (, uint256 locked) = duo.bondOf(frank);
        assertEq(locked, 2);
        assertEq(duo.rangeOf(taskId, 1).owner, frank);
    }

    /// @notice A member whose declared slots are all taken by registry assignments of other mechanisms is
    ///         skipped, however large its bond; the others are drawn instead.
    function test_MemberBusyElsewhereIsNotDrawn() public {
        address eve = makeAddr("eve");
        registerProver(eve, PROVER_STAKE, 1);
        joinPool(eve, 10_000e18); // ≈ 96 % of the pool's weight
        TestMechanism other = new TestMechanism(taskRegistry);
        taskRegistry.setMechanism(address(other), true);
        TaskRequest memory r = raceRequest(99, 1);
        r.mechanism = address(other);
        uint256 elsewhere = openTask(requester, r);
        other.assign(elsewhere, eve, 1e18, 10e18);
        // Three trees of four ranges: twelve of the other members' sixteen declared slots.
        for (uint256 s; s < 3; ++s) {
            uint256 taskId = openTree(s, 8, 2);
            drawTree(taskId, keccak256(abi.encode(s)));
            for (uint256 i; i < 4; ++i) {
                assertTrue(owner(taskId, i) != eve, "at capacity: never drawn");
            }
        }
        (, uint256 locked) = tree.bondOf(eve);
        assertEq(locked, 0);
    }

    /// @notice Without the other assignment the same heavy member is drawn at once (the test above is not
    ///         vacuous).
    function test_MemberWithAFreeSlotIsDrawn() public {
        address eve = makeAddr("eve");
        registerProver(eve, PROVER_STAKE, 1);
        joinPool(eve, 10_000e18);
        uint256 taskId = openTree(0, 8, 2);
        drawTree(taskId, SEED);
        (, uint256 locked) = tree.bondOf(eve);
        assertEq(locked, 1, "drawn once, then at capacity");
    }

    /// @notice Draws never give a member more ranges than its free declared slots (root counted with
    ///         range 0), whatever the capacities and the seed.
    function testFuzz_DrawRespectsDeclaredCapacity(uint16[4] memory caps, bytes32 seed, uint32 txCount) public {
        txCount = uint32(bound(txCount, 1, 16));
        address[] memory pool = new address[](4);
        TreeAssignment t = new TreeAssignment(taskRegistry, proverRegistry, IERC20(address(token)), treeParams());
        taskRegistry.setMechanism(address(t), true);
        proverRegistry.addCapacityHolder(address(t));
        uint256 total;
        for (uint256 i; i < 4; ++i) {
            caps[i] = uint16(bound(caps[i], 1, 3));
            total += caps[i];
            pool[i] = makeAddr(string(abi.encode("capped", i)));
            registerProver(pool[i], PROVER_STAKE, caps[i]);
            joinPoolOn(t, pool[i], POOL_BOND);
        }
        uint256 taskId = openOn(t, 1, txCount, 2);
        uint256 k = t.treeOf(taskId).rangeCount;
        uint256 drawBlock = t.treeOf(taskId).drawBlock;
        vm.roll(drawBlock + 1);
        bytes memory header = _header(drawBlock, seed, "");
        vm.setBlockhash(drawBlock, keccak256(header));
        if (k > total) {
            vm.expectRevert(abi.encodeWithSelector(ITreeAssignment.NoEligibleProvers.selector, taskId));
            t.draw(taskId, header);
            return;
        }
        t.draw(taskId, header);
        for (uint256 i; i < 4; ++i) {
            (, uint256 locked) = t.bondOf(pool[i]);
            IProverRegistry.Prover memory p = proverRegistry.proverOf(pool[i]);
            // The root assignment (registry) and range 0 (tree) are one job.
            uint256 root = t.rootProverOf(taskId) == pool[i] && t.treeOf(taskId).rootAssigned ? 1 : 0;
            assertLe(p.activeAssignments + locked - root, caps[i], "within declared capacity");
        }
    }

    // ================================================================== capacity across mechanisms

    /// @dev A task under a storage-free test mechanism, for assigning a prover outside any tree.
    function openElsewhere(uint256 seed) internal returns (TestMechanism other, uint256 taskId) {
        other = new TestMechanism(taskRegistry);
        taskRegistry.setMechanism(address(other), true);
        TaskRequest memory r = raceRequest(seed, 1);
        r.mechanism = address(other);
        taskId = openTask(requester, r);
    }

    /// @notice The ProverRegistry counts a member's locked ranges against its declared capacity, so another
    ///         mechanism cannot assign a member whose slots the tree filled (before capacity holders it could:
    ///         the registry saw only the root assignment), and it can again once the tree closes.
    function test_TreeRangesFillCapacityForOtherMechanisms() public {
        address eve = makeAddr("eve");
        TreeAssignment solo = soloTree(eve, 2);
        assertTrue(proverRegistry.isCapacityMember(address(solo), eve));
        uint256 taskId = openOn(solo, 1, 4, 2); // two ranges, both eve's: range 0 with the root, and range 1
        solo.draw(taskId, headerOn(solo, taskId));
        assertEq(proverRegistry.proverOf(eve).activeAssignments, 1, "the root");
        assertEq(solo.heldCapacityOf(eve), 1, "range 1 (range 0 is the root's job)");
        assertEq(proverRegistry.heldCapacityOf(eve), 1);
        assertEq(proverRegistry.capacityLeft(eve, address(0)), 0);
        assertEq(proverRegistry.capacityLeft(eve, address(solo)), 1, "a holder asks with itself excluded");

        (TestMechanism other, uint256 elsewhere) = openElsewhere(99);
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.CapacityExceeded.selector, eve, 2));
        other.assign(elsewhere, eve, 1e18, 10e18);

        // The tree closes: every slot is free again.
        vm.startPrank(eve);
        solo.attest(taskId, 0, 0, 0);
        solo.attest(taskId, 1, 0, 0);
        vm.stopPrank();
        prove(taskId, 1, eve);
        assertEq(proverRegistry.heldCapacityOf(eve), 0);
        other.assign(elsewhere, eve, 1e18, 10e18);
        assertEq(proverRegistry.proverOf(eve).activeAssignments, 1);
    }

    /// @notice `setCapacity` cannot go below the load the tree holds, and can go down to it.
    function test_RevertWhen_SetCapacityBelowTreeLoad() public {
        address eve = makeAddr("eve");
        TreeAssignment solo = soloTree(eve, 3);
        uint256 taskId = openOn(solo, 1, 4, 2);
        solo.draw(taskId, headerOn(solo, taskId));
        vm.startPrank(eve);
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.CapacityBelowActive.selector, eve, 2));
        proverRegistry.setCapacity(1, 1);
        proverRegistry.setCapacity(1, 2);
        vm.stopPrank();
        assertEq(proverRegistry.proverOf(eve).maxConcurrent, 2);
    }

    /// @notice A member of two tree instances: each draw sees the other's ranges, and the registry adds both.
    function test_TwoTreeInstancesShareTheMembersCapacity() public {
        address eve = makeAddr("eve");
        TreeAssignment first = soloTree(eve, 3);
        TreeAssignment second = new TreeAssignment(taskRegistry, proverRegistry, IERC20(address(token)), treeParams());
        taskRegistry.setMechanism(address(second), true);
        proverRegistry.addCapacityHolder(address(second));
        joinPoolOn(second, eve, POOL_BOND);

        uint256 a = openOn(first, 1, 4, 2); // eve: root + range 0, range 1 → two slots
        first.draw(a, headerOn(first, a));
        uint256 b = openOn(second, 2, 4, 2); // needs two more slots; eve has one left
        bytes memory header = headerOn(second, b);
        vm.expectRevert(abi.encodeWithSelector(ITreeAssignment.NoEligibleProvers.selector, b));
        second.draw(b, header);
        uint256 c = openOn(second, 3, 2, 2); // one range: range 0 with the root, one slot
        second.draw(c, headerOn(second, c));
        assertEq(proverRegistry.proverOf(eve).activeAssignments, 2, "two roots");
        assertEq(proverRegistry.heldCapacityOf(eve), 1, "range 1 of the first tree");
        assertEq(proverRegistry.capacityLeft(eve, address(0)), 0);
        (TestMechanism other, uint256 elsewhere) = openElsewhere(99);
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.CapacityExceeded.selector, eve, 3));
        other.assign(elsewhere, eve, 1e18, 10e18);
    }

    /// @notice A range covered by its sibling's owner moves the root to the uncle within the uncle's capacity:
    ///         the failed owner's slots are freed, the uncle's root assignment takes one of its own.
    function test_CoverMovesTheRootWithinTheUnclesCapacity() public {
        uint256 taskId = openTree(0, 4, 2);
        drawTree(taskId, SEED);
        address failed = owner(taskId, 0);
        address uncle = owner(taskId, 1);
        assertTrue(failed != uncle, "distinct owners while enough members qualify");
        attest(taskId, 1);
        vm.warp(tree.treeOf(taskId).rangeDeadline + 1);
        uint256 uncleLoad = proverRegistry.proverOf(uncle).activeAssignments + proverRegistry.heldCapacityOf(uncle);
        vm.prank(uncle);
        tree.cover(taskId, 0, 0, 0);
        assertEq(proverRegistry.proverOf(failed).activeAssignments + proverRegistry.heldCapacityOf(failed), 0);
        assertEq(
            proverRegistry.proverOf(uncle).activeAssignments + proverRegistry.heldCapacityOf(uncle),
            uncleLoad + 1,
            "the root: one more job"
        );
    }

    /// @notice A member leaving the pool for good stops being a member (the registry no longer asks the tree).
    function test_LeavingThePoolEndsTheMembership() public {
        address eve = makeAddr("eve");
        TreeAssignment solo = soloTree(eve, 1);
        vm.startPrank(eve);
        solo.requestLeave(POOL_BOND);
        vm.warp(block.timestamp + solo.exitDelay());
        solo.leavePool();
        vm.stopPrank();
        assertFalse(proverRegistry.isCapacityMember(address(solo), eve));
        joinPoolOn(solo, eve, POOL_BOND);
        assertTrue(proverRegistry.isCapacityMember(address(solo), eve), "rejoining enters again");
    }

    /// @notice A tree that is not a listed capacity holder cannot take members: its ranges would be invisible.
    function test_RevertWhen_JoiningAnUnlistedTree() public {
        TreeAssignment unlisted = new TreeAssignment(taskRegistry, proverRegistry, IERC20(address(token)), treeParams());
        token.mint(alice, POOL_BOND);
        vm.startPrank(alice);
        token.approve(address(unlisted), POOL_BOND);
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.NotCapacityHolder.selector, address(unlisted)));
        unlisted.joinPool(POOL_BOND);
        vm.stopPrank();
    }

    /// @notice Listing is admin-only, for contracts, once each, at most MAX_CAPACITY_HOLDERS; memberships are
    ///         entered and exited by the listed holder only, once each.
    function test_RevertWhen_CapacityHolderMisused() public {
        bytes32 adminRole = proverRegistry.DEFAULT_ADMIN_ROLE();
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, alice, adminRole)
        );
        vm.prank(alice);
        proverRegistry.addCapacityHolder(address(token));
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.InvalidCapacityHolder.selector, alice));
        proverRegistry.addCapacityHolder(alice);
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.CapacityHolderListed.selector, address(tree)));
        proverRegistry.addCapacityHolder(address(tree));
        // `tree` is listed (setUp); seven more fill the list.
        for (uint256 i = 1; i < proverRegistry.MAX_CAPACITY_HOLDERS(); ++i) {
            proverRegistry.addCapacityHolder(address(new TestMechanism(taskRegistry)));
        }
        assertEq(proverRegistry.capacityHolders().length, proverRegistry.MAX_CAPACITY_HOLDERS());
        address ninth = address(new TestMechanism(taskRegistry));
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.TooManyCapacityHolders.selector, 8));
        proverRegistry.addCapacityHolder(ninth);

        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.NotCapacityHolder.selector, alice));
        vm.prank(alice);
        proverRegistry.enterCapacityHolder(alice);
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.NotCapacityHolder.selector, alice));
        vm.prank(alice);
        proverRegistry.exitCapacityHolder(bob);
        vm.startPrank(address(tree));
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.CapacityMembership.selector, address(tree), alice, true));
        proverRegistry.enterCapacityHolder(alice); // a member since setUp
        address stranger = makeAddr("stranger");
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.NotRegistered.selector, stranger));
        proverRegistry.enterCapacityHolder(stranger);
        vm.expectRevert(
            abi.encodeWithSelector(IProverRegistry.CapacityMembership.selector, address(tree), stranger, false)
        );
        proverRegistry.exitCapacityHolder(stranger);
        vm.stopPrank();
    }

    // ================================================================== ranges beyond the task word

    /// @notice Ranges 10 and up live in an extra word: attest, cover, payout and close work there alike.
    function test_RangesBeyondTheTaskWord() public {
        uint256 taskId = openTree(1, 16, 1); // 16 ranges of one leaf over 4 members (capacity 4 each)
        drawTree(taskId, SEED);
        assertEq(tree.treeOf(taskId).rangeCount, 16);
        for (uint256 i; i < 16; ++i) {
            if (i != 13) attest(taskId, i);
        }
        assertEq(uint8(tree.rangeOf(taskId, 12).state), uint8(ITreeAssignment.RangeState.Attested));
        assertEq(uint8(tree.rangeOf(taskId, 13).state), uint8(ITreeAssignment.RangeState.Drawn));
        vm.warp(block.timestamp + TASK_DURATION / 2 + 1);
        ITreeAssignment.Range memory r = tree.rangeOf(taskId, 13);
        assertEq(r.sibling, 12);
        address uncle = owner(taskId, 12);
        address failed = r.owner;
        if (uncle != failed) {
            vm.prank(uncle);
            tree.cover(taskId, 13, 0, 0);
            assertEq(owner(taskId, 13), uncle);
            assertEq(uint8(tree.rangeOf(taskId, 13).state), uint8(ITreeAssignment.RangeState.Covered));
        }
        prove(taskId, 1, tree.rootProverOf(taskId));
        assertEq(taskRegistry.taskOf(taskId).paid, TASK_BUDGET);
        for (uint256 i; i < members.length; ++i) {
            (, uint256 locked) = tree.bondOf(members[i]);
            assertEq(locked, 0, "every lock released");
        }
        assertEq(tree.rangeOf(taskId, 12).owner, address(0), "state released");
        assertTreeConserved(everyone());
    }

    // ================================================================== happy path

    function test_AllAttestRootPaysByContribution() public {
        uint256 taskId = openTree(1, 8, 2);
        drawTree(taskId, SEED);
        attestAll(taskId);
        address[4] memory o = [owner(taskId, 0), owner(taskId, 1), owner(taskId, 2), owner(taskId, 3)];
        uint256 paid = prove(taskId, 1, o[0]);
        address root = o[0];
        // 16 units: range 0 has 2 base + 1 inner + 2 led merges + root = 6; range 1: 3; range 2: 4; range 3: 3.
        assertEq(paid, (TASK_BUDGET * 6) / 16);
        assertEq(taskRegistry.claimable(o[1]), (TASK_BUDGET * 3) / 16);
        assertEq(taskRegistry.claimable(o[2]), (TASK_BUDGET * 4) / 16);
        assertEq(taskRegistry.claimable(o[3]), (TASK_BUDGET * 3) / 16);
        ITaskRegistry.Task memory t = taskRegistry.taskOf(taskId);
        assertEq(uint8(t.status), uint8(TaskStatus.Fulfilled));
        assertEq(t.paid, TASK_BUDGET);
        assertEq(taskRegistry.claimable(requester), 0);
        for (uint256 i; i < members.length; ++i) {
            (uint256 free, uint256 locked) = tree.bondOf(members[i]);
            assertEq(free, POOL_BOND, "bond returned");
            assertEq(locked, 0);
        }
        assertEq(proverRegistry.recordOf(root).completed, 1);
        assertEq(uint8(tree.treeOf(taskId).status), uint8(ITreeAssignment.TreeStatus.None), "state released");
    }

    function test_SingleRangeTreeRootTakesAll() public {
        uint256 taskId = openTree(1, 1, 4);
        drawTree(taskId, SEED);
        attest(taskId, 0);
        assertEq(prove(taskId, 1, owner(taskId, 0)), TASK_BUDGET);
    }

    function test_RevertWhen_NonRootProverSubmits() public {
        uint256 taskId = openTree(1, 8, 2);
        drawTree(taskId, SEED);
        address other = owner(taskId, 1);
        bytes memory proof = proofOf(1, other);
        uint256[] memory s = statement(1);
        vm.expectRevert(abi.encodeWithSelector(ITreeAssignment.NotRootProver.selector, taskId, other));
        vm.prank(other);
        taskRegistry.submitProof(taskId, s, proof);
    }

    function test_RevertWhen_RootSubmittedBeforeDraw() public {
        uint256 taskId = openTree(1, 8, 2);
        bytes memory proof = proofOf(1, alice);
        uint256[] memory s = statement(1);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITreeAssignment.WrongStatus.selector, taskId, ITreeAssignment.TreeStatus.AwaitingDraw
            )
        );
        vm.prank(alice);
        taskRegistry.submitProof(taskId, s, proof);
    }

    function test_UnattestedRangeIsCreditedToTheRootProver() public {
        uint256 taskId = openTree(1, 8, 2);
        drawTree(taskId, SEED);
        attest(taskId, 0);
        attest(taskId, 1);
        attest(taskId, 2);
        // Range 3 is not attested; the root prover proves the block anyway (it built that range itself).
        vm.warp(block.timestamp + TASK_DURATION / 2 + 1);
        address root = owner(taskId, 0);
        address failed = owner(taskId, 3);
        assertEq(prove(taskId, 1, root), (TASK_BUDGET * 9) / 16);
        assertEq(taskRegistry.claimable(failed), 0);
        // Its owner let the range window pass: its bond compensates the requester.
        assertEq(tree.claimable(requester), RANGE_BOND);
        assertEq(freeBond(failed), POOL_BOND - RANGE_BOND);
        assertTreeConserved(everyone());
    }

    // ================================================================== uncle cover

    function test_OneRangeOwnerFailsSiblingCovers() public {
        uint256 taskId = openTree(1, 8, 2);
        drawTree(taskId, SEED);
        attest(taskId, 0);
        attest(taskId, 1);
        attest(taskId, 2);
        address failed = owner(taskId, 3);
        address uncle = owner(taskId, 2);
        vm.warp(block.timestamp + TASK_DURATION / 2 + 1);

        vm.expectEmit(address(tree));
        emit ITreeAssignment.RangeCovered(taskId, 3, failed, uncle, RANGE_BOND / 2, RANGE_BOND / 2);
        vm.prank(uncle);
        tree.cover(taskId, 3, keccak256("top3"), keccak256("node3"));
        assertEq(owner(taskId, 3), uncle);
        assertEq(uint8(tree.rangeOf(taskId, 3).state), uint8(ITreeAssignment.RangeState.Covered));
        assertEq(tree.claimable(uncle), RANGE_BOND / 2, "uncle reward from the slashed bond");
        assertEq(tree.claimable(requester), RANGE_BOND / 2);
        (uint256 free, uint256 locked) = tree.bondOf(failed);
        assertEq(free, POOL_BOND - RANGE_BOND, "failed owner lost its range bond");
        assertEq(locked, 0);

        prove(taskId, 1, owner(taskId, 0));
        // The uncle is paid range 2 (4 units) and range 3 (3 units).
        assertEq(taskRegistry.claimable(uncle), (TASK_BUDGET * 7) / 16);
        assertEq(taskRegistry.claimable(failed), 0);
        assertTreeConserved(everyone());

        vm.prank(uncle);
        assertEq(tree.withdraw(), RANGE_BOND / 2);
        vm.prank(requester);
        assertEq(tree.withdraw(), RANGE_BOND / 2);
        assertTreeConserved(everyone());
    }

    function test_RootRangeOwnerFailsUncleTakesTheRoot() public {
        uint256 taskId = openTree(1, 8, 2);
        drawTree(taskId, SEED);
        address failed = owner(taskId, 0);
        address uncle = owner(taskId, 1);
        attest(taskId, 1);
        attest(taskId, 2);
        attest(taskId, 3);
        vm.warp(block.timestamp + TASK_DURATION / 2 + 1);
        vm.prank(uncle);
        tree.cover(taskId, 0, keccak256("top0"), keccak256("node0"));

        assertEq(tree.rootProverOf(taskId), uncle);
        assertFalse(taskRegistry.assignmentOf(taskId, failed).active);
        assertTrue(taskRegistry.assignmentOf(taskId, uncle).active);
        assertEq(proverRegistry.proverOf(failed).stake, PROVER_STAKE - ROOT_COLLATERAL, "root collateral slashed");
        assertEq(taskRegistry.taskOf(taskId).slashed, ROOT_COLLATERAL);

        uint256 paid = prove(taskId, 1, uncle);
        // Ranges 0 and 1 plus the root: 6 + 3 = 9 of 16 units, plus the cover bounty (50 % of the slash).
        assertEq(paid, (TASK_BUDGET * 9) / 16 + ROOT_COLLATERAL / 2);
        assertEq(taskRegistry.claimable(failed), 0);
    }

    function test_RevertWhen_CoverBeforeRangeDeadline() public {
        uint256 taskId = openTree(1, 8, 2);
        drawTree(taskId, SEED);
        attest(taskId, 2);
        uint256 rangeDeadline = tree.treeOf(taskId).rangeDeadline;
        address sibling = owner(taskId, 2);
        vm.expectRevert(abi.encodeWithSelector(ITreeAssignment.RangeWindow.selector, taskId, rangeDeadline));
        vm.prank(sibling);
        tree.cover(taskId, 3, 0, 0);
    }

    function test_RevertWhen_CoverByNonSibling() public {
        uint256 taskId = openTree(1, 8, 2);
        drawTree(taskId, SEED);
        attest(taskId, 0);
        vm.warp(block.timestamp + TASK_DURATION / 2 + 1);
        address stranger = owner(taskId, 0);
        vm.expectRevert(abi.encodeWithSelector(ITreeAssignment.NotUncle.selector, taskId, 3, stranger));
        vm.prank(stranger);
        tree.cover(taskId, 3, 0, 0);
    }

    function test_RevertWhen_UncleHasNotAttestedItsOwnRange() public {
        uint256 taskId = openTree(1, 8, 2);
        drawTree(taskId, SEED);
        vm.warp(block.timestamp + TASK_DURATION / 2 + 1);
        address sibling = owner(taskId, 2);
        vm.expectRevert(abi.encodeWithSelector(ITreeAssignment.NotUncle.selector, taskId, 3, sibling));
        vm.prank(sibling);
        tree.cover(taskId, 3, 0, 0);
    }

    function test_RevertWhen_CoverAttestedRange() public {
        uint256 taskId = openTree(1, 8, 2);
        drawTree(taskId, SEED);
        attestAll(taskId);
        vm.warp(block.timestamp + TASK_DURATION / 2 + 1);
        address sibling = owner(taskId, 2);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITreeAssignment.WrongRangeState.selector, taskId, 3, ITreeAssignment.RangeState.Attested
            )
        );
        vm.prank(sibling);
        tree.cover(taskId, 3, 0, 0);
    }

    function test_RevertWhen_CoverSingleRange() public {
        uint256 taskId = openTree(1, 2, 4);
        drawTree(taskId, SEED);
        vm.warp(block.timestamp + TASK_DURATION / 2 + 1);
        vm.expectRevert(abi.encodeWithSelector(ITreeAssignment.NoSibling.selector, taskId, 0));
        tree.cover(taskId, 0, 0, 0);
    }

    function test_RevertWhen_AttestAfterRangeDeadline() public {
        uint256 taskId = openTree(1, 8, 2);
        drawTree(taskId, SEED);
        uint256 rangeDeadline = tree.treeOf(taskId).rangeDeadline;
        vm.warp(rangeDeadline + 1);
        address o = owner(taskId, 1);
        vm.expectRevert(abi.encodeWithSelector(ITreeAssignment.RangeWindow.selector, taskId, rangeDeadline));
        vm.prank(o);
        tree.attest(taskId, 1, 0, 0);
    }

    function test_RevertWhen_AttestByNonOwner() public {
        uint256 taskId = openTree(1, 8, 2);
        drawTree(taskId, SEED);
        address o = owner(taskId, 0);
        vm.expectRevert(abi.encodeWithSelector(ITreeAssignment.NotRangeOwner.selector, taskId, 1, o));
        vm.prank(o);
        tree.attest(taskId, 1, 0, 0);
    }

    function test_RevertWhen_AttestOutOfRange() public {
        uint256 taskId = openTree(1, 8, 2);
        drawTree(taskId, SEED);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITreeAssignment.WrongRangeState.selector, taskId, 4, ITreeAssignment.RangeState.Unassigned
            )
        );
        tree.attest(taskId, 4, 0, 0);
    }

    // ================================================================== every prover failing

    /// @notice Nobody attests, nobody proves: expiry slashes the root assignment in the registry, every
    ///         range bond compensates the requester, and the task falls back to an order book, where it is
    ///         proven.
    function test_EveryTreeProverFailsTaskFallsBack() public {
        OrderBook book = new OrderBook(
            taskRegistry,
            proverRegistry,
            IOrderBook.Params({
                collateralPerMatch: 50e18,
                maxBookSize: 8,
                maxRedundancy: 4,
                profile: IMechanism.Profile({kind: 5, speed: 8, cost: 7, safety: 5, censorshipResistance: 3})
            })
        );
        taskRegistry.setMechanism(address(book), true);
        address rescuer = makeAddr("rescuer");
        registerProver(rescuer);
        vm.prank(rescuer);
        book.postOffer(40e18, 600, 1, bytes32(0));

        TaskRequest memory r = treeRequest(1, 8, 2);
        r.fallbackMechanism = address(book);
        r.fallbackWindow = 1 hours;
        uint256 taskId = openTask(requester, r);
        drawTree(taskId, SEED);
        address root = owner(taskId, 0);

        vm.warp(block.timestamp + TASK_DURATION + 1);
        taskRegistry.expire(taskId);

        assertEq(taskRegistry.taskOf(taskId).mechanism, address(book), "reopened on the fallback");
        assertEq(proverRegistry.proverOf(root).stake, PROVER_STAKE - ROOT_COLLATERAL);
        assertEq(tree.claimable(requester), 4 * RANGE_BOND, "every range bond to the requester");
        for (uint256 i; i < members.length; ++i) {
            (uint256 free, uint256 locked) = tree.bondOf(members[i]);
            assertEq(free, POOL_BOND - RANGE_BOND);
            assertEq(locked, 0);
        }
        assertEq(uint8(tree.treeOf(taskId).status), uint8(ITreeAssignment.TreeStatus.None));
        assertTreeConserved(everyone());

        // The fallback's prover delivers and also collects the cover bounty of the root slash.
        assertEq(prove(taskId, 1, rescuer), 40e18 + ROOT_COLLATERAL / 2);
    }

    function test_EveryTreeProverFailsNoFallbackRefunds() public {
        uint256 taskId = openTree(1, 8, 2);
        drawTree(taskId, SEED);
        vm.warp(block.timestamp + TASK_DURATION + 1);
        taskRegistry.expire(taskId);
        assertEq(uint8(taskRegistry.taskOf(taskId).status), uint8(TaskStatus.Expired));
        // Budget back, plus the requester's and the (unclaimed) cover shares of the root slash.
        assertEq(taskRegistry.claimable(requester), TASK_BUDGET + (ROOT_COLLATERAL * 8000) / 10_000);
        assertEq(tree.claimable(requester), 4 * RANGE_BOND);
        assertTreeConserved(everyone());
    }

    function test_ExpiryBeforeDrawReleasesNothing() public {
        uint256 taskId = openTree(1, 8, 2);
        vm.warp(block.timestamp + TASK_DURATION + 1);
        taskRegistry.expire(taskId);
        assertEq(taskRegistry.claimable(requester), TASK_BUDGET);
        assertEq(tree.claimable(requester), 0);
        assertEq(uint8(tree.treeOf(taskId).status), uint8(ITreeAssignment.TreeStatus.None));
    }

    function test_TreeCannotBeAFallback() public {
        TaskRequest memory r = raceRequest(1, 1);
        r.fallbackMechanism = address(tree);
        r.fallbackWindow = 1 hours;
        uint256 taskId = openTask(requester, r);
        vm.warp(block.timestamp + TASK_DURATION + 1);
        vm.expectEmit(address(taskRegistry));
        emit ITaskRegistry.FallbackFailed(taskId, address(tree));
        taskRegistry.expire(taskId);
        assertEq(uint8(taskRegistry.taskOf(taskId).status), uint8(TaskStatus.Expired));
    }

    function test_CancelBeforeDraw() public {
        uint256 taskId = openTree(1, 8, 2);
        vm.prank(requester);
        taskRegistry.cancelTask(taskId);
        assertEq(uint8(tree.treeOf(taskId).status), uint8(ITreeAssignment.TreeStatus.None));
    }

    // ================================================================== requests

    function test_RevertWhen_RedundancyNotOne() public {
        TaskRequest memory r = treeRequest(1, 8, 2);
        r.redundancy = 2;
        fund(requester, r.maxPayment);
        vm.expectRevert(abi.encodeWithSelector(ITreeAssignment.RedundancyNotOne.selector, 2));
        vm.prank(requester);
        taskRegistry.createTask(r);
    }

    function test_RevertWhen_MalformedData() public {
        TaskRequest memory r = treeRequest(1, 8, 2);
        r.mechanismData = abi.encode(uint256(8));
        fund(requester, r.maxPayment);
        vm.expectRevert(abi.encodeWithSelector(ITreeAssignment.MalformedMechanismData.selector, 32));
        vm.prank(requester);
        taskRegistry.createTask(r);
    }

    function test_RevertWhen_TooManyRanges() public {
        TaskRequest memory r = treeRequest(1, 64, 2);
        fund(requester, r.maxPayment);
        vm.expectRevert(abi.encodeWithSelector(TreeShape.TooManyRanges.selector, 32, 16));
        vm.prank(requester);
        taskRegistry.createTask(r);
    }

    function test_RevertWhen_HooksNotCalledByRegistry() public {
        TaskRequest memory r = treeRequest(1, 8, 2);
        vm.expectRevert(abi.encodeWithSelector(IMechanism.OnlyTaskRegistry.selector, address(this)));
        tree.onTaskOpened(1, r);
        vm.expectRevert(abi.encodeWithSelector(IMechanism.OnlyTaskRegistry.selector, address(this)));
        tree.onProofAccepted(1, alice, 0);
        vm.expectRevert(abi.encodeWithSelector(IMechanism.OnlyTaskRegistry.selector, address(this)));
        tree.onTaskClosed(1);
    }

    function test_RevertWhen_InvalidParams() public {
        ITreeAssignment.Params memory p = treeParams();
        p.rangeBond = 0;
        vm.expectRevert(ITreeAssignment.InvalidParams.selector);
        new TreeAssignment(taskRegistry, proverRegistry, IERC20(address(token)), p);
        p = treeParams();
        p.maxRanges = 255;
        vm.expectRevert(ITreeAssignment.InvalidParams.selector);
        new TreeAssignment(taskRegistry, proverRegistry, IERC20(address(token)), p);
    }

    function test_PayContributorOnlyByTheTaskMechanism() public {
        uint256 taskId = openTree(1, 8, 2);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.OnlyTaskMechanism.selector, address(this), taskId));
        taskRegistry.payContributor(taskId, alice, 1);
        vm.prank(address(tree));
        vm.expectRevert(
            abi.encodeWithSelector(ITaskRegistry.BudgetExceeded.selector, taskId, TASK_BUDGET + 1, TASK_BUDGET)
        );
        taskRegistry.payContributor(taskId, alice, TASK_BUDGET + 1);
    }

    // ================================================================== pool

    function test_RevertWhen_JoinUnregistered() public {
        address eve = makeAddr("eve");
        vm.expectRevert(abi.encodeWithSelector(ITreeAssignment.ProverNotRegistered.selector, eve));
        vm.prank(eve);
        tree.joinPool(1);
    }

    function test_RevertWhen_JoinZero() public {
        vm.expectRevert(ITreeAssignment.ZeroAmount.selector);
        vm.prank(alice);
        tree.joinPool(0);
    }

    function test_RevertWhen_PoolFull() public {
        for (uint256 i; i < 4; ++i) {
            address p = makeAddr(string(abi.encode("member", i)));
            registerProver(p);
            joinPool(p, RANGE_BOND);
        }
        address eve = makeAddr("eve");
        registerProver(eve);
        token.mint(eve, 1);
        vm.startPrank(eve);
        token.approve(address(tree), 1);
        vm.expectRevert(abi.encodeWithSelector(ITreeAssignment.PoolFull.selector, 8));
        tree.joinPool(1);
        vm.stopPrank();
    }

    function test_RevertWhen_RequestLeaveAboveFreeBond() public {
        uint256 taskId = openTree(1, 8, 2);
        drawTree(taskId, SEED);
        address o = owner(taskId, 0);
        vm.expectRevert(
            abi.encodeWithSelector(ITreeAssignment.InsufficientFreeBond.selector, o, POOL_BOND, POOL_BOND - RANGE_BOND)
        );
        vm.prank(o);
        tree.requestLeave(POOL_BOND);
    }

    function test_LeaveAllRemovesMember() public {
        vm.prank(alice);
        tree.requestLeave(POOL_BOND);
        vm.expectRevert(abi.encodeWithSelector(ITreeAssignment.ExitNotReady.selector, block.timestamp + 1 hours));
        vm.prank(alice);
        tree.leavePool();
        vm.warp(block.timestamp + 1 hours);
        vm.prank(alice);
        assertEq(tree.leavePool(), POOL_BOND);
        assertEq(tree.poolSize(), 3);
        assertEq(tree.memberAt(0).prover, address(0), "alice's slot is free");
        assertEq(token.balanceOf(alice), POOL_BOND);
        (uint256 free, uint256 locked) = tree.bondOf(alice);
        assertEq(free + locked, 0);
        joinPool(alice, 5e18);
        assertEq(tree.poolSize(), 4);
        assertEq(tree.memberSlots(), 4, "the freed slot is reused");
        assertEq(tree.memberAt(0).prover, alice);
        assertEq(freeBond(alice), 5e18);
    }

    function test_RevertWhen_LeaveWithoutRequest() public {
        vm.expectRevert(abi.encodeWithSelector(ITreeAssignment.NoExitRequested.selector, alice));
        vm.prank(alice);
        tree.leavePool();
    }

    /// @notice A member that asked to leave stays drawable during the exit delay (it cannot dodge a draw
    ///         whose seed it has seen), and leaves with whatever is still free afterwards.
    function test_LeavingMemberStaysDrawable() public {
        for (uint256 i; i < members.length; ++i) {
            vm.prank(members[i]);
            tree.requestLeave(POOL_BOND);
        }
        uint256 taskId = openTree(1, 8, 2);
        drawTree(taskId, SEED);
        (, uint256 locked) = tree.bondOf(alice);
        assertEq(locked, 1, "still drawn");
        vm.warp(block.timestamp + 1 hours);
        vm.prank(alice);
        assertEq(tree.leavePool(), POOL_BOND - RANGE_BOND, "capped by the free bond");
        assertEq(tree.poolSize(), 4, "still a member while a range is locked");
        assertTreeConserved(everyone());
    }

    function test_RevertWhen_WithdrawNothing() public {
        vm.expectRevert(abi.encodeWithSelector(ITreeAssignment.NothingToWithdraw.selector, alice));
        vm.prank(alice);
        tree.withdraw();
    }

    function test_Profile() public view {
        IMechanism.Profile memory p = tree.profile();
        assertEq(p.kind, 6);
        assertEq(p.censorshipResistance, 10);
    }

    // ================================================================== fuzz

    /// @notice Whatever the tree shape and whichever ranges fail and are covered, the registry pays out
    ///         exactly the budget on root acceptance and both contracts conserve tokens.
    function testFuzz_PayoutConservesBudget(uint32 txCount, uint32 rangeSize, uint256 failMask, bytes32 seed) public {
        txCount = uint32(bound(txCount, 1, 64));
        rangeSize = uint32(bound(rangeSize, 4, 16));
        if (seed == bytes32(0)) seed = keccak256("nonzero"); // a zero hash means "aged out"
        uint256 taskId = openTree(1, txCount, rangeSize);
        drawTree(taskId, seed);
        uint256 k = tree.treeOf(taskId).rangeCount;
        for (uint256 i; i < k; ++i) {
            if ((failMask >> i) & 1 == 0) attest(taskId, i);
        }
        vm.warp(block.timestamp + TASK_DURATION / 2 + 1);
        for (uint256 i; i < k; ++i) {
            ITreeAssignment.Range memory r = tree.rangeOf(taskId, i);
            if (r.state != ITreeAssignment.RangeState.Drawn || r.sibling == TreeShape.NO_SIBLING) continue;
            ITreeAssignment.Range memory s = tree.rangeOf(taskId, r.sibling);
            if (s.state == ITreeAssignment.RangeState.Drawn || s.owner == r.owner) continue;
            vm.prank(s.owner);
            tree.cover(taskId, i, 0, 0);
        }
        prove(taskId, 1, tree.rootProverOf(taskId));
        ITaskRegistry.Task memory t = taskRegistry.taskOf(taskId);
        assertEq(t.paid, TASK_BUDGET);
        uint256 credited;
        address[] memory acc = everyone();
        for (uint256 i; i < acc.length; ++i) {
            credited += taskRegistry.claimable(acc[i]);
        }
        credited += taskRegistry.claimable(treasury);
        assertEq(token.balanceOf(address(taskRegistry)), credited, "registry conservation");
        assertEq(credited, TASK_BUDGET + t.slashed);
        assertTreeConserved(acc);
    }
}

/// @notice Drives random tree-task lifecycles (open, draw, attest, cover, root proof, expiry, pool joins and
///         exits, withdrawals) for the invariant suite below. Every action picks from a fixed actor set and
///         skips itself when its preconditions do not hold, so that runs explore deep states.
contract TreeHandler is Test {
    TreeAssignment internal tree;
    TreeInvariantTest internal fx;
    uint256[] public taskIds;
    /// @dev Ghost counters of actions that took effect (to see that runs reach deep states).
    uint256 public draws;
    uint256 public covers;
    uint256 public proofs;
    uint256 public expiries;
    /// @dev Ghost: the block of each actor's last join or leave that took effect, and how many ranges a draw
    ///      gave to a member whose bond changed from the block before its seed block on (must stay 0).
    mapping(address => uint256) public lastChange;
    uint256 public lateChangesDrawn;

    constructor(TreeAssignment tree_, TreeInvariantTest fx_) {
        tree = tree_;
        fx = fx_;
    }

    function taskCount() external view returns (uint256) {
        return taskIds.length;
    }

    function open(uint256 seed, uint32 txCount, uint32 rangeSize) external {
        txCount = uint32(bound(txCount, 1, 24));
        rangeSize = uint32(bound(rangeSize, 2, 8));
        taskIds.push(fx.openFor(seed, txCount, rangeSize));
    }

    function draw(uint256 i, bytes32 seed) external {
        if (taskIds.length == 0) return;
        uint256 taskId = taskIds[i % taskIds.length];
        ITreeAssignment.TreeTask memory t = tree.treeOf(taskId);
        if (t.status != ITreeAssignment.TreeStatus.AwaitingDraw || block.timestamp >= t.deadline) return;
        if (block.number <= t.drawBlock) vm.roll(t.drawBlock + 1);
        bytes memory header = fx.headerFor(t.drawBlock, seed);
        try tree.draw(taskId, header) {
            if (tree.treeOf(taskId).status != ITreeAssignment.TreeStatus.Drawn) return;
            ++draws;
            for (uint256 r; r < t.rangeCount; ++r) {
                uint256 changed = lastChange[tree.rangeOf(taskId, r).owner];
                if (changed != 0 && changed + 1 >= t.drawBlock) ++lateChangesDrawn;
            }
        } catch {}
    }

    function attest(uint256 i, uint256 range) external {
        if (taskIds.length == 0) return;
        uint256 taskId = taskIds[i % taskIds.length];
        ITreeAssignment.TreeTask memory t = tree.treeOf(taskId);
        if (t.status != ITreeAssignment.TreeStatus.Drawn) return;
        range = range % t.rangeCount;
        vm.prank(tree.rangeOf(taskId, range).owner);
        try tree.attest(taskId, range, bytes32(range), bytes32(i)) {} catch {}
    }

    function cover(uint256 i, uint256 range) external {
        if (taskIds.length == 0) return;
        uint256 taskId = taskIds[i % taskIds.length];
        ITreeAssignment.TreeTask memory t = tree.treeOf(taskId);
        if (t.status != ITreeAssignment.TreeStatus.Drawn) return;
        range = range % t.rangeCount;
        ITreeAssignment.Range memory r = tree.rangeOf(taskId, range);
        if (r.sibling == TreeShape.NO_SIBLING || block.timestamp <= t.rangeDeadline) return;
        vm.prank(tree.rangeOf(taskId, r.sibling).owner);
        try tree.cover(taskId, range, 0, 0) {
            ++covers;
        } catch {}
    }

    function proveRoot(uint256 i) external {
        if (taskIds.length == 0) return;
        uint256 taskId = taskIds[i % taskIds.length];
        if (tree.treeOf(taskId).status != ITreeAssignment.TreeStatus.Drawn) return;
        if (fx.proveAs(taskId, tree.rootProverOf(taskId))) ++proofs;
    }

    function expire(uint256 i) external {
        if (taskIds.length == 0) return;
        uint256 taskId = taskIds[i % taskIds.length];
        if (fx.expireTask(taskId)) ++expiries;
    }

    function join(uint256 a, uint256 amount) external {
        address who = fx.actor(a);
        fx.joinAs(who, bound(amount, 1e18, 100e18));
        lastChange[who] = block.number;
    }

    function requestLeave(uint256 a, uint256 amount) external {
        address who = fx.actor(a);
        (uint256 free,) = tree.bondOf(who);
        if (free == 0) return;
        vm.prank(who);
        tree.requestLeave(bound(amount, 1, free));
    }

    function leave(uint256 a) external {
        address who = fx.actor(a);
        vm.prank(who);
        try tree.leavePool() {
            lastChange[who] = block.number;
        } catch {}
    }

    /// @dev Time moves in small steps so that tasks live through several actions.
    function tick(uint256 dt) external {
        vm.warp(block.timestamp + bound(dt, 1, 15 minutes));
        vm.roll(block.number + 1);
    }

    function withdraw(uint256 a) external {
        address who = a % 5 == 4 ? fx.requesterAddr() : fx.actor(a);
        if (tree.claimable(who) == 0) return;
        vm.prank(who);
        tree.withdraw();
    }
}

/// @notice Invariants of TreeAssignment under random lifecycles:
///         1. token balance = Σ free bonds + rangeBond × Σ locked ranges + Σ claimable (nothing created or lost);
///         2. Σ locked ranges over members = ranges still Drawn or Attested in drawn tasks (every lock has its
///            range and is released exactly once, by attestation-and-close, cover or close);
///         3. every member with a locked range is still in the pool.
contract TreeInvariantTest is TreeFixture {
    TreeHandler internal handler;

    function setUp() public {
        deployTree();
        handler = new TreeHandler(tree, this);
        targetContract(address(handler));
    }

    function actor(uint256 a) external view returns (address) {
        return members[a % members.length];
    }

    function requesterAddr() external view returns (address) {
        return requester;
    }

    function openFor(uint256 seed, uint32 txCount, uint32 rangeSize) external returns (uint256) {
        return openTree(seed % 1000, txCount, rangeSize);
    }

    function proveAs(uint256 taskId, address prover) external returns (bool) {
        uint256 seed = _seedOf(taskId);
        bytes memory proof = proofOf(seed, prover);
        uint256[] memory s = statement(seed);
        vm.prank(prover);
        try taskRegistry.submitProof(taskId, s, proof) {
            return true;
        } catch {
            return false;
        }
    }

    function expireTask(uint256 taskId) external returns (bool) {
        ITaskRegistry.Task memory t = taskRegistry.taskOf(taskId);
        if (t.status != TaskStatus.Open && t.status != TaskStatus.Assigned) return false;
        if (block.timestamp <= t.deadline) return false;
        taskRegistry.expire(taskId);
        return true;
    }

    function joinAs(address who, uint256 amount) external {
        joinPool(who, amount);
    }

    /// @dev A header of `number` with prevrandao `mix`, which the chain now holds as that block.
    function headerFor(uint256 number, bytes32 mix) external returns (bytes memory header) {
        header = _header(number, mix, "");
        vm.setBlockhash(number, keccak256(header));
    }

    /// @dev The statement seed a task was opened with (its commitment identifies it).
    function _seedOf(uint256 taskId) internal view returns (uint256) {
        bytes32 c = taskRegistry.taskOf(taskId).inputCommitment;
        for (uint256 s; s < 1000; ++s) {
            if (commitmentOf(statement(s)) == c) return s;
        }
        revert("seed not found");
    }

    /// @notice Logs how deep the runs went (draws, covers, root proofs, expiries that took effect).
    function afterInvariant() external view {
        console2.log("draws", handler.draws(), "covers", handler.covers());
        console2.log("proofs", handler.proofs(), "expiries", handler.expiries());
    }

    function invariant_TokensConserved() public view {
        assertTreeConserved(everyone());
    }

    /// @dev No draw gives a range to a member that joined, topped up or left from the block before the
    ///      draw's seed block on (the seed may have been public by then).
    function invariant_NoRangeForABondChangedAfterTheSeed() public view {
        assertEq(handler.lateChangesDrawn(), 0);
    }

    function invariant_LocksMatchRanges() public view {
        uint256 locked;
        for (uint256 i; i < members.length; ++i) {
            (, uint256 l) = tree.bondOf(members[i]);
            locked += l;
            if (l != 0) {
                bool inPool;
                for (uint256 j; j < tree.memberSlots(); ++j) {
                    if (tree.memberAt(j).prover == members[i]) inPool = true;
                }
                assertTrue(inPool, "a member with a locked range is in the pool");
            }
        }
        uint256 live;
        uint256 n = handler.taskCount();
        for (uint256 k; k < n; ++k) {
            uint256 taskId = handler.taskIds(k);
            ITreeAssignment.TreeTask memory t = tree.treeOf(taskId);
            if (t.status != ITreeAssignment.TreeStatus.Drawn) continue;
            for (uint256 r; r < t.rangeCount; ++r) {
                ITreeAssignment.RangeState st = tree.rangeOf(taskId, r).state;
                if (st == ITreeAssignment.RangeState.Drawn || st == ITreeAssignment.RangeState.Attested) ++live;
            }
        }
        assertEq(locked, live);
    }
}
