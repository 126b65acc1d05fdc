// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IBudgetedMechanism} from "../interfaces/IBudgetedMechanism.sol";
import {IMechanism} from "../interfaces/IMechanism.sol";
import {IRedundancyCapped} from "../interfaces/IRedundancyCapped.sol";
import {IStatelessMechanism} from "../interfaces/IStatelessMechanism.sol";
import {ITaskRegistry} from "../interfaces/ITaskRegistry.sol";
import {DecaySchedule} from "../libraries/DecaySchedule.sol";
import {TaskRequest} from "../types/Task.sol";

/// @title ProofRace
/// @notice The open proof race: any registered prover may prove any task of this instance, without
///         assignment or collateral; the first `redundancy` valid proofs (distinct provers) are paid, each a
///         share of the budget that decays linearly with time. A proof copied from the mempool pays nothing
///         to the copier: it verifies only with its maker's address as the last public input.
/// @dev Payment of a proof accepted at time t:
///        base  = min(maxPayment / redundancy, (maxPayment − paid − reserved) / (redundancy − proofsAccepted))
///        value = DecaySchedule.decayed(base, openedAt, window, floorBps, t)
///      where window = decayWindow, or the task's whole window (deadline − openedAt) when decayWindow = 0.
///      On a fresh race the second term of `base` never binds; on a task reopened to the race after an
///      earlier mechanism spent part of the budget it caps each remaining proof at its fair share of what is
///      left, so the last proof can always be paid. The mechanism keeps no per-task state. It declares
///      IBudgetedMechanism (the registry hands it the budget with each accepted proof: no `budgetOf` call back) and
///      IStatelessMechanism (the registry skips its empty `onTaskClosed`).
contract ProofRace is IMechanism, IRedundancyCapped, IBudgetedMechanism, IStatelessMechanism {
    /// @notice The instance's parameters are out of range.
    /// @param maxWinners The K asked for (must be ≥ 1).
    /// @param floorBps The floor asked for (must be ≤ 10000).
    error InvalidRaceParameters(uint8 maxWinners, uint16 floorBps);
    /// @notice The task asks for more winners than this instance pays.
    /// @param taskId The task.
    /// @param redundancy Its redundancy.
    /// @param maxWinners This instance's K.
    error TooManyWinners(uint256 taskId, uint8 redundancy, uint8 maxWinners);

    /// @notice The task registry (the only caller of the hooks).
    ITaskRegistry public immutable registry;
    /// @notice K: the largest redundancy (number of paid proofs) a task of this instance may ask for.
    uint8 public immutable maxWinners;
    /// @notice Share of the per-proof payment still paid at the end of the decay, in basis points.
    uint16 public immutable floorBps;
    /// @notice Seconds over which payment decays from 100% to the floor (0: the task's whole window).
    uint32 public immutable decayWindow;

    uint8 internal immutable _speed;
    uint8 internal immutable _cost;
    uint8 internal immutable _safety;
    uint8 internal immutable _censorshipResistance;

    /// @param registry_ The task registry.
    /// @param maxWinners_ K ≥ 1.
    /// @param floorBps_ Floor share ≤ 10000.
    /// @param decayWindow_ Decay length in seconds (0: deadline − open time).
    /// @param declared Declared scores for the router (its `kind` is forced to 1, race).
    constructor(
        ITaskRegistry registry_,
        uint8 maxWinners_,
        uint16 floorBps_,
        uint32 decayWindow_,
        Profile memory declared
    ) {
        if (maxWinners_ == 0 || floorBps_ > DecaySchedule.BPS) {
            revert InvalidRaceParameters(maxWinners_, floorBps_);
        }
        registry = registry_;
        maxWinners = maxWinners_;
        floorBps = floorBps_;
        decayWindow = decayWindow_;
        _speed = declared.speed;
        _cost = declared.cost;
        _safety = declared.safety;
        _censorshipResistance = declared.censorshipResistance;
    }

    modifier onlyRegistry() {
        if (msg.sender != address(registry)) revert OnlyTaskRegistry(msg.sender);
        _;
    }

    /// @inheritdoc IMechanism
    function onTaskOpened(uint256 taskId, TaskRequest calldata request) external view onlyRegistry {
        if (request.redundancy > maxWinners) revert TooManyWinners(taskId, request.redundancy, maxWinners);
    }

    /// @inheritdoc IRedundancyCapped
    /// @dev K: `onTaskOpened` checks nothing else, so the registry enforces K at creation and skips the call.
    function redundancyCap() external view returns (uint8) {
        return maxWinners;
    }

    /// @inheritdoc IMechanism
    function onProofAccepted(uint256 taskId, address, uint96) external view onlyRegistry returns (uint256) {
        return paymentAt(registry.budgetOf(taskId), block.timestamp);
    }

    /// @inheritdoc IBudgetedMechanism
    function takesBudgetInHook() external pure returns (bool) {
        return true;
    }

    /// @inheritdoc IBudgetedMechanism
    function onProofAcceptedWithBudget(uint256, address, uint96, ITaskRegistry.Budget calldata budget)
        external
        view
        onlyRegistry
        returns (uint256)
    {
        return paymentAt(budget, block.timestamp);
    }

    /// @inheritdoc IStatelessMechanism
    function keepsNoTaskState() external pure returns (bool) {
        return true;
    }

    /// @inheritdoc IMechanism
    function onTaskClosed(uint256) external view onlyRegistry {}

    /// @inheritdoc IMechanism
    function profile() external view returns (Profile memory) {
        return
            Profile({kind: 1, speed: _speed, cost: _cost, safety: _safety, censorshipResistance: _censorshipResistance});
    }

    /// @notice What the next accepted proof of a task with budget `t` would be paid at time `at` (the
    ///         formula is in the contract's documentation).
    function paymentAt(ITaskRegistry.Budget memory t, uint256 at) public view returns (uint256) {
        uint256 base = uint256(t.maxPayment) / t.redundancy;
        uint256 remainingSlots = uint256(t.redundancy) - t.proofsAccepted;
        if (remainingSlots != 0) {
            uint256 fairShare = (uint256(t.maxPayment) - t.paid - t.reserved) / remainingSlots;
            if (fairShare < base) base = fairShare;
        }
        uint256 window = decayWindow == 0 ? uint256(t.deadline) - t.openedAt : decayWindow;
        return DecaySchedule.decayed(base, t.openedAt, window, floorBps, at);
    }
}
