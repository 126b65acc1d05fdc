// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IProofConsumer
/// @notice Implemented by requesters (the Rollup) that want to hear when their task ends. Called by the
///         TaskRegistry with a gas cap; a revert is caught and logged so that provers are always paid.
interface IProofConsumer {
    /// @notice The task was fulfilled: `redundancy` valid proofs were accepted.
    /// @param taskId The task.
    /// @param lastProver The prover whose proof completed the task.
    function onTaskFulfilled(uint256 taskId, address lastProver) external;

    /// @notice The task expired for good (no fallback left).
    /// @param taskId The task.
    function onTaskExpired(uint256 taskId) external;
}
