// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ProofToken} from "../../contracts/ProofToken.sol";
import {ProverRegistry} from "../../contracts/ProverRegistry.sol";
import {TaskRegistry} from "../../contracts/TaskRegistry.sol";
import {VerifierRegistry} from "../../contracts/VerifierRegistry.sol";
import {ProofRace} from "../../contracts/mechanisms/ProofRace.sol";
import {QoSProfile, TaskRequest} from "../../contracts/types/Task.sol";
import {CoreDeployment} from "../../script/Deploy.s.sol";
import {HashVerifier} from "./HashVerifier.sol";
import {Test} from "forge-std/Test.sol";

/// @title Deployers
/// @notice Shared fixture for every forge test: deploys the core exactly as script/Deploy.s.sol does (the
///         test contract is the admin), registers a test-double circuit, and offers helpers to fund and
///         register provers, build requests, open tasks and make proofs. Inherit it and call `deployCore()`
///         in setUp.
abstract contract Deployers is Test, CoreDeployment {
    /// @notice Circuit id of the test-double circuit (3 statement inputs + the prover).
    bytes32 internal constant TEST_CIRCUIT = keccak256("proofmarket.circuit.test.v1");
    uint256 internal constant TEST_STATEMENT_LENGTH = 3;
    uint256 internal constant PROVER_STAKE = 1000e18;
    uint16 internal constant PROVER_CAPACITY = 4;
    uint96 internal constant TASK_BUDGET = 100e18;
    uint64 internal constant TASK_DURATION = 1 hours;

    ProofToken internal token;
    ProverRegistry internal proverRegistry;
    VerifierRegistry internal verifierRegistry;
    TaskRegistry internal taskRegistry;
    ProofRace internal race;
    HashVerifier internal testVerifier;

    address internal treasury = makeAddr("treasury");
    address internal requester = makeAddr("requester");
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    address internal carol = makeAddr("carol");

    /// @notice Deploys the core with default parameters and registers the test-double circuit.
    function deployCore() internal virtual {
        deployCore(_defaultCoreParams(treasury));
    }

    /// @notice Deploys the core with `params` and registers the test-double circuit.
    function deployCore(CoreParams memory params) internal {
        token = _deployToken(address(this));
        Core memory c = _deployCore(token, address(this), params);
        proverRegistry = c.provers;
        verifierRegistry = c.verifiers;
        taskRegistry = c.tasks;
        race = c.race;
        testVerifier = new HashVerifier(TEST_STATEMENT_LENGTH + 1);
        verifierRegistry.setVerifier(TEST_CIRCUIT, address(testVerifier));
        vm.label(address(token), "ProofToken");
        vm.label(address(proverRegistry), "ProverRegistry");
        vm.label(address(verifierRegistry), "VerifierRegistry");
        vm.label(address(taskRegistry), "TaskRegistry");
        vm.label(address(race), "ProofRace");
    }

    /// @notice Mints `amount` to `account` and approves both registries for it.
    function fund(address account, uint256 amount) internal {
        token.mint(account, amount);
        vm.startPrank(account);
        token.approve(address(proverRegistry), type(uint256).max);
        token.approve(address(taskRegistry), type(uint256).max);
        vm.stopPrank();
    }

    /// @notice Funds and registers `prover` with `stake` and `capacity` (hardware class 1).
    function registerProver(address prover, uint256 stake, uint16 capacity) internal {
        fund(prover, stake);
        vm.prank(prover);
        proverRegistry.register(stake, 1, capacity);
    }

    /// @notice Registers `prover` with the default stake and capacity.
    function registerProver(address prover) internal {
        registerProver(prover, PROVER_STAKE, PROVER_CAPACITY);
    }

    /// @dev Statement `seed`'s public inputs with `prover` appended, as the registries pass them to a verifier.
    function boundInputs(uint256 seed, address prover) internal pure returns (uint256[] memory inputs) {
        uint256[] memory s = statement(seed);
        inputs = new uint256[](s.length + 1);
        for (uint256 i; i < s.length; ++i) {
            inputs[i] = s[i];
        }
        inputs[s.length] = uint256(uint160(prover));
    }

    /// @notice A deterministic statement (public inputs without the prover) for the test circuit.
    function statement(uint256 seed) internal pure returns (uint256[] memory s) {
        s = new uint256[](TEST_STATEMENT_LENGTH);
        for (uint256 i; i < TEST_STATEMENT_LENGTH; ++i) {
            s[i] = uint256(keccak256(abi.encode(seed, i))) >> 8;
        }
    }

    /// @notice The task commitment of `s`.
    function commitmentOf(uint256[] memory s) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(s));
    }

    /// @notice A race request for `statement(seed)` with the default budget and deadline.
    function raceRequest(uint256 seed, uint8 redundancy) internal view returns (TaskRequest memory r) {
        r.circuitId = TEST_CIRCUIT;
        r.inputCommitment = commitmentOf(statement(seed));
        r.deadline = uint64(block.timestamp) + TASK_DURATION;
        r.maxPayment = TASK_BUDGET;
        r.redundancy = redundancy;
        r.qos = QoSProfile({
            speedWeight: 5,
            costWeight: 5,
            safetyWeight: 5,
            censorshipWeight: 5,
            minRedundancy: redundancy,
            minStakeAtRisk: 0
        });
        r.mechanism = address(race);
    }

    /// @notice Funds `from` and opens `r` as `from`.
    function openTask(address from, TaskRequest memory r) internal returns (uint256 taskId) {
        fund(from, r.maxPayment);
        vm.prank(from);
        taskId = taskRegistry.createTask(r);
    }

    /// @notice Opens a race task for `statement(seed)` as the default requester.
    function openRaceTask(uint256 seed, uint8 redundancy) internal returns (uint256) {
        return openTask(requester, raceRequest(seed, redundancy));
    }

    /// @notice `prover`'s test-double proof of `statement(seed)`.
    function proofOf(uint256 seed, address prover) internal view returns (bytes memory) {
        return testVerifier.proofFor(statement(seed), prover);
    }

    /// @notice The live assignees of `taskId`, read through `liveAssigneeAt`.
    function liveAssignees(uint256 taskId) internal view returns (address[] memory list) {
        list = new address[](taskRegistry.taskOf(taskId).assignedCount);
        for (uint256 i; i < list.length; ++i) {
            list[i] = taskRegistry.liveAssigneeAt(taskId, i);
        }
    }

    /// @notice Submits `prover`'s proof of `statement(seed)` for `taskId`.
    function prove(uint256 taskId, uint256 seed, address prover) internal returns (uint256 payment) {
        bytes memory proof = proofOf(seed, prover);
        vm.prank(prover);
        payment = taskRegistry.submitProof(taskId, statement(seed), proof);
    }
}
