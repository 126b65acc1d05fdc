// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerMechanism} from "../../interfaces/ILedgerMechanism.sol";
import {ILedgerProofRace} from "../../interfaces/ILedgerProofRace.sol";
import {IMechanism} from "../../interfaces/IMechanism.sol";
import {ITaskLedger} from "../../interfaces/ITaskLedger.sol";
import {DecaySchedule} from "../../libraries/DecaySchedule.sol";
import {LedgerTask} from "../../types/LedgerTask.sol";

/// @title LedgerProofRace
/// @notice The open proof race (the rules of `ProofRace`) as a TaskLedger mechanism: anyone registered proves, the
///         first `redundancy` proofs are paid their slot decayed in time, the rest of each slot goes back to the
///         requester. See ILedgerProofRace.
/// @dev Payment of a proof accepted at time t:
///        slot  = maxPayment / redundancy
///        value = DecaySchedule.decayed(slot, openedAt, window, floorBps, t)
///      where window = decayWindow, or the task's window under the race (deadline − openedAt) when decayWindow = 0.
///      The stored race's base was min(slot, (maxPayment − paid − reserved) / (redundancy − proofsAccepted)); the
///      ledger settles each slot with its own proof (and refunds its unpaid part at once), so every open slot still
///      holds maxPayment / redundancy and that second term never binds: the base is the slot. (The last slot's
///      rounding remainder, < redundancy wei, is refunded as before.) On a reopen to the race (the ledger's
///      `expire` of a task naming it as fallback) the ledger sets `openedAt` to the reopen time and `deadline` to
///      reopen + fallbackWindow, so the decay restarts there, and the slots already settled are not open again.
///
///      No per-task storage and a single hook: the payment (the ledger calls it for every unassigned proof; the race
///      never assigns). `hooks()` declares no flags, so creation calls nothing here, and K as the redundancy cap,
///      which the ledger enforces at creation. A reopen does not check the cap (the ledger calls no open hook
///      without HOOK_OPEN, and declaring it would cost every task a cold call), so the payment hook refuses a task
///      whose redundancy exceeds K (TooManyWinners): such a reopened task takes no proof and expires for good at
///      the end of its fallback window, with its escrow refunded.
contract LedgerProofRace is ILedgerProofRace {
    /// @inheritdoc ILedgerProofRace
    ITaskLedger public immutable ledger;
    /// @inheritdoc ILedgerProofRace
    uint8 public immutable maxWinners;
    /// @inheritdoc ILedgerProofRace
    uint16 public immutable floorBps;
    /// @inheritdoc ILedgerProofRace
    uint32 public immutable decayWindow;

    uint8 internal immutable _speed;
    uint8 internal immutable _cost;
    uint8 internal immutable _safety;
    uint8 internal immutable _censorshipResistance;

    /// @param ledger_ The task ledger.
    /// @param maxWinners_ K ≥ 1.
    /// @param floorBps_ Floor share ≤ 10000.
    /// @param decayWindow_ Decay length in seconds (0: deadline − open time).
    /// @param declared Declared scores for the router (its `kind` is forced to 1, race).
    constructor(
        ITaskLedger ledger_,
        uint8 maxWinners_,
        uint16 floorBps_,
        uint32 decayWindow_,
        IMechanism.Profile memory declared
    ) {
        if (maxWinners_ == 0 || floorBps_ > DecaySchedule.BPS) {
            revert InvalidRaceParameters(maxWinners_, floorBps_);
        }
        ledger = ledger_;
        maxWinners = maxWinners_;
        floorBps = floorBps_;
        decayWindow = decayWindow_;
        _speed = declared.speed;
        _cost = declared.cost;
        _safety = declared.safety;
        _censorshipResistance = declared.censorshipResistance;
    }

    modifier onlyLedger() {
        if (msg.sender != address(ledger)) revert OnlyTaskLedger(msg.sender);
        _;
    }

    /// @inheritdoc ILedgerMechanism
    /// @dev No hook flags (the payment hook is called for every unassigned proof without one); K as the cap.
    function hooks() external view returns (uint8 hookFlags, uint8 redundancyCap) {
        return (0, maxWinners);
    }

    /// @inheritdoc ILedgerMechanism
    /// @dev Not declared (HOOK_OPEN), so the ledger never calls it; answers the zero state the task opens with.
    function onTaskOpened(uint256, LedgerTask calldata, bytes calldata) external view onlyLedger returns (uint64) {
        return 0;
    }

    /// @inheritdoc ILedgerMechanism
    /// @dev The prover is not checked: the ledger has verified the proof bound to it, its registration and, for
    ///      redundancy > 1, that it had no proof of the task accepted yet.
    function onProofAccepted(uint256 taskId, LedgerTask calldata task, address, uint256)
        external
        view
        onlyLedger
        returns (uint256)
    {
        uint8 redundancy = task.redundancy;
        if (redundancy > maxWinners) revert TooManyWinners(taskId, redundancy, maxWinners);
        return _paymentAt(task, block.timestamp);
    }

    /// @inheritdoc ILedgerMechanism
    /// @dev Not declared (HOOK_CLOSE): nothing to release.
    function onTaskClosed(uint256, LedgerTask calldata) external view onlyLedger {}

    /// @inheritdoc ILedgerMechanism
    function profile() external view returns (IMechanism.Profile memory) {
        return IMechanism.Profile({
            kind: 1, speed: _speed, cost: _cost, safety: _safety, censorshipResistance: _censorshipResistance
        });
    }

    /// @inheritdoc ILedgerProofRace
    function paymentAt(LedgerTask calldata task, uint256 at) external view returns (uint256) {
        return _paymentAt(task, at);
    }

    function _paymentAt(LedgerTask calldata task, uint256 at) internal view returns (uint256) {
        uint256 openedAt = task.openedAt;
        uint256 window = decayWindow == 0 ? uint256(task.deadline) - openedAt : decayWindow;
        return DecaySchedule.decayed(uint256(task.maxPayment) / task.redundancy, openedAt, window, floorBps, at);
    }
}
