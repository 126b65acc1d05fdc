// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMechanism} from "../../contracts/interfaces/IMechanism.sol";
import {IOrderBook} from "../../contracts/interfaces/IOrderBook.sol";
import {IProverRegistry} from "../../contracts/interfaces/IProverRegistry.sol";
import {ITaskRegistry} from "../../contracts/interfaces/ITaskRegistry.sol";
import {OfferRanking} from "../../contracts/libraries/OfferRanking.sol";
import {OrderBook} from "../../contracts/mechanisms/OrderBook.sol";
import {TaskRequest, TaskStatus} from "../../contracts/types/Task.sol";
import {Deployers} from "../utils/Deployers.sol";

/// @notice Shared fixture: the real core (Deployers) plus an OrderBook instance and four provers.
abstract contract OrderBookFixture is Deployers {
    uint96 internal constant COLLATERAL = 50e18;
    uint16 internal constant BOOK_SIZE = 8;

    OrderBook internal book;
    address internal dave = makeAddr("dave");

    function deployBook() internal {
        deployCore();
        book = new OrderBook(
            taskRegistry,
            proverRegistry,
            IOrderBook.Params({
                collateralPerMatch: COLLATERAL,
                maxBookSize: BOOK_SIZE,
                maxRedundancy: 4,
                profile: IMechanism.Profile({kind: 5, speed: 8, cost: 7, safety: 5, censorshipResistance: 3})
            })
        );
        taskRegistry.setMechanism(address(book), true);
        vm.label(address(book), "OrderBook");
        registerProver(alice);
        registerProver(bob);
        registerProver(carol);
        registerProver(dave);
    }

    function post(address prover, uint96 price, uint32 time, uint16 capacity) internal {
        vm.prank(prover);
        book.postOffer(price, time, capacity, bytes32(0));
    }

    function bookRequest(uint256 seed, uint8 redundancy, bytes memory data)
        internal
        view
        returns (TaskRequest memory r)
    {
        r = raceRequest(seed, redundancy);
        r.mechanism = address(book);
        r.mechanismData = data;
    }

    function openBookTask(uint256 seed, uint8 redundancy, uint8 priority) internal returns (uint256) {
        return openTask(requester, bookRequest(seed, redundancy, abi.encode(uint256(priority))));
    }

    function assigned(uint256 taskId, address prover) internal view returns (bool) {
        return taskRegistry.assignmentOf(taskId, prover).active;
    }
}

contract OrderBookTest is OrderBookFixture {
    function setUp() public {
        deployBook();
    }

    // ================================================================== matching

    function test_PriceFirstMatchesCheapestOffer() public {
        post(alice, 30e18, 600, 2);
        post(bob, 20e18, 1200, 2);
        post(carol, 25e18, 300, 2);
        uint256 taskId = openBookTask(1, 1, OfferRanking.PRICE_FIRST);

        assertTrue(assigned(taskId, bob));
        assertFalse(assigned(taskId, alice));
        assertEq(taskRegistry.assignmentOf(taskId, bob).price, 20e18);
        assertEq(taskRegistry.assignmentOf(taskId, bob).collateral, COLLATERAL);
        assertEq(uint8(taskRegistry.taskOf(taskId).status), uint8(TaskStatus.Assigned));
        assertEq(book.offerOf(bob).active, 1);

        uint256 paid = prove(taskId, 1, bob);
        assertEq(paid, 20e18);
        assertEq(taskRegistry.claimable(requester), TASK_BUDGET - 20e18);
        assertEq(uint8(taskRegistry.taskOf(taskId).status), uint8(TaskStatus.Fulfilled));
        assertEq(book.offerOf(bob).active, 0);
        assertEq(proverRegistry.recordOf(bob).completed, 1);
        assertFalse(book.bookTaskOf(taskId).live, "closed task state released");
    }

    function test_TimeFirstMatchesFastestOffer() public {
        post(alice, 30e18, 600, 2);
        post(bob, 20e18, 1200, 2);
        post(carol, 25e18, 300, 2);
        uint256 taskId = openBookTask(1, 1, OfferRanking.TIME_FIRST);
        assertTrue(assigned(taskId, carol));
        assertEq(taskRegistry.assignmentOf(taskId, carol).price, 25e18);
    }

    function test_EmptyDataMeansPriceFirst() public {
        post(alice, 30e18, 60, 2);
        post(bob, 20e18, 1200, 2);
        uint256 taskId = openTask(requester, bookRequest(1, 1, ""));
        assertTrue(assigned(taskId, bob));
    }

    function test_RedundancyTakesBestDistinctProvers() public {
        post(alice, 30e18, 600, 2);
        post(bob, 20e18, 1200, 2);
        post(carol, 25e18, 300, 2);
        post(dave, 40e18, 100, 2);
        uint256 taskId = openBookTask(1, 3, OfferRanking.PRICE_FIRST); // max 33.3 per proof: dave excluded
        address[] memory m = book.matchedProvers(taskId);
        assertEq(m.length, 3);
        assertEq(m[0], bob);
        assertEq(m[1], carol);
        assertEq(m[2], alice);
        assertEq(book.bookTaskOf(taskId).matched, 3);

        prove(taskId, 1, carol);
        prove(taskId, 1, alice);
        prove(taskId, 1, bob);
        assertEq(uint8(taskRegistry.taskOf(taskId).status), uint8(TaskStatus.Fulfilled));
        assertEq(taskRegistry.claimable(requester), TASK_BUDGET - 75e18);
    }

    function test_FiltersPriceTimeCircuitAndCapacity() public {
        post(alice, 101e18, 60, 2); // above max price per proof
        post(bob, 10e18, 2 hours, 2); // slower than the deadline allows
        vm.prank(carol);
        book.postOffer(5e18, 60, 2, keccak256("another circuit"));
        post(dave, 50e18, 60, 1);
        uint256 first = openBookTask(1, 1, OfferRanking.PRICE_FIRST);
        assertTrue(assigned(first, dave), "only dave qualifies");
        // dave's capacity (1) is taken: the next task finds nobody and waits.
        TaskRequest memory r = bookRequest(2, 1, abi.encode(uint256(OfferRanking.PRICE_FIRST)));
        fund(requester, r.maxPayment);
        vm.expectEmit(address(book));
        emit IOrderBook.TaskAwaitingOffers(2, 1);
        vm.prank(requester);
        uint256 second = taskRegistry.createTask(r);
        assertEq(taskRegistry.taskOf(second).assignedCount, 0);
        // Delivering the first frees dave's capacity; anyone re-runs the match.
        prove(first, 1, dave);
        assertEq(book.matchTask(second), 1);
        assertTrue(assigned(second, dave));
    }

    function test_CircuitSpecificOfferMatchesItsCircuit() public {
        vm.prank(carol);
        book.postOffer(5e18, 60, 2, TEST_CIRCUIT);
        uint256 taskId = openBookTask(1, 1, OfferRanking.PRICE_FIRST);
        assertTrue(assigned(taskId, carol));
    }

    function test_RecordOutranksSlightlyCheaperUnreliableProver() public {
        // alice misses a task: her record becomes 0 completed / 1 missed → reliability 1/3.
        post(alice, 20e18, 600, 4);
        uint256 missed = openBookTask(1, 1, OfferRanking.PRICE_FIRST);
        assertTrue(assigned(missed, alice));
        vm.warp(block.timestamp + TASK_DURATION + 1);
        taskRegistry.expire(missed);
        assertEq(proverRegistry.recordOf(alice).missed, 1);
        assertEq(book.offerOf(alice).active, 0, "closed match released");

        // bob asks 25 (fresh: reliability 1/2 → effective 50); alice asks 20 (effective 60).
        post(bob, 25e18, 600, 4);
        uint256 taskId = openBookTask(2, 1, OfferRanking.PRICE_FIRST);
        assertTrue(assigned(taskId, bob));
        assertFalse(assigned(taskId, alice));
    }

    function test_EmptyBookTaskWaitsThenMatchesNewOffer() public {
        uint256 taskId = openBookTask(1, 2, OfferRanking.PRICE_FIRST);
        assertTrue(book.bookTaskOf(taskId).live);
        assertEq(book.bookTaskOf(taskId).matched, 0);
        assertEq(uint8(taskRegistry.taskOf(taskId).status), uint8(TaskStatus.Open));

        post(alice, 30e18, 600, 1);
        assertEq(book.matchTask(taskId), 1);
        post(bob, 30e18, 600, 1);
        assertEq(book.matchTask(taskId), 1);
        assertEq(uint8(taskRegistry.taskOf(taskId).status), uint8(TaskStatus.Assigned));
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.TaskFullyMatched.selector, taskId));
        book.matchTask(taskId);
    }

    function test_EmptyBookTaskExpiresAndRefunds() public {
        uint256 taskId = openBookTask(1, 1, OfferRanking.PRICE_FIRST);
        vm.warp(block.timestamp + TASK_DURATION + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IOrderBook.TaskPastDeadline.selector, taskId, uint64(block.timestamp - 1))
        );
        book.matchTask(taskId);
        taskRegistry.expire(taskId);
        assertEq(taskRegistry.claimable(requester), TASK_BUDGET);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.TaskNotOnBook.selector, taskId));
        book.matchTask(taskId);
    }

    function test_RefusedAssignmentFallsToNextOffer() public {
        post(alice, 10e18, 600, 2);
        post(bob, 20e18, 600, 2);
        // alice queues almost all her stake for unstaking: her free stake drops below the collateral.
        vm.prank(alice);
        proverRegistry.requestUnstake(PROVER_STAKE - 10e18);
        TaskRequest memory r = bookRequest(1, 1, "");
        fund(requester, r.maxPayment);
        vm.expectEmit(address(book));
        emit IOrderBook.MatchRefused(1, alice);
        vm.prank(requester);
        uint256 taskId = taskRegistry.createTask(r);
        assertTrue(assigned(taskId, bob));
        assertEq(book.offerOf(alice).active, 0);
    }

    function test_FallbackReopenMatchesOnBook() public {
        post(alice, 30e18, 600, 2);
        TaskRequest memory r = raceRequest(1, 1);
        r.fallbackMechanism = address(book);
        r.fallbackWindow = 1 hours;
        uint256 taskId = openTask(requester, r);
        vm.warp(block.timestamp + TASK_DURATION + 1);
        taskRegistry.expire(taskId);
        assertEq(taskRegistry.taskOf(taskId).mechanism, address(book));
        assertTrue(assigned(taskId, alice));
        assertEq(prove(taskId, 1, alice), 30e18);
    }

    function test_FallbackReopenMatchesOnlyMissingProofs() public {
        post(alice, 30e18, 600, 2);
        post(bob, 31e18, 600, 2);
        TaskRequest memory r = raceRequest(1, 2);
        r.fallbackMechanism = address(book);
        r.fallbackWindow = 1 hours;
        uint256 taskId = openTask(requester, r);
        prove(taskId, 1, carol); // one of two proofs delivered through the race
        vm.warp(block.timestamp + TASK_DURATION + 1);
        taskRegistry.expire(taskId);
        IOrderBook.BookTask memory b = book.bookTaskOf(taskId);
        assertEq(b.redundancy, 1, "only the missing proof");
        assertEq(b.matched, 1);
        assertTrue(assigned(taskId, alice));
        assertFalse(assigned(taskId, bob));
        prove(taskId, 1, alice);
        assertEq(uint8(taskRegistry.taskOf(taskId).status), uint8(TaskStatus.Fulfilled));
    }

    function testFuzz_PriceFirstPicksLowestPriceAmongFreshProvers(uint96[4] memory prices) public {
        address[4] memory who = [alice, bob, carol, dave];
        uint256 bestIndex;
        for (uint256 i; i < 4; ++i) {
            prices[i] = uint96(bound(prices[i], 1, 200e18));
            post(who[i], prices[i], 600, 1);
            if (prices[i] < prices[bestIndex]) bestIndex = i;
        }
        uint256 taskId = openBookTask(1, 1, OfferRanking.PRICE_FIRST);
        if (prices[bestIndex] > TASK_BUDGET) {
            assertEq(taskRegistry.taskOf(taskId).assignedCount, 0, "nobody within max price");
        } else {
            assertTrue(assigned(taskId, who[bestIndex]), "cheapest (earliest on ties) matched");
            assertEq(taskRegistry.assignmentOf(taskId, who[bestIndex]).price, prices[bestIndex]);
        }
    }

    // ================================================================== offers

    function test_UpdateOfferKeepsBookPositionAndLiveTerms() public {
        post(alice, 30e18, 600, 2);
        uint256 taskId = openBookTask(1, 1, OfferRanking.PRICE_FIRST);
        post(alice, 45e18, 900, 3);
        assertEq(book.bookSize(), 1);
        IOrderBook.Offer memory o = book.offerOf(alice);
        assertEq(o.pricePerProof, 45e18);
        assertEq(o.capacity, 3);
        assertEq(o.active, 1);
        assertEq(prove(taskId, 1, alice), 30e18, "live match keeps its price");
    }

    function test_WithdrawWhileBoundKeepsTheMatch() public {
        post(alice, 30e18, 600, 2);
        post(bob, 40e18, 600, 2);
        uint256 taskId = openBookTask(1, 1, OfferRanking.PRICE_FIRST);
        vm.expectEmit(address(book));
        emit IOrderBook.OfferWithdrawn(alice, 1);
        vm.prank(alice);
        book.withdrawOffer();
        assertEq(book.bookSize(), 1);
        assertEq(book.bookAt(0), bob);
        assertEq(book.offerOf(alice).bookIndex, 0);
        assertEq(proverRegistry.proverOf(alice).locked, COLLATERAL, "collateral stays locked");

        // New tasks no longer see alice.
        uint256 next = openBookTask(2, 1, OfferRanking.PRICE_FIRST);
        assertTrue(assigned(next, bob));

        // alice still delivers her bound match and is paid its price; her offer is then gone.
        assertEq(prove(taskId, 1, alice), 30e18);
        assertEq(book.offerOf(alice).pricePerProof, 0);
        assertEq(proverRegistry.proverOf(alice).locked, 0);
    }

    function test_WithdrawWhileBoundThenMissIsSlashed() public {
        post(alice, 30e18, 600, 2);
        uint256 taskId = openBookTask(1, 1, OfferRanking.PRICE_FIRST);
        vm.prank(alice);
        book.withdrawOffer();
        vm.warp(block.timestamp + TASK_DURATION + 1);
        taskRegistry.expire(taskId);
        assertEq(proverRegistry.proverOf(alice).stake, PROVER_STAKE - COLLATERAL);
        assertEq(book.offerOf(alice).active, 0);
        assertEq(book.offerOf(alice).pricePerProof, 0, "offer record cleared");
    }

    function test_WithdrawUnboundDeletesOffer() public {
        post(alice, 30e18, 600, 2);
        post(bob, 30e18, 600, 2);
        post(carol, 30e18, 600, 2);
        vm.prank(alice);
        book.withdrawOffer();
        assertEq(book.bookSize(), 2);
        assertEq(book.bookAt(0), carol, "last entry moved into the gap");
        assertEq(book.offerOf(carol).bookIndex, 1);
        assertEq(book.offerOf(alice).pricePerProof, 0);
    }

    function test_RevertWhen_WithdrawWithoutOffer() public {
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.NoOffer.selector, alice));
        vm.prank(alice);
        book.withdrawOffer();
    }

    function test_RevertWhen_PostZeroPrice() public {
        vm.expectRevert(IOrderBook.ZeroPrice.selector);
        post(alice, 0, 600, 1);
    }

    function test_RevertWhen_PostZeroTime() public {
        vm.expectRevert(IOrderBook.ZeroProvingTime.selector);
        post(alice, 1, 0, 1);
    }

    function test_RevertWhen_PostZeroCapacity() public {
        vm.expectRevert(IOrderBook.ZeroOfferCapacity.selector);
        post(alice, 1, 1, 0);
    }

    function test_RevertWhen_PostUnregistered() public {
        address eve = makeAddr("eve");
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.ProverNotRegistered.selector, eve));
        post(eve, 1, 1, 1);
    }

    function test_RevertWhen_PostWithoutFreeStake() public {
        vm.prank(alice);
        proverRegistry.requestUnstake(PROVER_STAKE - 1e18);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.InsufficientFreeStake.selector, alice, COLLATERAL, 1e18));
        post(alice, 1, 1, 1);
    }

    function test_RevertWhen_BookFull() public {
        for (uint256 i; i < BOOK_SIZE; ++i) {
            address p = makeAddr(string(abi.encode("filler", i)));
            registerProver(p);
            post(p, 1e18, 60, 1);
        }
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.BookFull.selector, BOOK_SIZE));
        post(alice, 1e18, 60, 1);
    }

    function test_FullBookEvictsHighestPricedUnboundOffer() public {
        for (uint256 i; i < BOOK_SIZE; ++i) {
            address p = makeAddr(string(abi.encode("filler", i)));
            registerProver(p);
            post(p, uint96(50e18 + i * 1e18), 60, 1);
        }
        address worst = makeAddr(string(abi.encode("filler", BOOK_SIZE - 1)));
        address second = makeAddr(string(abi.encode("filler", BOOK_SIZE - 2)));
        // The most expensive offer is bound to a live task: it cannot be evicted; the next one is.
        vm.prank(worst);
        book.postOffer(1e18, 60, 1, bytes32(0));
        uint256 taskId = openBookTask(1, 1, OfferRanking.PRICE_FIRST);
        assertTrue(assigned(taskId, worst));
        post(worst, 200e18, 60, 1);

        vm.expectEmit(address(book));
        emit IOrderBook.OfferEvicted(second, alice);
        post(alice, 40e18, 60, 1);
        assertEq(book.bookSize(), BOOK_SIZE);
        assertEq(book.offerOf(second).pricePerProof, 0, "evicted offer deleted");
        assertEq(book.offerOf(worst).active, 1, "bound offer kept");
        assertGt(book.offerOf(alice).bookIndex, 0);
    }

    function test_RevertWhen_FullBookOfferNotCheaper() public {
        for (uint256 i; i < BOOK_SIZE; ++i) {
            address p = makeAddr(string(abi.encode("filler", i)));
            registerProver(p);
            post(p, 10e18, 60, 1);
        }
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.BookFull.selector, BOOK_SIZE));
        post(alice, 10e18, 60, 1);
    }

    // ================================================================== hooks and requests

    function test_RevertWhen_HooksNotCalledByRegistry() public {
        TaskRequest memory r = bookRequest(1, 1, "");
        vm.expectRevert(abi.encodeWithSelector(IMechanism.OnlyTaskRegistry.selector, address(this)));
        book.onTaskOpened(1, r);
        vm.expectRevert(abi.encodeWithSelector(IMechanism.OnlyTaskRegistry.selector, address(this)));
        book.onProofAccepted(1, alice, 1);
        vm.expectRevert(abi.encodeWithSelector(IMechanism.OnlyTaskRegistry.selector, address(this)));
        book.onTaskClosed(1);
    }

    function test_RevertWhen_UnmatchedProverSubmits() public {
        post(alice, 30e18, 600, 2);
        uint256 taskId = openBookTask(1, 1, OfferRanking.PRICE_FIRST);
        bytes memory proof = proofOf(1, bob);
        uint256[] memory s = statement(1);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.NotMatched.selector, taskId, bob));
        vm.prank(bob);
        taskRegistry.submitProof(taskId, s, proof);
    }

    function test_RevertWhen_RedundancyAboveMax() public {
        TaskRequest memory r = bookRequest(1, 5, "");
        fund(requester, r.maxPayment);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.RedundancyAboveMax.selector, 5, 4));
        vm.prank(requester);
        taskRegistry.createTask(r);
    }

    function test_RevertWhen_UnknownPriority() public {
        TaskRequest memory r = bookRequest(1, 1, abi.encode(uint256(2)));
        fund(requester, r.maxPayment);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.UnknownPriority.selector, 2));
        vm.prank(requester);
        taskRegistry.createTask(r);
    }

    function test_RevertWhen_MalformedMechanismData() public {
        TaskRequest memory r = bookRequest(1, 1, hex"01");
        fund(requester, r.maxPayment);
        vm.expectRevert(abi.encodeWithSelector(IOrderBook.MalformedMechanismData.selector, 1));
        vm.prank(requester);
        taskRegistry.createTask(r);
    }

    function test_RevertWhen_InvalidParams() public {
        IOrderBook.Params memory p;
        p.maxBookSize = 0;
        p.maxRedundancy = 1;
        vm.expectRevert(IOrderBook.InvalidParams.selector);
        new OrderBook(taskRegistry, proverRegistry, p);
    }

    function test_CancelledTaskReleasesState() public {
        uint256 taskId = openBookTask(1, 1, OfferRanking.PRICE_FIRST);
        vm.prank(requester);
        taskRegistry.cancelTask(taskId);
        assertFalse(book.bookTaskOf(taskId).live);
    }

    function test_Profile() public view {
        IMechanism.Profile memory p = book.profile();
        assertEq(p.kind, 5);
        assertEq(p.speed, 8);
        assertEq(p.censorshipResistance, 3);
    }

    /// @notice Conservation across a mixed lifecycle: every escrowed token is paid, refunded or slashed.
    function test_EscrowConservedAcrossDeliverAndMiss() public {
        post(alice, 30e18, 600, 2);
        post(bob, 35e18, 600, 2);
        uint256 taskId = openBookTask(1, 2, OfferRanking.PRICE_FIRST);
        prove(taskId, 1, alice);
        vm.warp(block.timestamp + TASK_DURATION + 1);
        taskRegistry.expire(taskId); // bob missed
        uint256 credited = taskRegistry.claimable(alice) + taskRegistry.claimable(requester)
            + taskRegistry.claimable(treasury) + taskRegistry.claimable(bob);
        assertEq(credited, TASK_BUDGET + COLLATERAL, "budget plus bob's slashed collateral");
        assertEq(token.balanceOf(address(taskRegistry)), credited);
        assertEq(proverRegistry.recordOf(bob).missed, 1);
    }
}
