// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ICapacityHolder
/// @notice A mechanism that gives provers jobs which are not task-registry assignments (a TreeAssignment's
///         locked leaf ranges) and reports them, so that the ProverRegistry counts them against the prover's
///         declared capacity together with its live assignments (IProverRegistry.addCapacityHolder).
interface ICapacityHolder {
    /// @notice Capacity slots `prover` is busy with here and that are not registry assignments.
    /// @dev A view the ProverRegistry calls on every collateral lock and capacity change of a member; it must
    ///      not revert for a member and stays cheap (two storage reads for a TreeAssignment).
    function heldCapacityOf(address prover) external view returns (uint256);
}
