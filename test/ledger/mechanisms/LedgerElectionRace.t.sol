// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerElectionRace} from "../../../contracts/interfaces/ILedgerElectionRace.sol";
import {ILedgerMechanism} from "../../../contracts/interfaces/ILedgerMechanism.sol";
import {IProofVerifier} from "../../../contracts/interfaces/IProofVerifier.sol";
import {ITaskLedger} from "../../../contracts/interfaces/ITaskLedger.sol";
import {BlockHeaderRandomness} from "../../../contracts/libraries/BlockHeaderRandomness.sol";
import {DecaySchedule} from "../../../contracts/libraries/DecaySchedule.sol";
import {LedgerElectionRace} from "../../../contracts/mechanisms/ledger/LedgerElectionRace.sol";
import {LedgerRequest, LedgerTask, LedgerTaskLib, TaskWord} from "../../../contracts/types/LedgerTask.sol";
import {HeaderBuilder} from "../../mechanisms/ElectionRace.t.sol";
import {LedgerFixture} from "../LedgerFixture.sol";
import {Vm} from "forge-std/Vm.sol";

/// @notice Deployment and draw helpers shared by the election's unit tests and its gas suite.
abstract contract LedgerElectionFixture is LedgerFixture, HeaderBuilder {
    uint16 internal constant DRAW_DELAY = 2;
    uint32 internal constant ELECTION_WINDOW = 20 minutes;
    uint32 internal constant DECAY_WINDOW = 30 minutes;
    uint16 internal constant DECAY_FLOOR_BPS = 5000;

    function _params(uint8 minHardwareClass, uint8 electedCount, uint96 weightCap)
        internal
        view
        returns (LedgerElectionRace.Params memory)
    {
        return LedgerElectionRace.Params({
            ledger: ledger,
            electedCount: electedCount,
            minHardwareClass: minHardwareClass,
            drawDelay: DRAW_DELAY,
            electionWindow: ELECTION_WINDOW,
            decayWindow: DECAY_WINDOW,
            decayFloorBps: DECAY_FLOOR_BPS,
            weightCap: weightCap,
            maxAttempts: 32
        });
    }

    function _deployElection(LedgerElectionRace.Params memory p) internal returns (LedgerElectionRace e) {
        e = new LedgerElectionRace(p);
        ledger.setMechanism(address(e), true);
    }

    function _deployElection(uint8 minHardwareClass, uint8 electedCount, uint96 weightCap)
        internal
        returns (LedgerElectionRace)
    {
        return _deployElection(_params(minHardwareClass, electedCount, weightCap));
    }

    function _electionRequest(LedgerElectionRace e, uint256 seed, uint8 redundancy)
        internal
        view
        returns (LedgerRequest memory)
    {
        return ledgerRequest(seed, redundancy, address(e));
    }

    function _target(LedgerElectionRace e, LedgerTask memory t) internal pure returns (uint256 target) {
        (target,) = e.targetOf(t.mechanismState);
    }

    /// @dev Rolls past the target block and publishes a header with prevrandao `mix` as its hash.
    function _publishTarget(LedgerElectionRace e, LedgerTask memory t, bytes32 mix)
        internal
        returns (bytes memory header)
    {
        uint256 target = _target(e, t);
        if (block.number <= target) vm.roll(target + 1);
        header = _header(target, mix, "proofmarket");
        vm.setBlockhash(target, keccak256(header));
    }

    function _draw(LedgerElectionRace e, uint256 taskId, LedgerTask memory t, bytes32 mix) internal returns (uint256) {
        bytes memory header = _publishTarget(e, t, mix);
        return e.draw(taskId, t, header);
    }

    function _electedOf(LedgerElectionRace e, uint256 taskId, LedgerTask memory t)
        internal
        view
        returns (address[] memory)
    {
        return e.electionOf(taskId, t.openedAt).elected;
    }
}

/// @notice LedgerElectionRace against the real TaskLedger, ProverRegistry and HashVerifier circuit.
contract LedgerElectionRaceTest is LedgerElectionFixture {
    uint96 internal constant WEIGHT_CAP = 2000e18;

    LedgerElectionRace internal election;
    LedgerElectionRace internal election3;
    address internal dave = makeAddr("dave");
    address internal erin = makeAddr("erin");
    address internal frank = makeAddr("frank");

    function setUp() public {
        deployLedger();
        election = _deployElection(1, 1, WEIGHT_CAP);
        election3 = _deployElection(1, 3, WEIGHT_CAP);
        registerProver(alice);
        registerProver(bob);
        registerProver(carol);
        // dave's hardware class (0) is below the instances' minimum: never elected, races in the open phase.
        _registerClass(dave, PROVER_STAKE, 0, 4);
        _accounts.push(dave);
        _accounts.push(erin);
        _accounts.push(frank);
    }

    function _registerClass(address prover, uint256 stake, uint8 hardwareClass, uint16 capacity) internal {
        fund(prover, stake);
        vm.prank(prover);
        proverRegistry.register(stake, hardwareClass, capacity);
    }

    function _open(LedgerElectionRace e, uint256 seed, uint8 redundancy)
        internal
        returns (uint256 taskId, LedgerTask memory t)
    {
        return openLedger(_electionRequest(e, seed, redundancy));
    }

    /// @dev The eligible provers (alice, bob, carol) the election of `t` did not elect.
    function _notElected(LedgerElectionRace e, uint256 taskId, LedgerTask memory t) internal view returns (address) {
        address[3] memory eligible = [alice, bob, carol];
        for (uint256 i; i < 3; ++i) {
            if (!e.isElected(taskId, t.openedAt, eligible[i])) return eligible[i];
        }
        revert("all elected");
    }

    /// @dev LedgerTaskLib.slotBudget for a memory task.
    function _slot(LedgerTask memory t, uint256 accepted) internal pure returns (uint256) {
        uint256 slot = uint256(t.maxPayment) / t.redundancy;
        return accepted + 1 == t.redundancy ? uint256(t.maxPayment) - slot * (t.redundancy - 1) : slot;
    }

    function _decayed(uint256 amount, uint256 start) internal view returns (uint256) {
        return DecaySchedule.decayed(amount, start, DECAY_WINDOW, DECAY_FLOOR_BPS, block.timestamp);
    }

    function _expectSubmitRevert(uint256 taskId, LedgerTask memory t, uint256 seed, address prover, bytes memory err)
        internal
    {
        uint256[] memory s = statement(seed);
        bytes memory proof = proofOf(seed, prover);
        vm.expectRevert(err);
        vm.prank(prover);
        ledger.submitProof(taskId, t, s, proof);
    }

    // ------------------------------------------------------------------ open

    function test_OpenFixesTargetAndPoolInTheTask() public {
        LedgerRequest memory r = _electionRequest(election, 1, 1);
        depositFor(requester, r.maxPayment);
        vm.prank(requester);
        (uint256 taskId, LedgerTask memory t) = ledger.createTask(r);
        track(taskId, t);
        (uint256 target, uint256 pool) = election.targetOf(t.mechanismState);
        assertEq(target, block.number + DRAW_DELAY);
        assertEq(pool, 4, "alice, bob, carol, dave");
        assertEq(t.flags & LedgerTaskLib.TASK_HOOKS, 0, "no hook but the open and the payment");
        assertFalse(election.electionOf(taskId, t.openedAt).drawn);
        assertConserved();
    }

    function test_Hooks() public view {
        (uint8 flags, uint8 cap) = election.hooks();
        assertEq(flags, LedgerTaskLib.HOOK_OPEN);
        assertEq(cap, election.MAX_SLOTS());
        (bool allowed, uint8 declared, uint8 declaredCap) = ledger.mechanismOf(address(election));
        assertTrue(allowed);
        assertEq(declared, LedgerTaskLib.HOOK_OPEN);
        assertEq(declaredCap, 32);
        assertEq(address(election.proverRegistry()), address(proverRegistry));
    }

    function test_Profile() public view {
        assertEq(election.profile().kind, 4);
        assertEq(election.profile().safety, 6);
    }

    // ------------------------------------------------------------------ draw

    function test_DrawElectsDistinctEligibleProvers() public {
        (uint256 id, LedgerTask memory t) = _open(election3, 1, 3);
        bytes memory header = _publishTarget(election3, t, keccak256("mix"));
        vm.expectEmit(true, false, false, false, address(election3));
        emit ILedgerElectionRace.ElectionDrawn(id, bytes32(0), 0, 0, 0);
        assertEq(election3.draw(id, t, header), 3);
        ILedgerElectionRace.Election memory e = election3.electionOf(id, t.openedAt);
        assertTrue(e.drawn);
        assertEq(e.electionEnd, block.timestamp + ELECTION_WINDOW);
        assertEq(e.elected.length, 3);
        assertEq(e.firstElected, e.elected[0]);
        for (uint256 i; i < 3; ++i) {
            assertTrue(e.elected[i] != dave, "class 0 never elected");
            assertTrue(election3.isElected(id, t.openedAt, e.elected[i]));
            for (uint256 j; j < i; ++j) {
                assertTrue(e.elected[i] != e.elected[j], "distinct");
            }
        }
        assertFalse(election3.isElected(id, t.openedAt, dave));
        assertFalse(election3.isElected(id, t.openedAt, address(0)));
        // The draw changes nothing in the ledger: the task is still the one created.
        ledger.checkTask(id, t);
    }

    function test_ElectedCountCappedByRedundancyAndInstance() public {
        (uint256 id, LedgerTask memory t) = _open(election3, 1, 2);
        assertEq(_draw(election3, id, t, keccak256("mix")), 2);
        (id, t) = _open(election, 2, 3);
        assertEq(_draw(election, id, t, keccak256("mix")), 1);
    }

    function test_ElectedProverPaidOnDecay() public {
        (uint256 id, LedgerTask memory t) = _open(election, 1, 1);
        _draw(election, id, t, keccak256("mix"));
        address winner = _electedOf(election, id, t)[0];
        vm.warp(block.timestamp + DECAY_WINDOW / 2);
        // Full at the draw, floor (50 %) after the decay window: 75 % half-way.
        assertEq(election.currentPayment(id, t, winner), 75e18);
        uint256 before = ledger.balanceOf(requester);
        assertEq(proveLedger(id, t, 1, winner), 75e18);
        assertEq(ledger.balanceOf(requester) - before, 25e18, "the slot's rest refunded");
        assertEq(ledger.balanceOf(winner), 75e18);
        assertEq(TaskWord.unwrap(ledger.taskWord(id)), 0, "fulfilled and closed");
        assertConserved();
    }

    /// An elected prover goes offline: nobody else may prove during the window; after it an outsider proves
    /// under the open race, paid on a fresh decay from the window's end.
    function test_ElectedProverOffline_OutsiderProvesAfterTheWindow() public {
        (uint256 id, LedgerTask memory t) = _open(election, 1, 1);
        _draw(election, id, t, keccak256("mix"));
        uint256 electionEnd = election.electionOf(id, t.openedAt).electionEnd;
        address other = _notElected(election, id, t);

        bytes memory windowOpen =
            abi.encodeWithSelector(ILedgerElectionRace.ElectionWindowOpen.selector, id, electionEnd);
        _expectSubmitRevert(id, t, 1, dave, windowOpen);
        _expectSubmitRevert(id, t, 1, other, windowOpen);
        vm.warp(electionEnd);
        _expectSubmitRevert(id, t, 1, dave, windowOpen);

        vm.warp(electionEnd + DECAY_WINDOW / 5);
        uint256 expected = 100e18 - uint256(100e18) * 5000 * (DECAY_WINDOW / 5) / (10_000 * DECAY_WINDOW);
        assertEq(election.currentPayment(id, t, dave), expected);
        vm.expectEmit(address(election));
        emit ILedgerElectionRace.OpenRaceProof(id, dave, expected);
        assertEq(proveLedger(id, t, 1, dave), expected);
        assertEq(ledger.balanceOf(requester), TASK_BUDGET - expected);
        assertConserved();
    }

    /// An elected prover that proves after the window is still paid on the draw's decay (less than an outsider at
    /// the same time), so waiting for the open race never pays it more.
    function test_ElectedAfterTheWindowPaidOnTheDrawSchedule() public {
        (uint256 id, LedgerTask memory t) = _open(election, 1, 1);
        _draw(election, id, t, keccak256("mix"));
        address winner = _electedOf(election, id, t)[0];
        uint256 drawnAt = block.timestamp;
        vm.warp(drawnAt + ELECTION_WINDOW + 1);
        uint256 elected = _decayed(TASK_BUDGET, drawnAt);
        assertLt(elected, election.currentPayment(id, t, dave));
        assertEq(proveLedger(id, t, 1, winner), elected);
        assertConserved();
    }

    /// Every elected prover fails: their proofs (copies of one another's) are refused by the verifier, the window
    /// passes, and outsiders prove every slot in the open race.
    function test_EveryElectedFails_OutsidersProveEverySlot() public {
        _registerClass(erin, PROVER_STAKE, 0, 4);
        _registerClass(frank, PROVER_STAKE, 0, 4);
        (uint256 id, LedgerTask memory t) = _open(election3, 1, 3);
        assertEq(_draw(election3, id, t, keccak256("mix")), 3);
        address[] memory elected = _electedOf(election3, id, t);
        uint256 end = election3.electionOf(id, t.openedAt).electionEnd;
        for (uint256 i; i < 3; ++i) {
            uint256[] memory s = statement(1);
            bytes memory copied = proofOf(1, elected[(i + 1) % 3]);
            vm.expectRevert(IProofVerifier.InvalidProof.selector);
            vm.prank(elected[i]);
            ledger.submitProof(id, t, s, copied);
        }
        vm.warp(end + 1);
        address[3] memory outsiders = [dave, erin, frank];
        uint256 paid;
        for (uint256 i; i < 3; ++i) {
            uint256 slot = _slot(t, i);
            uint256 expected = _decayed(slot, end);
            assertEq(proveLedger(id, t, 1, outsiders[i]), expected);
            paid += expected;
            vm.warp(block.timestamp + 1 minutes);
            assertConserved();
        }
        assertEq(ledger.balanceOf(requester), TASK_BUDGET - paid);
        assertEq(TaskWord.unwrap(ledger.taskWord(id)), 0);
    }

    /// Nobody delivers: the ledger's expiry refunds the whole budget.
    function test_EveryElectedSilent_ExpiryRefunds() public {
        (uint256 id, LedgerTask memory t) = _open(election3, 1, 3);
        _draw(election3, id, t, keccak256("mix"));
        vm.warp(uint256(t.deadline) + 1);
        ledger.expire(id, t);
        assertEq(ledger.balanceOf(requester), TASK_BUDGET);
        assertConserved();
    }

    /// Redundancy 3, three elected: each proof is paid its slot decayed from the draw; the last slot takes the
    /// rounding remainder; the proofs do not make one another's task stale.
    function test_RedundancyThree_EachElectedPaidADecayedSlot() public {
        LedgerRequest memory r = _electionRequest(election3, 1, 3);
        r.maxPayment = 100e18 + 2; // slots of 33.33e18, the last one 2 wei richer
        (uint256 id, LedgerTask memory t) = openLedger(r);
        _draw(election3, id, t, keccak256("mix"));
        uint256 drawnAt = block.timestamp;
        address[] memory elected = _electedOf(election3, id, t);
        uint256 paid;
        for (uint256 i; i < 3; ++i) {
            vm.warp(drawnAt + (i + 1) * 5 minutes);
            uint256 expected = _decayed(_slot(t, i), drawnAt);
            assertEq(election3.currentPayment(id, t, elected[i]), expected);
            assertEq(proveLedger(id, t, 1, elected[i]), expected);
            paid += expected;
            assertEq(ledger.balanceOf(elected[i]), expected);
            assertConserved();
        }
        assertEq(ledger.balanceOf(requester), r.maxPayment - paid);
        assertGt(_decayed(1, drawnAt) + paid, 0);
    }

    /// Redundancy 3 with one elected: the elected takes one slot in the window, the open race the others.
    function test_RedundancyAboveElected_OpenRaceFillsTheRest() public {
        (uint256 id, LedgerTask memory t) = _open(election, 1, 3);
        _draw(election, id, t, keccak256("mix"));
        address winner = _electedOf(election, id, t)[0];
        address other = _notElected(election, id, t);
        proveLedger(id, t, 1, winner);
        uint256 end = election.electionOf(id, t.openedAt).electionEnd;
        _expectSubmitRevert(
            id, t, 1, other, abi.encodeWithSelector(ILedgerElectionRace.ElectionWindowOpen.selector, id, end)
        );
        vm.warp(end + 1);
        proveLedger(id, t, 1, other);
        proveLedger(id, t, 1, dave);
        assertEq(TaskWord.unwrap(ledger.taskWord(id)), 0);
        assertConserved();
    }

    function test_NoEligibleProver_OpenRaceStartsAtOnce() public {
        LedgerElectionRace strict = _deployElection(9, 1, WEIGHT_CAP);
        (uint256 id, LedgerTask memory t) = _open(strict, 1, 1);
        assertEq(_draw(strict, id, t, keccak256("mix")), 0);
        ILedgerElectionRace.Election memory e = strict.electionOf(id, t.openedAt);
        assertTrue(e.drawn);
        assertEq(e.electionEnd, block.timestamp);
        assertEq(e.elected.length, 0);
        assertEq(e.firstElected, address(0));
        _expectSubmitRevert(
            id, t, 1, dave, abi.encodeWithSelector(ILedgerElectionRace.ElectionWindowOpen.selector, id, e.electionEnd)
        );
        vm.warp(block.timestamp + 1);
        assertGt(proveLedger(id, t, 1, dave), 0);
        assertConserved();
    }

    /// A prover with no free concurrency slot does not match the task's capacity and is never elected.
    function testFuzz_ElectedAreDistinctAndEligible(bytes32 mix, uint8 redundancy) public {
        redundancy = uint8(bound(redundancy, 1, 3));
        registerProver(erin, PROVER_STAKE, 1);
        (uint256 busyId, LedgerTask memory busy) = openAssigned(99);
        assignLedger(busyId, busy, erin, 10e18);
        (uint256 id, LedgerTask memory t) = _open(election3, 1, redundancy);
        uint256 n = _draw(election3, id, t, mix);
        assertLe(n, redundancy);
        address[] memory elected = _electedOf(election3, id, t);
        assertEq(elected.length, n);
        assertFalse(election3.isElected(id, t.openedAt, dave), "hardware class too low");
        assertFalse(election3.isElected(id, t.openedAt, erin), "no free concurrency slot");
        for (uint256 i; i < n; ++i) {
            for (uint256 j; j < i; ++j) {
                assertTrue(elected[i] != elected[j]);
            }
        }
    }

    function test_DrawIsDeterministicInPrevrandao() public {
        uint256 snap = vm.snapshotState();
        (uint256 id, LedgerTask memory t) = _open(election, 1, 1);
        _draw(election, id, t, keccak256("a"));
        address first = _electedOf(election, id, t)[0];
        vm.revertToState(snap);
        (id, t) = _open(election, 1, 1);
        _draw(election, id, t, keccak256("a"));
        assertEq(_electedOf(election, id, t)[0], first);

        uint256 distinct;
        address[3] memory seen;
        for (uint256 i; i < 12; ++i) {
            vm.revertToState(snap);
            (id, t) = _open(election, 1, 1);
            _draw(election, id, t, keccak256(abi.encode(i)));
            address winner = _electedOf(election, id, t)[0];
            bool known;
            for (uint256 j; j < distinct; ++j) {
                if (seen[j] == winner) known = true;
            }
            if (!known) seen[distinct++] = winner;
        }
        assertEq(distinct, 3);
    }

    /// Draws are stake-weighted: three eligible provers staking 100 / 300 / 600 (weight cap 1000) are elected with
    /// frequencies within ±6 points of 10 / 30 / 60 % over 300 draws (the four class-1-or-lower provers of the
    /// fixture are in the pool but below this instance's class, so they cost attempts only).
    function test_DrawFrequenciesFollowStake() public {
        LedgerElectionRace.Params memory p = _params(2, 1, 1000e18);
        p.maxAttempts = 96;
        LedgerElectionRace weighted = _deployElection(p);
        address[3] memory who = [makeAddr("w100"), makeAddr("w300"), makeAddr("w600")];
        uint256[3] memory stake = [uint256(100e18), 300e18, 600e18];
        for (uint256 i; i < 3; ++i) {
            _registerClass(who[i], stake[i], 2, 4);
        }
        vm.roll(block.number + 10);
        uint256[3] memory hits;
        uint256 snap = vm.snapshotState();
        uint256 draws = 300;
        for (uint256 s; s < draws; ++s) {
            (uint256 id, LedgerTask memory t) = _open(weighted, 1, 1);
            _draw(weighted, id, t, keccak256(abi.encode("freq", s)));
            address winner = weighted.electionOf(id, t.openedAt).firstElected;
            for (uint256 i; i < 3; ++i) {
                if (winner == who[i]) ++hits[i];
            }
            vm.revertToState(snap);
        }
        assertEq(hits[0] + hits[1] + hits[2], draws, "every draw elects");
        assertApproxEqAbs(hits[0], draws * 10 / 100, draws * 6 / 100);
        assertApproxEqAbs(hits[1], draws * 30 / 100, draws * 6 / 100);
        assertApproxEqAbs(hits[2], draws * 60 / 100, draws * 6 / 100);
    }

    // ------------------------------------------------------------------ randomness rules

    /// @dev Opens a one-proof task and rolls to its target, where the prevrandao is known to everyone.
    function _openAndReachTarget(uint256 seed) internal returns (uint256 id, LedgerTask memory t, uint256 target) {
        (id, t) = _open(election, seed, 1);
        target = _target(election, t);
        vm.roll(target);
    }

    /// Registering provers once the seed is known does not re-roll the draw: the pool is fixed with the target, so
    /// the same prevrandao elects the same prover, and the newcomers are never drawn.
    function test_RegistrationAfterTheTargetDoesNotRerollTheDraw() public {
        uint256 snap = vm.snapshotState();
        (uint256 id, LedgerTask memory t,) = _openAndReachTarget(1);
        _draw(election, id, t, keccak256("seen"));
        address winner = _electedOf(election, id, t)[0];

        for (uint256 k = 1; k <= 8; ++k) {
            vm.revertToState(snap);
            (id, t,) = _openAndReachTarget(1);
            for (uint256 i; i < k; ++i) {
                registerProver(makeAddr(string.concat("sybil", vm.toString(i))), WEIGHT_CAP, 4);
            }
            _draw(election, id, t, keccak256("seen"));
            assertEq(_electedOf(election, id, t)[0], winner, "same winner whatever registered after the target");
        }
    }

    /// A prover that tops up its stake, cancels an unstake or raises its capacity once the seed is known is not
    /// eligible for that draw; the same change two blocks before the target is made blind and counts.
    function test_StakeOrCapacityChangedAfterTheTargetIsNotEligible() public {
        for (uint256 change; change < 3; ++change) {
            uint256 snap = vm.snapshotState();
            if (change == 1) {
                vm.prank(alice);
                proverRegistry.requestUnstake(1e18);
            }
            (uint256 id, LedgerTask memory t, uint256 target) = _openAndReachTarget(1);
            vm.roll(target - 1); // the block before the target: its proposer already knows the seed
            fund(alice, 1e18);
            fund(carol, 1e18);
            vm.startPrank(alice);
            if (change == 1) proverRegistry.cancelUnstake();
            else proverRegistry.addStake(1e18);
            vm.stopPrank();
            vm.prank(bob);
            proverRegistry.setCapacity(1, 5);
            vm.prank(carol);
            if (change == 2) proverRegistry.addStake(1e18);
            else proverRegistry.setCapacity(1, 5);
            assertEq(proverRegistry.changedAt(alice), target - 1);
            vm.roll(target + 1);
            assertEq(_draw(election, id, t, keccak256(abi.encode("mix", change))), 0, "every eligible one changed");
            vm.revertToState(snap);
        }

        (uint256 id2, LedgerTask memory t2, uint256 target2) = _openAndReachTarget(2);
        vm.roll(target2 - 2);
        fund(alice, 1e18);
        vm.prank(alice);
        proverRegistry.addStake(1e18);
        vm.roll(target2 + 1);
        assertEq(_draw(election, id2, t2, keccak256("blind")), 1);
    }

    /// Nobody drew within 256 blocks: the draw re-targets (a new target and a new pool, in the task through the
    /// ledger), the old version of the task is stale, and a draw at the new target elects.
    function test_DrawRetargetsAfter256Blocks() public {
        (uint256 id, LedgerTask memory t) = _open(election, 1, 1);
        vm.roll(_target(election, t) + 257);
        address late = makeAddr("late");
        registerProver(late, WEIGHT_CAP, 4);
        uint64 state = uint64(block.number + DRAW_DELAY) | uint64(5) << 32;
        vm.expectEmit(address(election));
        emit ILedgerElectionRace.DrawRetargeted(id, block.number + DRAW_DELAY, 5);
        vm.expectEmit(address(ledger));
        emit ITaskLedger.MechanismStateSet(id, state);
        assertEq(election.draw(id, t, ""), 0);
        LedgerTask memory n = copyOf(t);
        n.mechanismState = state;
        track(id, n);
        (uint256 target, uint256 pool) = election.targetOf(n.mechanismState);
        assertEq(target, block.number + DRAW_DELAY);
        assertEq(pool, 5, "the pool is fixed again with the new target");
        assertFalse(election.electionOf(id, t.openedAt).drawn);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.StaleTask.selector, id));
        election.draw(id, t, "");
        assertEq(_draw(election, id, n, keccak256("mix")), 1);
        assertConserved();
    }

    /// A task reopened to the election (as another mechanism's fallback) draws afresh under its new opening, and
    /// never elects a prover that already proved it.
    function test_ReopenedToTheElection_DrawsAfreshWithoutThoseWhoProved() public {
        LedgerRequest memory r = ledgerRequest(1, 2, address(ledgerRace));
        r.fallbackMechanism = address(election3);
        r.fallbackWindow = 2 hours;
        (uint256 id, LedgerTask memory t) = openLedger(r);
        proveLedger(id, t, 1, alice);
        vm.warp(uint256(t.deadline) + 1);
        vm.recordLogs();
        ledger.expire(id, t);
        LedgerTask memory n = _reopenedTask();
        track(id, n);
        assertEq(n.mechanism, address(election3));
        uint256 snap = vm.snapshotState();
        for (uint256 i; i < 8; ++i) {
            assertEq(_draw(election3, id, n, keccak256(abi.encode("reopen", i))), 1, "one slot left");
            assertFalse(election3.isElected(id, n.openedAt, alice), "alice proved it already");
            vm.revertToState(snap);
        }
        _draw(election3, id, n, keccak256("reopen"));
        proveLedger(id, n, 1, _electedOf(election3, id, n)[0]);
        assertConserved();
    }

    /// A fallback window shorter than the election window is refused by the election: the task expires for good.
    function test_FallbackWindowShorterThanTheElectionWindowIsRefused() public {
        LedgerRequest memory r = ledgerRequest(1, 1, address(ledgerRace));
        r.fallbackMechanism = address(election);
        r.fallbackWindow = ELECTION_WINDOW - 1;
        (uint256 id, LedgerTask memory t) = openLedger(r);
        vm.warp(uint256(t.deadline) + 1);
        vm.expectEmit(address(ledger));
        emit ITaskLedger.FallbackFailed(id, address(election));
        ledger.expire(id, t);
        assertEq(ledger.balanceOf(requester), TASK_BUDGET);
        assertConserved();
    }

    function _reopenedTask() internal returns (LedgerTask memory) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] == ITaskLedger.TaskReopened.selector) return abi.decode(logs[i].data, (LedgerTask));
        }
        revert("no reopen");
    }

    // ------------------------------------------------------------------ payment math

    /// Whatever the timing, a proof is paid between the floor and its slot, and escrow is conserved.
    function testFuzz_PaymentWithinSlotAndConserved(uint256 delay, uint8 redundancy, bool elected) public {
        redundancy = uint8(bound(redundancy, 1, 3));
        (uint256 id, LedgerTask memory t) = _open(election, 1, redundancy);
        _draw(election, id, t, keccak256("fuzz"));
        uint256 end = election.electionOf(id, t.openedAt).electionEnd;
        address prover = elected ? _electedOf(election, id, t)[0] : dave;
        uint256 earliest = elected ? block.timestamp : end + 1;
        vm.warp(bound(delay, earliest, t.deadline));
        uint256 slot = _slot(t, 0);
        uint256 paid = proveLedger(id, t, 1, prover);
        assertLe(paid, slot);
        assertGe(paid, slot * DECAY_FLOOR_BPS / 10_000);
        assertConserved();
    }

    // ------------------------------------------------------------------ reverts

    function test_RevertWhen_DrawBeforeTheTargetBlock() public {
        (uint256 id, LedgerTask memory t) = _open(election, 1, 1);
        uint256 target = _target(election, t);
        vm.roll(target);
        vm.expectRevert(abi.encodeWithSelector(ILedgerElectionRace.DrawTooEarly.selector, id, target));
        election.draw(id, t, "");
    }

    function test_RevertWhen_DrawTwice() public {
        (uint256 id, LedgerTask memory t) = _open(election, 1, 1);
        bytes memory header = _publishTarget(election, t, keccak256("mix"));
        election.draw(id, t, header);
        vm.expectRevert(abi.encodeWithSelector(ILedgerElectionRace.AlreadyDrawn.selector, id));
        election.draw(id, t, header);
    }

    function test_RevertWhen_HeaderIsNotTheTargetBlock() public {
        (uint256 id, LedgerTask memory t) = _open(election, 1, 1);
        uint256 target = _target(election, t);
        bytes memory real = _publishTarget(election, t, keccak256("real"));
        bytes memory forged = _header(target, keccak256("forged"), "");
        vm.expectRevert(
            abi.encodeWithSelector(
                BlockHeaderRandomness.HeaderHashMismatch.selector, target, keccak256(real), keccak256(forged)
            )
        );
        election.draw(id, t, forged);
    }

    function test_RevertWhen_HeaderMalformed() public {
        (uint256 id, LedgerTask memory t) = _open(election, 1, 1);
        uint256 target = _target(election, t);
        vm.roll(target + 1);
        vm.setBlockhash(target, keccak256(hex"c0"));
        vm.expectRevert(BlockHeaderRandomness.MalformedHeader.selector);
        election.draw(id, t, hex"c0");
    }

    function test_RevertWhen_DrawStaleTask() public {
        (uint256 id, LedgerTask memory t) = _open(election, 1, 1);
        bytes memory header = _publishTarget(election, t, keccak256("mix"));
        LedgerTask memory forged = copyOf(t);
        forged.mechanismState = t.mechanismState - 1; // an earlier, chosen target
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.StaleTask.selector, id));
        election.draw(id, forged, header);
        // A cancelled task has no word: stale too.
        vm.prank(requester);
        ledger.cancelTask(id, t);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.StaleTask.selector, id));
        election.draw(id, t, header);
    }

    function test_RevertWhen_DrawTaskOfAnotherMechanism() public {
        (uint256 id, LedgerTask memory t) = openRace(1, 1);
        vm.expectRevert(abi.encodeWithSelector(ILedgerElectionRace.NotThisMechanism.selector, id, address(ledgerRace)));
        election.draw(id, t, "");
        (id, t) = _open(election3, 2, 1);
        vm.expectRevert(abi.encodeWithSelector(ILedgerElectionRace.NotThisMechanism.selector, id, address(election3)));
        election.draw(id, t, "");
    }

    function test_RevertWhen_ProofBeforeTheDraw() public {
        (uint256 id, LedgerTask memory t) = _open(election, 1, 1);
        bytes memory notDrawn = abi.encodeWithSelector(ILedgerElectionRace.NotDrawn.selector, id);
        _expectSubmitRevert(id, t, 1, alice, notDrawn);
        vm.expectRevert(notDrawn);
        election.currentPayment(id, t, alice);
    }

    function test_RevertWhen_NonElectedProvesDuringTheWindow() public {
        (uint256 id, LedgerTask memory t) = _open(election, 1, 1);
        _draw(election, id, t, keccak256("mix"));
        address other = _notElected(election, id, t);
        uint256 end = election.electionOf(id, t.openedAt).electionEnd;
        bytes memory err = abi.encodeWithSelector(ILedgerElectionRace.ElectionWindowOpen.selector, id, end);
        _expectSubmitRevert(id, t, 1, other, err);
        vm.expectRevert(err);
        election.currentPayment(id, t, other);
    }

    /// With redundancy > 1 an elected prover takes one slot only: its second proof is refused by the ledger.
    function test_RevertWhen_ElectedProvesTwice() public {
        (uint256 id, LedgerTask memory t) = _open(election3, 1, 3);
        _draw(election3, id, t, keccak256("mix"));
        address first = _electedOf(election3, id, t)[0];
        proveLedger(id, t, 1, first);
        _expectSubmitRevert(id, t, 1, first, abi.encodeWithSelector(ITaskLedger.AlreadyProven.selector, id, first));
    }

    function test_RevertWhen_HookCalledByOther() public {
        (uint256 id, LedgerTask memory t) = _open(election, 1, 1);
        bytes memory err = abi.encodeWithSelector(ILedgerMechanism.OnlyTaskLedger.selector, address(this));
        vm.expectRevert(err);
        election.onTaskOpened(id, t, "");
        vm.expectRevert(err);
        election.onProofAccepted(id, t, alice, 0);
        vm.expectRevert(err);
        election.onTaskClosed(id, t);
    }

    function test_RevertWhen_DeadlineShorterThanTheElectionWindow() public {
        LedgerRequest memory r = _electionRequest(election, 1, 1);
        r.deadline = uint64(block.timestamp + ELECTION_WINDOW - 1);
        depositFor(requester, r.maxPayment);
        vm.expectRevert(
            abi.encodeWithSelector(
                ILedgerElectionRace.DeadlineTooSoon.selector,
                ledger.nextTaskId(requester),
                r.deadline,
                block.timestamp + ELECTION_WINDOW
            )
        );
        vm.prank(requester);
        ledger.createTask(r);
    }

    function test_RevertWhen_SlotIsZero() public {
        LedgerRequest memory r = _electionRequest(election, 1, 2);
        r.maxPayment = 1;
        depositFor(requester, 1);
        vm.expectRevert(
            abi.encodeWithSelector(ILedgerElectionRace.SlotMaxZero.selector, ledger.nextTaskId(requester), 1)
        );
        vm.prank(requester);
        ledger.createTask(r);
    }

    function test_RevertWhen_RedundancyAboveTheCap() public {
        LedgerRequest memory r = _electionRequest(election, 1, 33);
        depositFor(requester, r.maxPayment);
        vm.expectRevert(
            abi.encodeWithSelector(ITaskLedger.TooManyWinners.selector, ledger.nextTaskId(requester), 33, 32)
        );
        vm.prank(requester);
        ledger.createTask(r);
    }

    function test_RevertWhen_ConstructorParameterOutOfRange() public {
        string[7] memory names =
            ["ledger", "electedCount", "electedCount", "drawDelay", "electionWindow", "decayFloorBps", "weightCap"];
        for (uint256 i; i < 8; ++i) {
            LedgerElectionRace.Params memory p = _params(1, 1, WEIGHT_CAP);
            string memory which = i < 7 ? names[i] : "maxAttempts";
            if (i == 0) p.ledger = ITaskLedger(address(0));
            if (i == 1) p.electedCount = 0;
            if (i == 2) p.electedCount = 4;
            if (i == 3) p.drawDelay = 0;
            if (i == 4) p.electionWindow = 0;
            if (i == 5) p.decayFloorBps = 10_001;
            if (i == 6) p.weightCap = 0;
            if (i == 7) p.maxAttempts = 0;
            vm.expectRevert(abi.encodeWithSelector(ILedgerElectionRace.InvalidParameter.selector, which));
            new LedgerElectionRace(p);
        }
    }
}
