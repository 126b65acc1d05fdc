// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProofConsumer} from "../../contracts/interfaces/IProofConsumer.sol";
import {ITaskRegistry} from "../../contracts/interfaces/ITaskRegistry.sol";
import {TaskRequest} from "../../contracts/types/Task.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title RecordingConsumer
/// @notice A well-behaved requester contract: opens tasks and records the registry's callbacks.
contract RecordingConsumer is IProofConsumer {
    error CallbackRefused();

    ITaskRegistry public immutable registry;
    uint256 public fulfilledTask;
    address public lastProver;
    uint256 public expiredTask;
    bool public revertOnCallback;

    constructor(ITaskRegistry registry_) {
        registry = registry_;
    }

    function setRevertOnCallback(bool value) external {
        revertOnCallback = value;
    }

    function open(IERC20 token, TaskRequest calldata request) external returns (uint256) {
        token.approve(address(registry), request.maxPayment);
        return registry.createTask(request);
    }

    function withdraw() external returns (uint256) {
        return registry.withdraw();
    }

    function onTaskFulfilled(uint256 taskId, address prover) external {
        if (revertOnCallback) revert CallbackRefused();
        fulfilledTask = taskId;
        lastProver = prover;
    }

    function onTaskExpired(uint256 taskId) external {
        if (revertOnCallback) revert CallbackRefused();
        expiredTask = taskId;
    }
}

/// @title ReentrantConsumer
/// @notice A malicious requester: in its callbacks it tries to re-enter the registry (withdraw its refund,
///         expire or open again) and records what the registry answered. It does not revert itself, so the
///         recorded error survives for the test to read.
contract ReentrantConsumer is IProofConsumer {
    ITaskRegistry public immutable registry;
    bytes public withdrawError;
    bytes public cancelError;
    uint256 public callbacks;

    constructor(ITaskRegistry registry_) {
        registry = registry_;
    }

    function open(IERC20 token, TaskRequest calldata request) external returns (uint256) {
        token.approve(address(registry), request.maxPayment);
        return registry.createTask(request);
    }

    function onTaskFulfilled(uint256 taskId, address) external {
        callbacks += 1;
        _reenter(taskId);
    }

    function onTaskExpired(uint256 taskId) external {
        callbacks += 1;
        _reenter(taskId);
    }

    function _reenter(uint256 taskId) internal {
        try registry.withdraw() {}
        catch (bytes memory err) {
            withdrawError = err;
        }
        try registry.cancelTask(taskId) {}
        catch (bytes memory err) {
            cancelError = err;
        }
    }
}
