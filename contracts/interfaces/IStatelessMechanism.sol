// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IStatelessMechanism
/// @notice Optional for a mechanism that keeps no per-task state, so that its `IMechanism.onTaskClosed` does nothing
///         (the open race). The TaskRegistry reads the declaration when the mechanism is allow-listed (`setMechanism`,
///         kept in a spare bit of the mechanism's interned address word) and from then on skips the `onTaskClosed`
///         call when a task of the mechanism is fulfilled, expires, is cancelled or leaves it for a fallback.
interface IStatelessMechanism {
    /// @notice True: `onTaskClosed` does nothing and the registry need not call it. Must never change.
    function keepsNoTaskState() external view returns (bool);
}
