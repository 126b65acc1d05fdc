// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ISequencerSelector, ISequencerSet} from "./interfaces/ISequencerSelector.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title SequencerSet
/// @notice Devnet sequencer selection: an admin-registered set; every member may post every block. A
///         production deployment swaps in a staked, elected selector (Fernet) behind the same interface.
contract SequencerSet is ISequencerSet, AccessControl {
    /// @notice May add and remove sequencers.
    bytes32 public constant SEQUENCER_ADMIN_ROLE = keccak256("proofmarket.role.sequencer-admin");

    mapping(address account => bool) internal _isMember;
    uint256 internal _count;

    /// @param admin Receives DEFAULT_ADMIN_ROLE and SEQUENCER_ADMIN_ROLE.
    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(SEQUENCER_ADMIN_ROLE, admin);
    }

    /// @inheritdoc ISequencerSet
    function addSequencer(address account) external onlyRole(SEQUENCER_ADMIN_ROLE) {
        if (account == address(0)) revert ZeroSequencer();
        if (_isMember[account]) revert AlreadySequencer(account);
        _isMember[account] = true;
        ++_count;
        emit SequencerAdded(account);
    }

    /// @inheritdoc ISequencerSet
    function removeSequencer(address account) external onlyRole(SEQUENCER_ADMIN_ROLE) {
        if (!_isMember[account]) revert NotInSet(account);
        _isMember[account] = false;
        --_count;
        emit SequencerRemoved(account);
    }

    /// @inheritdoc ISequencerSelector
    /// @dev The block number is ignored: any member may post any block.
    function isSequencer(address account, uint64) external view returns (bool) {
        return _isMember[account];
    }

    /// @inheritdoc ISequencerSet
    function sequencerCount() external view returns (uint256) {
        return _count;
    }
}
