// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ProverRegistry} from "../../contracts/ProverRegistry.sol";
import {TaskLedger} from "../../contracts/TaskLedger.sol";
import {LedgerRequest, LedgerTask, LedgerTaskLib, TaskWord} from "../../contracts/types/LedgerTask.sol";
import {Deployers} from "../utils/Deployers.sol";
import {LedgerAssigner, LedgerRace} from "./LedgerMechanisms.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title LedgerFixture
/// @notice Shared fixture of the TaskLedger tests: the core of `Deployers` (token, verifier registry with the
///         HashVerifier test circuit, statement and proof helpers) plus a TaskLedger over a ProverRegistry of its
///         own (a ProverRegistry binds one task core, and the deployed one is bound to the TaskRegistry), with two
///         real ledger mechanisms allow-listed: an open race (cap 4) and an assigning mechanism (every hook).
///         `_live` books the current version of every task the tests opened, for the conservation check.
abstract contract LedgerFixture is Deployers {
    uint96 internal constant COLLATERAL = 20e18;
    uint8 internal constant ALL_HOOKS = LedgerTaskLib.HOOK_OPEN | LedgerTaskLib.HOOK_CLOSE
        | LedgerTaskLib.HOOK_ASSIGNED_PROOF | LedgerTaskLib.HOOK_CONTRIBUTORS;

    TaskLedger internal ledger;
    LedgerRace internal ledgerRace;
    LedgerAssigner internal assigner;

    uint256[] internal _taskIds;
    mapping(uint256 taskId => LedgerTask) internal _current;
    address[] internal _accounts;

    function deployLedger() internal {
        deployCore();
        proverRegistry =
            new ProverRegistry(IERC20(address(token)), DEFAULT_MIN_STAKE, DEFAULT_UNSTAKE_DELAY, address(this));
        ledger = new TaskLedger(IERC20(address(token)), proverRegistry, verifierRegistry, address(this), treasury);
        proverRegistry.grantRole(proverRegistry.TASK_REGISTRY_ROLE(), address(ledger));
        ledgerRace = new LedgerRace(ledger, 4);
        assigner = new LedgerAssigner(ledger, ALL_HOOKS);
        ledger.setMechanism(address(ledgerRace), true);
        ledger.setMechanism(address(assigner), true);
        vm.label(address(ledger), "TaskLedger");
        vm.label(address(ledgerRace), "LedgerRace");
        vm.label(address(assigner), "LedgerAssigner");
        _accounts.push(requester);
        _accounts.push(alice);
        _accounts.push(bob);
        _accounts.push(carol);
        _accounts.push(treasury);
    }

    /// @notice Mints `amount` to `account` and deposits it in the ledger.
    function depositFor(address account, uint256 amount) internal {
        token.mint(account, amount);
        vm.startPrank(account);
        token.approve(address(ledger), amount);
        ledger.deposit(amount);
        vm.stopPrank();
    }

    function ledgerRequest(uint256 seed, uint8 redundancy, address mechanism)
        internal
        view
        returns (LedgerRequest memory r)
    {
        r.circuitId = TEST_CIRCUIT;
        r.inputCommitment = commitmentOf(statement(seed));
        r.deadline = uint64(block.timestamp) + TASK_DURATION;
        r.maxPayment = TASK_BUDGET;
        r.redundancy = redundancy;
        r.mechanism = mechanism;
    }

    /// @notice Deposits the budget and opens `r` as the default requester.
    function openLedger(LedgerRequest memory r) internal returns (uint256 taskId, LedgerTask memory t) {
        depositFor(requester, r.maxPayment);
        vm.prank(requester);
        (taskId, t) = ledger.createTask(r);
        track(taskId, t);
    }

    function openRace(uint256 seed, uint8 redundancy) internal returns (uint256, LedgerTask memory) {
        return openLedger(ledgerRequest(seed, redundancy, address(ledgerRace)));
    }

    function openAssigned(uint256 seed) internal returns (uint256, LedgerTask memory) {
        return openLedger(ledgerRequest(seed, 1, address(assigner)));
    }

    function track(uint256 taskId, LedgerTask memory t) internal {
        if (_current[taskId].requester == address(0)) _taskIds.push(taskId);
        _current[taskId] = t;
    }

    /// @notice `prover` proves `t` (statement `seed`).
    function proveLedger(uint256 taskId, LedgerTask memory t, uint256 seed, address prover)
        internal
        returns (uint256 credited)
    {
        bytes memory proof = proofOf(seed, prover);
        vm.prank(prover);
        credited = ledger.submitProof(taskId, t, statement(seed), proof);
    }

    /// @notice A copy of `t` (memory structs assign by reference).
    function copyOf(LedgerTask memory t) internal pure returns (LedgerTask memory) {
        return abi.decode(abi.encode(t), (LedgerTask));
    }

    /// @notice A copy of `t` as the ledger stores it after `assign` (zero prover: after unassign or a slash).
    function withAssignment(LedgerTask memory t, address prover, uint96 price, uint96 collateral, uint64 state)
        internal
        pure
        returns (LedgerTask memory n)
    {
        n = copyOf(t);
        n.assignee = prover;
        n.price = price;
        n.collateral = collateral;
        n.mechanismState = state;
    }

    /// @notice The version of `t` after its assignment was slashed with `toCover` going to the cover bounty: the
    ///         assignment cleared (mechanismState `state`), the bounty grown, FLAG_SLASHED set.
    function slashedVersion(LedgerTask memory t, uint256 toCover, uint64 state)
        internal
        pure
        returns (LedgerTask memory n)
    {
        n = withAssignment(t, address(0), 0, 0, state);
        n.coverBounty = t.coverBounty + uint96(toCover);
        n.flags = t.flags | LedgerTaskLib.FLAG_SLASHED;
    }

    /// @notice Assigns `prover` through the assigner and returns the new task.
    function assignLedger(uint256 taskId, LedgerTask memory t, address prover, uint96 price)
        internal
        returns (LedgerTask memory n)
    {
        assigner.assign(taskId, t, prover, price, COLLATERAL);
        n = withAssignment(t, prover, price, COLLATERAL, uint64(block.timestamp + 600));
        track(taskId, n);
    }

    /// @notice Escrow of the live tasks the fixture tracks (their last version), from their words.
    function liveEscrow() internal view returns (uint256 sum) {
        for (uint256 i; i < _taskIds.length; ++i) {
            uint256 id = _taskIds[i];
            TaskWord w = ledger.taskWord(id);
            if (TaskWord.unwrap(w) == 0) continue;
            LedgerTask memory t = _current[id];
            assertTrue(w.matches(LedgerTaskLib.hashOfMemory(t)), "tracked task is current");
            sum += uint256(t.maxPayment) - w.proofsAccepted() * (uint256(t.maxPayment) / t.redundancy) + t.coverBounty;
        }
    }

    function creditSum() internal view returns (uint256 sum) {
        for (uint256 i; i < _accounts.length; ++i) {
            sum += ledger.balanceOf(_accounts[i]);
        }
    }

    /// @notice The ledger's token balance is Σ credits + Σ escrow of live tasks.
    function assertConserved() internal view {
        assertEq(token.balanceOf(address(ledger)), creditSum() + liveEscrow(), "escrow conserved");
    }
}
