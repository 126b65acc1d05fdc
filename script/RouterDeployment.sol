// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MechanismRouter} from "../contracts/MechanismRouter.sol";
import {TaskRegistry} from "../contracts/TaskRegistry.sol";
import {IMechanism} from "../contracts/interfaces/IMechanism.sol";
import {IOrderBook} from "../contracts/interfaces/IOrderBook.sol";
import {IProverRegistry} from "../contracts/interfaces/IProverRegistry.sol";
import {IRouterInstances} from "../contracts/interfaces/IRouterInstances.sol";
import {ITaskRegistry} from "../contracts/interfaces/ITaskRegistry.sol";
import {ITreeAssignment} from "../contracts/interfaces/ITreeAssignment.sol";
import {AscendingPriceAuction} from "../contracts/mechanisms/AscendingPriceAuction.sol";
import {ElectionRace} from "../contracts/mechanisms/ElectionRace.sol";
import {OrderBook} from "../contracts/mechanisms/OrderBook.sol";
import {ProofRace} from "../contracts/mechanisms/ProofRace.sol";
import {SealedBidAuction} from "../contracts/mechanisms/SealedBidAuction.sol";
import {TreeAssignment} from "../contracts/mechanisms/TreeAssignment.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title RouterDeployment
/// @notice Deploys the order book, the tree assignment and the MechanismRouter with the defaults of
///         docs/mechanisms.md, and registers the default instances behind the router with hard limits
///         derived from each instance's own parameters. The caller must hold the task registry's
///         MECHANISM_ADMIN_ROLE and DEFAULT_ADMIN_ROLE (to grant the router ROUTER_ROLE). Deploy.run can call
///         `_deployOrderBook`, `_deployTreeAssignment`, `_deployRouter` and `_registerDefaultInstances`.
abstract contract RouterDeployment {
    /// @notice The default instances behind the router.
    struct RoutedInstances {
        ProofRace race;
        SealedBidAuction sealedBid;
        AscendingPriceAuction ascending;
        ElectionRace electionRace;
        OrderBook orderBook;
        TreeAssignment tree;
    }

    // Order book: collateral half a ≈ 100-token task, book of 32, up to 4 provers per task.
    uint96 internal constant DEFAULT_BOOK_COLLATERAL = 50e18;
    uint16 internal constant DEFAULT_BOOK_SIZE = 32;
    uint8 internal constant DEFAULT_BOOK_MAX_REDUNDANCY = 4;

    // Tree: bonds and windows as in docs/mechanisms.md "Tree assignment".
    uint96 internal constant DEFAULT_TREE_RANGE_BOND = 20e18;
    uint96 internal constant DEFAULT_TREE_ROOT_COLLATERAL = 100e18;
    uint16 internal constant DEFAULT_TREE_RANGE_WINDOW_BPS = 5000;
    uint16 internal constant DEFAULT_TREE_UNCLE_BPS = 5000;
    uint8 internal constant DEFAULT_TREE_MAX_RANGES = 16;
    uint16 internal constant DEFAULT_TREE_MAX_POOL = 32;
    uint8 internal constant DEFAULT_TREE_DRAW_DELAY = 2;
    uint32 internal constant DEFAULT_TREE_EXIT_DELAY = 1 hours;

    /// @notice Largest redundancy the ascending auction and the election serve (their MAX_SLOTS).
    uint8 internal constant SLOT_MECHANISM_MAX_REDUNDANCY = 32;

    /// @notice An order-book instance with the defaults, allow-listed.
    function _deployOrderBook(ITaskRegistry tasks, IProverRegistry provers) internal returns (OrderBook book) {
        book = new OrderBook(
            tasks,
            provers,
            IOrderBook.Params({
                collateralPerMatch: DEFAULT_BOOK_COLLATERAL,
                maxBookSize: DEFAULT_BOOK_SIZE,
                maxRedundancy: DEFAULT_BOOK_MAX_REDUNDANCY,
                profile: IMechanism.Profile({kind: 5, speed: 8, cost: 7, safety: 5, censorshipResistance: 3})
            })
        );
        tasks.setMechanism(address(book), true);
    }

    /// @notice The default tree-assignment parameters.
    function _defaultTreeParams() internal pure returns (ITreeAssignment.Params memory) {
        return ITreeAssignment.Params({
            rangeBond: DEFAULT_TREE_RANGE_BOND,
            rootCollateral: DEFAULT_TREE_ROOT_COLLATERAL,
            rangeWindowBps: DEFAULT_TREE_RANGE_WINDOW_BPS,
            uncleBps: DEFAULT_TREE_UNCLE_BPS,
            maxRanges: DEFAULT_TREE_MAX_RANGES,
            maxPoolSize: DEFAULT_TREE_MAX_POOL,
            drawDelay: DEFAULT_TREE_DRAW_DELAY,
            exitDelay: DEFAULT_TREE_EXIT_DELAY,
            baseWeight: 1,
            mergeWeight: 1,
            rootWeight: 1,
            profile: IMechanism.Profile({kind: 6, speed: 8, cost: 4, safety: 7, censorshipResistance: 10})
        });
    }

    /// @notice A tree-assignment instance with the defaults, allow-listed and listed as a capacity holder of the
    ///         prover registry (its locked ranges count against its members' declared capacity; `provers`'s
    ///         admin must be the caller).
    function _deployTreeAssignment(ITaskRegistry tasks, IProverRegistry provers, IERC20 token)
        internal
        returns (TreeAssignment tree)
    {
        tree = new TreeAssignment(tasks, provers, token, _defaultTreeParams());
        tasks.setMechanism(address(tree), true);
        provers.addCapacityHolder(address(tree));
    }

    /// @notice A router over `tasks` administered by `admin`, granted the registry's ROUTER_ROLE.
    function _deployRouter(TaskRegistry tasks, address admin) internal returns (MechanismRouter router) {
        router = new MechanismRouter(ITaskRegistry(address(tasks)), admin);
        tasks.grantRole(tasks.ROUTER_ROLE(), address(router));
    }

    /// @notice Registers the six default instances (ids 0–5 in this order: race, sealed-bid, ascending,
    ///         election-race, order book, tree) with limits read from their own parameters. Needs the
    ///         router's ROUTER_ADMIN_ROLE.
    function _registerDefaultInstances(MechanismRouter router, RoutedInstances memory m) internal {
        router.addInstance(address(m.race), _limits(m.race.maxWinners(), 0, 0, false));
        SealedBidAuction s = m.sealedBid;
        router.addInstance(
            address(s),
            _limits(
                s.maxBids(), s.winnerCollateral(), s.commitWindow() + s.revealWindow() + s.minProvingWindow(), false
            )
        );
        router.addInstance(
            address(m.ascending), _limits(SLOT_MECHANISM_MAX_REDUNDANCY, m.ascending.lockCollateral(), 0, false)
        );
        router.addInstance(
            address(m.electionRace),
            _limits(SLOT_MECHANISM_MAX_REDUNDANCY, m.electionRace.collateral(), m.electionRace.electionWindow(), false)
        );
        router.addInstance(
            address(m.orderBook), _limits(m.orderBook.maxRedundancy(), m.orderBook.collateralPerMatch(), 0, false)
        );
        router.addInstance(address(m.tree), _limits(1, m.tree.rootCollateral(), 0, true));
    }

    function _limits(uint8 maxRedundancy, uint96 stake, uint32 lead, bool data)
        internal
        pure
        returns (IRouterInstances.Limits memory)
    {
        return IRouterInstances.Limits({
            maxRedundancy: maxRedundancy, stakeAtRisk: stake, minLeadTime: lead, minPricePerProof: 0, requiresData: data
        });
    }
}
