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

    // ------------------------------------------------------------------ reach

    /// The handler reaches every path, not just reverts: 200 runs of 64 calls from a fixed seed (each from
    /// the same fresh state, like the fuzzer's runs, weighted like its selector list) must between them make
    /// every action go through, end tasks by fulfilment, expiry and cancellation, reopen expired tasks under
    /// their fallback, and leave every invariant above holding after each run. `afterInvariant` only logs
    /// this; here a guard that finds nothing to do, or an action that always reverts, fails the build.
    function test_HandlerReachesEveryPath() public {
        vm.pauseGasMetering(); // thousands of handler calls: gas is not what this test measures
        string[15] memory names = _actionNames();
        uint256[15] memory calls;
        uint256[6] memory byStatus;
        uint256 reopened;
        uint256 rng = uint256(keccak256("proofmarket.core.reach"));
        for (uint256 run; run < 200; ++run) {
            uint256 fresh = vm.snapshotState();
            for (uint256 i; i < 64; ++i) {
                rng = uint256(keccak256(abi.encode(rng)));
                (bool ok,) = address(handler).call(_reachCall(rng)); // a revert is skipped, as by the fuzzer
                ok;
            }
            _assertEveryInvariant();
            for (uint256 i; i < names.length; ++i) {
                calls[i] += handler.calls(bytes32(bytes(names[i])));
            }
            for (uint256 i; i < handler.taskCount(); ++i) {
                ITaskRegistry.Task memory t = taskRegistry.taskOf(handler.taskIds(i));
                byStatus[uint8(t.status)] += 1;
                if (t.openedAt != t.createdAt) reopened += 1;
            }
            vm.revertToState(fresh);
        }
        for (uint256 i; i < names.length; ++i) {
            assertGt(calls[i], 0, names[i]);
        }
        assertGt(byStatus[uint8(TaskStatus.Fulfilled)], 0, "no task fulfilled");
        assertGt(byStatus[uint8(TaskStatus.Expired)], 0, "no task expired");
        assertGt(byStatus[uint8(TaskStatus.Cancelled)], 0, "no task cancelled");
        assertGt(reopened, 0, "no task reopened under its fallback");
    }

    function _assertEveryInvariant() internal view {
        invariant_TokensAreConserved();
        invariant_NoTaskPaidTwice();
        invariant_CopiedProofsNeverPay();
        invariant_StakeLocksAndCapacity();
        invariant_ReservationsMatchAssignments();
        invariant_LegalTransitions();
    }

    /// One handler call from `r`, weighted as in `setUp`'s selector list; each argument is a word of `r`'s
    /// hash chain truncated to the parameter's type, as the fuzzer's are.
    function _reachCall(uint256 r) internal view returns (bytes memory) {
        uint256 a = uint256(keccak256(abi.encode(r, 1)));
        uint256 b = uint256(keccak256(abi.encode(r, 2)));
        uint256 c = uint256(keccak256(abi.encode(r, 3)));
        uint256 d = uint256(keccak256(abi.encode(r, 4)));
        uint256 pick = r % 20;
        CoreHandler h = handler;
        if (pick < 2) {
            return abi.encodeCall(h.createTask, (a, b, uint8(c), uint96(d), uint32(c >> 8), uint8(d >> 96)));
        }
        if (pick < 4) return abi.encodeCall(h.assign, (a, b, uint96(c), uint96(d)));
        if (pick == 4) return abi.encodeCall(h.unassign, (a, b));
        if (pick == 5) return abi.encodeCall(h.slashAssignment, (a, b));
        if (pick < 9 || pick == 18) return abi.encodeCall(h.submitProof, (a, b, c & 1 == 1));
        if (pick == 9) return abi.encodeCall(h.expire, (a, uint32(b)));
        if (pick == 10) return abi.encodeCall(h.cancel, (a));
        if (pick == 11) return abi.encodeCall(h.withdraw, (a));
        if (pick == 12) return abi.encodeCall(h.addStake, (a, uint96(b)));
        if (pick == 13) return abi.encodeCall(h.requestUnstake, (a, b));
        if (pick == 14) return abi.encodeCall(h.completeUnstake, (a));
        if (pick == 15) return abi.encodeCall(h.cancelUnstake, (a));
        if (pick == 16) return abi.encodeCall(h.setCapacity, (a, uint16(b)));
        if (pick == 17) return abi.encodeCall(h.warp, (uint32(a)));
        return abi.encodeCall(h.deposit, (a, uint96(b)));
    }

    /// The handler's actions, as `calls` names them.
    function _actionNames() internal pure returns (string[15] memory) {
        return [
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
    }

    /// With `-vv`, prints how the run ended: successful calls per action and tasks per status, to check
    /// that the handler reaches every path (fulfilment, expiry, reopen, cancel) and not just reverts.
    function afterInvariant() external view {
        string[15] memory names = _actionNames();
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
