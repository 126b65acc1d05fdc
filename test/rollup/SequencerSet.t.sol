// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SequencerSet} from "../../contracts/SequencerSet.sol";
import {ISequencerSet} from "../../contracts/interfaces/ISequencerSelector.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Test} from "forge-std/Test.sol";

/// @title SequencerSetTest
/// @notice The devnet selector: admin adds and removes members; membership is all `isSequencer` checks.
contract SequencerSetTest is Test {
    SequencerSet internal set;
    address internal seqA = makeAddr("seqA");
    address internal seqB = makeAddr("seqB");

    function setUp() public {
        set = new SequencerSet(address(this));
    }

    function testFuzz_AddAndRemove(address account, uint64 blockNumber) public {
        if (account == address(0)) account = seqA;
        assertFalse(set.isSequencer(account, blockNumber));
        vm.expectEmit(address(set));
        emit ISequencerSet.SequencerAdded(account);
        set.addSequencer(account);
        assertTrue(set.isSequencer(account, blockNumber));
        assertEq(set.sequencerCount(), 1);
        vm.expectEmit(address(set));
        emit ISequencerSet.SequencerRemoved(account);
        set.removeSequencer(account);
        assertFalse(set.isSequencer(account, blockNumber));
        assertEq(set.sequencerCount(), 0);
    }

    function test_SeveralMembers() public {
        set.addSequencer(seqA);
        set.addSequencer(seqB);
        assertEq(set.sequencerCount(), 2);
        set.removeSequencer(seqA);
        assertFalse(set.isSequencer(seqA, 1));
        assertTrue(set.isSequencer(seqB, 1));
    }

    function test_RevertWhen_AddingTwice() public {
        set.addSequencer(seqA);
        vm.expectRevert(abi.encodeWithSelector(ISequencerSet.AlreadySequencer.selector, seqA));
        set.addSequencer(seqA);
    }

    function test_RevertWhen_AddingZero() public {
        vm.expectRevert(ISequencerSet.ZeroSequencer.selector);
        set.addSequencer(address(0));
    }

    function test_RevertWhen_RemovingANonMember() public {
        vm.expectRevert(abi.encodeWithSelector(ISequencerSet.NotInSet.selector, seqA));
        set.removeSequencer(seqA);
    }

    function test_RevertWhen_CallerIsNotTheAdmin() public {
        bytes32 role = set.SEQUENCER_ADMIN_ROLE();
        vm.startPrank(seqA);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, seqA, role));
        set.addSequencer(seqB);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, seqA, role));
        set.removeSequencer(seqB);
        vm.stopPrank();
    }
}
