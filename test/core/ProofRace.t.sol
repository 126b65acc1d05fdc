// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMechanism} from "../../contracts/interfaces/IMechanism.sol";
import {IProofVerifier} from "../../contracts/interfaces/IProofVerifier.sol";
import {ITaskRegistry} from "../../contracts/interfaces/ITaskRegistry.sol";
import {ProofRace} from "../../contracts/mechanisms/ProofRace.sol";
import {TaskRequest, TaskStatus} from "../../contracts/types/Task.sol";
import {Deployers} from "../utils/Deployers.sol";
import {TestMechanism} from "../utils/TestMechanism.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @notice Tests of the open proof race: who may prove, what each of the first K proofs is paid, copy
///         resistance, and a differential test of the payment schedule against a reference model.
contract ProofRaceTest is Deployers {
    uint256 internal constant BPS = 10_000;

    function setUp() public {
        deployCore();
        registerProver(alice);
        registerProver(bob);
        registerProver(carol);
    }

    /// Reference model of one paid proof, written independently of DecaySchedule: the share left at time
    /// `t` is the exact rational (10000·w − (10000 − floor)·min(t − start, w)) / (10000·w) of `base`,
    /// rounded up (the library rounds the *drop* down).
    function referencePayment(uint256 base, uint256 start, uint256 deadline, uint256 floor, uint256 t)
        internal
        pure
        returns (uint256)
    {
        if (t <= start) return base;
        uint256 w = deadline - start;
        uint256 e = t - start < w ? t - start : w;
        return Math.mulDiv(base, BPS * w - (BPS - floor) * e, BPS * w, Math.Rounding.Ceil);
    }

    function test_PaysFullShareAtOnce() public {
        uint256 taskId = openRaceTask(1, 2);
        assertEq(prove(taskId, 1, alice), TASK_BUDGET / 2);
    }

    function test_PaysFloorAtDeadline() public {
        uint256 taskId = openRaceTask(1, 1);
        vm.warp(block.timestamp + TASK_DURATION);
        assertEq(prove(taskId, 1, alice), TASK_BUDGET * race.floorBps() / BPS);
        assertEq(taskRegistry.claimable(requester), TASK_BUDGET - TASK_BUDGET * race.floorBps() / BPS);
    }

    function test_PaysLinearlyBetween() public {
        uint256 taskId = openRaceTask(1, 1);
        vm.warp(block.timestamp + TASK_DURATION / 2);
        // halfway: 100% − (100% − 25%) / 2 = 62.5%
        assertEq(prove(taskId, 1, alice), TASK_BUDGET * 6250 / BPS);
    }

    function test_FirstKProofsArePaid() public {
        uint256 taskId = openRaceTask(1, 3);
        uint256 start = block.timestamp;
        vm.warp(start + 60);
        uint256 p1 = prove(taskId, 1, alice);
        vm.warp(start + 600);
        uint256 p2 = prove(taskId, 1, bob);
        vm.warp(start + 1800);
        uint256 p3 = prove(taskId, 1, carol);
        assertGt(p1, p2, "earlier pays more");
        assertGt(p2, p3);
        assertEq(uint8(taskRegistry.taskOf(taskId).status), uint8(TaskStatus.Fulfilled));
        assertEq(taskRegistry.claimable(requester), TASK_BUDGET - p1 - p2 - p3);

        address dave = makeAddr("dave");
        registerProver(dave);
        bytes memory late = proofOf(1, dave);
        uint256[] memory s = statement(1);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.TaskNotOpen.selector, taskId, TaskStatus.Fulfilled));
        vm.prank(dave);
        taskRegistry.submitProof(taskId, s, late);
    }

    function test_CopiedProofPaysNothing() public {
        uint256 taskId = openRaceTask(1, 1);
        bytes memory aliceProof = proofOf(1, alice);
        uint256[] memory s = statement(1);
        // bob sees alice's transaction in the mempool and front-runs it with her proof
        vm.expectRevert(IProofVerifier.InvalidProof.selector);
        vm.prank(bob);
        taskRegistry.submitProof(taskId, s, aliceProof);
        // alice's own transaction still wins
        vm.prank(alice);
        uint256 paid = taskRegistry.submitProof(taskId, s, aliceProof);
        assertEq(paid, TASK_BUDGET);
        assertEq(taskRegistry.claimable(bob), 0);
    }

    function test_NoAssignmentNoCollateral() public {
        uint256 taskId = openRaceTask(1, 1);
        prove(taskId, 1, alice);
        assertEq(proverRegistry.proverOf(alice).locked, 0);
        assertEq(proverRegistry.proverOf(alice).activeAssignments, 0);
        assertEq(proverRegistry.recordOf(alice).completed, 1);
    }

    function test_RevertWhen_TooManyWinners() public {
        TaskRequest memory r = raceRequest(1, race.maxWinners() + 1);
        fund(requester, r.maxPayment);
        vm.expectRevert(
            abi.encodeWithSelector(ProofRace.TooManyWinners.selector, 1, race.maxWinners() + 1, race.maxWinners())
        );
        vm.prank(requester);
        taskRegistry.createTask(r);
    }

    function test_RevertWhen_HookNotCalledByRegistry() public {
        TaskRequest memory r = raceRequest(1, 1);
        vm.startPrank(bob);
        vm.expectRevert(abi.encodeWithSelector(IMechanism.OnlyTaskRegistry.selector, bob));
        race.onTaskOpened(1, r);
        vm.expectRevert(abi.encodeWithSelector(IMechanism.OnlyTaskRegistry.selector, bob));
        race.onProofAccepted(1, bob, 0);
        vm.expectRevert(abi.encodeWithSelector(IMechanism.OnlyTaskRegistry.selector, bob));
        race.onTaskClosed(1);
        vm.stopPrank();
    }

    function test_RevertWhen_InvalidParameters() public {
        IMechanism.Profile memory p;
        vm.expectRevert(abi.encodeWithSelector(ProofRace.InvalidRaceParameters.selector, 0, 100));
        new ProofRace(taskRegistry, 0, 100, 0, p);
        vm.expectRevert(abi.encodeWithSelector(ProofRace.InvalidRaceParameters.selector, 1, 10_001));
        new ProofRace(taskRegistry, 1, 10_001, 0, p);
    }

    function test_Profile() public view {
        IMechanism.Profile memory p = race.profile();
        assertEq(p.kind, 1);
        assertEq(p.speed, 9);
        assertEq(p.censorshipResistance, 9);
    }

    function test_FixedDecayWindow() public {
        IMechanism.Profile memory p;
        ProofRace quick = new ProofRace(taskRegistry, 2, 0, 600, p);
        taskRegistry.setMechanism(address(quick), true);
        TaskRequest memory r = raceRequest(1, 1);
        r.mechanism = address(quick);
        uint256 taskId = openTask(requester, r);
        vm.warp(block.timestamp + 300);
        assertEq(prove(taskId, 1, alice), TASK_BUDGET / 2, "halfway through a 600 s decay to zero");

        uint256 second = openTask(requester, r);
        vm.warp(block.timestamp + 601);
        assertEq(prove(second, 1, alice), 0, "floor 0 after the decay window; the proof still counts");
        assertEq(uint8(taskRegistry.taskOf(second).status), uint8(TaskStatus.Fulfilled));
    }

    function test_ReopenedRaceCapsAtFairShareOfWhatIsLeft() public {
        TestMechanism mech = new TestMechanism(taskRegistry);
        taskRegistry.setMechanism(address(mech), true);
        TaskRequest memory r = raceRequest(1, 2);
        r.mechanism = address(mech);
        r.fallbackMechanism = address(race);
        r.fallbackWindow = 1000;
        uint256 taskId = openTask(requester, r);
        mech.assign(taskId, alice, 90e18, 0);
        mech.assign(taskId, bob, 10e18, 0);
        prove(taskId, 1, alice); // paid 90 of 100
        vm.warp(r.deadline + 1);
        taskRegistry.expire(taskId); // bob missed; reopened under the race with 10 left for one slot

        ITaskRegistry.Budget memory b = taskRegistry.budgetOf(taskId);
        assertEq(b.openedAt, block.timestamp);
        assertEq(b.paid, 90e18);
        assertEq(b.reserved, 0);
        assertEq(race.paymentAt(b, block.timestamp), 10e18, "min(100/2, 10/1)");
        vm.warp(block.timestamp + 500);
        assertEq(prove(taskId, 1, carol), 10e18 * 6250 / BPS, "decay restarts at the reopen");
    }

    /// Differential test: a race of K winners at arbitrary times pays exactly what the reference model
    /// says, and the requester gets exactly the rest.
    function testFuzz_RaceMatchesReferenceModel(uint96 budget, uint8 redundancy, uint32[4] memory gaps) public {
        budget = uint96(bound(budget, 1, 1e30));
        redundancy = uint8(bound(redundancy, 1, 4));
        TaskRequest memory r = raceRequest(7, redundancy);
        r.maxPayment = budget;
        uint256 start = block.timestamp;
        uint256 taskId = openTask(requester, r);

        uint256 total;
        uint256 at = start;
        for (uint256 i; i < redundancy; ++i) {
            at += bound(gaps[i], 0, TASK_DURATION / 4);
            vm.warp(at);
            address prover = makeAddr(string(abi.encode("racer", i)));
            registerProver(prover);
            uint256 expected = referencePayment(budget / redundancy, start, r.deadline, race.floorBps(), at);
            assertEq(prove(taskId, 7, prover), expected);
            total += expected;
        }
        assertEq(taskRegistry.claimable(requester), budget - total);
    }
}
