// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ITaskRegistry} from "../../contracts/interfaces/ITaskRegistry.sol";
import {TaskRequest} from "../../contracts/types/Task.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @notice Implemented by receivers that want to hear about incoming HookToken transfers.
interface ITokenReceiver {
    function onTokenReceived(address from, uint256 amount) external;
}

/// @title HookToken
/// @notice A token with an ERC-777-style receive hook: every transfer to a contract calls it back. Used to
///         show that a payout receiver cannot re-enter the registries while being paid.
contract HookToken is ERC20 {
    constructor() ERC20("hook token", "HOOK") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        // Like ERC-777 hooks: call contracts that implement the hook; others (the registries) are skipped.
        if (to.code.length != 0 && from != address(0)) {
            (bool ok,) = to.call(abi.encodeCall(ITokenReceiver.onTokenReceived, (from, value)));
            ok; // a receiver without the hook is fine
        }
    }
}

/// @title ReentrantReceiver
/// @notice Withdraws from the task registry and, inside the token's receive hook, tries to withdraw again.
contract ReentrantReceiver is ITokenReceiver {
    ITaskRegistry public immutable registry;
    bytes public reentryError;
    uint256 public hooks;

    constructor(ITaskRegistry registry_) {
        registry = registry_;
    }

    function open(IERC20 token, TaskRequest calldata request) external returns (uint256) {
        token.approve(address(registry), request.maxPayment);
        return registry.createTask(request);
    }

    function cancel(uint256 taskId) external {
        registry.cancelTask(taskId);
    }

    function withdraw() external returns (uint256) {
        return registry.withdraw();
    }

    function onTokenReceived(address from, uint256) external {
        if (from != address(registry)) return;
        hooks += 1;
        try registry.withdraw() {}
        catch (bytes memory err) {
            reentryError = err;
        }
    }
}
