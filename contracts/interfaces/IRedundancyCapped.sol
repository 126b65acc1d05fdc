// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IRedundancyCapped
/// @notice Optional for a mechanism whose `onTaskOpened` does nothing but refuse a task whose redundancy exceeds a
///         fixed cap (an open race paying at most K proofs). The TaskRegistry reads the cap when the mechanism is
///         allow-listed (`setMechanism`), enforces it itself when a task is created (TooManyWinners, with the same
///         selector as the mechanism's own error) and skips the `onTaskOpened` call, saving a cold call per task.
///         A reopen under a fallback still calls `onTaskOpened`.
interface IRedundancyCapped {
    /// @notice The largest redundancy a task of this mechanism may ask for (≥ 1). Must never change.
    function redundancyCap() external view returns (uint8);
}
