// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ISequencerSelector
/// @notice Decides who may post a given block to the Rollup. Kept to one view so that the selection rule
///         can be swapped without touching the Rollup: an admin-registered set on devnet (SequencerSet), a
///         staked, randomly elected proposer per slot later (Fernet: the rule may depend on the block
///         number, which is why it is an argument).
interface ISequencerSelector {
    /// @notice Whether `account` may post block `blockNumber`.
    /// @param account The would-be sequencer.
    /// @param blockNumber The number of the block it wants to post.
    function isSequencer(address account, uint64 blockNumber) external view returns (bool);
}

/// @title ISequencerSet
/// @notice The devnet selector: an admin-registered set of sequencers, any of which may post any block.
interface ISequencerSet is ISequencerSelector {
    /// @param account Already in the set.
    error AlreadySequencer(address account);
    /// @param account Not in the set.
    error NotInSet(address account);
    /// @notice The zero address cannot be a sequencer.
    error ZeroSequencer();

    /// @param account Added to the set.
    event SequencerAdded(address indexed account);
    /// @param account Removed from the set.
    event SequencerRemoved(address indexed account);

    /// @notice Adds `account` (SEQUENCER_ADMIN_ROLE only).
    function addSequencer(address account) external;
    /// @notice Removes `account` (SEQUENCER_ADMIN_ROLE only); blocks it already posted are unaffected.
    function removeSequencer(address account) external;
    /// @notice Number of sequencers in the set.
    function sequencerCount() external view returns (uint256);
}
