// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ITaskLedger} from "../../contracts/interfaces/ITaskLedger.sol";
import {LedgerRequest, LedgerTask} from "../../contracts/types/LedgerTask.sol";
import {LedgerFixture} from "../ledger/LedgerFixture.sol";
import {LedgerAssigner} from "../ledger/LedgerMechanisms.sol";
import {HashVerifier} from "../utils/HashVerifier.sol";
import {MechanismGasBase} from "./MechanismGasBase.sol";

/// @title TaskLedgerGas
/// @notice Gas of the one-word task core (TaskLedger), written to snapshots/TaskLedgerGas.json, in the conventions
///         of MechanismGasBase: isolated calls (every top-level call its own transaction, storage cold as on chain);
///         `tx_<name>` the whole transaction, `<name>` execution only (minus 21,000 and calldata); the verifier's
///         own call (`verify`, through the verifier registry) subtracted from every proof. Steady state: setUp runs
///         race tasks (redundancy 1 and 2) and an assigned task through their lives and slashes one assignment, so
///         the provers' proven-bits word and the provers', the requester's and the treasury's credit words exist;
///         the requester keeps a deposit. Mechanisms: the test race (no hooks but the payment, cap 4) and a
///         hook-free assigning mechanism (`lean`: assign / slash pass straight through, an assignee's proof is paid
///         its price without a call), so the figures are the core's.
/// forge-config: default.isolate = true
contract TaskLedgerGas is LedgerFixture, MechanismGasBase {
    LedgerAssigner internal lean;

    function setUp() public {
        deployLedger();
        lean = new LedgerAssigner(ledger, 0);
        ledger.setMechanism(address(lean), true);
        registerProver(alice);
        registerProver(bob);
        depositFor(requester, 1000 * uint256(TASK_BUDGET));

        (uint256 id, LedgerTask memory t) = _open(100, 1, address(ledgerRace));
        proveLedger(id, t, 100, alice);
        (id, t) = _open(101, 1, address(lean));
        lean.assign(id, t, bob, 50e18, COLLATERAL);
        t = withAssignment(t, bob, 50e18, COLLATERAL, uint64(block.timestamp + 600));
        proveLedger(id, t, 101, bob);
        // A redundancy-2 race proven by both: their proven-bits word for this requester's tasks exists, as it does
        // for provers that serve a requester regularly (the spike's warm-up did the same).
        (id, t) = _open(103, 2, address(ledgerRace));
        proveLedger(id, t, 103, alice);
        proveLedger(id, t, 103, bob);
        (id, t) = _open(102, 1, address(lean));
        lean.assign(id, t, bob, 50e18, COLLATERAL);
        lean.slash(id, withAssignment(t, bob, 50e18, COLLATERAL, uint64(block.timestamp + 600)));
    }

    function test_Gas_Race_Lifecycle() public {
        (uint256 id, LedgerTask memory t, uint256 total) = _create(1, 1, address(ledgerRace), "ledger_createTask_race");
        vm.warp(block.timestamp + 1 minutes);
        uint256 proofGas = _prove(id, t, 1, alice, "ledger_submitProof_race");
        total += proofGas;
        vm.snapshotValue("ledger_race_lifecycle", total);
        // The spike (test/spike/OneWordGas.t.sol on spike/one-word-tasks) subtracted only the verifier's own
        // execution, called directly (0.9k), not the registry lookup and the cold verifier account (7.0k here):
        // the same lifecycle in its convention, for the comparison in the report.
        uint256 registryPart = _verifyGas(1, alice) - _verifyDirectGas(1, alice);
        vm.snapshotValue("ledger_race_lifecycle_spike_convention", total + registryPart);
    }

    function test_Gas_Race_TwoProversOnOneTask() public {
        (uint256 id, LedgerTask memory t, uint256 total) = _create(2, 2, address(ledgerRace), "ledger_createTask_race2");
        total += _prove(id, t, 2, alice, "ledger_submitProof_race2_first");
        total += _prove(id, t, 2, bob, "ledger_submitProof_race2_second");
        vm.snapshotValue("ledger_race2_lifecycle", total);
    }

    function test_Gas_Assigned_Lifecycle() public {
        (uint256 id, LedgerTask memory t, uint256 total) = _create(3, 1, address(lean), "ledger_createTask_assigned");
        (uint256 g,) = _call(
            "ledger_assign",
            address(this),
            address(lean),
            abi.encodeCall(LedgerAssigner.assign, (id, t, alice, 60e18, COLLATERAL))
        );
        total += g;
        t = withAssignment(t, alice, 60e18, COLLATERAL, uint64(block.timestamp + 600));
        total += _prove(id, t, 3, alice, "ledger_submitProof_assigned");
        vm.snapshotValue("ledger_assigned_lifecycle", total);
    }

    function test_Gas_Race_Expire() public {
        (uint256 id, LedgerTask memory t,) = _create(4, 1, address(ledgerRace), "ledger_createTask_race_3");
        vm.warp(uint256(t.deadline) + 1);
        _call("ledger_expire_race", address(this), address(ledger), abi.encodeCall(ITaskLedger.expire, (id, t)));
    }

    function test_Gas_Assigned_Expire() public {
        (uint256 id, LedgerTask memory t,) = _create(5, 1, address(lean), "ledger_createTask_assigned_2");
        lean.assign(id, t, alice, 60e18, COLLATERAL);
        t = withAssignment(t, alice, 60e18, COLLATERAL, uint64(block.timestamp + 600));
        vm.warp(uint256(t.deadline) + 1);
        _call("ledger_expire_slash", address(this), address(ledger), abi.encodeCall(ITaskLedger.expire, (id, t)));
    }

    function test_Gas_SlashAssignment() public {
        (uint256 id, LedgerTask memory t,) = _create(6, 1, address(lean), "ledger_createTask_assigned_3");
        lean.assign(id, t, alice, 60e18, COLLATERAL);
        t = withAssignment(t, alice, 60e18, COLLATERAL, uint64(block.timestamp + 600));
        _call("ledger_slashAssignment", address(this), address(lean), abi.encodeCall(LedgerAssigner.slash, (id, t)));
    }

    /// @dev Execution gas of the test-double verifier called directly (the spike's `_verify` subtraction).
    function _verifyDirectGas(uint256 seed, address prover) internal returns (uint256 g) {
        (g,) = _call(
            "verify_direct",
            address(ledger),
            address(testVerifier),
            abi.encodeCall(HashVerifier.verifyProof, (proofOf(seed, prover), boundInputs(seed, prover)))
        );
    }

    function _open(uint256 seed, uint8 redundancy, address mechanism) internal returns (uint256, LedgerTask memory) {
        LedgerRequest memory r = ledgerRequest(seed, redundancy, mechanism);
        vm.prank(requester);
        return ledger.createTask(r);
    }

    function _create(uint256 seed, uint8 redundancy, address mechanism, string memory name)
        internal
        returns (uint256 id, LedgerTask memory t, uint256 g)
    {
        LedgerRequest memory r = ledgerRequest(seed, redundancy, mechanism);
        bytes memory ret;
        (g, ret) = _call(name, requester, address(ledger), abi.encodeCall(ITaskLedger.createTask, (r)));
        (id, t) = abi.decode(ret, (uint256, LedgerTask));
    }

    function _prove(uint256 id, LedgerTask memory t, uint256 seed, address prover, string memory name)
        internal
        returns (uint256)
    {
        uint256 verifyGas = _verifyGas(seed, prover);
        bytes memory data = abi.encodeCall(ITaskLedger.submitProof, (id, t, statement(seed), proofOf(seed, prover)));
        (uint256 g,) = _call(name, prover, address(ledger), data);
        return g - verifyGas;
    }
}
