// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerMechanism} from "../../../contracts/interfaces/ILedgerMechanism.sol";
import {ILedgerProofRace} from "../../../contracts/interfaces/ILedgerProofRace.sol";
import {IMechanism} from "../../../contracts/interfaces/IMechanism.sol";
import {IProofVerifier} from "../../../contracts/interfaces/IProofVerifier.sol";
import {IProverRegistry} from "../../../contracts/interfaces/IProverRegistry.sol";
import {ITaskLedger} from "../../../contracts/interfaces/ITaskLedger.sol";
import {SlashSplit} from "../../../contracts/libraries/SlashSplit.sol";
import {LedgerProofRace} from "../../../contracts/mechanisms/ledger/LedgerProofRace.sol";
import {LedgerRequest, LedgerTask, TaskWord} from "../../../contracts/types/LedgerTask.sol";
import {LedgerFixture} from "../LedgerFixture.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Vm} from "forge-std/Vm.sol";

/// @title LedgerProofRaceTest
/// @notice The open proof race over the TaskLedger (real ledger, real ProverRegistry, the HashVerifier test
///         circuit): who may prove, what each of the first K proofs is paid, copy resistance, the race as a fallback
///         (decay from the reopen, only the missing slots), expiry, and a differential test of the payment against
///         a reference model written independently of DecaySchedule; every test checks escrow conservation.
contract LedgerProofRaceTest is LedgerFixture {
    uint256 internal constant BPS = 10_000;
    uint8 internal constant K = 4;
    uint16 internal constant FLOOR_BPS = 2500;

    LedgerProofRace internal lrace;
    address internal dave = makeAddr("dave");

    function setUp() public {
        deployLedger();
        lrace = new LedgerProofRace(ledger, K, FLOOR_BPS, 0, _declared());
        ledger.setMechanism(address(lrace), true);
        vm.label(address(lrace), "LedgerProofRace");
        registerProver(alice);
        registerProver(bob);
        registerProver(carol);
    }

    /// Reference model of one paid proof, written independently of DecaySchedule: the share left at time `t` is
    /// the exact rational (10000·w − (10000 − floor)·min(t − start, w)) / (10000·w) of `base`, rounded up (the
    /// library rounds the drop down).
    function referencePayment(uint256 base, uint256 start, uint256 w, uint256 floor, uint256 t)
        internal
        pure
        returns (uint256)
    {
        if (t <= start) return base;
        uint256 e = t - start < w ? t - start : w;
        return Math.mulDiv(base, BPS * w - (BPS - floor) * e, BPS * w, Math.Rounding.Ceil);
    }

    // ------------------------------------------------------------------ declaration

    function test_Hooks_DeclareOnlyTheCapAndTheLedgerEnforcesIt() public view {
        (uint8 flags, uint8 cap) = lrace.hooks();
        assertEq(flags, 0, "no hook flags: creation calls nothing, the payment hook needs none");
        assertEq(cap, K);
        (bool allowed, uint8 hookFlags, uint8 redundancyCap) = ledger.mechanismOf(address(lrace));
        assertTrue(allowed);
        assertEq(hookFlags, 0);
        assertEq(redundancyCap, K);
        assertEq(address(lrace.ledger()), address(ledger));
        assertEq(lrace.maxWinners(), K);
        assertEq(lrace.floorBps(), FLOOR_BPS);
        assertEq(lrace.decayWindow(), 0);
    }

    function test_Profile() public view {
        IMechanism.Profile memory p = lrace.profile();
        assertEq(p.kind, 1, "kind forced to race");
        assertEq(p.speed, 9);
        assertEq(p.cost, 4);
        assertEq(p.safety, 3);
        assertEq(p.censorshipResistance, 9);
    }

    function test_CreateTask_OpensWithoutAHookCall() public {
        LedgerRequest memory r = ledgerRequest(1, 2, address(lrace));
        depositFor(requester, r.maxPayment);
        vm.expectCall(address(lrace), abi.encodeWithSelector(ILedgerMechanism.onTaskOpened.selector), 0);
        vm.prank(requester);
        (uint256 id, LedgerTask memory t) = ledger.createTask(r);
        track(id, t);
        assertEq(t.mechanismState, 0);
        assertEq(t.flags, 0);
        assertConserved();
    }

    function test_RevertWhen_TooManyWinners() public {
        LedgerRequest memory r = ledgerRequest(1, K + 1, address(lrace));
        depositFor(requester, r.maxPayment);
        uint256 id = ledger.nextTaskId(requester);
        vm.expectRevert(abi.encodeWithSelector(ILedgerProofRace.TooManyWinners.selector, id, K + 1, K));
        vm.prank(requester);
        ledger.createTask(r);
        assertEq(ILedgerProofRace.TooManyWinners.selector, ITaskLedger.TooManyWinners.selector, "one selector");
    }

    function test_RevertWhen_InvalidParameters() public {
        IMechanism.Profile memory p;
        vm.expectRevert(abi.encodeWithSelector(ILedgerProofRace.InvalidRaceParameters.selector, 0, 100));
        new LedgerProofRace(ledger, 0, 100, 0, p);
        vm.expectRevert(abi.encodeWithSelector(ILedgerProofRace.InvalidRaceParameters.selector, 1, 10_001));
        new LedgerProofRace(ledger, 1, 10_001, 0, p);
    }

    function test_RevertWhen_HookNotCalledByTheLedger() public {
        (uint256 id, LedgerTask memory t) = _open(1, 1);
        vm.startPrank(bob);
        vm.expectRevert(abi.encodeWithSelector(ILedgerMechanism.OnlyTaskLedger.selector, bob));
        lrace.onTaskOpened(id, t, "");
        vm.expectRevert(abi.encodeWithSelector(ILedgerMechanism.OnlyTaskLedger.selector, bob));
        lrace.onProofAccepted(id, t, bob, 0);
        vm.expectRevert(abi.encodeWithSelector(ILedgerMechanism.OnlyTaskLedger.selector, bob));
        lrace.onTaskClosed(id, t);
        vm.stopPrank();
        // The ledger itself gets answers (onTaskOpened is never declared, but answers the zero state).
        vm.startPrank(address(ledger));
        assertEq(lrace.onTaskOpened(id, t, ""), 0);
        assertEq(lrace.onProofAccepted(id, t, bob, 0), TASK_BUDGET);
        lrace.onTaskClosed(id, t);
        vm.stopPrank();
    }

    // ------------------------------------------------------------------ payment

    function test_PaysTheFullSlotAtOnce() public {
        (uint256 id, LedgerTask memory t) = _open(1, 2);
        assertEq(lrace.paymentAt(t, block.timestamp), TASK_BUDGET / 2);
        assertEq(proveLedger(id, t, 1, alice), TASK_BUDGET / 2);
        assertEq(ledger.balanceOf(alice), TASK_BUDGET / 2);
        assertEq(ledger.balanceOf(requester), 0, "a full payment leaves nothing of the slot");
        assertConserved();
    }

    function test_PaysTheFloorAtTheDeadline() public {
        (uint256 id, LedgerTask memory t) = _open(1, 1);
        vm.warp(t.deadline);
        uint256 floor = TASK_BUDGET * FLOOR_BPS / BPS;
        assertEq(proveLedger(id, t, 1, alice), floor);
        assertEq(ledger.balanceOf(requester), TASK_BUDGET - floor, "the slot's rest is refunded with the proof");
        assertEq(TaskWord.unwrap(ledger.taskWord(id)), 0);
        assertConserved();
    }

    function test_PaysLinearlyBetween() public {
        (uint256 id, LedgerTask memory t) = _open(1, 1);
        vm.warp(block.timestamp + TASK_DURATION / 2);
        // halfway: 100% − (100% − 25%) / 2 = 62.5%
        assertEq(proveLedger(id, t, 1, alice), TASK_BUDGET * 6250 / BPS);
        assertConserved();
    }

    /// The first K proofs are paid, each its slot decayed at its own time; the task then closes and a further proof
    /// finds no word.
    function test_FirstKProofsArePaid() public {
        (uint256 id, LedgerTask memory t) = _open(1, 3);
        uint256 start = block.timestamp;
        vm.warp(start + 60);
        uint256 p1 = proveLedger(id, t, 1, alice);
        vm.warp(start + 600);
        uint256 p2 = proveLedger(id, t, 1, bob);
        vm.warp(start + 1800);
        uint256 p3 = proveLedger(id, t, 1, carol);
        assertGt(p1, p2, "earlier pays more");
        assertGt(p2, p3);
        assertEq(TaskWord.unwrap(ledger.taskWord(id)), 0, "fulfilled at redundancy");
        assertEq(ledger.balanceOf(requester), TASK_BUDGET - p1 - p2 - p3);
        assertConserved();

        registerProver(dave);
        bytes memory late = proofOf(1, dave);
        uint256[] memory s = statement(1);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.StaleTask.selector, id));
        vm.prank(dave);
        ledger.submitProof(id, t, s, late);
    }

    /// Two provers build on the same calldata task at once: both land (the count is outside the task's hash).
    function test_TwoProversOnOneTaskCopy() public {
        (uint256 id, LedgerTask memory t) = _open(1, 2);
        vm.warp(block.timestamp + 120);
        uint256 expected = lrace.paymentAt(t, block.timestamp);
        assertEq(proveLedger(id, t, 1, alice), expected);
        assertEq(proveLedger(id, t, 1, bob), expected, "the same copy, the same time, the same pay");
        assertEq(TaskWord.unwrap(ledger.taskWord(id)), 0);
        assertConserved();
    }

    function test_RevertWhen_SameProverProvesTwice() public {
        (uint256 id, LedgerTask memory t) = _open(1, 2);
        proveLedger(id, t, 1, alice);
        bytes memory proof = proofOf(1, alice);
        uint256[] memory s = statement(1);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.AlreadyProven.selector, id, alice));
        vm.prank(alice);
        ledger.submitProof(id, t, s, proof);
    }

    /// bob sees alice's transaction in the mempool and front-runs it with her proof: it verifies only with alice's
    /// address appended, so it fails, and alice's own transaction still wins.
    function test_RevertWhen_ProofIsStolenFromTheMempool() public {
        (uint256 id, LedgerTask memory t) = _open(1, 1);
        bytes memory aliceProof = proofOf(1, alice);
        uint256[] memory s = statement(1);
        vm.expectRevert(IProofVerifier.InvalidProof.selector);
        vm.prank(bob);
        ledger.submitProof(id, t, s, aliceProof);
        vm.prank(alice);
        assertEq(ledger.submitProof(id, t, s, aliceProof), TASK_BUDGET);
        assertEq(ledger.balanceOf(bob), 0);
        assertConserved();
    }

    function test_RevertWhen_ProverIsNotRegistered() public {
        (uint256 id, LedgerTask memory t) = _open(1, 1);
        bytes memory proof = proofOf(1, dave);
        uint256[] memory s = statement(1);
        vm.expectRevert(abi.encodeWithSelector(IProverRegistry.NotRegistered.selector, dave));
        vm.prank(dave);
        ledger.submitProof(id, t, s, proof);
    }

    function test_RevertWhen_ProofIsPastTheDeadline() public {
        (uint256 id, LedgerTask memory t) = _open(1, 1);
        vm.warp(uint256(t.deadline) + 1);
        bytes memory proof = proofOf(1, alice);
        uint256[] memory s = statement(1);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.TaskExpired.selector, id, t.deadline));
        vm.prank(alice);
        ledger.submitProof(id, t, s, proof);
    }

    /// A copy whose fields were changed (here: its opening moved back, to be paid as if proven at once) does not
    /// hash to the word.
    function test_RevertWhen_TaskCopyIsStale() public {
        (uint256 id, LedgerTask memory t) = _open(1, 1);
        vm.warp(block.timestamp + 1000);
        LedgerTask memory forged = copyOf(t);
        forged.openedAt = uint32(block.timestamp);
        bytes memory proof = proofOf(1, alice);
        uint256[] memory s = statement(1);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.StaleTask.selector, id));
        vm.prank(alice);
        ledger.submitProof(id, forged, s, proof);
    }

    function test_NoAssignmentNoCollateral() public {
        (uint256 id, LedgerTask memory t) = _open(1, 1);
        proveLedger(id, t, 1, alice);
        assertEq(proverRegistry.proverOf(alice).locked, 0);
        assertEq(proverRegistry.proverOf(alice).activeAssignments, 0);
        assertEq(ledger.completionsOf(alice), 1);
    }

    function test_FixedDecayWindow() public {
        LedgerProofRace quick = new LedgerProofRace(ledger, 2, 0, 600, _declared());
        ledger.setMechanism(address(quick), true);
        (uint256 id, LedgerTask memory t) = openLedger(ledgerRequest(1, 1, address(quick)));
        vm.warp(block.timestamp + 300);
        assertEq(proveLedger(id, t, 1, alice), TASK_BUDGET / 2, "halfway through a 600 s decay to zero");

        (uint256 second, LedgerTask memory t2) = openLedger(ledgerRequest(2, 1, address(quick)));
        vm.warp(block.timestamp + 601);
        assertEq(proveLedger(second, t2, 2, alice), 0, "floor 0 after the decay window; the proof still counts");
        assertEq(TaskWord.unwrap(ledger.taskWord(second)), 0);
        assertEq(ledger.balanceOf(requester), TASK_BUDGET / 2 + TASK_BUDGET);
        assertConserved();
    }

    // ------------------------------------------------------------------ expiry and fallback

    function test_Expire_RefundsWhatIsUnsettled() public {
        (uint256 id, LedgerTask memory t) = _open(1, 2);
        vm.warp(block.timestamp + 600);
        uint256 paid = proveLedger(id, t, 1, alice);
        vm.warp(uint256(t.deadline) + 1);
        vm.expectEmit(address(ledger));
        emit ITaskLedger.TaskExpiredFinal(id, TASK_BUDGET / 2);
        ledger.expire(id, t);
        assertEq(ledger.balanceOf(requester), TASK_BUDGET - paid, "the first slot's rest, and the open slot");
        assertEq(TaskWord.unwrap(ledger.taskWord(id)), 0);
        assertConserved();
    }

    /// The race as a fallback: an assigned task expires with its assignee slashed and reopens to the race, whose
    /// decay runs from the reopen over the fallback window (decayWindow 0), and whose fulfilling proof takes the
    /// cover bounty too.
    function test_Fallback_DecayRunsFromTheReopen() public {
        LedgerRequest memory r = ledgerRequest(1, 1, address(assigner));
        r.fallbackMechanism = address(lrace);
        r.fallbackWindow = 1000;
        (uint256 id, LedgerTask memory t) = openLedger(r);
        t = assignLedger(id, t, alice, 60e18);
        vm.warp(uint256(t.deadline) + 1);
        vm.recordLogs();
        ledger.expire(id, t);
        LedgerTask memory n = _lastReopened();
        track(id, n);
        assertEq(n.mechanism, address(lrace));
        assertEq(n.openedAt, block.timestamp, "openedAt is the reopen");
        assertEq(n.deadline, block.timestamp + 1000);
        assertEq(lrace.paymentAt(n, block.timestamp), TASK_BUDGET, "the decay restarts: full slot at the reopen");
        assertConserved();

        vm.warp(block.timestamp + 500);
        (, uint256 toCover, uint256 toRequester) = SlashSplit.split(COLLATERAL, 2000, 5000);
        uint256 pay = TASK_BUDGET * 6250 / BPS; // halfway through the 1000 s window
        assertEq(proveLedger(id, n, 1, bob), pay + toCover);
        assertEq(ledger.balanceOf(requester), toRequester + TASK_BUDGET - pay);
        assertConserved();
    }

    /// A redundancy-2 race that got one proof and expired reopens (here to a second race instance) with only the
    /// missing slot open: one more proof fulfils it, paid its slot decayed from the reopen.
    function test_Fallback_OnlyTheMissingSlotOpens() public {
        LedgerProofRace second = new LedgerProofRace(ledger, K, 0, 600, _declared());
        ledger.setMechanism(address(second), true);
        LedgerRequest memory r = ledgerRequest(1, 2, address(lrace));
        r.fallbackMechanism = address(second);
        r.fallbackWindow = 1200;
        (uint256 id, LedgerTask memory t) = openLedger(r);
        uint256 first = proveLedger(id, t, 1, alice);
        vm.warp(uint256(t.deadline) + 1);
        vm.recordLogs();
        ledger.expire(id, t);
        LedgerTask memory n = _lastReopened();
        track(id, n);
        (uint256 accepted,) = ledger.checkTask(id, n);
        assertEq(accepted, 1, "the settled slot stays settled");
        assertConserved();

        vm.warp(block.timestamp + 150);
        uint256 expected = referencePayment(TASK_BUDGET / 2, n.openedAt, 600, 0, block.timestamp);
        assertEq(proveLedger(id, n, 1, bob), expected);
        assertEq(TaskWord.unwrap(ledger.taskWord(id)), 0, "fulfilled by the missing proof");
        assertEq(ledger.balanceOf(requester), TASK_BUDGET - first - expected);
        assertConserved();
    }

    /// The ledger enforces the cap at creation only: a task of redundancy > K reopened to the race takes no proof
    /// (TooManyWinners from the payment hook) and ends at the fallback's deadline with its escrow refunded.
    function test_Fallback_RefusesATaskAboveTheCap() public {
        LedgerRequest memory r = ledgerRequest(1, K + 1, address(assigner));
        r.fallbackMechanism = address(lrace);
        r.fallbackWindow = 600;
        (uint256 id, LedgerTask memory t) = openLedger(r);
        vm.warp(uint256(t.deadline) + 1);
        vm.recordLogs();
        ledger.expire(id, t);
        LedgerTask memory n = _lastReopened();
        track(id, n);
        bytes memory proof = proofOf(1, alice);
        uint256[] memory s = statement(1);
        vm.expectRevert(abi.encodeWithSelector(ILedgerProofRace.TooManyWinners.selector, id, K + 1, K));
        vm.prank(alice);
        ledger.submitProof(id, n, s, proof);

        vm.warp(uint256(n.deadline) + 1);
        ledger.expire(id, n);
        assertEq(ledger.balanceOf(requester), TASK_BUDGET);
        assertConserved();
    }

    // ------------------------------------------------------------------ differential

    /// A race of `redundancy` winners at arbitrary times, on an instance of fuzzed floor and decay window, pays
    /// exactly what the reference model says, and the requester gets exactly the rest, proof by proof.
    function testFuzz_PaymentMatchesTheReference(
        uint96 budget,
        uint8 redundancy,
        uint16 floorBps,
        uint32 decayWindow,
        uint32[4] memory gaps
    ) public {
        budget = uint96(bound(budget, 1, 1e30));
        redundancy = uint8(bound(redundancy, 1, K));
        floorBps = uint16(bound(floorBps, 0, BPS));
        decayWindow = uint32(bound(decayWindow, 0, 2 * TASK_DURATION));
        LedgerProofRace r = new LedgerProofRace(ledger, K, floorBps, decayWindow, _declared());
        ledger.setMechanism(address(r), true);
        LedgerRequest memory req = ledgerRequest(7, redundancy, address(r));
        req.maxPayment = budget;
        (uint256 id, LedgerTask memory t) = openLedger(req);
        uint256 window = decayWindow == 0 ? uint256(t.deadline) - t.openedAt : decayWindow;

        uint256 total;
        uint256 at = block.timestamp;
        for (uint256 i; i < redundancy; ++i) {
            at += bound(gaps[i], 0, TASK_DURATION / 4);
            vm.warp(at);
            total += _proveAgainstReference(r, id, t, i, window);
        }
        assertEq(ledger.balanceOf(requester), uint256(budget) - total);
    }

    /// @dev Racer `i` proves `t` now; its payment (and the view's) must be the reference's.
    function _proveAgainstReference(LedgerProofRace r, uint256 id, LedgerTask memory t, uint256 i, uint256 window)
        internal
        returns (uint256 expected)
    {
        address prover = makeAddr(string(abi.encode("racer", i)));
        registerProver(prover);
        _accounts.push(prover);
        expected = referencePayment(t.maxPayment / t.redundancy, t.openedAt, window, r.floorBps(), block.timestamp);
        assertEq(r.paymentAt(t, block.timestamp), expected, "view");
        assertEq(proveLedger(id, t, 7, prover), expected, "paid");
        assertConserved();
    }

    /// The view against the reference over arbitrary opening, window and evaluation times.
    function testFuzz_PaymentAtMatchesTheReference(
        uint96 budget,
        uint8 redundancy,
        uint32 openedAt,
        uint32 length,
        uint32 at,
        uint16 floorBps
    ) public {
        redundancy = uint8(bound(redundancy, 1, 255));
        openedAt = uint32(bound(openedAt, 0, type(uint32).max - 1));
        length = uint32(bound(length, 1, type(uint32).max - openedAt));
        floorBps = uint16(bound(floorBps, 0, BPS));
        LedgerProofRace r = new LedgerProofRace(ledger, 255, floorBps, 0, _declared());
        LedgerTask memory t;
        t.maxPayment = budget;
        t.redundancy = redundancy;
        t.openedAt = openedAt;
        t.deadline = openedAt + length;
        uint256 expected = referencePayment(uint256(budget) / redundancy, openedAt, length, floorBps, at);
        assertEq(r.paymentAt(t, at), expected);
        assertLe(expected, uint256(budget) / redundancy, "never above the slot");
    }

    // ------------------------------------------------------------------ helpers

    function _declared() internal pure returns (IMechanism.Profile memory) {
        return IMechanism.Profile({kind: 0, speed: 9, cost: 4, safety: 3, censorshipResistance: 9});
    }

    function _open(uint256 seed, uint8 redundancy) internal returns (uint256, LedgerTask memory) {
        return openLedger(ledgerRequest(seed, redundancy, address(lrace)));
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
