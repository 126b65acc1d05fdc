// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProverRegistry} from "../../contracts/interfaces/IProverRegistry.sol";
import {ITaskRegistry} from "../../contracts/interfaces/ITaskRegistry.sol";
import {TaskStatus} from "../../contracts/types/Task.sol";
import {Deployers} from "../utils/Deployers.sol";
import {TestMechanism} from "../utils/TestMechanism.sol";
import {CoreHandler} from "./CoreHandler.sol";
import {console2} from "forge-std/console2.sol";

/// @notice Invariants of the core registries (see test/invariant/README.md for each in plain words).
contract CoreInvariantsTest is Deployers {
    CoreHandler internal handler;
    TestMechanism internal mech;

    function setUp() public {
        deployCore();
        mech = new TestMechanism(taskRegistry);
        mech.setOpenPayment(1e18);
        taskRegistry.setMechanism(address(mech), true);
        handler = new CoreHandler(token, proverRegistry, taskRegistry, race, mech, testVerifier, TEST_CIRCUIT, treasury);
        token.grantRole(token.MINTER_ROLE(), address(handler));
        handler.setUpActors();

        // Proofs, task creation and assignment are listed more than once to weight them up.
        bytes4[] memory selectors = new bytes4[](20);
        selectors[0] = CoreHandler.createTask.selector;
        selectors[1] = CoreHandler.createTask.selector;
        selectors[2] = CoreHandler.assign.selector;
        selectors[3] = CoreHandler.assign.selector;
        selectors[4] = CoreHandler.unassign.selector;
        selectors[5] = CoreHandler.slashAssignment.selector;
        selectors[6] = CoreHandler.submitProof.selector;
        selectors[7] = CoreHandler.submitProof.selector;
        selectors[8] = CoreHandler.submitProof.selector;
        selectors[9] = CoreHandler.expire.selector;
        selectors[10] = CoreHandler.cancel.selector;
        selectors[11] = CoreHandler.withdraw.selector;
        selectors[12] = CoreHandler.addStake.selector;
        selectors[13] = CoreHandler.requestUnstake.selector;
        selectors[14] = CoreHandler.completeUnstake.selector;
        selectors[15] = CoreHandler.cancelUnstake.selector;
        selectors[16] = CoreHandler.setCapacity.selector;
        selectors[17] = CoreHandler.warp.selector;
        selectors[18] = CoreHandler.submitProof.selector;
        selectors[19] = CoreHandler.deposit.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    /// Token balance of the two registries == open escrow + cover bounties + stakes + unclaimed payouts.
    function invariant_TokensAreConserved() public view {
        uint256 openEscrow;
        for (uint256 i; i < handler.taskCount(); ++i) {
            ITaskRegistry.Task memory t = taskRegistry.taskOf(handler.taskIds(i));
            if (t.status == TaskStatus.Open || t.status == TaskStatus.Assigned) {
                openEscrow += uint256(t.maxPayment) - t.paid + t.coverBounty;
            } else {
                assertEq(t.coverBounty, 0, "a closed task holds no bounty");
            }
        }
        uint256 unclaimed;
        address[] memory accounts = handler.accounts();
        for (uint256 i; i < accounts.length; ++i) {
            unclaimed += taskRegistry.claimable(accounts[i]);
        }
        uint256 stakes;
        for (uint256 i; i < handler.proverCount(); ++i) {
            stakes += proverRegistry.proverOf(handler.proverActors(i)).stake;
        }
        assertEq(token.balanceOf(address(taskRegistry)), openEscrow + unclaimed, "task registry balance");
        assertEq(token.balanceOf(address(proverRegistry)), stakes, "prover registry balance");
    }

    /// No task is paid twice: one acceptance per (task, prover), never more proofs than its redundancy,
    /// never more paid than escrowed, and the registry's `paid` equals the payments observed.
    function invariant_NoTaskPaidTwice() public view {
        assertEq(handler.ghost_doubleAcceptances(), 0);
        for (uint256 i; i < handler.taskCount(); ++i) {
            uint256 id = handler.taskIds(i);
            ITaskRegistry.Task memory t = taskRegistry.taskOf(id);
            assertLe(t.proofsAccepted, t.redundancy);
            assertLe(t.paid, t.maxPayment);
            assertEq(t.paid, handler.ghost_paidToTask(id));
            if (t.status == TaskStatus.Fulfilled) assertEq(t.proofsAccepted, t.redundancy);
        }
    }

    /// A copied proof is never accepted.
    function invariant_CopiedProofsNeverPay() public view {
        assertEq(handler.ghost_copiedProofsAccepted(), 0);
    }

    /// Locked stake ≤ stake (and locked + pending unstake ≤ stake); locked and active assignments equal
    /// what the task registry's live assignments add up to; active assignments ≤ declared capacity.
    function invariant_StakeLocksAndCapacity() public view {
        for (uint256 i; i < handler.proverCount(); ++i) {
            address p = handler.proverActors(i);
            IProverRegistry.Prover memory info = proverRegistry.proverOf(p);
            assertLe(info.locked, info.stake, "locked <= stake");
            assertLe(uint256(info.locked) + info.pendingUnstake, info.stake, "locked + pending <= stake");
            assertLe(info.activeAssignments, info.maxConcurrent, "capacity");

            uint256 locked;
            uint256 active;
            for (uint256 j; j < handler.taskCount(); ++j) {
                uint256 id = handler.taskIds(j);
                ITaskRegistry.Assignment memory a = taskRegistry.assignmentOf(id, p);
                if (a.active) {
                    locked += a.collateral;
                    active += 1;
                }
            }
            assertEq(info.locked, locked, "locked == live collateral");
            assertEq(info.activeAssignments, active, "active == live assignments");
        }
    }

    /// Reserved budget equals the prices of live assignments; closed tasks hold no live assignment.
    function invariant_ReservationsMatchAssignments() public view {
        for (uint256 i; i < handler.taskCount(); ++i) {
            uint256 id = handler.taskIds(i);
            ITaskRegistry.Task memory t = taskRegistry.taskOf(id);
            address[] memory live = liveAssignees(id);
            assertEq(live.length, t.assignedCount);
            uint256 reserved;
            for (uint256 j; j < live.length; ++j) {
                ITaskRegistry.Assignment memory a = taskRegistry.assignmentOf(id, live[j]);
                assertTrue(a.active);
                reserved += a.price;
            }
            assertEq(t.reserved, reserved);
            assertLe(uint256(t.paid) + t.reserved, t.maxPayment);
            if (t.status != TaskStatus.Open && t.status != TaskStatus.Assigned) assertEq(t.assignedCount, 0);
        }
    }

    /// Tasks move only along legal state transitions.
    function invariant_LegalTransitions() public view {
        assertEq(handler.ghost_illegalTransitions(), 0);
    }

    /// With `-vv`, prints how the run ended: successful calls per action and tasks per status, to check
    /// that the handler reaches every path (fulfilment, expiry, reopen, cancel) and not just reverts.
    function afterInvariant() external view {
        string[15] memory names = [
            "createTask",
            "assign",
            "unassign",
            "slashAssignment",
            "submitProof",
            "expire",
            "cancel",
            "withdraw",
            "addStake",
            "requestUnstake",
            "completeUnstake",
            "cancelUnstake",
            "setCapacity",
            "warp",
            "deposit"
        ];
        for (uint256 i; i < names.length; ++i) {
            console2.log(names[i], handler.calls(bytes32(bytes(names[i]))));
        }
        uint256[6] memory byStatus;
        uint256 reopened;
        for (uint256 i; i < handler.taskCount(); ++i) {
            ITaskRegistry.Task memory t = taskRegistry.taskOf(handler.taskIds(i));
            byStatus[uint8(t.status)] += 1;
            if (t.openedAt != t.createdAt) reopened += 1;
        }
        console2.log("open/assigned/fulfilled", byStatus[1], byStatus[2], byStatus[3]);
        console2.log("expired/cancelled/reopened", byStatus[4], byStatus[5], reopened);
    }
}
