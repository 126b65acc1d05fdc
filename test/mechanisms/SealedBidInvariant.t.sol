// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ProofToken} from "../../contracts/ProofToken.sol";
import {TaskRegistry} from "../../contracts/TaskRegistry.sol";
import {IProverRegistry} from "../../contracts/interfaces/IProverRegistry.sol";
import {ISealedBidAuction} from "../../contracts/interfaces/ISealedBidAuction.sol";
import {ITaskRegistry} from "../../contracts/interfaces/ITaskRegistry.sol";
import {SealedBidAuction} from "../../contracts/mechanisms/SealedBidAuction.sol";
import {TaskRequest} from "../../contracts/types/Task.sol";
import {Deployers} from "../utils/Deployers.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Test} from "forge-std/Test.sol";

/// @notice Drives a sealed-bid auction through random sequences of deposits, commits, reveals (honest and
///         late), finalizes, cancels, expiries, reclaims, withdrawals and sweeps, over several tasks and four
///         bidders, and keeps the ghost totals the invariants compare against.
contract SealedBidHandler is Test {
    SealedBidAuction internal immutable auction;
    TaskRegistry internal immutable tasks;
    ProofToken internal immutable token;
    address internal immutable requester;
    address[] internal actors;
    uint256[] public taskIds;

    /// @notice Ghost: collateral forfeited in total, and swept to the treasury in total.
    uint256 public ghostForfeited;
    uint256 public ghostSwept;
    /// @notice Ghost: successful calls, so the suite can check it exercised the paths it claims to.
    uint256 public commits;
    uint256 public reveals;
    uint256 public finalizes;

    mapping(uint256 taskId => mapping(address bidder => uint96 price)) internal _price;

    constructor(
        SealedBidAuction auction_,
        TaskRegistry tasks_,
        ProofToken token_,
        address requester_,
        address[] memory actors_
    ) {
        auction = auction_;
        tasks = tasks_;
        token = token_;
        requester = requester_;
        actors = actors_;
    }

    function actorCount() external view returns (uint256) {
        return actors.length;
    }

    function actorAt(uint256 i) external view returns (address) {
        return actors[i];
    }

    function taskCount() external view returns (uint256) {
        return taskIds.length;
    }

    function _salt(uint256 taskId, address bidder) internal pure returns (bytes32) {
        return keccak256(abi.encode(taskId, bidder));
    }

    function openTask(uint8 redundancy) external {
        if (taskIds.length >= 6) return;
        TaskRequest memory r;
        r.circuitId = keccak256("proofmarket.circuit.test.v1");
        r.inputCommitment = keccak256(abi.encode(taskIds.length));
        r.deadline = uint64(block.timestamp + 2 hours);
        r.maxPayment = 100e18;
        r.redundancy = uint8(bound(redundancy, 1, 3));
        r.mechanism = address(auction);
        vm.prank(requester);
        taskIds.push(tasks.createTask(r));
    }

    function deposit(uint256 actor, uint256 amount) external {
        address a = actors[actor % actors.length];
        amount = bound(amount, 1, 3e18);
        vm.prank(a);
        auction.depositBond(amount);
    }

    function withdraw(uint256 actor, uint256 amount) external {
        address a = actors[actor % actors.length];
        uint256 bond = auction.bondOf(a);
        if (bond == 0) return;
        vm.prank(a);
        auction.withdrawBond(bound(amount, 1, bond));
    }

    function commit(uint256 actor, uint256 task, uint96 price) external {
        if (taskIds.length == 0) return;
        uint256 taskId = taskIds[task % taskIds.length];
        address a = actors[actor % actors.length];
        price = uint96(bound(price, 0, 60e18));
        bytes32 c = auction.commitmentOf(taskId, auction.auctionOf(taskId).round, a, price, _salt(taskId, a));
        vm.prank(a);
        try auction.commitBid(taskId, c) {
            ++commits;
            _price[taskId][a] = price;
        } catch {}
    }

    function reveal(uint256 actor, uint256 task) external {
        if (taskIds.length == 0) return;
        uint256 taskId = taskIds[task % taskIds.length];
        address a = actors[actor % actors.length];
        vm.prank(a);
        try auction.revealBid(taskId, _price[taskId][a], _salt(taskId, a)) {
            ++reveals;
        } catch {}
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 1, 20 minutes));
    }

    function finalize(uint256 task) external {
        if (taskIds.length == 0) return;
        uint256 taskId = taskIds[task % taskIds.length];
        uint256 before = auction.forfeited();
        try auction.finalize(taskId) {
            ++finalizes;
            ghostForfeited += auction.forfeited() - before;
        } catch {}
    }

    function cancel(uint256 task) external {
        if (taskIds.length == 0) return;
        uint256 taskId = taskIds[task % taskIds.length];
        uint256 before = auction.forfeited();
        vm.prank(requester);
        try tasks.cancelTask(taskId) {
            ghostForfeited += auction.forfeited() - before;
        } catch {}
    }

    function expire(uint256 task) external {
        if (taskIds.length == 0) return;
        uint256 taskId = taskIds[task % taskIds.length];
        uint256 before = auction.forfeited();
        try tasks.expire(taskId) {
            ghostForfeited += auction.forfeited() - before;
        } catch {}
    }

    function reclaim(uint256 actor, uint256 task) external {
        if (taskIds.length == 0) return;
        uint256 taskId = taskIds[task % taskIds.length];
        address a = actors[actor % actors.length];
        uint8 round = auction.auctionOf(taskId).round;
        vm.prank(a);
        try auction.reclaimBid(taskId, round) {} catch {}
    }

    function sweep() external {
        uint256 amount = auction.forfeited();
        if (amount == 0) return;
        auction.sweepForfeits();
        ghostSwept += amount;
    }
}

/// @notice Invariants of the sealed-bid auction's bid collateral (see the handler):
///         1. Conservation: the auction's token balance equals Σ free bonds + Σ collateral behind
///            commitments still open in a live or cancelled round + forfeited-not-yet-swept.
///         2. Forfeits: everything forfeited is either waiting in `forfeited` or was swept to the treasury.
///         3. The auction never assigns more winners than a task has slots.
contract SealedBidInvariantTest is Deployers {
    SealedBidAuction internal auction;
    SealedBidHandler internal handler;
    uint96 internal constant BID_COLLATERAL = 1e18;

    function setUp() public {
        deployCore();
        auction = new SealedBidAuction(
            SealedBidAuction.Params({
                taskRegistry: ITaskRegistry(address(taskRegistry)),
                proverRegistry: IProverRegistry(address(proverRegistry)),
                token: IERC20(address(token)),
                treasury: treasury,
                secondPrice: true,
                commitWindow: 10 minutes,
                revealWindow: 10 minutes,
                minProvingWindow: 20 minutes,
                bidCollateral: BID_COLLATERAL,
                winnerCollateral: 10e18,
                maxBids: 8
            })
        );
        taskRegistry.setMechanism(address(auction), true);
        address[] memory actors = new address[](4);
        (actors[0], actors[1], actors[2], actors[3]) = (alice, bob, carol, makeAddr("dave"));
        for (uint256 i; i < 4; ++i) {
            registerProver(actors[i]);
            token.mint(actors[i], 100e18);
            vm.prank(actors[i]);
            token.approve(address(auction), type(uint256).max);
        }
        fund(requester, 1000e18);
        handler = new SealedBidHandler(auction, taskRegistry, token, requester, actors);
        targetContract(address(handler));
        // Start every run with an open task, so that bidding actions have a target from the first call.
        handler.openTask(1);
    }

    /// @dev The handler's actions do what they claim (a fixed sequence; the campaign then randomises it).
    function test_HandlerActionsSucceed() public {
        handler.openTask(1);
        handler.openTask(2);
        handler.deposit(0, 2e18);
        handler.commit(0, 0, 30e18);
        handler.commit(1, 0, 20e18);
        handler.commit(2, 1, 10e18);
        handler.warp(10 minutes);
        handler.reveal(0, 0);
        handler.warp(10 minutes);
        handler.finalize(0);
        handler.finalize(1);
        handler.sweep();
        assertEq(handler.commits(), 3);
        assertEq(handler.reveals(), 1);
        assertEq(handler.finalizes(), 2);
        assertEq(handler.ghostForfeited(), 2 * BID_COLLATERAL);
        assertEq(handler.ghostSwept(), 2 * BID_COLLATERAL);
        invariant_CollateralConserved();
        invariant_ForfeitsAccounted();
    }

    function invariant_CollateralConserved() public view {
        uint256 expected = auction.forfeited();
        uint256 n = handler.actorCount();
        for (uint256 i; i < n; ++i) {
            expected += auction.bondOf(handler.actorAt(i));
        }
        uint256 t = handler.taskCount();
        for (uint256 k; k < t; ++k) {
            uint256 taskId = handler.taskIds(k);
            ISealedBidAuction.Auction memory a = auction.auctionOf(taskId);
            if (
                a.status != ISealedBidAuction.AuctionStatus.Bidding
                    && a.status != ISealedBidAuction.AuctionStatus.Cancelled
            ) {
                continue;
            }
            for (uint256 i; i < n; ++i) {
                if (auction.commitmentFor(taskId, a.round, handler.actorAt(i)) != bytes32(0)) {
                    expected += BID_COLLATERAL;
                }
            }
        }
        assertEq(token.balanceOf(address(auction)), expected);
    }

    function invariant_ForfeitsAccounted() public view {
        assertEq(handler.ghostForfeited(), auction.forfeited() + handler.ghostSwept());
        assertEq(token.balanceOf(treasury), handler.ghostSwept());
    }

    function invariant_WinnersWithinSlots() public view {
        uint256 t = handler.taskCount();
        for (uint256 k; k < t; ++k) {
            uint256 taskId = handler.taskIds(k);
            ITaskRegistry.Task memory task = taskRegistry.taskOf(taskId);
            assertLe(uint256(task.assignedCount) + task.proofsAccepted, task.redundancy);
        }
    }
}
