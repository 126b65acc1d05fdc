// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMechanism} from "../../contracts/interfaces/IMechanism.sol";
import {IProofVerifier} from "../../contracts/interfaces/IProofVerifier.sol";
import {IProverRegistry} from "../../contracts/interfaces/IProverRegistry.sol";
import {ITaskRegistry} from "../../contracts/interfaces/ITaskRegistry.sol";
import {TaskRequest} from "../../contracts/types/Task.sol";
import {Deployers} from "../utils/Deployers.sol";

/// @notice A stateless assignment mechanism: assigns on request, pays the assigned price. Gas measured
///         through it is the registry's own (TestMechanism keeps counters, whose storage would be counted).
contract StatelessMechanism is IMechanism {
    ITaskRegistry public immutable registry;

    constructor(ITaskRegistry registry_) {
        registry = registry_;
    }

    function assign(uint256 taskId, address prover, uint96 price, uint96 collateral) external {
        registry.assign(taskId, prover, price, collateral);
    }

    function onTaskOpened(uint256, TaskRequest calldata) external view {
        if (msg.sender != address(registry)) revert OnlyTaskRegistry(msg.sender);
    }

    function onProofAccepted(uint256, address, uint96 assignedPrice) external view returns (uint256) {
        if (msg.sender != address(registry)) revert OnlyTaskRegistry(msg.sender);
        return assignedPrice;
    }

    function onTaskClosed(uint256) external view {
        if (msg.sender != address(registry)) revert OnlyTaskRegistry(msg.sender);
    }

    function profile() external pure returns (Profile memory) {
        return Profile({kind: 0, speed: 0, cost: 0, safety: 0, censorshipResistance: 0});
    }
}

/// @title CoreGas
/// @notice Gas of the core registries and the proof race, written to snapshots/CoreGas.json. Isolated: every
///         top-level call is its own transaction with cold storage, as on chain. `tx_<name>` is the whole
///         transaction; `<name>` is execution only (minus 21,000 and calldata). Steady state: setUp runs a
///         task of each kind through its life first, so that counters and the treasury's credit are
///         non-zero, and every prover and requester has withdrawn (their credit slot is zero, the costly
///         case). `verify_testDouble` is the test-double verifier's own execution gas; the race's overhead
///         is `submitProof_race_fulfil − verify_testDouble`. docs/gas.md tabulates these.
/// forge-config: default.isolate = true
contract CoreGas is Deployers {
    StatelessMechanism internal mech;

    function setUp() public {
        deployCore();
        mech = new StatelessMechanism(taskRegistry);
        taskRegistry.setMechanism(address(mech), true);
        registerProver(alice);
        registerProver(bob);
        fund(requester, 10 * uint256(TASK_BUDGET));

        // Warm-up: one race task fulfilled, one assignment slashed (treasury credited), everyone withdraws.
        uint256 raceTask = taskRegistry.createTask(_asRequester(raceRequest(100, 1)));
        vm.warp(block.timestamp + 60);
        prove(raceTask, 100, alice);
        TaskRequest memory r = raceRequest(101, 1);
        r.mechanism = address(mech);
        uint256 mechTask = taskRegistry.createTask(_asRequester(r));
        mech.assign(mechTask, bob, 10e18, 10e18);
        vm.warp(r.deadline + 1);
        taskRegistry.expire(mechTask);
        _withdraw(alice);
        _withdraw(requester);
    }

    function test_Gas_CreateTask() public {
        TaskRequest memory r = raceRequest(1, 1);
        _measure("createTask_race", requester, address(taskRegistry), abi.encodeCall(ITaskRegistry.createTask, (r)));
    }

    /// A requester with a credited balance (a deposit, or refunds it let accumulate) skips the token pull.
    function test_Gas_CreateTaskFromBalance() public {
        vm.prank(requester);
        taskRegistry.deposit(5 * uint256(TASK_BUDGET));
        TaskRequest memory r = raceRequest(1, 1);
        _measure(
            "createTask_race_from_balance",
            requester,
            address(taskRegistry),
            abi.encodeCall(ITaskRegistry.createTaskFromBalance, (r))
        );
    }

    function test_Gas_CreateTaskWithFallbackAndNotify() public {
        TaskRequest memory r = raceRequest(1, 1);
        r.fallbackMechanism = address(race);
        r.fallbackWindow = 600;
        r.notifyRequester = true;
        _measure(
            "createTask_fallback_notify",
            requester,
            address(taskRegistry),
            abi.encodeCall(ITaskRegistry.createTask, (r))
        );
    }

    function test_Gas_RaceFulfil() public {
        uint256 taskId = _open(raceRequest(1, 1));
        vm.warp(block.timestamp + TASK_DURATION / 2); // mid-window: the requester gets a refund
        _measureVerifier(1, alice);
        _measure(
            "submitProof_race_fulfil",
            alice,
            address(taskRegistry),
            abi.encodeCall(ITaskRegistry.submitProof, (taskId, statement(1), proofOf(1, alice)))
        );
    }

    /// Provers and requesters that let credits accumulate (withdrawing now and then) pay 2 × 17,100 less:
    /// their credit slot is already non-zero.
    function test_Gas_RaceFulfilWithStandingCredits() public {
        uint256 warm = _open(raceRequest(2, 1));
        vm.warp(block.timestamp + TASK_DURATION / 2);
        prove(warm, 2, alice); // alice and the requester now hold credits
        uint256 taskId = _open(raceRequest(1, 1));
        vm.warp(block.timestamp + TASK_DURATION / 2);
        _measure(
            "submitProof_race_fulfil_standing_credits",
            alice,
            address(taskRegistry),
            abi.encodeCall(ITaskRegistry.submitProof, (taskId, statement(1), proofOf(1, alice)))
        );
    }

    function test_Gas_RaceFirstOfTwo() public {
        uint256 taskId = _open(raceRequest(1, 2));
        vm.warp(block.timestamp + 60);
        _measure(
            "submitProof_race_first_of_2",
            alice,
            address(taskRegistry),
            abi.encodeCall(ITaskRegistry.submitProof, (taskId, statement(1), proofOf(1, alice)))
        );
    }

    function test_Gas_ExpireRace() public {
        TaskRequest memory r = raceRequest(1, 1);
        uint256 taskId = _open(r);
        vm.warp(r.deadline + 1);
        _measure("expire_race", bob, address(taskRegistry), abi.encodeCall(ITaskRegistry.expire, (taskId)));
    }

    function test_Gas_ExpireWithSlash() public {
        TaskRequest memory r = raceRequest(1, 1);
        r.mechanism = address(mech);
        uint256 taskId = _open(r);
        mech.assign(taskId, alice, 10e18, 50e18);
        vm.warp(r.deadline + 1);
        _measure("expire_slash_1", bob, address(taskRegistry), abi.encodeCall(ITaskRegistry.expire, (taskId)));
    }

    function test_Gas_ExpireReopen() public {
        TaskRequest memory r = raceRequest(1, 1);
        r.mechanism = address(mech);
        r.fallbackMechanism = address(race);
        r.fallbackWindow = 600;
        uint256 taskId = _open(r);
        mech.assign(taskId, alice, 10e18, 50e18);
        vm.warp(r.deadline + 1);
        _measure("expire_slash_reopen", bob, address(taskRegistry), abi.encodeCall(ITaskRegistry.expire, (taskId)));
    }

    function test_Gas_Assign() public {
        TaskRequest memory r = raceRequest(1, 1);
        r.mechanism = address(mech);
        uint256 taskId = _open(r);
        _measure(
            "assign",
            address(this),
            address(mech),
            abi.encodeCall(StatelessMechanism.assign, (taskId, alice, 10e18, 50e18))
        );
    }

    function test_Gas_SubmitAssigned() public {
        TaskRequest memory r = raceRequest(1, 1);
        r.mechanism = address(mech);
        uint256 taskId = _open(r);
        mech.assign(taskId, alice, 10e18, 50e18);
        _measure(
            "submitProof_assigned_fulfil",
            alice,
            address(taskRegistry),
            abi.encodeCall(ITaskRegistry.submitProof, (taskId, statement(1), proofOf(1, alice)))
        );
    }

    function test_Gas_Cancel() public {
        uint256 taskId = _open(raceRequest(1, 1));
        _measure("cancelTask", requester, address(taskRegistry), abi.encodeCall(ITaskRegistry.cancelTask, (taskId)));
    }

    function test_Gas_Withdraw() public {
        uint256 taskId = _open(raceRequest(1, 1));
        prove(taskId, 1, alice);
        _measure("withdraw", alice, address(taskRegistry), abi.encodeCall(ITaskRegistry.withdraw, ()));
    }

    function test_Gas_Register() public {
        address dave = makeAddr("dave");
        fund(dave, PROVER_STAKE);
        _measure(
            "register",
            dave,
            address(proverRegistry),
            abi.encodeCall(IProverRegistry.register, (PROVER_STAKE, 1, PROVER_CAPACITY))
        );
    }

    // ------------------------------------------------------------------ helpers

    function _asRequester(TaskRequest memory r) internal returns (TaskRequest memory) {
        vm.prank(requester);
        return r;
    }

    function _open(TaskRequest memory r) internal returns (uint256 taskId) {
        vm.prank(requester);
        taskId = taskRegistry.createTask(r);
    }

    function _withdraw(address account) internal {
        if (taskRegistry.claimable(account) == 0) return;
        vm.prank(account);
        taskRegistry.withdraw();
    }

    /// @dev The test-double verifier's own execution gas for `prover`'s proof of `statement(seed)`.
    function _measureVerifier(uint256 seed, address prover) internal {
        _measure(
            "verify_testDouble",
            address(taskRegistry),
            address(testVerifier),
            abi.encodeCall(IProofVerifier.verifyProof, (proofOf(seed, prover), boundInputs(seed, prover)))
        );
    }

    function _measure(string memory name, address from, address target, bytes memory data)
        internal
        returns (uint256 execution)
    {
        vm.prank(from);
        (bool ok, bytes memory ret) = target.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
        uint256 txGas = vm.snapshotGasLastCall(string.concat("tx_", name));
        uint256 calldataGas;
        for (uint256 i; i < data.length; ++i) {
            calldataGas += data[i] == 0 ? 4 : 16;
        }
        execution = txGas - 21_000 - calldataGas;
        vm.snapshotValue(name, execution);
    }
}
