// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerMechanism} from "../../../contracts/interfaces/ILedgerMechanism.sol";
import {ILedgerTreeAssignment} from "../../../contracts/interfaces/ILedgerTreeAssignment.sol";
import {IMechanism} from "../../../contracts/interfaces/IMechanism.sol";
import {IProverRegistry} from "../../../contracts/interfaces/IProverRegistry.sol";
import {IRouterInstances} from "../../../contracts/interfaces/IRouterInstances.sol";
import {ITaskLedger} from "../../../contracts/interfaces/ITaskLedger.sol";
import {ITreeAssignment} from "../../../contracts/interfaces/ITreeAssignment.sol";
import {BlockHeaderRandomness} from "../../../contracts/libraries/BlockHeaderRandomness.sol";
import {TreeShape} from "../../../contracts/libraries/TreeShape.sol";
import {LedgerTreeAssignment} from "../../../contracts/mechanisms/ledger/LedgerTreeAssignment.sol";
import {LedgerRequest, LedgerTask, LedgerTaskLib, TaskWord} from "../../../contracts/types/LedgerTask.sol";
import {RootProofVerifier} from "../../../contracts/verifiers/RootProofVerifier.sol";
import {HeaderBuilder} from "../../mechanisms/ElectionRace.t.sol";
import {LedgerFixture} from "../LedgerFixture.sol";
import {LedgerRouterFixture} from "../LedgerRouterFixture.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {stdJson} from "forge-std/StdJson.sol";

/// @notice Deployment, draw and attestation helpers shared by the ledger tree's unit tests and its gas suite.
abstract contract LedgerTreeFixture is LedgerFixture, HeaderBuilder {
    uint96 internal constant RANGE_BOND = 20e18;
    uint96 internal constant ROOT_COLLATERAL = 100e18;
    uint256 internal constant POOL_BOND = 100e18;

    LedgerTreeAssignment internal tree;
    address internal dave = makeAddr("dave");
    address[] internal members;

    function treeParams() internal pure returns (ITreeAssignment.Params memory) {
        return ITreeAssignment.Params({
            rangeBond: RANGE_BOND,
            rootCollateral: ROOT_COLLATERAL,
            rangeWindowBps: 5000,
            uncleBps: 5000,
            maxRanges: 16,
            maxPoolSize: 32,
            drawDelay: 2,
            exitDelay: 1 hours,
            baseWeight: 1,
            mergeWeight: 1,
            rootWeight: 1,
            profile: IMechanism.Profile({kind: 6, speed: 8, cost: 4, safety: 7, censorshipResistance: 10})
        });
    }

    /// @dev A tree instance allow-listed in the ledger and listed as a capacity holder of its ProverRegistry.
    function deployTreeInstance() internal returns (LedgerTreeAssignment t) {
        t = new LedgerTreeAssignment(ledger, IERC20(address(token)), treeParams());
        ledger.setMechanism(address(t), true);
        proverRegistry.addCapacityHolder(address(t));
    }

    /// @dev The ledger fixture, the tree, and alice, bob, carol and dave registered and bonded in its pool.
    function deployTree() internal {
        deployLedger();
        tree = deployTreeInstance();
        vm.label(address(tree), "LedgerTreeAssignment");
        members = [alice, bob, carol, dave];
        _accounts.push(dave);
        for (uint256 i; i < members.length; ++i) {
            registerProver(members[i]);
            joinPoolOn(tree, members[i], POOL_BOND);
        }
    }

    /// @dev Mints `amount` to `prover` (registered already) and bonds it in `t`'s pool.
    function joinPoolOn(LedgerTreeAssignment t, address prover, uint256 amount) internal {
        token.mint(prover, amount);
        vm.startPrank(prover);
        token.approve(address(t), amount);
        t.joinPool(amount);
        vm.stopPrank();
    }

    function treeRequestOn(LedgerTreeAssignment t, uint256 seed, uint32 txCount, uint32 rangeSize)
        internal
        view
        returns (LedgerRequest memory r)
    {
        r = ledgerRequest(seed, 1, address(t));
        r.mechanismData = abi.encode(txCount, rangeSize);
    }

    function openTree(uint256 seed, uint32 txCount, uint32 rangeSize) internal returns (uint256, LedgerTask memory) {
        return openLedger(treeRequestOn(tree, seed, txCount, rangeSize));
    }

    function drawBlockOf(LedgerTreeAssignment t, LedgerTask memory task) internal pure returns (uint256 drawBlock) {
        (drawBlock,,) = t.shapeOf(task.mechanismState);
    }

    /// @dev Rolls past the seed block (if needed) and makes the chain hold its header with prevrandao `mix`.
    function seedHeaderOn(LedgerTreeAssignment t, LedgerTask memory task, bytes32 mix)
        internal
        returns (bytes memory header)
    {
        uint256 drawBlock = drawBlockOf(t, task);
        if (block.number <= drawBlock) vm.roll(drawBlock + 1);
        header = _header(drawBlock, mix, "");
        vm.setBlockhash(drawBlock, keccak256(header));
    }

    /// @dev The task's version after a draw on `t`: the root owner assigned when the registry took the lock.
    function drawnVersion(LedgerTreeAssignment t, uint256 taskId, LedgerTask memory task)
        internal
        view
        returns (LedgerTask memory n)
    {
        if (!t.treeOf(taskId).rootAssigned) return copyOf(task);
        uint96 collateral = task.minCollateral > ROOT_COLLATERAL ? task.minCollateral : ROOT_COLLATERAL;
        n = withAssignment(task, t.rootProverOf(taskId), 0, collateral, task.mechanismState);
    }

    /// @dev Draws `task` on `t` with prevrandao `mix`; returns (and tracks) the task's next version.
    function drawOn(LedgerTreeAssignment t, uint256 taskId, LedgerTask memory task, bytes32 mix)
        internal
        returns (LedgerTask memory n)
    {
        t.draw(taskId, task, seedHeaderOn(t, task, mix));
        n = drawnVersion(t, taskId, task);
        track(taskId, n);
    }

    function drawTree(uint256 taskId, LedgerTask memory task, bytes32 mix) internal returns (LedgerTask memory) {
        return drawOn(tree, taskId, task, mix);
    }

    function ownerOf(uint256 taskId, uint256 range) internal view returns (address) {
        return tree.rangeOf(taskId, range).owner;
    }

    function attestOn(LedgerTreeAssignment t, uint256 taskId, uint256 range) internal {
        vm.prank(t.rangeOf(taskId, range).owner);
        t.attest(taskId, range, keccak256(abi.encode("top", range)), keccak256(abi.encode("node", range)));
    }

    function attestAll(uint256 taskId) internal {
        uint256 k = tree.treeOf(taskId).rangeCount;
        for (uint256 i; i < k; ++i) {
            attestOn(tree, taskId, i);
        }
    }

    /// @dev The mechanism's token balance == Σ free bonds + rangeBond × Σ locked ranges + Σ claimable (the fixture's
    ///      accounts).
    function assertTreeConserved(LedgerTreeAssignment t) internal view {
        uint256 sum;
        for (uint256 i; i < t.memberSlots(); ++i) {
            ITreeAssignment.Member memory m = t.memberAt(i);
            (, uint256 locked) = t.bondOf(m.prover);
            sum += m.freeBond + uint256(RANGE_BOND) * locked;
        }
        for (uint256 i; i < _accounts.length; ++i) {
            sum += t.claimable(_accounts[i]);
        }
        assertEq(token.balanceOf(address(t)), sum, "tree bonds conserved");
    }
}

/// @notice LedgerTreeAssignment against the real TaskLedger, ProverRegistry and HashVerifier circuit (and, in
///         `test_RealGroth16RootProof_PaysByContribution`, the generated Root verifier with real proofs).
contract LedgerTreeAssignmentTest is LedgerTreeFixture {
    using stdJson for string;

    bytes32 internal constant MIX = keccak256("prevrandao");

    function setUp() public {
        deployTree();
    }

    function _slot(address prover) internal view returns (uint256) {
        for (uint256 i; i < tree.memberSlots(); ++i) {
            if (tree.memberAt(i).prover == prover) return i;
        }
        revert("not a member");
    }

    function _expectSubmitRevert(uint256 taskId, LedgerTask memory t, uint256 seed, address prover, bytes memory err)
        internal
    {
        bytes memory proof = proofOf(seed, prover);
        uint256[] memory inputs = statement(seed);
        vm.prank(prover);
        vm.expectRevert(err);
        ledger.submitProof(taskId, t, inputs, proof);
    }

    // ================================================================== hooks, profile, opening

    function test_Hooks() public view {
        (uint8 flags, uint8 cap) = tree.hooks();
        assertEq(
            flags,
            LedgerTaskLib.HOOK_OPEN | LedgerTaskLib.HOOK_CLOSE | LedgerTaskLib.HOOK_ASSIGNED_PROOF
                | LedgerTaskLib.HOOK_CONTRIBUTORS
        );
        assertEq(cap, 1);
    }

    function test_Profile() public view {
        IMechanism.Profile memory p = tree.profile();
        assertEq(p.kind, 6);
        assertEq(p.speed, 8);
        assertEq(p.cost, 4);
        assertEq(p.safety, 7);
        assertEq(p.censorshipResistance, 10);
    }

    function test_OpenFixesTheSeedBlockAndShapeInTheTask() public {
        (uint256 id, LedgerTask memory t) = openTree(1, 8, 2);
        (uint256 drawBlock, uint256 txCount, uint256 rangeSize) = tree.shapeOf(t.mechanismState);
        assertEq(drawBlock, block.number + 2);
        assertEq(txCount, 8);
        assertEq(rangeSize, 2);
        // Nothing stored before the draw.
        assertEq(uint8(tree.treeOf(id).status), uint8(ITreeAssignment.TreeStatus.None));
        assertEq(tree.rootProverOf(id), address(0));
    }

    function test_RangeLargerThanTheTreeIsTheWholeTree() public {
        (, LedgerTask memory t) = openTree(1, 4, 100);
        (,, uint256 rangeSize) = tree.shapeOf(t.mechanismState);
        assertEq(rangeSize, 4);
    }

    // ================================================================== draw

    function test_DrawAssignsDistinctOwnersAndTheRoot() public {
        (uint256 id, LedgerTask memory t) = openTree(1, 8, 2);
        uint256 drawAt = block.timestamp;
        t = drawTree(id, t, MIX);
        address[4] memory o = [ownerOf(id, 0), ownerOf(id, 1), ownerOf(id, 2), ownerOf(id, 3)];
        for (uint256 i; i < 4; ++i) {
            for (uint256 j = i + 1; j < 4; ++j) {
                assertTrue(o[i] != o[j], "distinct while enough members qualify");
            }
            (uint256 free, uint256 locked) = tree.bondOf(o[i]);
            assertEq(free, POOL_BOND - RANGE_BOND);
            assertEq(locked, 1);
        }
        assertEq(tree.rootProverOf(id), o[0]);
        assertEq(t.assignee, o[0], "the root owner is the ledger's assignee");
        ledger.checkTask(id, t);
        assertEq(proverRegistry.proverOf(o[0]).locked, ROOT_COLLATERAL);
        ITreeAssignment.TreeTask memory w = tree.treeOf(id);
        assertTrue(w.rootAssigned);
        assertEq(w.rangeCount, 4);
        assertEq(w.rangeDeadline, drawAt + TASK_DURATION / 2);
        // Range 0 and the root are one job: held capacity counts the other ranges only.
        assertEq(tree.heldCapacityOf(o[0]), 0);
        assertEq(tree.heldCapacityOf(o[1]), 1);
        assertTreeConserved(tree);
        assertConserved();
    }

    function test_DrawIsDeterministicInThePrevrandao() public {
        (uint256 a, LedgerTask memory ta) = openTree(1, 8, 2);
        (uint256 b, LedgerTask memory tb) = openTree(2, 8, 2);
        drawTree(a, ta, MIX);
        drawTree(b, tb, MIX);
        // The task id mixes into the seed: the draws differ somewhere.
        bool differs;
        for (uint256 i; i < 4; ++i) {
            if (ownerOf(a, i) != ownerOf(b, i)) differs = true;
        }
        assertTrue(differs);
    }

    function test_GrindingTheSeedBlocksContentsDoesNotChangeTheDraw() public {
        (uint256 id, LedgerTask memory t) = openTree(1, 8, 2);
        uint256 drawBlock = drawBlockOf(tree, t);
        vm.roll(drawBlock + 1);
        uint256 snap = vm.snapshotState();
        bytes memory h1 = _header(drawBlock, MIX, "builder A");
        vm.setBlockhash(drawBlock, keccak256(h1));
        tree.draw(id, t, h1);
        address[4] memory first = [ownerOf(id, 0), ownerOf(id, 1), ownerOf(id, 2), ownerOf(id, 3)];
        vm.revertToState(snap);
        bytes memory h2 = _header(drawBlock, MIX, "builder B, other txs");
        vm.setBlockhash(drawBlock, keccak256(h2));
        tree.draw(id, t, h2);
        for (uint256 i; i < 4; ++i) {
            assertEq(ownerOf(id, i), first[i], "only prevrandao seeds the draw");
        }
    }

    function test_DrawReanchorsWhenTheSeedBlockIsTooOld() public {
        (uint256 id, LedgerTask memory t) = openTree(1, 8, 2);
        uint256 drawBlock = drawBlockOf(tree, t);
        vm.roll(drawBlock + 300);
        uint256 next = block.number + 2;
        vm.expectEmit(address(tree));
        emit ILedgerTreeAssignment.DrawReanchored(id, next);
        tree.draw(id, t, "");
        LedgerTask memory n = copyOf(t);
        n.mechanismState = uint64(next | 8 << 32 | 2 << 48);
        track(id, n);
        ledger.checkTask(id, n);
        assertEq(uint8(tree.treeOf(id).status), uint8(ITreeAssignment.TreeStatus.None), "still undrawn");
        // The stale copy no longer draws; the new seed block does.
        vm.roll(next + 1);
        bytes memory header = _header(next, MIX, "");
        vm.setBlockhash(next, keccak256(header));
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.StaleTask.selector, id));
        tree.draw(id, t, header);
        tree.draw(id, n, header);
        assertEq(uint8(tree.treeOf(id).status), uint8(ITreeAssignment.TreeStatus.Drawn));
    }

    function test_JoinsAfterTheSeedDoNotMoveTheDraw() public {
        (uint256 id, LedgerTask memory t) = openTree(1, 4, 2);
        uint256 drawBlock = drawBlockOf(tree, t);
        vm.roll(drawBlock + 1);
        bytes memory header = _header(drawBlock, MIX, "");
        vm.setBlockhash(drawBlock, keccak256(header));
        uint256 snap = vm.snapshotState();
        tree.draw(id, t, header);
        address[2] memory before = [ownerOf(id, 0), ownerOf(id, 1)];
        vm.revertToState(snap);
        // A whale who saw the seed joins with 100× the members' bond: passed over, nobody else moves.
        address whale = makeAddr("whale");
        registerProver(whale);
        joinPoolOn(tree, whale, 100 * POOL_BOND);
        tree.draw(id, t, header);
        assertEq(ownerOf(id, 0), before[0]);
        assertEq(ownerOf(id, 1), before[1]);
    }

    function test_TopUpInTheBlockBeforeTheSeedPassesTheTurn() public {
        (uint256 id, LedgerTask memory t) = openTree(1, 4, 4);
        uint256 drawBlock = drawBlockOf(tree, t);
        vm.roll(drawBlock + 1);
        bytes memory header = _header(drawBlock, MIX, "");
        vm.setBlockhash(drawBlock, keccak256(header));
        uint256 snap = vm.snapshotState();
        tree.draw(id, t, header);
        address winner = ownerOf(id, 0);
        vm.revertToState(snap);
        vm.roll(drawBlock - 1);
        joinPoolOn(tree, winner, 1);
        vm.roll(drawBlock + 1);
        tree.draw(id, t, header);
        assertTrue(ownerOf(id, 0) != winner, "a bond changed once the seed could be known does not count");
    }

    function test_RangeZeroAndTheRootUseOneDeclaredSlot() public {
        LedgerTreeAssignment solo = deployTreeInstance();
        address eve = makeAddr("eve");
        _accounts.push(eve);
        registerProver(eve, PROVER_STAKE, 1);
        joinPoolOn(solo, eve, POOL_BOND);
        // One declared slot: a single-range tree fits (range 0 is the root's job) …
        (uint256 id, LedgerTask memory t) = openLedger(treeRequestOn(solo, 1, 4, 4));
        t = drawOn(solo, id, t, MIX);
        assertEq(solo.rootProverOf(id), eve);
        assertTrue(solo.treeOf(id).rootAssigned);
        assertEq(proverRegistry.proverOf(eve).activeAssignments, 1);
        // … and a second tree finds no member with a free slot.
        (uint256 id2, LedgerTask memory t2) = openLedger(treeRequestOn(solo, 2, 4, 4));
        bytes memory header = seedHeaderOn(solo, t2, MIX);
        vm.expectRevert(abi.encodeWithSelector(ILedgerTreeAssignment.NoEligibleProvers.selector, id2));
        solo.draw(id2, t2, header);
    }

    function test_RevertWhen_EveryMemberAtCapacityForASecondRange() public {
        LedgerTreeAssignment solo = deployTreeInstance();
        address eve = makeAddr("eve");
        registerProver(eve, PROVER_STAKE, 1);
        joinPoolOn(solo, eve, POOL_BOND);
        // Two ranges need two slots of the only member, which declared one.
        (uint256 id, LedgerTask memory t) = openLedger(treeRequestOn(solo, 1, 4, 2));
        bytes memory header = seedHeaderOn(solo, t, MIX);
        vm.expectRevert(abi.encodeWithSelector(ILedgerTreeAssignment.NoEligibleProvers.selector, id));
        solo.draw(id, t, header);
    }

    function test_TreeRangesFillCapacityForOtherMechanisms() public {
        // Every member declared 4 slots; 16 ranges over four members lock 4 each (range 0 counted with the root).
        (uint256 id, LedgerTask memory t) = openTree(1, 16, 1);
        t = drawTree(id, t, MIX);
        address someone = ownerOf(id, 1);
        (, uint256 locked) = tree.bondOf(someone);
        assertEq(locked, 4);
        (uint256 other, LedgerTask memory ot) = openAssigned(7);
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.CapacityExceeded.selector, someone, 4));
        assigner.assign(other, ot, someone, 1, COLLATERAL);
        vm.prank(someone);
        vm.expectRevert();
        proverRegistry.setCapacity(1, 3);
    }

    function test_RootRefusedByTheRegistry_OwnerStillProvesUnassigned() public {
        LedgerRequest memory r = treeRequestOn(tree, 1, 4, 2);
        r.minCollateral = uint96(2 * PROVER_STAKE); // more than any member's registry stake
        (uint256 id, LedgerTask memory t) = openLedger(r);
        t = drawTree(id, t, MIX);
        assertFalse(tree.treeOf(id).rootAssigned);
        assertEq(t.assignee, address(0));
        ledger.checkTask(id, t);
        address root = tree.rootProverOf(id);
        assertEq(tree.heldCapacityOf(root), 1, "range 0 counts here when the registry holds no root");
        // Nobody else may prove the unbacked root.
        address other = ownerOf(id, 1);
        _expectSubmitRevert(
            id, t, 1, other, abi.encodeWithSelector(ILedgerTreeAssignment.NotRootProver.selector, id, other)
        );
        attestAll(id);
        uint256 credited = proveLedger(id, t, 1, root);
        assertGt(credited, 0);
        assertTreeConserved(tree);
        assertConserved();
    }

    // ================================================================== payout

    function test_AllAttest_RootPaysByContribution() public {
        (uint256 id, LedgerTask memory t) = openTree(1, 8, 2);
        t = drawTree(id, t, MIX);
        attestAll(id);
        address[4] memory o = [ownerOf(id, 0), ownerOf(id, 1), ownerOf(id, 2), ownerOf(id, 3)];
        uint256 credited = proveLedger(id, t, 1, o[0]);
        // 16 units: range 0 + root 6, range 1 3, range 2 4 (it leads the right merge), range 3 3.
        assertEq(credited, TASK_BUDGET * 6 / 16);
        assertEq(ledger.balanceOf(o[1]), TASK_BUDGET * 3 / 16);
        assertEq(ledger.balanceOf(o[2]), TASK_BUDGET * 4 / 16);
        assertEq(ledger.balanceOf(o[3]), TASK_BUDGET * 3 / 16);
        assertEq(TaskWord.unwrap(ledger.taskWord(id)), 0, "fulfilled");
        assertEq(uint8(tree.treeOf(id).status), uint8(ITreeAssignment.TreeStatus.None), "tree word deleted");
        for (uint256 i; i < 4; ++i) {
            (uint256 free, uint256 locked) = tree.bondOf(o[i]);
            assertEq(free, POOL_BOND);
            assertEq(locked, 0);
        }
        assertEq(proverRegistry.proverOf(o[0]).locked, 0);
        assertTreeConserved(tree);
        assertConserved();
    }

    function test_SingleRangeTree_RootTakesAll() public {
        (uint256 id, LedgerTask memory t) = openTree(1, 4, 4);
        t = drawTree(id, t, MIX);
        attestAll(id);
        assertEq(proveLedger(id, t, 1, tree.rootProverOf(id)), TASK_BUDGET);
        assertTreeConserved(tree);
        assertConserved();
    }

    function test_SingleRangeTree_RootProofWithoutAttestKeepsTheBond() public {
        (uint256 id, LedgerTask memory t) = openTree(1, 4, 4);
        t = drawTree(id, t, MIX);
        address root = tree.rootProverOf(id);
        vm.warp(tree.treeOf(id).rangeDeadline + 1);
        assertEq(proveLedger(id, t, 1, root), TASK_BUDGET);
        (uint256 free, uint256 locked) = tree.bondOf(root);
        assertEq(free, POOL_BOND, "the root proof delivers range 0");
        assertEq(locked, 0);
        assertEq(tree.claimable(requester), 0);
        assertTreeConserved(tree);
        assertConserved();
    }

    function test_TreeWordSlotIsReusedAndABusySlotRefused() public {
        (uint256 first, LedgerTask memory t1) = openTree(1, 4, 4);
        t1 = drawTree(first, t1, MIX);
        // 255 further tasks of the requester (any mechanism) bring the nonce round to the same slot.
        for (uint256 i; i < 255; ++i) {
            openRace(1000 + i, 1);
        }
        (uint256 id, LedgerTask memory t) = openTree(2, 4, 4);
        assertEq(id & 0xff, first & 0xff);
        bytes memory header = seedHeaderOn(tree, t, MIX);
        vm.expectRevert(abi.encodeWithSelector(ILedgerTreeAssignment.TreeSlotBusy.selector, id, first));
        tree.draw(id, t, header);
        // Once the first tree ends, the slot is rewritten by the new one.
        proveLedger(first, t1, 1, tree.rootProverOf(first));
        assertEq(tree.rootProverOf(first), address(0));
        tree.draw(id, t, header);
        assertEq(uint8(tree.treeOf(id).status), uint8(ITreeAssignment.TreeStatus.Drawn));
        assertEq(uint8(tree.treeOf(first).status), uint8(ITreeAssignment.TreeStatus.None));
    }

    function test_UnattestedRangeIsCreditedToTheRootProverAndItsBondSlashed() public {
        (uint256 id, LedgerTask memory t) = openTree(1, 8, 4);
        t = drawTree(id, t, MIX);
        attestOn(tree, id, 0);
        address lazy = ownerOf(id, 1);
        vm.warp(tree.treeOf(id).rangeDeadline + 1);
        // Nobody covers; the root prover proves range 1 itself: 5 + 1 (root) + 4 units … all 16.
        uint256 credited = proveLedger(id, t, 1, tree.rootProverOf(id));
        assertEq(credited, TASK_BUDGET);
        (uint256 free, uint256 locked) = tree.bondOf(lazy);
        assertEq(free, POOL_BOND - RANGE_BOND, "late range's bond slashed");
        assertEq(locked, 0);
        assertEq(tree.claimable(requester), RANGE_BOND);
        assertTreeConserved(tree);
        assertConserved();
    }

    // ================================================================== uncle cover

    function test_OneRangeOwnerFails_SiblingCoversWithTheUncleReward() public {
        (uint256 id, LedgerTask memory t) = openTree(1, 8, 2);
        t = drawTree(id, t, MIX);
        address root = ownerOf(id, 0);
        address failed = ownerOf(id, 1);
        attestOn(tree, id, 0);
        attestOn(tree, id, 2);
        attestOn(tree, id, 3);
        vm.warp(tree.treeOf(id).rangeDeadline + 1);
        // Range 1's sibling subtree is range 0: its owner is the uncle.
        vm.expectEmit(address(tree));
        emit ILedgerTreeAssignment.RangeCovered(id, 1, failed, root, RANGE_BOND / 2, RANGE_BOND / 2);
        vm.prank(root);
        tree.cover(id, t, 1, keccak256("top"), keccak256("node"));
        assertEq(uint8(tree.rangeOf(id, 1).state), uint8(ITreeAssignment.RangeState.Covered));
        assertEq(tree.rangeOf(id, 1).owner, root);
        (uint256 free, uint256 locked) = tree.bondOf(failed);
        assertEq(free, POOL_BOND - RANGE_BOND, "the failed owner is slashed");
        assertEq(locked, 0);
        assertEq(tree.claimable(root), RANGE_BOND / 2, "uncle reward");
        assertEq(tree.claimable(requester), RANGE_BOND / 2);
        // The root proof pays the uncle both ranges: 6 + 3 of 16 units.
        uint256 credited = proveLedger(id, t, 1, root);
        assertEq(credited, TASK_BUDGET * 9 / 16);
        assertEq(ledger.balanceOf(failed), 0);
        vm.prank(root);
        assertEq(tree.withdraw(), RANGE_BOND / 2);
        assertTreeConserved(tree);
        assertConserved();
    }

    function test_RootRangeOwnerFails_UncleTakesTheRootAndTheCoverBounty() public {
        (uint256 id, LedgerTask memory t) = openTree(1, 8, 2);
        t = drawTree(id, t, MIX);
        address failed = ownerOf(id, 0);
        address uncle = ownerOf(id, 1);
        attestOn(tree, id, 1);
        attestOn(tree, id, 2);
        attestOn(tree, id, 3);
        vm.warp(tree.treeOf(id).rangeDeadline + 1);
        uint256 treasuryBefore = ledger.balanceOf(treasury);
        vm.prank(uncle);
        tree.cover(id, t, 0, keccak256("top"), keccak256("node"));
        // The ledger slashed the root assignment (20 % treasury, 50 % cover bounty, 30 % requester) and assigned
        // the uncle on the version that slash left.
        LedgerTask memory n = slashedVersion(t, ROOT_COLLATERAL / 2, t.mechanismState);
        n = withAssignment(n, uncle, 0, ROOT_COLLATERAL, t.mechanismState);
        track(id, n);
        ledger.checkTask(id, n);
        assertEq(tree.rootProverOf(id), uncle);
        assertTrue(tree.treeOf(id).rootAssigned);
        assertEq(ledger.balanceOf(treasury) - treasuryBefore, ROOT_COLLATERAL / 5);
        assertEq(proverRegistry.proverOf(failed).locked, 0);
        assertEq(proverRegistry.proverOf(failed).stake, PROVER_STAKE - ROOT_COLLATERAL);
        (uint256 free,) = tree.bondOf(failed);
        assertEq(free, POOL_BOND - RANGE_BOND);
        // The old copy is stale; the failed owner can no longer prove.
        _expectSubmitRevert(id, t, 1, failed, abi.encodeWithSelector(ITaskLedger.StaleTask.selector, id));
        uint256 credited = proveLedger(id, n, 1, uncle);
        assertEq(credited, TASK_BUDGET * 9 / 16 + ROOT_COLLATERAL / 2, "both ranges, the root and the bounty");
        assertTreeConserved(tree);
        assertConserved();
    }

    function test_EveryProverFails_ExpirySlashesTheRootAndEveryBond() public {
        (uint256 id, LedgerTask memory t) = openTree(1, 8, 2);
        t = drawTree(id, t, MIX);
        address root = ownerOf(id, 0);
        vm.warp(t.deadline + 1);
        uint256 requesterBefore = ledger.balanceOf(requester);
        ledger.expire(id, t);
        // The ledger: root collateral split, escrow refunded. The tree: four range bonds to the requester.
        assertEq(ledger.balanceOf(requester) - requesterBefore, TASK_BUDGET + ROOT_COLLATERAL * 8 / 10);
        assertEq(proverRegistry.proverOf(root).stake, PROVER_STAKE - ROOT_COLLATERAL);
        assertEq(tree.claimable(requester), 4 * RANGE_BOND);
        for (uint256 i; i < members.length; ++i) {
            (uint256 free, uint256 locked) = tree.bondOf(members[i]);
            assertEq(free, POOL_BOND - RANGE_BOND);
            assertEq(locked, 0);
            assertEq(tree.heldCapacityOf(members[i]), 0);
        }
        assertEq(uint8(tree.treeOf(id).status), uint8(ITreeAssignment.TreeStatus.None));
        assertTreeConserved(tree);
        assertConserved();
    }

    function test_ExpiryBeforeTheRangeDeadlineReturnsTheBonds() public {
        LedgerRequest memory r = treeRequestOn(tree, 1, 8, 2);
        (uint256 id, LedgerTask memory t) = openLedger(r);
        t = drawTree(id, t, MIX);
        // Cancel is refused while the root is assigned; expiry after the deadline settles every range late.
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.CannotCancel.selector, id));
        ledger.cancelTask(id, t);
    }

    function test_CancelWithAnUnbackedRootReturnsTheBonds() public {
        LedgerRequest memory r = treeRequestOn(tree, 1, 8, 2);
        r.minCollateral = uint96(2 * PROVER_STAKE);
        (uint256 id, LedgerTask memory t) = openLedger(r);
        t = drawTree(id, t, MIX);
        vm.prank(requester);
        ledger.cancelTask(id, t);
        for (uint256 i; i < members.length; ++i) {
            (uint256 free, uint256 locked) = tree.bondOf(members[i]);
            assertEq(free, POOL_BOND, "within the window: bond returned");
            assertEq(locked, 0);
        }
        assertTreeConserved(tree);
        assertConserved();
    }

    function test_TreeCannotBeAFallback() public {
        LedgerRequest memory r = ledgerRequest(1, 1, address(ledgerRace));
        r.fallbackMechanism = address(tree);
        r.fallbackWindow = 1 hours;
        (uint256 id, LedgerTask memory t) = openLedger(r);
        vm.warp(t.deadline + 1);
        vm.expectEmit(address(ledger));
        emit ITaskLedger.FallbackFailed(id, address(tree));
        ledger.expire(id, t);
        assertEq(ledger.balanceOf(requester), TASK_BUDGET);
    }

    // ================================================================== real Groth16 root proofs

    function test_RealGroth16RootProof_PaysByContribution() public {
        RootProofVerifier rootVerifier = new RootProofVerifier();
        string memory json = vm.readFile("test/fixtures/rollup_blocks.json");
        bytes32 circuitId = json.readBytes32(".root_circuit_id");
        verifierRegistry.setVerifier(circuitId, address(rootVerifier));
        uint256[] memory inputs = new uint256[](4);
        inputs[0] = uint256(json.readBytes32(".blocks[0].prev_state_root"));
        inputs[1] = uint256(json.readBytes32(".blocks[0].new_state_root"));
        inputs[2] = uint256(json.readBytes32(".blocks[0].txs_commitment"));
        inputs[3] = json.readUint(".blocks[0].number");
        // A pool of the three fixture provers only (each holds a real root proof bound to its address).
        LedgerTreeAssignment rootTree = deployTreeInstance();
        address[3] memory fp;
        bytes[3] memory proofs;
        for (uint256 i; i < 3; ++i) {
            string memory at = string.concat(".blocks[0].proofs[", vm.toString(i), "]");
            fp[i] = json.readAddress(string.concat(at, ".prover"));
            proofs[i] = json.readBytes(string.concat(at, ".proof"));
            registerProver(fp[i]);
            joinPoolOn(rootTree, fp[i], POOL_BOND);
            _accounts.push(fp[i]);
        }
        LedgerRequest memory r = treeRequestOn(rootTree, 0, 4, 2);
        r.circuitId = circuitId;
        r.inputCommitment = keccak256(abi.encodePacked(inputs));
        (uint256 id, LedgerTask memory t) = openLedger(r);
        t = drawOn(rootTree, id, t, MIX);
        attestOn(rootTree, id, 0);
        attestOn(rootTree, id, 1);
        address root = rootTree.rootProverOf(id);
        address other = rootTree.rangeOf(id, 1).owner;
        uint256 rootIdx;
        uint256 otherIdx;
        for (uint256 i; i < 3; ++i) {
            if (fp[i] == root) rootIdx = i;
            if (fp[i] == other) otherIdx = i;
        }
        // The other owner's real proof does not verify for the root prover (it binds its own address).
        vm.prank(root);
        vm.expectRevert();
        ledger.submitProof(id, t, inputs, proofs[otherIdx]);
        vm.prank(root);
        uint256 credited = ledger.submitProof(id, t, inputs, proofs[rootIdx]);
        // 4 leaves in 2 ranges: 4 + 3 + 1 = 8 units; range 0 + root 2 + 1 + 1 + 1 = 4… range 1 3.
        assertEq(credited, TASK_BUDGET - TASK_BUDGET * 3 / 8);
        assertEq(ledger.balanceOf(other), TASK_BUDGET * 3 / 8);
        assertTreeConserved(rootTree);
        assertConserved();
    }

    // ================================================================== fuzz

    /// @dev Any shape, any seed, any subset of attestations (and a cover of range 1 when possible): the budget is
    ///      paid out exactly, the ledger's escrow and the tree's bonds are conserved.
    function testFuzz_PayoutAndBondsConserved(uint32 txCount, uint32 rangeSize, bytes32 mix, uint16 attestMask) public {
        txCount = uint32(bound(txCount, 1, 32));
        rangeSize = uint32(bound(rangeSize, 1, txCount));
        if (TreeShape.rangeCount(txCount, rangeSize) > 16) rangeSize = txCount;
        (uint256 id, LedgerTask memory t) = openTree(1, txCount, rangeSize);
        t = drawTree(id, t, mix);
        uint256 k = tree.treeOf(id).rangeCount;
        attestOn(tree, id, 0);
        for (uint256 i = 1; i < k; ++i) {
            if (attestMask & (1 << i) != 0) attestOn(tree, id, i);
        }
        vm.warp(tree.treeOf(id).rangeDeadline + 1);
        if (k > 1 && attestMask & 2 == 0 && ownerOf(id, 1) != ownerOf(id, 0)) {
            uint256 sibling = tree.rangeOf(id, 1).sibling;
            vm.prank(ownerOf(id, sibling));
            tree.cover(id, t, 1, bytes32(0), bytes32(0));
        }
        uint256 before = creditSum();
        proveLedger(id, t, 1, tree.rootProverOf(id));
        assertEq(creditSum() - before, TASK_BUDGET, "the whole budget paid out");
        assertTreeConserved(tree);
        assertConserved();
    }

    /// @dev The draw follows total bond: over many seeds a member with three times the bond wins range 0 about
    ///      three times as often (loose bounds; the exact distribution is ExponentialRace's, tested there).
    function test_DrawFrequenciesFollowBond() public {
        joinPoolOn(tree, alice, 2 * POOL_BOND); // alice 300, the others 100 each: 50 % for range 0
        vm.roll(block.number + 5);
        uint256 wins;
        uint256 n = 200;
        for (uint256 i; i < n; ++i) {
            (uint256 id, LedgerTask memory t) = openTree(1000 + i, 4, 4);
            t = drawTree(id, t, keccak256(abi.encode(i)));
            address root = tree.rootProverOf(id);
            if (root == alice) ++wins;
            proveLedger(id, t, 1000 + i, root);
        }
        assertGt(wins, n * 35 / 100);
        assertLt(wins, n * 65 / 100);
    }

    // ================================================================== router

    function test_RegistersWithTheLedgerRouter() public {
        // The ledger router reads the profile at registration and routes a pinned tree request to it.
        bytes memory code = vm.getCode("LedgerMechanismRouter.sol:LedgerMechanismRouter");
        address router;
        bytes memory init = abi.encodePacked(code, abi.encode(address(ledger), address(this)));
        assembly ("memory-safe") {
            router := create(0, add(init, 0x20), mload(init))
        }
        ledger.grantRole(ledger.ROUTER_ROLE(), router);
        ledger.setRouter(router);
        (bool ok, bytes memory ret) = router.call(
            abi.encodeWithSignature(
                "addInstance(address,(uint8,uint96,uint32,uint96,bool))",
                address(tree),
                uint8(1),
                ROOT_COLLATERAL,
                uint32(0),
                uint96(0),
                true
            )
        );
        assertTrue(ok, "addInstance");
        uint256 instanceId = abi.decode(ret, (uint256));
        LedgerRequest memory r = treeRequestOn(tree, 1, 8, 2);
        depositFor(requester, r.maxPayment);
        vm.prank(requester);
        (ok, ret) = router.call(
            abi.encodeWithSignature(
                "route((bytes32,bytes32,uint64,uint96,uint8,address,bool,address,uint32,uint96,bytes),(uint8,uint8,uint8,uint8,uint8,uint96))",
                r,
                uint8(7),
                uint8(5),
                uint8(8),
                uint8(8),
                uint8(1),
                uint96(0)
            )
        );
        assertTrue(ok, "route");
        (uint256 id, uint256 routedInstance, LedgerTask memory t) = abi.decode(ret, (uint256, uint256, LedgerTask));
        assertEq(routedInstance, instanceId);
        assertEq(t.mechanism, address(tree));
        assertTrue(t.flags & LedgerTaskLib.FLAG_ROUTED != 0);
        track(id, t);
        t = drawTree(id, t, MIX);
        attestAll(id);
        proveLedger(id, t, 1, tree.rootProverOf(id));
        assertConserved();
    }

    // ================================================================== reverts

    function test_RevertWhen_DrawBeforeTheSeedBlockIsPast() public {
        (uint256 id, LedgerTask memory t) = openTree(1, 8, 2);
        uint256 drawBlock = drawBlockOf(tree, t);
        vm.expectRevert(abi.encodeWithSelector(ILedgerTreeAssignment.DrawTooEarly.selector, id, drawBlock));
        tree.draw(id, t, "");
        vm.roll(drawBlock);
        vm.expectRevert(abi.encodeWithSelector(ILedgerTreeAssignment.DrawTooEarly.selector, id, drawBlock));
        tree.draw(id, t, "");
    }

    function test_RevertWhen_DrawTwice() public {
        (uint256 id, LedgerTask memory t) = openTree(1, 8, 2);
        LedgerTask memory n = drawTree(id, t, MIX);
        vm.expectRevert(
            abi.encodeWithSelector(ILedgerTreeAssignment.WrongStatus.selector, id, ITreeAssignment.TreeStatus.Drawn)
        );
        tree.draw(id, n, "");
    }

    function test_RevertWhen_DrawStaleTask() public {
        (uint256 id, LedgerTask memory t) = openTree(1, 8, 2);
        bytes memory header = seedHeaderOn(tree, t, MIX);
        LedgerTask memory forged = copyOf(t);
        forged.maxPayment = 1;
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.StaleTask.selector, id));
        tree.draw(id, forged, header);
    }

    function test_RevertWhen_DrawTaskOfAnotherMechanism() public {
        (uint256 id, LedgerTask memory t) = openRace(1, 1);
        vm.expectRevert(abi.encodeWithSelector(ILedgerTreeAssignment.NotThisMechanism.selector, id, t.mechanism));
        tree.draw(id, t, "");
    }

    function test_RevertWhen_DrawWithAForgedHeader() public {
        (uint256 id, LedgerTask memory t) = openTree(1, 8, 2);
        seedHeaderOn(tree, t, MIX);
        bytes memory forged = _header(drawBlockOf(tree, t), keccak256("chosen"), "");
        vm.expectRevert();
        tree.draw(id, t, forged);
    }

    function test_RevertWhen_DrawAfterTheDeadline() public {
        (uint256 id, LedgerTask memory t) = openTree(1, 8, 2);
        bytes memory header = seedHeaderOn(tree, t, MIX);
        vm.warp(t.deadline);
        vm.expectRevert(abi.encodeWithSelector(ILedgerTreeAssignment.TaskPastDeadline.selector, id, t.deadline));
        tree.draw(id, t, header);
    }

    function test_RevertWhen_ProofBeforeTheDraw() public {
        (uint256 id, LedgerTask memory t) = openTree(1, 8, 2);
        _expectSubmitRevert(
            id, t, 1, alice, abi.encodeWithSelector(ILedgerTreeAssignment.WrongStatus.selector, id, uint8(0))
        );
    }

    function test_RevertWhen_AnotherProverSubmitsTheAssignedRoot() public {
        (uint256 id, LedgerTask memory t) = openTree(1, 8, 2);
        t = drawTree(id, t, MIX);
        address other = ownerOf(id, 1);
        _expectSubmitRevert(
            id, t, 1, other, abi.encodeWithSelector(ITaskLedger.AssignedToOther.selector, id, t.assignee)
        );
    }

    function test_RevertWhen_AttestByNonOwner() public {
        (uint256 id, LedgerTask memory t) = openTree(1, 8, 2);
        drawTree(id, t, MIX);
        address other = ownerOf(id, 1);
        vm.prank(other);
        vm.expectRevert(abi.encodeWithSelector(ILedgerTreeAssignment.NotRangeOwner.selector, id, 0, other));
        tree.attest(id, 0, bytes32(0), bytes32(0));
    }

    function test_RevertWhen_AttestAfterTheRangeDeadline() public {
        (uint256 id, LedgerTask memory t) = openTree(1, 8, 2);
        drawTree(id, t, MIX);
        uint256 rangeDeadline = tree.treeOf(id).rangeDeadline;
        vm.warp(rangeDeadline + 1);
        vm.prank(ownerOf(id, 0));
        vm.expectRevert(abi.encodeWithSelector(ILedgerTreeAssignment.RangeWindow.selector, id, rangeDeadline));
        tree.attest(id, 0, bytes32(0), bytes32(0));
    }

    function test_RevertWhen_AttestTwiceOrUndrawn() public {
        (uint256 id, LedgerTask memory t) = openTree(1, 8, 2);
        vm.expectRevert(abi.encodeWithSelector(ILedgerTreeAssignment.WrongStatus.selector, id, uint8(0)));
        tree.attest(id, 0, bytes32(0), bytes32(0));
        drawTree(id, t, MIX);
        attestOn(tree, id, 0);
        vm.prank(ownerOf(id, 0));
        vm.expectRevert(
            abi.encodeWithSelector(
                ILedgerTreeAssignment.WrongRangeState.selector, id, 0, ITreeAssignment.RangeState.Attested
            )
        );
        tree.attest(id, 0, bytes32(0), bytes32(0));
    }

    function test_RevertWhen_CoverBeforeTheRangeDeadline() public {
        (uint256 id, LedgerTask memory t) = openTree(1, 8, 2);
        t = drawTree(id, t, MIX);
        attestOn(tree, id, 0);
        uint256 rangeDeadline = tree.treeOf(id).rangeDeadline;
        vm.prank(ownerOf(id, 0));
        vm.expectRevert(abi.encodeWithSelector(ILedgerTreeAssignment.RangeWindow.selector, id, rangeDeadline));
        tree.cover(id, t, 1, bytes32(0), bytes32(0));
    }

    function test_RevertWhen_CoverByNonSibling() public {
        (uint256 id, LedgerTask memory t) = openTree(1, 8, 2);
        t = drawTree(id, t, MIX);
        attestAll(id);
        vm.warp(tree.treeOf(id).rangeDeadline + 1);
        address cousin = ownerOf(id, 2); // range 1's sibling is range 0, not range 2
        vm.prank(cousin);
        vm.expectRevert(abi.encodeWithSelector(ILedgerTreeAssignment.WrongRangeState.selector, id, 1, 2));
        tree.cover(id, t, 1, bytes32(0), bytes32(0));
    }

    function test_RevertWhen_CoverByAnUncleWhoDidNotAttest() public {
        (uint256 id, LedgerTask memory t) = openTree(1, 8, 2);
        t = drawTree(id, t, MIX);
        vm.warp(tree.treeOf(id).rangeDeadline + 1);
        address uncle = ownerOf(id, 0);
        vm.prank(uncle);
        vm.expectRevert(abi.encodeWithSelector(ILedgerTreeAssignment.NotUncle.selector, id, 1, uncle));
        tree.cover(id, t, 1, bytes32(0), bytes32(0));
        address cousin = ownerOf(id, 2);
        vm.prank(cousin);
        vm.expectRevert(abi.encodeWithSelector(ILedgerTreeAssignment.NotUncle.selector, id, 1, cousin));
        tree.cover(id, t, 1, bytes32(0), bytes32(0));
    }

    function test_RevertWhen_CoverASingleRangeTree() public {
        (uint256 id, LedgerTask memory t) = openTree(1, 4, 4);
        t = drawTree(id, t, MIX);
        vm.warp(tree.treeOf(id).rangeDeadline + 1);
        vm.expectRevert(abi.encodeWithSelector(ILedgerTreeAssignment.NoSibling.selector, id, 0));
        tree.cover(id, t, 0, bytes32(0), bytes32(0));
    }

    function test_RevertWhen_CoverRangeZeroWithAStaleTask() public {
        (uint256 id, LedgerTask memory t) = openTree(1, 8, 2);
        LedgerTask memory stale = copyOf(t);
        t = drawTree(id, t, MIX);
        attestOn(tree, id, 1);
        vm.warp(tree.treeOf(id).rangeDeadline + 1);
        vm.prank(ownerOf(id, 1));
        vm.expectRevert(abi.encodeWithSelector(ILedgerTreeAssignment.NotRootProver.selector, id, address(0)));
        tree.cover(id, stale, 0, bytes32(0), bytes32(0));
    }

    function test_RevertWhen_CoverAfterTheDeadline() public {
        (uint256 id, LedgerTask memory t) = openTree(1, 8, 2);
        t = drawTree(id, t, MIX);
        attestOn(tree, id, 0);
        vm.warp(t.deadline + 1);
        vm.prank(ownerOf(id, 0));
        vm.expectRevert(abi.encodeWithSelector(ILedgerTreeAssignment.TaskPastDeadline.selector, id, t.deadline));
        tree.cover(id, t, 1, bytes32(0), bytes32(0));
    }

    function test_RevertWhen_MechanismDataMalformed() public {
        LedgerRequest memory r = treeRequestOn(tree, 1, 8, 2);
        r.mechanismData = abi.encode(uint32(8));
        depositFor(requester, r.maxPayment);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(ILedgerTreeAssignment.MalformedMechanismData.selector, 32));
        ledger.createTask(r);
    }

    function test_RevertWhen_TooManyTransactions() public {
        LedgerRequest memory r = treeRequestOn(tree, 1, 70_000, 70_000);
        depositFor(requester, r.maxPayment);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(ILedgerTreeAssignment.TooManyTransactions.selector, 70_000));
        ledger.createTask(r);
    }

    function test_RevertWhen_TooManyRanges() public {
        LedgerRequest memory r = treeRequestOn(tree, 1, 64, 1);
        depositFor(requester, r.maxPayment);
        vm.prank(requester);
        vm.expectRevert();
        ledger.createTask(r);
    }

    function test_RevertWhen_RedundancyAboveOne() public {
        LedgerRequest memory r = treeRequestOn(tree, 1, 8, 2);
        r.redundancy = 2;
        depositFor(requester, r.maxPayment);
        uint256 next = ledger.nextTaskId(requester);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.TooManyWinners.selector, next, 2, 1));
        ledger.createTask(r);
    }

    function test_RevertWhen_HookCalledByOther() public {
        (uint256 id, LedgerTask memory t) = openTree(1, 8, 2);
        vm.expectRevert(abi.encodeWithSelector(ILedgerMechanism.OnlyTaskLedger.selector, address(this)));
        tree.onTaskOpened(id, t, abi.encode(uint32(8), uint32(2)));
        vm.expectRevert(abi.encodeWithSelector(ILedgerMechanism.OnlyTaskLedger.selector, address(this)));
        tree.onProofAccepted(id, t, alice, 0);
        vm.expectRevert(abi.encodeWithSelector(ILedgerMechanism.OnlyTaskLedger.selector, address(this)));
        tree.onTaskClosed(id, t);
    }

    function test_RevertWhen_JoiningAnUnlistedTree() public {
        LedgerTreeAssignment unlisted = new LedgerTreeAssignment(ledger, IERC20(address(token)), treeParams());
        token.mint(alice, 1e18);
        vm.startPrank(alice);
        token.approve(address(unlisted), 1e18);
        vm.expectRevert();
        unlisted.joinPool(1e18);
        vm.stopPrank();
    }

    function test_RevertWhen_ConstructorParameterOutOfRange() public {
        ITreeAssignment.Params memory p = treeParams();
        p.rangeBond = 0;
        vm.expectRevert(ILedgerTreeAssignment.InvalidParams.selector);
        new LedgerTreeAssignment(ledger, IERC20(address(token)), p);
    }

    // ================================================================== pool

    function test_LeaveAfterTheExitDelay() public {
        vm.prank(alice);
        tree.requestLeave(POOL_BOND);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ILedgerTreeAssignment.ExitNotReady.selector, block.timestamp + 1 hours));
        tree.leavePool();
        vm.warp(block.timestamp + 1 hours);
        vm.prank(alice);
        assertEq(tree.leavePool(), POOL_BOND);
        assertEq(tree.poolSize(), 3);
        assertFalse(proverRegistry.isCapacityMember(address(tree), alice));
        assertTreeConserved(tree);
    }
}

/// @notice The tree as an instance of the one-word router beside the five other ledger families.
contract LedgerTreeRoutingTest is LedgerRouterFixture, LedgerTreeFixture {
    uint256 internal treeInstance;

    function setUp() public {
        deployLedgerRouter();
        tree = deployTreeInstance();
        // The tree needs block data: without it, it is skipped (MissingData).
        treeInstance = lrouter.addInstance(
            address(tree),
            IRouterInstances.Limits({
                maxRedundancy: 1, stakeAtRisk: ROOT_COLLATERAL, minLeadTime: 0, minPricePerProof: 0, requiresData: true
            })
        );
        members = [alice, bob, carol];
        for (uint256 i; i < members.length; ++i) {
            registerProver(members[i]);
            joinPoolOn(tree, members[i], POOL_BOND);
        }
    }

    /// @dev Declared scores for the Aztec-like block (7/5/8/8): tree 8/4/7/10 → 212, election race 187.
    function test_AztecBlockWithBlockDataGetsTheTree_AndTheRouterLearnsTheOutcome() public {
        LedgerRequest memory r = routedRequest(1);
        // A scored request carries data per kind; the router hands the tree (kind 6) its block shape.
        IRouterInstances.KindData[] memory data = new IRouterInstances.KindData[](1);
        data[0] = IRouterInstances.KindData({kind: 6, data: abi.encode(uint32(8), uint32(2))});
        r.mechanismData = abi.encode(data);
        (uint256 id, uint256 instanceId, LedgerTask memory t) = routeAs(requester, r, aztecBlock());
        assertEq(instanceId, treeInstance);
        assertEq(t.mechanism, address(tree));
        t = drawTree(id, t, keccak256("routed"));
        attestAll(id);
        proveLedger(id, t, 1, tree.rootProverOf(id));
        (,,,, uint32 count, uint32 fulfilled) = lrouter.statsOf(treeInstance);
        assertEq(count, 1, "the ledger reported the routed tree's outcome");
        assertEq(fulfilled, 1);
        assertConserved();
    }

    function test_AztecBlockWithoutBlockDataGetsTheElection() public {
        (, uint256 instanceId, LedgerTask memory t) = routeAs(requester, routedRequest(2), aztecBlock());
        assertTrue(instanceId != treeInstance);
        assertEq(t.mechanism, address(lelection));
    }
}
