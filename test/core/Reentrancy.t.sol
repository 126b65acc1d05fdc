// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TaskRegistry} from "../../contracts/TaskRegistry.sol";
import {IProverRegistry} from "../../contracts/interfaces/IProverRegistry.sol";
import {IVerifierRegistry} from "../../contracts/interfaces/IVerifierRegistry.sol";
import {TaskRequest} from "../../contracts/types/Task.sol";
import {Deployers} from "../utils/Deployers.sol";
import {HookToken, ReentrantReceiver} from "../utils/HookToken.sol";
import {TestMechanism} from "../utils/TestMechanism.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/// @notice A payout receiver that is called back by the token while being paid (an ERC-777-style hook)
///         cannot withdraw twice: the registry zeroes the credit before transferring and is guarded by
///         ReentrancyGuardTransient.
contract ReentrancyTest is Deployers {
    function test_RevertWhen_ReentrancyThroughPayoutReceiver() public {
        deployCore();
        HookToken hookToken = new HookToken();
        TaskRegistry hooked = new TaskRegistry(
            IERC20(address(hookToken)),
            IProverRegistry(address(proverRegistry)),
            IVerifierRegistry(address(verifierRegistry)),
            address(this),
            treasury
        );
        TestMechanism mech = new TestMechanism(hooked);
        hooked.setMechanism(address(mech), true);

        ReentrantReceiver receiver = new ReentrantReceiver(hooked);
        TaskRequest memory r = raceRequest(1, 1);
        r.mechanism = address(mech);
        hookToken.mint(address(receiver), r.maxPayment);
        hookToken.mint(address(hooked), 1000e18); // other users' funds the attacker would like to drain
        uint256 taskId = receiver.open(IERC20(address(hookToken)), r);
        receiver.cancel(taskId);
        assertEq(hooked.claimable(address(receiver)), r.maxPayment);

        receiver.withdraw();

        assertEq(receiver.hooks(), 1, "the hook ran during the payout");
        assertEq(
            receiver.reentryError(),
            abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector)
        );
        assertEq(hookToken.balanceOf(address(receiver)), r.maxPayment, "paid exactly once");
        assertEq(hookToken.balanceOf(address(hooked)), 1000e18);
        assertEq(hooked.claimable(address(receiver)), 0);
    }
}
