// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IElectionRace} from "../interfaces/IElectionRace.sol";
import {IMechanism} from "../interfaces/IMechanism.sol";
import {IProverRegistry} from "../interfaces/IProverRegistry.sol";
import {ITaskRegistry} from "../interfaces/ITaskRegistry.sol";
import {BlockHeaderRandomness} from "../libraries/BlockHeaderRandomness.sol";
import {DecaySchedule} from "../libraries/DecaySchedule.sol";
import {SlotBudget} from "../libraries/SlotBudget.sol";
import {WeightedDraw} from "../libraries/WeightedDraw.sol";
import {TaskRequest} from "../types/Task.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/// @title ElectionRace
/// @notice Election-then-race: provers drawn stake-weighted with a target block's prevrandao race to prove;
///         after the election window the task is open to anyone.
/// @dev Holds no tokens. The elected are assigned at the slot maximum (reserving the budget their payment
///      comes from); they are paid the decayed value, and the registry refunds the rest to the requester.
///      The registry caps live assignments at the task's redundancy, so at most min(N, redundancy) provers
///      are elected per task.
contract ElectionRace is IElectionRace, ReentrancyGuardTransient {
    /// @notice Constructor parameters of one instance.
    /// @param taskRegistry The task registry served.
    /// @param proverRegistry Its prover registry (the draw's candidates).
    /// @param electedCount N: provers elected per task (capped by the task's free slots).
    /// @param minHardwareClass Lowest declared hardware class that may be elected.
    /// @param collateral Registry stake each elected prover's assignment locks.
    /// @param drawDelay Blocks between task open and the target block.
    /// @param electionWindow Seconds from the draw during which only the elected may prove.
    /// @param decayWindow Seconds over which a proof's pay falls from the slot maximum to the floor.
    /// @param decayFloorBps The floor, in basis points of the slot maximum.
    /// @param weightCap Stake at which draw weight saturates (> 0, < 2^96).
    /// @param maxAttempts Sampling attempts per draw (bounds the draw's gas).
    struct Params {
        ITaskRegistry taskRegistry;
        IProverRegistry proverRegistry;
        uint8 electedCount;
        uint8 minHardwareClass;
        uint96 collateral;
        uint16 drawDelay;
        uint32 electionWindow;
        uint32 decayWindow;
        uint16 decayFloorBps;
        uint96 weightCap;
        uint8 maxAttempts;
    }

    /// @notice Slots per task this instance handles (uint8 counters).
    uint8 public constant MAX_SLOTS = 32;

    ITaskRegistry public immutable taskRegistry;
    IProverRegistry public immutable proverRegistry;
    uint8 public immutable electedCount;
    uint8 public immutable minHardwareClass;
    uint96 public immutable collateral;
    uint16 public immutable drawDelay;
    uint32 public immutable electionWindow;
    uint32 public immutable decayWindow;
    uint16 public immutable decayFloorBps;
    uint96 public immutable weightCap;
    uint8 public immutable maxAttempts;

    mapping(uint256 taskId => Election) internal _elections;

    modifier onlyTaskRegistry() {
        if (msg.sender != address(taskRegistry)) revert OnlyTaskRegistry(msg.sender);
        _;
    }

    constructor(Params memory p) {
        if (address(p.taskRegistry) == address(0)) revert InvalidParameter("taskRegistry");
        if (address(p.proverRegistry) == address(0)) revert InvalidParameter("proverRegistry");
        if (p.electedCount == 0 || p.electedCount > MAX_SLOTS) revert InvalidParameter("electedCount");
        if (p.drawDelay == 0) revert InvalidParameter("drawDelay");
        if (p.electionWindow == 0) revert InvalidParameter("electionWindow");
        if (p.decayFloorBps > DecaySchedule.BPS) revert InvalidParameter("decayFloorBps");
        if (p.weightCap == 0) revert InvalidParameter("weightCap");
        if (p.maxAttempts == 0) revert InvalidParameter("maxAttempts");
        taskRegistry = p.taskRegistry;
        proverRegistry = p.proverRegistry;
        electedCount = p.electedCount;
        minHardwareClass = p.minHardwareClass;
        collateral = p.collateral;
        drawDelay = p.drawDelay;
        electionWindow = p.electionWindow;
        decayWindow = p.decayWindow;
        decayFloorBps = p.decayFloorBps;
        weightCap = p.weightCap;
        maxAttempts = p.maxAttempts;
    }

    // ------------------------------------------------------------------ IMechanism

    /// @inheritdoc IMechanism
    function onTaskOpened(uint256 taskId, TaskRequest calldata request) external onlyTaskRegistry {
        if (request.redundancy > MAX_SLOTS) revert UnsupportedRedundancy(request.redundancy);
        (uint8 slots, uint256 slotMax) = SlotBudget.open(taskRegistry.budgetOf(taskId));
        if (slotMax == 0) revert SlotMaxZero(taskId, request.maxPayment);
        uint256 earliest = block.timestamp + electionWindow;
        if (request.deadline < earliest) revert DeadlineTooSoon(taskId, request.deadline, earliest);
        uint8 round = _elections[taskId].round + 1;
        uint256 target = block.number + drawDelay;
        _elections[taskId] = Election({
            openedAt: uint32(block.timestamp),
            deadline: uint32(request.deadline),
            slotMax: uint96(slotMax),
            slots: slots,
            live: 0,
            delivered: 0,
            round: round,
            marker: uint32(target),
            phase: Phase.AwaitingDraw,
            poolSize: _poolSize()
        });
        emit DrawScheduled(taskId, round, target);
    }

    /// @inheritdoc IMechanism
    /// @dev Elected provers hold an assignment at the slot maximum (> 0), so a non-zero `assignedPrice`
    ///      identifies them; anyone else is an open racer, admitted only after the election window.
    function onProofAccepted(uint256 taskId, address prover, uint96 assignedPrice)
        external
        onlyTaskRegistry
        returns (uint256 payment)
    {
        Election storage e = _elections[taskId];
        if (e.phase != Phase.Drawn) revert WrongPhase(taskId, e.phase);
        uint256 electionEnd = e.marker;
        if (assignedPrice != 0) {
            e.live -= 1;
            e.delivered += 1;
            return
                DecaySchedule.decayed(
                    e.slotMax, electionEnd - electionWindow, decayWindow, decayFloorBps, block.timestamp
                );
        }
        if (block.timestamp <= electionEnd) revert ElectionWindowOpen(taskId, electionEnd);
        if (uint256(e.live) + e.delivered >= e.slots) revert NoFreeSlot(taskId);
        e.delivered += 1;
        payment = DecaySchedule.decayed(e.slotMax, electionEnd, decayWindow, decayFloorBps, block.timestamp);
        emit OpenRaceProof(taskId, prover, uint96(payment));
    }

    /// @inheritdoc IMechanism
    function onTaskClosed(uint256 taskId) external onlyTaskRegistry {
        Election storage e = _elections[taskId];
        e.phase = Phase.Closed;
        e.live = 0;
    }

    /// @inheritdoc IMechanism
    /// @dev speed 6: a few blocks of draw delay, then collateralised provers race on a decaying schedule.
    ///      cost 5: pays the decayed slot maximum, no price competition. safety 8: elected provers are
    ///      collateralised and the open race backs them up. censorship resistance 9: who proves is decided
    ///      by prevrandao, stake-weighted, so a requester cannot pick and a cartel below a stake majority
    ///      cannot exclude; refusals are slashed and the task opens to everyone.
    function profile() external pure returns (Profile memory) {
        return Profile({kind: 4, speed: 6, cost: 5, safety: 8, censorshipResistance: 9});
    }

    // ------------------------------------------------------------------ election

    /// @inheritdoc IElectionRace
    function draw(uint256 taskId, bytes calldata header) external nonReentrant returns (uint256 elected) {
        Election storage e = _elections[taskId];
        if (e.phase != Phase.AwaitingDraw) revert WrongPhase(taskId, e.phase);
        uint256 target = e.marker;
        if (block.number <= target) revert DrawTooEarly(taskId, target);
        if (!BlockHeaderRandomness.hashAvailable(target)) {
            // Nobody drew within 256 blocks: the target's hash is gone. Fix a new target after now.
            uint256 newTarget = block.number + drawDelay;
            e.marker = uint32(newTarget);
            e.poolSize = _poolSize();
            emit DrawRetargeted(taskId, newTarget);
            return 0;
        }
        bytes32 seed = keccak256(abi.encode(BlockHeaderRandomness.prevrandaoOf(target, header), taskId, e.round));

        uint256 electionEnd = block.timestamp + electionWindow;
        e.phase = Phase.Drawn;
        e.marker = uint32(electionEnd);
        uint256 wanted = uint256(e.slots) - e.delivered;
        if (wanted > electedCount) wanted = electedCount;
        uint256 attempts;
        (elected, attempts) = _elect(taskId, seed, wanted, e.slotMax, e.poolSize, target);
        e.live = uint8(elected);
        if (elected == 0) {
            // Nobody eligible was drawn: the open race starts now.
            electionEnd = block.timestamp;
            e.marker = uint32(electionEnd);
        }
        emit ElectionDrawn(taskId, seed, elected, attempts, uint64(electionEnd));
    }

    /// @inheritdoc IElectionRace
    function slashElected(uint256 taskId, address prover) external nonReentrant {
        Election storage e = _elections[taskId];
        if (e.phase != Phase.Drawn) revert WrongPhase(taskId, e.phase);
        if (block.timestamp <= e.marker) revert ElectionWindowOpen(taskId, e.marker);
        // The registry reverts NotAssigned unless `prover` holds a live assignment, i.e. is an elected
        // prover that has not delivered (every assignment of a task in this instance is an election); it is
        // called first so that a wrong prover gets that error. The registry calls nothing back.
        taskRegistry.slashAssignment(taskId, prover);
        e.live -= 1;
        emit ElectedSlashed(taskId, prover, msg.sender);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IElectionRace
    function electionOf(uint256 taskId) external view returns (Election memory) {
        return _elections[taskId];
    }

    /// @inheritdoc IElectionRace
    function currentPayment(uint256 taskId, bool elected) external view returns (uint256) {
        Election storage e = _elections[taskId];
        if (e.phase != Phase.Drawn) revert WrongPhase(taskId, e.phase);
        uint256 start = e.marker;
        if (elected) start = start > electionWindow ? start - electionWindow : 0;
        return DecaySchedule.decayed(e.slotMax, start, decayWindow, decayFloorBps, block.timestamp);
    }

    // ------------------------------------------------------------------ internal

    /// @dev Rejection sampling (see WeightedDraw): up to `maxAttempts` uniform picks, each accepted with
    ///      probability min(stake − pendingUnstake, weightCap) / weightCap if eligible and not yet drawn.
    /// @param count The pool fixed with the target (`Election.poolSize`).
    /// @param target The target block. Its prevrandao is the beacon mix after the block before it: the
    ///        proposer of that block knows it while building it, and everyone once it is out. So a prover whose
    ///        stake, unstake queue or capacity changed in the block before the target or later is not eligible
    ///        (it could have made the change knowing the seed).
    function _elect(uint256 taskId, bytes32 seed, uint256 wanted, uint96 price, uint256 count, uint256 target)
        internal
        returns (uint256 elected, uint256 attempts)
    {
        if (count == 0 || wanted == 0) return (0, 0);
        address[] memory chosen = new address[](wanted);
        for (; attempts < maxAttempts && elected < wanted; ++attempts) {
            (uint256 index, uint256 acceptDraw) = WeightedDraw.attempt(seed, attempts, count);
            address candidate = proverRegistry.proverAt(index);
            if (_contains(chosen, elected, candidate)) continue;
            (bool eligible, uint256 weight) = _eligibility(candidate, target);
            if (!eligible || !WeightedDraw.accepts(weight, weightCap, acceptDraw)) continue;
            // The checks above mirror ProverRegistry.lockCollateral; a refusal all the same (e.g. the prover
            // already proved this task before a reopen) skips the candidate instead of failing the draw.
            try taskRegistry.assign(taskId, candidate, price, collateral) {
                chosen[elected++] = candidate;
                emit ProverElected(taskId, candidate, weight);
            } catch (bytes memory reason) {
                // Empty revert data means the assign ran out of gas — a caller could force that to elect
                // nobody and open the race at once: refuse rather than skip.
                if (reason.length == 0) revert AssignmentOutOfGas(taskId, candidate);
            }
        }
    }

    function _eligibility(address prover, uint256 target) internal view returns (bool eligible, uint256 weight) {
        IProverRegistry.Prover memory p = proverRegistry.proverOf(prover);
        if (!p.registered || p.hardwareClass < minHardwareClass || p.activeAssignments >= p.maxConcurrent) {
            return (false, 0);
        }
        if (proverRegistry.changedAt(prover) + 1 >= target) return (false, 0);
        uint256 committed = uint256(p.stake) - p.pendingUnstake;
        if (committed - p.locked < collateral) return (false, 0);
        return (true, committed);
    }

    /// @dev The registry's prover count, saturated at the field's width (provers beyond it are never drawn).
    function _poolSize() internal view returns (uint24) {
        uint256 n = proverRegistry.proverCount();
        return n > type(uint24).max ? type(uint24).max : uint24(n);
    }

    function _contains(address[] memory list, uint256 length, address x) internal pure returns (bool) {
        for (uint256 i; i < length; ++i) {
            if (list[i] == x) return true;
        }
        return false;
    }
}
