// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IElectionRace} from "../../contracts/interfaces/IElectionRace.sol";
import {IProverRegistry} from "../../contracts/interfaces/IProverRegistry.sol";
import {ITaskRegistry} from "../../contracts/interfaces/ITaskRegistry.sol";
import {DecaySchedule} from "../../contracts/libraries/DecaySchedule.sol";
import {ElectionRace} from "../../contracts/mechanisms/ElectionRace.sol";
import {ProofRace} from "../../contracts/mechanisms/ProofRace.sol";
import {TaskRequest} from "../../contracts/types/Task.sol";
import {Deployers} from "../utils/Deployers.sol";
import {HeaderBuilder} from "./ElectionRace.t.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @notice Differential tests of the time decays — the open race's payment and the election-race's elected and
///         open-race payments — against an independent reference model, on the library and on the live
///         contracts (complements PricingDifferential.t.sol, which covers the ascending ramp, the sealed-bid
///         ranking and second-price clearing, and the slot budget).
contract DecayDifferentialTest is Deployers, HeaderBuilder {
    uint256 internal constant BPS = 10_000;

    /// @dev Reference: the value written as a share of the amount, rounded up — the library subtracts a drop
    ///      rounded down, and amount − ⌊amount·x⌋ = ⌈amount·(1 − x)⌉, so the two must agree exactly:
    ///      ⌈amount·(BPS·window − (BPS − floor)·elapsed) / (BPS·window)⌉ while decaying, ⌈amount·floor/BPS⌉ after.
    function _decayReference(uint256 amount, uint256 start, uint256 window, uint256 floorBps, uint256 t)
        internal
        pure
        returns (uint256)
    {
        if (t <= start) return amount;
        uint256 elapsed = t - start;
        if (elapsed >= window) return Math.mulDiv(amount, floorBps, BPS, Math.Rounding.Ceil);
        return Math.mulDiv(amount, BPS * window - (BPS - floorBps) * elapsed, BPS * window, Math.Rounding.Ceil);
    }

    function decayedExternal(uint256 amount, uint256 start, uint256 window, uint256 floorBps, uint256 t)
        external
        pure
        returns (uint256)
    {
        return DecaySchedule.decayed(amount, start, window, floorBps, t);
    }

    // ------------------------------------------------------------------ the schedule itself

    function testFuzz_DecayMatchesReference(uint128 amount, uint40 start, uint32 window, uint16 floorBps, uint40 t)
        public
        pure
    {
        floorBps = uint16(bound(floorBps, 0, BPS));
        uint256 got = DecaySchedule.decayed(amount, start, window, floorBps, t);
        assertEq(got, _decayReference(amount, start, window, floorBps, t));
        assertLe(got, amount);
        assertGe(got, uint256(amount) * floorBps / BPS);
    }

    function testFuzz_DecayMonotoneNonIncreasing(uint128 amount, uint32 window, uint16 floorBps, uint32 t1, uint32 t2)
        public
        pure
    {
        floorBps = uint16(bound(floorBps, 0, BPS));
        (uint256 a, uint256 b) = t1 <= t2 ? (uint256(t1), uint256(t2)) : (uint256(t2), uint256(t1));
        assertGe(
            DecaySchedule.decayed(amount, 1000, window, floorBps, 1000 + a),
            DecaySchedule.decayed(amount, 1000, window, floorBps, 1000 + b)
        );
    }

    function test_DecayAtBoundaries() public pure {
        // Full at and before the start, the floor from start + window on, half-way in the middle.
        assertEq(DecaySchedule.decayed(100e18, 50, 100, 2500, 10), 100e18);
        assertEq(DecaySchedule.decayed(100e18, 50, 100, 2500, 50), 100e18);
        assertEq(DecaySchedule.decayed(100e18, 50, 100, 2500, 100), 62.5e18);
        assertEq(DecaySchedule.decayed(100e18, 50, 100, 2500, 150), 25e18);
        assertEq(DecaySchedule.decayed(100e18, 50, 100, 2500, 1e9), 25e18);
        // A zero window drops to the floor right after the start.
        assertEq(DecaySchedule.decayed(100e18, 50, 0, 2500, 51), 25e18);
        // Rounding: the drop is rounded down, so the value is rounded up.
        assertEq(DecaySchedule.decayed(3, 0, 2, 0, 1), 2);
    }

    function test_RevertWhen_DecayFloorAboveFull() public {
        vm.expectRevert(abi.encodeWithSelector(DecaySchedule.FloorAboveFull.selector, BPS + 1));
        this.decayedExternal(1, 0, 1, BPS + 1, 1);
    }

    // ------------------------------------------------------------------ open race

    /// @dev Reference for ProofRace.paymentAt: the per-proof base is the smaller of maxPayment / redundancy and
    ///      the unspent budget shared by the missing proofs; it decays from the task's opening over the instance
    ///      window, or over the task's whole window when the instance's is zero.
    function _racePaymentReference(ITaskRegistry.Budget memory b, uint256 decayWindow, uint256 floorBps, uint256 at)
        internal
        pure
        returns (uint256)
    {
        uint256 requesterCap = uint256(b.maxPayment) / b.redundancy;
        uint256 missing = uint256(b.redundancy) - b.proofsAccepted;
        uint256 base = requesterCap;
        if (missing != 0) base = Math.min(requesterCap, (uint256(b.maxPayment) - b.paid - b.reserved) / missing);
        uint256 window = decayWindow != 0 ? decayWindow : uint256(b.deadline) - b.openedAt;
        return _decayReference(base, b.openedAt, window, floorBps, at);
    }

    function testFuzz_RacePaymentAtMatchesReference(
        uint96 maxPayment,
        uint8 redundancy,
        uint8 accepted,
        uint96 paid,
        uint32 decayWindow,
        uint16 floorBps,
        uint32 elapsed
    ) public {
        deployCore();
        floorBps = uint16(bound(floorBps, 0, BPS));
        decayWindow = uint32(bound(decayWindow, 0, 2 days));
        ProofRace r = _deployRace(taskRegistry, 4, floorBps, decayWindow);
        redundancy = uint8(bound(redundancy, 1, 4));
        maxPayment = uint96(bound(maxPayment, redundancy, type(uint96).max));
        accepted = uint8(bound(accepted, 0, redundancy - 1));
        paid = uint96(bound(paid, 0, maxPayment));
        ITaskRegistry.Budget memory b = ITaskRegistry.Budget({
            maxPayment: maxPayment,
            paid: paid,
            reserved: 0,
            redundancy: redundancy,
            proofsAccepted: accepted,
            openedAt: 1000,
            deadline: 1000 + 1 hours
        });
        uint256 at = 1000 + uint256(elapsed);
        assertEq(r.paymentAt(b, at), _racePaymentReference(b, decayWindow, floorBps, at));
    }

    /// @dev End to end: the payment the registry credits a race winner equals the reference, for the first and
    ///      the second proof of a redundancy-2 task, at random times.
    function testFuzz_RaceWinnersPaidPerReference(uint96 budget, uint32 first, uint32 second) public {
        deployCore();
        registerProver(alice);
        registerProver(bob);
        TaskRequest memory req = raceRequest(7, 2);
        req.maxPayment = uint96(bound(budget, 2, 1000e18));
        uint256 taskId = openTask(requester, req);
        uint16 floorBps = race.floorBps();
        uint32 decayWindow = race.decayWindow();

        vm.warp(block.timestamp + bound(first, 0, TASK_DURATION - 2));
        uint256 expected = _racePaymentReference(taskRegistry.budgetOf(taskId), decayWindow, floorBps, block.timestamp);
        assertEq(prove(taskId, 7, alice), expected, "first winner");

        uint64 deadline = taskRegistry.taskOf(taskId).deadline;
        vm.warp(block.timestamp + bound(second, 0, deadline - block.timestamp - 1));
        expected = _racePaymentReference(taskRegistry.budgetOf(taskId), decayWindow, floorBps, block.timestamp);
        assertEq(prove(taskId, 7, bob), expected, "second winner");
    }

    // ------------------------------------------------------------------ election-race

    uint32 internal constant ELECTION_WINDOW = 10 minutes;
    ElectionRace internal election;
    uint32 internal electionDecayWindow;
    uint16 internal electionFloorBps;

    function _deployElection(uint32 decayWindow, uint16 floorBps) internal {
        electionDecayWindow = decayWindow;
        electionFloorBps = floorBps;
        election = new ElectionRace(
            ElectionRace.Params({
                taskRegistry: ITaskRegistry(address(taskRegistry)),
                proverRegistry: IProverRegistry(address(proverRegistry)),
                electedCount: 1,
                minHardwareClass: 0,
                collateral: 10e18,
                drawDelay: 1,
                electionWindow: ELECTION_WINDOW,
                decayWindow: decayWindow,
                decayFloorBps: floorBps,
                weightCap: 10_000e18,
                maxAttempts: 64
            })
        );
        taskRegistry.setMechanism(address(election), true);
    }

    /// @dev Opens a two-slot task on the election instance, draws it (one prover elected) and returns the
    ///      draw time.
    function _openAndDraw(uint96 budget) internal returns (uint256 taskId, uint256 drawTime) {
        TaskRequest memory req = raceRequest(9, 2);
        req.mechanism = address(election);
        req.maxPayment = budget;
        taskId = openTask(requester, req);
        uint256 target = election.electionOf(taskId).marker;
        vm.roll(target + 1);
        bytes memory header = _header(target, keccak256("mix"), "");
        vm.setBlockhash(target, keccak256(header));
        assertEq(election.draw(taskId, header), 1);
        drawTime = block.timestamp;
        assertEq(election.electionOf(taskId).slotMax, budget / 2);
    }

    function _electionReference(uint256 taskId, uint256 start) internal view returns (uint256) {
        return _decayReference(
            election.electionOf(taskId).slotMax, start, electionDecayWindow, electionFloorBps, block.timestamp
        );
    }

    /// @dev End to end: an elected prover is paid the slot maximum decayed from the draw; after the election
    ///      window a prover in the open race is paid it decayed from the election's end (instance with one
    ///      elected prover, task with two slots).
    function testFuzz_ElectionPaymentsMatchReference(
        uint32 decayWindow,
        uint16 floorBps,
        uint96 budget,
        uint32 electedAfter,
        uint32 openAfter
    ) public {
        deployCore();
        _deployElection(uint32(bound(decayWindow, 1, 2 hours)), uint16(bound(floorBps, 0, BPS)));
        registerProver(alice);
        registerProver(bob);
        // With drawDelay 1 the opening block is the one before the target, whose proposer knows the seed: a
        // prover registered in it is not eligible (ElectionRace's changedAt rule), so the task opens a block on.
        vm.roll(block.number + 1);
        (uint256 taskId, uint256 drawTime) = _openAndDraw(uint96(bound(budget, 2, 1000e18)));
        address elected = taskRegistry.assignmentOf(taskId, alice).active ? alice : bob;
        address other = elected == alice ? bob : alice;

        vm.warp(block.timestamp + bound(electedAfter, 0, 20 minutes));
        uint256 expected = _electionReference(taskId, drawTime);
        assertEq(election.currentPayment(taskId, true), expected);
        assertEq(prove(taskId, 9, elected), expected, "elected");

        uint256 electionEnd = drawTime + ELECTION_WINDOW;
        if (block.timestamp <= electionEnd) vm.warp(electionEnd + 1);
        vm.warp(block.timestamp + bound(openAfter, 0, 20 minutes));
        expected = _electionReference(taskId, electionEnd);
        assertEq(election.currentPayment(taskId, false), expected);
        assertEq(prove(taskId, 9, other), expected, "open race");
        assertEq(uint8(election.electionOf(taskId).phase), uint8(IElectionRace.Phase.Closed));
    }
}
