// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ITaskRegistry} from "../../contracts/interfaces/ITaskRegistry.sol";
import {AscendingPriceAuction} from "../../contracts/mechanisms/AscendingPriceAuction.sol";
import {TaskRequest} from "../../contracts/types/Task.sol";
import {MechanismGasBase} from "./MechanismGasBase.sol";

/// @title AscendingGas
/// @notice Gas of every transaction of an ascending-price task's life, written to
///         snapshots/AscendingGas.json (see MechanismGasBase for the conventions). Steady state: setUp runs
///         one task through its whole life first.
///         `lifecycle` = createTask + lock + submitProof − verify; `overhead` = lifecycle − the core's own
///         lifecycle (`core_lifecycle`: same state, same prover, same price and collateral).
/// forge-config: default.isolate = true
contract AscendingGas is MechanismGasBase {
    uint96 internal constant LOCK_COLLATERAL = 20e18;
    AscendingPriceAuction internal auction;

    function setUp() public {
        deployCore();
        _deployNull();
        auction = new AscendingPriceAuction(
            AscendingPriceAuction.Params({
                taskRegistry: ITaskRegistry(address(taskRegistry)),
                floorBps: 2000,
                rampPeriod: 10 minutes,
                lockWindow: 15 minutes,
                lockCollateral: LOCK_COLLATERAL
            })
        );
        taskRegistry.setMechanism(address(auction), true);
        registerProver(alice);
        registerProver(bob);
        uint256 warm = _create(0);
        vm.warp(block.timestamp + 5 minutes);
        vm.prank(alice);
        auction.lock(warm);
        prove(warm, 0, alice);
        vm.prank(alice);
        taskRegistry.withdraw();
    }

    function _request(uint256 seed) internal view returns (TaskRequest memory r) {
        r = raceRequest(seed, 1);
        r.mechanism = address(auction);
    }

    function _create(uint256 seed) internal returns (uint256) {
        return openTask(requester, _request(seed));
    }

    /// @dev createTask → lock → submitProof (the locked path), then the core alone.
    function test_Gas_Lifecycle_Lock() public {
        uint256 snap = vm.snapshotState();
        fund(requester, TASK_BUDGET);
        (uint256 total, bytes memory ret) = _call(
            "createTask", requester, address(taskRegistry), abi.encodeCall(taskRegistry.createTask, (_request(1)))
        );
        uint256 taskId = abi.decode(ret, (uint256));
        vm.warp(block.timestamp + 5 minutes);
        (uint256 g,) = _call("lock", alice, address(auction), abi.encodeCall(auction.lock, (taskId)));
        total += g;
        uint96 price = taskRegistry.assignmentOf(taskId, alice).price;
        uint256 verifyGas = _verifyGas(1, alice);
        (g,) = _call(
            "submitProof_locked",
            alice,
            address(taskRegistry),
            abi.encodeCall(taskRegistry.submitProof, (taskId, statement(1), proofOf(1, alice)))
        );
        total += g - verifyGas;
        vm.snapshotValue("lifecycle", total);
        _call("withdraw", alice, address(taskRegistry), abi.encodeCall(taskRegistry.withdraw, ()));

        vm.revertToState(snap);
        uint256 core = _baseline(1, alice, price, LOCK_COLLATERAL);
        vm.snapshotValue("overhead", total - core);
        assertLe(total - core, 120_000, "ascending coordination overhead within 120k per task");
    }

    /// @dev createTask → submitProof without a lock (paid the ramp price).
    function test_Gas_Lifecycle_Unlocked() public {
        uint256 taskId = _create(1);
        vm.warp(block.timestamp + 5 minutes);
        _call(
            "submitProof_unlocked",
            bob,
            address(taskRegistry),
            abi.encodeCall(taskRegistry.submitProof, (taskId, statement(1), proofOf(1, bob)))
        );
    }

    /// @dev A lapsed lock: slashLock, then a cover proof without a lock.
    function test_Gas_SlashLockAndCover() public {
        uint256 taskId = _create(1);
        vm.prank(alice);
        auction.lock(taskId);
        vm.warp(block.timestamp + 15 minutes + 1);
        _call("slashLock", bob, address(auction), abi.encodeCall(auction.slashLock, (taskId, alice)));
        _call(
            "submitProof_cover",
            bob,
            address(taskRegistry),
            abi.encodeCall(taskRegistry.submitProof, (taskId, statement(1), proofOf(1, bob)))
        );
    }
}
