// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LedgerTask} from "../types/LedgerTask.sol";
import {ILedgerMechanism} from "./ILedgerMechanism.sol";
import {ITaskLedger} from "./ITaskLedger.sol";

/// @title ILedgerProofRace
/// @notice The open proof race over the TaskLedger (one-word tasks): any registered prover may prove any task of
///         the instance, without assignment or collateral; each of the first `redundancy` valid proofs (distinct
///         provers, which the ledger enforces) is paid its slot, maxPayment / redundancy, decayed linearly in time
///         from the moment the task opened under the race (its creation, or its reopen as a fallback) to
///         `floorBps` of the slot over `decayWindow` (DecaySchedule). A proof copied from the mempool pays nothing
///         to the copier: it verifies only with its maker's address as the last public input. The ledger
///         refunds each slot's unpaid part to the requester with the proof that settles it.
interface ILedgerProofRace is ILedgerMechanism {
    /// @notice The instance's parameters are out of range.
    /// @param maxWinners The K asked for (must be ≥ 1).
    /// @param floorBps The floor asked for (must be ≤ 10000).
    error InvalidRaceParameters(uint8 maxWinners, uint16 floorBps);
    /// @notice The task asks for more winners than this instance pays (a task reopened to the race as a
    ///         fallback: the ledger enforces the cap at creation only). Same selector as ITaskLedger's.
    /// @param taskId The task.
    /// @param redundancy Its redundancy.
    /// @param maxWinners This instance's K.
    error TooManyWinners(uint256 taskId, uint8 redundancy, uint8 maxWinners);

    /// @notice The task ledger (the only caller of the hooks).
    function ledger() external view returns (ITaskLedger);
    /// @notice K: the largest redundancy (number of paid proofs) a task of this instance may ask for; the
    ///         ledger's redundancy cap for the instance.
    function maxWinners() external view returns (uint8);
    /// @notice Share of the slot still paid at the end of the decay, in basis points.
    function floorBps() external view returns (uint16);
    /// @notice Seconds over which payment decays from 100% to the floor (0: the task's window under the race,
    ///         deadline − openedAt).
    function decayWindow() external view returns (uint32);
    /// @notice What a proof of `task` accepted at time `at` is paid:
    ///         DecaySchedule.decayed(maxPayment / redundancy, openedAt, window, floorBps, at).
    /// @param task The task as the ledger holds it.
    /// @param at The time of acceptance.
    function paymentAt(LedgerTask calldata task, uint256 at) external view returns (uint256);
}
