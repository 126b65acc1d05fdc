// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMechanism} from "../../contracts/interfaces/IMechanism.sol";
import {SealedBidAuction} from "../../contracts/mechanisms/SealedBidAuction.sol";
import {TaskRequest} from "../../contracts/types/Task.sol";
import {RouterFixture} from "./MechanismRouter.t.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @notice Several parametrised instances of one mechanism family behind the router: they are scored
///         separately (by their tuned declaration and by what each delivered), so a requester type can move
///         from one instance of a family to another without leaving the family.
contract RouterSameFamilyTest is RouterFixture {
    uint256 internal constant SEALED_FIRST = 6;

    SealedBidAuction internal sealedFirst;

    function setUp() public {
        deployRouter();
        registerProver(alice);
        registerProver(bob);
        // A first-price instance with shorter windows: a little faster, a little dearer than the default
        // second-price one. Its declaration is tuned by the admin (same kind, different scores).
        sealedFirst = new SealedBidAuction(
            SealedBidAuction.Params({
                taskRegistry: taskRegistry,
                proverRegistry: proverRegistry,
                token: IERC20(address(token)),
                treasury: treasury,
                secondPrice: false,
                commitWindow: 2 minutes,
                revealWindow: 2 minutes,
                minProvingWindow: 5 minutes,
                bidCollateral: 10e18,
                winnerCollateral: 100e18,
                maxBids: 16
            })
        );
        taskRegistry.setMechanism(address(sealedFirst), true);
        assertEq(router.addInstance(address(sealedFirst), limits(16, 100e18, 9 minutes, false)), SEALED_FIRST);
        router.overrideDeclared(
            SEALED_FIRST, IMechanism.Profile({kind: 2, speed: 6, cost: 8, safety: 4, censorshipResistance: 5})
        );
    }

    /// @notice Both sealed-bid instances are scored on their own declarations; the cost-sensitive app
    ///         (2/10/3/1) prefers the second-price one (8 + 80 + 18 + 5 = 111) over the tuned first-price one
    ///         (12 + 80 + 12 + 5 = 109), and both beat the order book (104).
    function test_InstancesOfOneFamilyAreScoredApart() public view {
        (uint256 best, uint256[] memory scores,) = router.quote(costSensitiveApp(1));
        assertEq(best, SEALED);
        assertEq(router.instanceOf(SEALED_FIRST).kind, router.instanceOf(SEALED).kind, "same family");
        assertEq(scores[SEALED], 111_000);
        assertEq(scores[SEALED_FIRST], 109_000);
        assertEq(scores[BOOK], 104_000);
    }

    /// @notice An instance that keeps failing hands its persona to its sibling instance, not to another
    ///         family: five unbid second-price auctions expire, and the next cost-sensitive request goes to
    ///         the first-price instance.
    function test_FailingInstanceHandsThePersonaToItsSibling() public {
        uint256[] memory ids = new uint256[](5);
        for (uint256 i; i < 5; ++i) {
            (uint256 taskId, uint256 inst) = routeAs(requester, costSensitiveApp(10 + i));
            assertEq(inst, SEALED);
            ids[i] = taskId;
        }
        vm.warp(block.timestamp + 2 hours + 1);
        for (uint256 i; i < 5; ++i) {
            taskRegistry.expire(ids[i]);
            assertTrue(router.recordOutcome(ids[i]));
        }
        (,, uint16 failBps,, uint32 count,) = router.statsOf(SEALED);
        assertEq(failBps, 10_000, "every routed task failed");
        assertEq(count, 5);
        (,, uint16 siblingFailBps,, uint32 siblingCount,) = router.statsOf(SEALED_FIRST);
        assertEq(siblingCount, 0, "the sibling's record is its own");
        assertEq(siblingFailBps, 0);

        (uint256 nextTask, uint256 next) = routeAs(requester, costSensitiveApp(99));
        assertEq(next, SEALED_FIRST, "the persona stays in the family, on the instance that has not failed");
        assertEq(taskRegistry.taskOf(nextTask).mechanism, address(sealedFirst));
    }

    /// @notice Retiring one instance of a family leaves its siblings routable.
    function test_RetiringOneInstanceKeepsItsSibling() public {
        router.retireInstance(SEALED);
        (, uint256 next) = routeAs(requester, costSensitiveApp(7));
        assertEq(next, SEALED_FIRST);
    }

    /// @notice A pinned request reaches exactly the pinned instance even when a sibling would score higher.
    function test_PinnedRequestPicksTheInstanceNotTheFamily() public {
        TaskRequest memory r = costSensitiveApp(3);
        r.mechanism = address(sealedFirst);
        r.mechanismData = "";
        (uint256 taskId, uint256 inst) = routeAs(requester, r);
        assertEq(inst, SEALED_FIRST);
        assertEq(taskRegistry.taskOf(taskId).mechanism, address(sealedFirst));
    }
}
