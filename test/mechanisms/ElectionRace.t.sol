// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IElectionRace} from "../../contracts/interfaces/IElectionRace.sol";
import {IMechanism} from "../../contracts/interfaces/IMechanism.sol";
import {IProverRegistry} from "../../contracts/interfaces/IProverRegistry.sol";
import {ITaskRegistry} from "../../contracts/interfaces/ITaskRegistry.sol";
import {BlockHeaderRandomness} from "../../contracts/libraries/BlockHeaderRandomness.sol";
import {WeightedDraw} from "../../contracts/libraries/WeightedDraw.sol";
import {ElectionRace} from "../../contracts/mechanisms/ElectionRace.sol";
import {TaskRequest, TaskStatus} from "../../contracts/types/Task.sol";
import {Deployers} from "../utils/Deployers.sol";

/// @notice Builds RLP block headers for the draw (post-London layout; mixHash is item 13).
abstract contract HeaderBuilder {
    function _bigEndian(uint256 x) internal pure returns (bytes memory out) {
        uint256 n;
        for (uint256 y = x; y != 0; y >>= 8) {
            ++n;
        }
        out = new bytes(n);
        for (uint256 i; i < n; ++i) {
            out[n - 1 - i] = bytes1(uint8(x >> (8 * i)));
        }
    }

    function _rlpBytes(bytes memory b) internal pure returns (bytes memory) {
        if (b.length == 1 && uint8(b[0]) < 0x80) return b;
        if (b.length <= 55) return abi.encodePacked(uint8(0x80 + b.length), b);
        bytes memory len = _bigEndian(b.length);
        return abi.encodePacked(uint8(0xb7 + len.length), len, b);
    }

    function _rlpUint(uint256 x) internal pure returns (bytes memory) {
        return x == 0 ? bytes(hex"80") : _rlpBytes(_bigEndian(x));
    }

    function _rlpList(bytes memory payload) internal pure returns (bytes memory) {
        if (payload.length <= 55) return abi.encodePacked(uint8(0xc0 + payload.length), payload);
        bytes memory len = _bigEndian(payload.length);
        return abi.encodePacked(uint8(0xf7 + len.length), len, payload);
    }

    /// @dev A header of block `number` with prevrandao `mix` and `extraData`.
    function _header(uint256 number, bytes32 mix, bytes memory extraData) internal pure returns (bytes memory) {
        bytes[] memory items = new bytes[](16);
        items[0] = _rlpBytes(abi.encodePacked(keccak256(abi.encode("parent", number))));
        items[1] = _rlpBytes(abi.encodePacked(keccak256("")));
        items[2] = _rlpBytes(abi.encodePacked(address(0xC0FFEE)));
        items[3] = _rlpBytes(abi.encodePacked(keccak256("state")));
        items[4] = _rlpBytes(abi.encodePacked(keccak256("txs")));
        items[5] = _rlpBytes(abi.encodePacked(keccak256("receipts")));
        items[6] = _rlpBytes(new bytes(256));
        items[7] = _rlpUint(0);
        items[8] = _rlpUint(number);
        items[9] = _rlpUint(30_000_000);
        items[10] = _rlpUint(12_345_678);
        items[11] = _rlpUint(1_700_000_000 + number * 12);
        items[12] = _rlpBytes(extraData);
        items[13] = _rlpBytes(abi.encodePacked(mix));
        items[14] = _rlpBytes(new bytes(8));
        items[15] = _rlpUint(7 gwei);
        bytes memory payload;
        for (uint256 i; i < items.length; ++i) {
            payload = bytes.concat(payload, items[i]);
        }
        return _rlpList(payload);
    }
}

/// @notice External wrapper so that the library's calldata parser can be called from a test.
contract HeaderParser {
    function mixHashOf(bytes calldata header) external pure returns (bytes32) {
        return BlockHeaderRandomness.mixHashOf(header);
    }

    function prevrandaoOf(uint256 blockNumber, bytes calldata header) external view returns (bytes32) {
        return BlockHeaderRandomness.prevrandaoOf(blockNumber, header);
    }
}

/// @notice The header parser as first written in Solidity (before the calldata walk in assembly), kept as
///         the reference the library is checked against.
contract ReferenceHeaderParser {
    error MalformedHeader();

    uint256 private constant MIX_HASH_INDEX = 13;

    function mixHashOf(bytes calldata header) external pure returns (bytes32 mix) {
        (uint256 offset, uint256 end) = _listPayload(header);
        for (uint256 i = 0; i < MIX_HASH_INDEX; ++i) {
            (, uint256 next) = _item(header, offset, end);
            offset = next;
        }
        (uint256 start, uint256 next2) = _item(header, offset, end);
        if (next2 - start != 32) revert MalformedHeader();
        mix = bytes32(header[start:next2]);
    }

    /// @dev Offsets of the outer list's payload.
    function _listPayload(bytes calldata rlp) private pure returns (uint256 offset, uint256 end) {
        if (rlp.length == 0) revert MalformedHeader();
        uint8 b0 = uint8(rlp[0]);
        if (b0 < 0xc0) revert MalformedHeader();
        uint256 length;
        if (b0 <= 0xf7) {
            offset = 1;
            length = b0 - 0xc0;
        } else {
            uint256 lenOfLen = b0 - 0xf7;
            offset = 1 + lenOfLen;
            length = _bigEndian(rlp, 1, lenOfLen);
        }
        end = offset + length;
        if (end != rlp.length) revert MalformedHeader();
    }

    /// @dev A string item at `offset`: returns its data start and the offset after it.
    function _item(bytes calldata rlp, uint256 offset, uint256 end)
        private
        pure
        returns (uint256 dataStart, uint256 next)
    {
        if (offset >= end) revert MalformedHeader();
        uint8 b = uint8(rlp[offset]);
        if (b < 0x80) return (offset, offset + 1);
        if (b <= 0xb7) {
            dataStart = offset + 1;
            next = dataStart + (b - 0x80);
        } else if (b <= 0xbf) {
            uint256 lenOfLen = b - 0xb7;
            dataStart = offset + 1 + lenOfLen;
            next = dataStart + _bigEndian(rlp, offset + 1, lenOfLen);
        } else {
            revert MalformedHeader();
        }
        if (next > end) revert MalformedHeader();
    }

    /// @dev Big-endian integer of `len` (1..8) bytes at `offset`.
    function _bigEndian(bytes calldata rlp, uint256 offset, uint256 len) private pure returns (uint256 v) {
        if (len == 0 || len > 8 || offset + len > rlp.length) revert MalformedHeader();
        for (uint256 i = 0; i < len; ++i) {
            v = (v << 8) | uint8(rlp[offset + i]);
        }
    }
}

/// @notice Election-then-race against the real TaskRegistry and ProverRegistry.
contract ElectionRaceTest is Deployers, HeaderBuilder {
    uint8 internal constant ELECTED = 2;
    uint96 internal constant COLLATERAL = 10e18;
    uint16 internal constant DRAW_DELAY = 2;
    uint32 internal constant ELECTION_WINDOW = 20 minutes;
    uint32 internal constant DECAY_WINDOW = 30 minutes;
    uint16 internal constant DECAY_FLOOR_BPS = 5000;
    uint96 internal constant WEIGHT_CAP = 2000e18;

    ElectionRace internal election;
    HeaderParser internal parser;
    address internal dave = makeAddr("dave");
    address internal outsider = makeAddr("outsider");

    function setUp() public {
        deployCore();
        election = _deployElection(1, ELECTED);
        parser = new HeaderParser();
        registerProver(alice);
        registerProver(bob);
        registerProver(carol);
        // dave's hardware class (0) is below the instance minimum: never elected, may race in the open phase.
        fund(dave, PROVER_STAKE);
        vm.prank(dave);
        proverRegistry.register(PROVER_STAKE, 0, 4);
    }

    function _deployElection(uint8 minHardwareClass, uint8 electedCount) internal returns (ElectionRace e) {
        e = new ElectionRace(
            ElectionRace.Params({
                taskRegistry: ITaskRegistry(address(taskRegistry)),
                proverRegistry: IProverRegistry(address(proverRegistry)),
                electedCount: electedCount,
                minHardwareClass: minHardwareClass,
                collateral: COLLATERAL,
                drawDelay: DRAW_DELAY,
                electionWindow: ELECTION_WINDOW,
                decayWindow: DECAY_WINDOW,
                decayFloorBps: DECAY_FLOOR_BPS,
                weightCap: WEIGHT_CAP,
                maxAttempts: 32
            })
        );
        taskRegistry.setMechanism(address(e), true);
    }

    function _request(ElectionRace e, uint256 seed, uint8 redundancy) internal view returns (TaskRequest memory r) {
        r = raceRequest(seed, redundancy);
        r.mechanism = address(e);
    }

    function _open(uint256 seed, uint8 redundancy) internal returns (uint256) {
        return openTask(requester, _request(election, seed, redundancy));
    }

    /// @dev Rolls past the target block, publishes a header with prevrandao `mix` as its hash, and draws.
    function _draw(ElectionRace e, uint256 taskId, bytes32 mix) internal returns (uint256 elected) {
        uint256 target = e.electionOf(taskId).marker;
        vm.roll(target + 1);
        bytes memory header = _header(target, mix, "proofmarket");
        vm.setBlockhash(target, keccak256(header));
        elected = e.draw(taskId, header);
    }

    function _electedOf(uint256 taskId) internal view returns (address[] memory list) {
        address[4] memory all = [alice, bob, carol, dave];
        uint256 n;
        list = new address[](4);
        for (uint256 i; i < 4; ++i) {
            if (taskRegistry.assignmentOf(taskId, all[i]).active) list[n++] = all[i];
        }
        assembly {
            mstore(list, n)
        }
    }

    function _notElected(uint256 taskId) internal view returns (address) {
        address[3] memory eligible = [alice, bob, carol];
        for (uint256 i; i < 3; ++i) {
            if (!taskRegistry.assignmentOf(taskId, eligible[i]).active) return eligible[i];
        }
        revert("all elected");
    }

    // ------------------------------------------------------------------ draw

    function test_OpenSchedulesDraw() public {
        uint256 taskId = _open(1, 1);
        IElectionRace.Election memory e = election.electionOf(taskId);
        assertEq(uint8(e.phase), uint8(IElectionRace.Phase.AwaitingDraw));
        assertEq(e.marker, block.number + DRAW_DELAY);
        assertEq(e.slotMax, TASK_BUDGET);
    }

    function test_DrawElectsDistinctEligibleProversWithCollateral() public {
        uint256 taskId = _open(1, 2);
        uint256 n = _draw(election, taskId, keccak256("mix"));
        assertEq(n, 2);
        address[] memory elected = _electedOf(taskId);
        assertEq(elected.length, 2);
        for (uint256 i; i < elected.length; ++i) {
            assertTrue(elected[i] != dave);
            ITaskRegistry.Assignment memory a = taskRegistry.assignmentOf(taskId, elected[i]);
            assertEq(a.price, TASK_BUDGET / 2);
            assertEq(a.collateral, COLLATERAL);
        }
        IElectionRace.Election memory e = election.electionOf(taskId);
        assertEq(uint8(e.phase), uint8(IElectionRace.Phase.Drawn));
        assertEq(e.marker, block.timestamp + ELECTION_WINDOW);
        assertEq(e.live, 2);
        assertEq(uint8(taskRegistry.taskOf(taskId).status), uint8(TaskStatus.Assigned));
    }

    function test_ElectedCountCappedByRedundancy() public {
        uint256 taskId = _open(1, 1);
        assertEq(_draw(election, taskId, keccak256("mix")), 1);
    }

    function test_ElectedProverPaidOnDecay() public {
        uint256 taskId = _open(1, 1);
        _draw(election, taskId, keccak256("mix"));
        address winner = _electedOf(taskId)[0];
        vm.warp(block.timestamp + DECAY_WINDOW / 2);
        // Full at the draw, floor (50 %) after the decay window: 75 % half-way.
        assertEq(election.currentPayment(taskId, true), 75e18);
        assertEq(prove(taskId, 1, winner), 75e18);
        assertEq(taskRegistry.claimable(requester), 25e18);
        assertEq(uint8(taskRegistry.taskOf(taskId).status), uint8(TaskStatus.Fulfilled));
        assertEq(uint8(election.electionOf(taskId).phase), uint8(IElectionRace.Phase.Closed));
    }

    function test_ElectedProverOffline_SlashedThenOpenRaceCovers() public {
        uint256 taskId = _open(1, 1);
        _draw(election, taskId, keccak256("mix"));
        address offline = _electedOf(taskId)[0];
        uint256 electionEnd = election.electionOf(taskId).marker;

        // During the election window only the elected may prove.
        bytes memory proof = proofOf(1, dave);
        uint256[] memory s = statement(1);
        vm.expectRevert(abi.encodeWithSelector(IElectionRace.ElectionWindowOpen.selector, taskId, electionEnd));
        vm.prank(dave);
        taskRegistry.submitProof(taskId, s, proof);

        vm.warp(electionEnd + 1);
        // The offline prover still holds the only slot until someone slashes it.
        vm.expectRevert(abi.encodeWithSelector(IElectionRace.NoFreeSlot.selector, taskId));
        vm.prank(dave);
        taskRegistry.submitProof(taskId, s, proof);

        uint256 stake = proverRegistry.proverOf(offline).stake;
        vm.prank(dave);
        election.slashElected(taskId, offline);
        assertEq(stake - proverRegistry.proverOf(offline).stake, COLLATERAL);
        assertEq(proverRegistry.recordOf(offline).missed, 1);
        uint256 bounty = taskRegistry.taskOf(taskId).coverBounty;
        assertGt(bounty, 0);

        vm.warp(electionEnd + DECAY_WINDOW / 5);
        uint256 expected = 100e18 - uint256(100e18) * 5000 * (DECAY_WINDOW / 5) / (10_000 * DECAY_WINDOW);
        assertEq(election.currentPayment(taskId, false), expected);
        vm.expectEmit(address(election));
        emit IElectionRace.OpenRaceProof(taskId, dave, uint96(expected));
        assertEq(prove(taskId, 1, dave), expected + bounty);
        assertEq(uint8(taskRegistry.taskOf(taskId).status), uint8(TaskStatus.Fulfilled));
    }

    function test_NoEligibleProver_OpenRaceStartsAtOnce() public {
        ElectionRace strict = _deployElection(9, ELECTED);
        uint256 taskId = openTask(requester, _request(strict, 1, 1));
        assertEq(_draw(strict, taskId, keccak256("mix")), 0);
        assertEq(strict.electionOf(taskId).marker, block.timestamp);
        vm.warp(block.timestamp + 1);
        assertGt(prove(taskId, 1, dave), 0);
    }

    /// @dev A draw sent with too little gas for the registry's assign must not elect nobody (which would
    ///      open the race at once): it reverts, and a later draw with enough gas elects as usual.
    function test_LowGasDrawCannotElectNobody() public {
        uint256 taskId = _open(1, 1);
        uint256 target = election.electionOf(taskId).marker;
        vm.roll(target + 1);
        bytes memory header = _header(target, keccak256("mix"), "proofmarket");
        vm.setBlockhash(target, keccak256(header));
        for (uint256 gasLimit = 40_000; gasLimit < 200_000; gasLimit += 10_000) {
            try election.draw{gas: gasLimit}(taskId, header) returns (uint256 n) {
                assertEq(n, 1);
                break;
            } catch {
                assertEq(uint8(election.electionOf(taskId).phase), uint8(IElectionRace.Phase.AwaitingDraw));
            }
        }
        if (election.electionOf(taskId).phase == IElectionRace.Phase.AwaitingDraw) election.draw(taskId, header);
        assertEq(election.electionOf(taskId).live, 1);
    }

    function test_ExpiryWithUndeliveredElected_SlashedByRegistry() public {
        uint256 taskId = _open(1, 2);
        _draw(election, taskId, keccak256("mix"));
        address[] memory elected = _electedOf(taskId);
        prove(taskId, 1, elected[0]);
        vm.warp(taskRegistry.taskOf(taskId).deadline + 1);
        taskRegistry.expire(taskId);
        assertEq(proverRegistry.recordOf(elected[1]).missed, 1);
        assertEq(proverRegistry.recordOf(elected[0]).completed, 1);
        assertEq(uint8(taskRegistry.taskOf(taskId).status), uint8(TaskStatus.Expired));
    }

    function test_DrawRetargetsAfter256Blocks() public {
        uint256 taskId = _open(1, 1);
        uint256 target = election.electionOf(taskId).marker;
        vm.roll(target + 257);
        vm.expectEmit(address(election));
        emit IElectionRace.DrawRetargeted(taskId, block.number + DRAW_DELAY);
        assertEq(election.draw(taskId, ""), 0);
        assertEq(election.electionOf(taskId).marker, block.number + DRAW_DELAY);
        assertEq(_draw(election, taskId, keccak256("mix")), 1);
    }

    // ------------------------------------------------------------------ registry changes after the seed

    /// @dev Opens a one-proof task and rolls to the target, where its prevrandao is known to everyone; the
    ///      caller then changes the registry and draws with `mix`.
    function _openAndReachTarget(uint256 seed) internal returns (uint256 taskId, uint256 target) {
        taskId = _open(seed, 1);
        target = election.electionOf(taskId).marker;
        vm.roll(target);
    }

    function _drawAtTarget(uint256 taskId, uint256 target, bytes32 mix) internal {
        vm.roll(target + 1);
        bytes memory header = _header(target, mix, "proofmarket");
        vm.setBlockhash(target, keccak256(header));
        election.draw(taskId, header);
    }

    /// Registering provers once the seed is known does not re-roll the draw: the pool is fixed with the
    /// target, so the same prevrandao elects the same prover, and the newcomers are never drawn.
    function test_RegistrationAfterTheTargetDoesNotRerollTheDraw() public {
        uint256 snap = vm.snapshotState();
        (uint256 taskId, uint256 target) = _openAndReachTarget(1);
        assertEq(election.electionOf(taskId).poolSize, 4, "alice, bob, carol, dave");
        _drawAtTarget(taskId, target, keccak256("seen"));
        address winner = _electedOf(taskId)[0];

        for (uint256 k = 1; k <= 8; ++k) {
            vm.revertToState(snap);
            (taskId, target) = _openAndReachTarget(1);
            for (uint256 i; i < k; ++i) {
                registerProver(makeAddr(string.concat("sybil", vm.toString(i))), WEIGHT_CAP, 4);
            }
            _drawAtTarget(taskId, target, keccak256("seen"));
            assertEq(_electedOf(taskId)[0], winner, "same winner whatever registered after the target");
        }
    }

    /// A prover that tops up its stake, cancels an unstake or raises its capacity once the seed is known is
    /// not eligible for that draw (it could pick the change by the seed); a change before is counted.
    function test_StakeOrCapacityChangedAfterTheTargetIsNotEligible() public {
        for (uint256 change; change < 3; ++change) {
            uint256 snap = vm.snapshotState();
            if (change == 1) {
                vm.prank(alice);
                proverRegistry.requestUnstake(1e18);
            }
            (uint256 taskId, uint256 target) = _openAndReachTarget(1);
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
            _drawAtTarget(taskId, target, keccak256(abi.encode("mix", change)));
            assertEq(_electedOf(taskId).length, 0, "every eligible prover changed after the seed was known");
            vm.revertToState(snap);
        }

        // The same changes two blocks before the target are made blind, and count.
        (uint256 id, uint256 t) = _openAndReachTarget(2);
        vm.roll(t - 2);
        fund(alice, 1e18);
        vm.prank(alice);
        proverRegistry.addStake(1e18);
        _drawAtTarget(id, t, keccak256("blind"));
        assertEq(_electedOf(id).length, 1);
    }

    /// A re-target fixes a new pool with the new target: a prover registered before it can be drawn.
    function test_RetargetRefreshesThePool() public {
        uint256 taskId = _open(1, 1);
        vm.roll(election.electionOf(taskId).marker + 257);
        address late = makeAddr("late");
        registerProver(late, WEIGHT_CAP, 4);
        election.draw(taskId, "");
        assertEq(election.electionOf(taskId).poolSize, 5);
    }

    /// @dev The same prevrandao always elects the same prover; different values spread the election.
    function test_DrawIsDeterministicInPrevrandao() public {
        uint256 snap = vm.snapshotState();
        uint256 taskId = _open(1, 1);
        _draw(election, taskId, keccak256("a"));
        address first = _electedOf(taskId)[0];
        vm.revertToState(snap);
        taskId = _open(1, 1);
        _draw(election, taskId, keccak256("a"));
        assertEq(_electedOf(taskId)[0], first);

        uint256 distinct;
        address[3] memory seen;
        for (uint256 i; i < 12; ++i) {
            vm.revertToState(snap);
            taskId = _open(1, 1);
            _draw(election, taskId, keccak256(abi.encode(i)));
            address winner = _electedOf(taskId)[0];
            bool known;
            for (uint256 j; j < distinct; ++j) {
                if (seen[j] == winner) known = true;
            }
            if (!known) seen[distinct++] = winner;
        }
        assertEq(distinct, 3);
    }

    function testFuzz_ElectedAreDistinctAndEligible(bytes32 mix, uint8 redundancy) public {
        redundancy = uint8(bound(redundancy, 1, 3));
        ElectionRace wide = _deployElection(1, 3);
        // erin is eligible by class but has no free stake left for the collateral.
        address erin = makeAddr("erin");
        registerProver(erin);
        vm.prank(erin);
        proverRegistry.requestUnstake(PROVER_STAKE - COLLATERAL + 1);
        uint256 taskId = openTask(requester, _request(wide, 1, redundancy));
        uint256 n = _draw(wide, taskId, mix);
        assertLe(n, redundancy);
        assertFalse(taskRegistry.assignmentOf(taskId, dave).active);
        assertFalse(taskRegistry.assignmentOf(taskId, erin).active);
        assertEq(_electedOf(taskId).length, n);
        assertEq(wide.electionOf(taskId).live, n);
    }

    // ------------------------------------------------------------------ reverts

    function test_RevertWhen_DrawTooEarly() public {
        uint256 taskId = _open(1, 1);
        uint256 target = election.electionOf(taskId).marker;
        vm.roll(target);
        vm.expectRevert(abi.encodeWithSelector(IElectionRace.DrawTooEarly.selector, taskId, target));
        election.draw(taskId, "");
    }

    function test_RevertWhen_HeaderIsNotTargetBlock() public {
        uint256 taskId = _open(1, 1);
        uint256 target = election.electionOf(taskId).marker;
        vm.roll(target + 1);
        bytes memory real = _header(target, keccak256("real"), "");
        vm.setBlockhash(target, keccak256(real));
        bytes memory forged = _header(target, keccak256("forged"), "");
        vm.expectRevert(
            abi.encodeWithSelector(
                BlockHeaderRandomness.HeaderHashMismatch.selector, target, keccak256(real), keccak256(forged)
            )
        );
        election.draw(taskId, forged);
    }

    function test_RevertWhen_DrawTwice() public {
        uint256 taskId = _open(1, 1);
        _draw(election, taskId, keccak256("mix"));
        vm.expectRevert(abi.encodeWithSelector(IElectionRace.WrongPhase.selector, taskId, IElectionRace.Phase.Drawn));
        election.draw(taskId, "");
    }

    function test_RevertWhen_ProofBeforeDraw() public {
        uint256 taskId = _open(1, 1);
        bytes memory proof = proofOf(1, alice);
        uint256[] memory s = statement(1);
        vm.expectRevert(
            abi.encodeWithSelector(IElectionRace.WrongPhase.selector, taskId, IElectionRace.Phase.AwaitingDraw)
        );
        vm.prank(alice);
        taskRegistry.submitProof(taskId, s, proof);
    }

    function test_RevertWhen_SlashElectedDuringWindow() public {
        uint256 taskId = _open(1, 1);
        _draw(election, taskId, keccak256("mix"));
        address elected = _electedOf(taskId)[0];
        uint256 end = election.electionOf(taskId).marker;
        vm.expectRevert(abi.encodeWithSelector(IElectionRace.ElectionWindowOpen.selector, taskId, end));
        election.slashElected(taskId, elected);
    }

    function test_RevertWhen_SlashNotElected() public {
        uint256 taskId = _open(1, 1);
        _draw(election, taskId, keccak256("mix"));
        address other = _notElected(taskId);
        vm.warp(election.electionOf(taskId).marker + 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.NotAssigned.selector, taskId, other));
        election.slashElected(taskId, other);
    }

    function test_RevertWhen_DeadlineShorterThanElectionWindow() public {
        TaskRequest memory r = _request(election, 1, 1);
        r.deadline = uint64(block.timestamp + ELECTION_WINDOW - 1);
        fund(requester, r.maxPayment);
        vm.expectRevert(
            abi.encodeWithSelector(
                IElectionRace.DeadlineTooSoon.selector, 1, r.deadline, block.timestamp + ELECTION_WINDOW
            )
        );
        vm.prank(requester);
        taskRegistry.createTask(r);
    }

    function test_RevertWhen_HookCalledByOther() public {
        vm.expectRevert(abi.encodeWithSelector(IMechanism.OnlyTaskRegistry.selector, address(this)));
        election.onProofAccepted(1, alice, 1);
    }

    function test_RevertWhen_ZeroWeightCap() public {
        vm.expectRevert(abi.encodeWithSelector(IElectionRace.InvalidParameter.selector, "weightCap"));
        new ElectionRace(
            ElectionRace.Params({
                taskRegistry: ITaskRegistry(address(taskRegistry)),
                proverRegistry: IProverRegistry(address(proverRegistry)),
                electedCount: 1,
                minHardwareClass: 0,
                collateral: COLLATERAL,
                drawDelay: DRAW_DELAY,
                electionWindow: ELECTION_WINDOW,
                decayWindow: DECAY_WINDOW,
                decayFloorBps: DECAY_FLOOR_BPS,
                weightCap: 0,
                maxAttempts: 32
            })
        );
    }

    function test_Profile() public view {
        assertEq(election.profile().kind, 4);
    }

    // ------------------------------------------------------------------ randomness and sampling

    function testFuzz_MixHashParsedForAnyExtraData(bytes32 mix, uint256 number, uint8 extraLength) public view {
        number = bound(number, 0, type(uint64).max);
        bytes memory extra = new bytes(bound(extraLength, 0, 32));
        for (uint256 i; i < extra.length; ++i) {
            extra[i] = bytes1(uint8(i + 1));
        }
        assertEq(parser.mixHashOf(_header(number, mix, extra)), mix);
    }

    /// @dev A header produced by a real client: block 2 of an anvil 1.7 chain (Prague layout, 21 fields:
    ///      withdrawals root, blob gas, beacon root and requests hash after the base fee), taken with
    ///      `cast block 2 --raw`; keccak256 of it is the block hash the node reported, and its mixHash the
    ///      node's `mixHash` (prevrandao).
    function test_ParsesRealClientHeader() public {
        bytes memory header = bytes.concat(
            hex"f9025fa0d827dd5b7578efa0bd1c5bb092da4fd5341c1cdabc03b177f703044d3c041aa5a01dcc4de8dec75d7aab85b5"
            hex"67b6ccd41ad312451b948a7413f0a142fd40d49347940000000000000000000000000000000000000000a0a89df6dfce"
            hex"2bbbccb3bed875285761dbfd2009bd439601b971b956d72226412ea056e81f171bcc55a6ff8345e692c0f86e5b48e01b"
            hex"996cadc001622fb5e363b421a056e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421b90100"
            hex"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            hex"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            hex"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            hex"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            hex"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            hex"0000000000000000000000000000000080028401c9c38080846b025ee680a0d77096685724836c1a63ba556fbbffa05d"
            hex"70ce9aae86f2c54306cdf1e553f83088000000000000000084342770c0a056e81f171bcc55a6ff8345e692c0f86e5b48"
            hex"e01b996cadc001622fb5e363b4218080a000000000000000000000000000000000000000000000000000000000000000"
            hex"00a0e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        bytes32 blockHash = 0xec6a555399dc5d8b01c6b4832005cd91bd8e32f9e079b9a4072605d95eaa3587;
        assertEq(keccak256(header), blockHash);
        vm.roll(10);
        vm.setBlockhash(2, blockHash);
        assertEq(parser.prevrandaoOf(2, header), 0xd77096685724836c1a63ba556fbbffa05d70ce9aae86f2c54306cdf1e553f830);
    }

    function test_RevertWhen_HeaderMalformed() public {
        vm.expectRevert(BlockHeaderRandomness.MalformedHeader.selector);
        parser.mixHashOf(hex"c0");
        vm.expectRevert(BlockHeaderRandomness.MalformedHeader.selector);
        parser.mixHashOf(hex"80");
        bytes memory h = _header(1, keccak256("x"), "");
        assembly {
            mstore(h, sub(mload(h), 1)) // truncate: the list length no longer matches
        }
        vm.expectRevert(BlockHeaderRandomness.MalformedHeader.selector);
        parser.mixHashOf(h);
    }

    /// @notice The library's calldata walk agrees with the reference parser on well-formed headers and on
    ///         every single-byte corruption of one (same mixHash, or both refuse).
    function testFuzz_ParserMatchesReference(bytes32 mix, uint8 extraLength, uint256 at, uint8 value) public {
        ReferenceHeaderParser ref = new ReferenceHeaderParser();
        bytes memory h = _header(123_456, mix, new bytes(bound(extraLength, 0, 40)));
        h[bound(at, 0, h.length - 1)] = bytes1(value);
        (bool okRef, bytes memory outRef) = address(ref).call(abi.encodeCall(ref.mixHashOf, (h)));
        (bool ok, bytes memory out) = address(parser).call(abi.encodeCall(parser.mixHashOf, (h)));
        assertEq(ok, okRef, "both accept or both refuse");
        if (ok) assertEq(abi.decode(out, (bytes32)), abi.decode(outRef, (bytes32)));
        else assertEq(bytes4(out), BlockHeaderRandomness.MalformedHeader.selector);
    }

    function test_RevertWhen_BlockHashUnavailable() public {
        vm.roll(1000);
        vm.expectRevert(abi.encodeWithSelector(BlockHeaderRandomness.BlockHashUnavailable.selector, 1000));
        parser.prevrandaoOf(1000, "");
    }

    /// @dev The rejection sampler's first pick lands on each candidate with frequency ∝ min(stake, cap):
    ///      stakes 100/300/600 (cap 1000) → 10 %/30 %/60 %, within ±3 points over 4000 seeds.
    function test_WeightedDrawFrequenciesFollowStake() public pure {
        uint256[3] memory weight = [uint256(100), 300, 600];
        uint256[3] memory hits;
        uint256 cap = 1000;
        for (uint256 s; s < 4000; ++s) {
            bytes32 seed = keccak256(abi.encode(s));
            for (uint256 a; a < 256; ++a) {
                (uint256 index, uint256 acceptDraw) = WeightedDraw.attempt(seed, a, 3);
                if (WeightedDraw.accepts(weight[index], cap, acceptDraw)) {
                    ++hits[index];
                    break;
                }
            }
        }
        assertApproxEqAbs(hits[0], 400, 120);
        assertApproxEqAbs(hits[1], 1200, 120);
        assertApproxEqAbs(hits[2], 2400, 120);
    }

    function testFuzz_AcceptsIsCertainAtCapAndNeverAtZero(uint256 acceptDraw, uint96 cap) public pure {
        cap = uint96(bound(cap, 1, type(uint96).max));
        acceptDraw = bound(acceptDraw, 0, type(uint128).max);
        assertTrue(WeightedDraw.accepts(cap, cap, acceptDraw));
        assertTrue(WeightedDraw.accepts(uint256(cap) * 2, cap, acceptDraw));
        assertFalse(WeightedDraw.accepts(0, cap, acceptDraw));
    }
}
