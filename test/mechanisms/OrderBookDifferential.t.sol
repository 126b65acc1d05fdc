// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {OfferRanking} from "../../contracts/libraries/OfferRanking.sol";
import {OrderBookFixture} from "./OrderBook.t.sol";
import {Test} from "forge-std/Test.sol";

/// @notice Differential tests of the order book's ranking against independent reference models.
/// @dev Two levels: (1) the fixed-point ranking keys against exact rational arithmetic, (2) the book's whole
///      match — eligibility filter, ranking, stable ties, redundancy — against a reference selection sort
///      over the same offers.
contract OfferRankingDifferentialTest is Test {
    /// @dev Relative tolerance of the fixed-point keys: with records ≤ 1e6 the reliability has ≥ 12
    ///      significant digits and a key ≥ 1e6 wei loses < 1e-6 of a unit to flooring, so two offers whose
    ///      exact values differ by more than one part in 1e9 must be ordered exactly as the rationals are.
    uint256 internal constant MARGIN = 1e9;

    /// @dev Exact value of an offer (lower is better): amount ÷ r with r = (c + 1) / (c + m + 2), kept as
    ///      the fraction amount × (c + m + 2) / (c + 1).
    function _exact(uint256 amount, uint256 completed, uint256 missed)
        internal
        pure
        returns (uint256 num, uint256 den)
    {
        return (amount * (completed + missed + 2), completed + 1);
    }

    function testFuzz_KeysOrderOffersAsExactRationals(
        uint96 priceA,
        uint96 priceB,
        uint32 completedA,
        uint32 missedA,
        uint32 completedB,
        uint32 missedB
    ) public pure {
        uint256 pa = bound(priceA, 1e6, type(uint96).max);
        uint256 pb = bound(priceB, 1e6, type(uint96).max);
        uint256 ca = bound(completedA, 0, 1e6);
        uint256 ma = bound(missedA, 0, 1e6);
        uint256 cb = bound(completedB, 0, 1e6);
        uint256 mb = bound(missedB, 0, 1e6);

        (uint256 ka,) = OfferRanking.keys(OfferRanking.PRICE_FIRST, pa, 1, OfferRanking.reliability(ca, ma));
        (uint256 kb,) = OfferRanking.keys(OfferRanking.PRICE_FIRST, pb, 1, OfferRanking.reliability(cb, mb));
        (uint256 na, uint256 da) = _exact(pa, ca, ma);
        (uint256 nb, uint256 db) = _exact(pb, cb, mb);
        // a < b exactly ⇔ na × db < nb × da (≤ 96 + 21 + 20 bits per side: no overflow).
        uint256 lhs = na * db;
        uint256 rhs = nb * da;
        if (lhs * (MARGIN + 1) < rhs * MARGIN) assertLt(ka, kb, "clearly better offer must rank first");
        if (rhs * (MARGIN + 1) < lhs * MARGIN) assertLt(kb, ka, "clearly worse offer must rank second");
        // Whatever the margin, the fixed point never inverts a strict order by more than the tolerance.
        if (ka < kb) assertLe(lhs * MARGIN, rhs * (MARGIN + 1));
    }

    /// @notice Priority swaps the roles of price and time and nothing else.
    function testFuzz_TimeFirstIsPriceFirstWithRolesSwapped(uint96 price, uint32 time, uint32 completed, uint32 missed)
        public
        pure
    {
        uint256 rel = OfferRanking.reliability(bound(completed, 0, 1e6), bound(missed, 0, 1e6));
        (uint256 p1, uint256 p2) = OfferRanking.keys(OfferRanking.PRICE_FIRST, price, time, rel);
        (uint256 t1, uint256 t2) = OfferRanking.keys(OfferRanking.TIME_FIRST, price, time, rel);
        assertEq(p1, t2);
        assertEq(p2, t1);
    }
}

/// @notice The whole match on the real book and core: the provers it assigns are exactly those a reference
///         selection sort picks — eligible (price ≤ the task's per-proof maximum, promised time ≤ time left),
///         ordered by the requester's priority then the other key, ties to the earlier offer, the best
///         `redundancy` distinct provers.
contract OrderBookMatchDifferentialTest is OrderBookFixture {
    uint256 internal constant OFFERS = 6;

    address[OFFERS] internal provers_;

    struct RefOffer {
        address prover;
        uint256 price;
        uint256 time;
        uint256 index;
    }

    function setUp() public {
        deployBook();
        provers_ = [alice, bob, carol, dave, makeAddr("erin"), makeAddr("frank")];
        registerProver(provers_[4]);
        registerProver(provers_[5]);
    }

    function _before(RefOffer memory a, RefOffer memory b, uint8 priority) internal pure returns (bool) {
        (uint256 a1, uint256 a2) = priority == OfferRanking.TIME_FIRST ? (a.time, a.price) : (a.price, a.time);
        (uint256 b1, uint256 b2) = priority == OfferRanking.TIME_FIRST ? (b.time, b.price) : (b.price, b.time);
        if (a1 != b1) return a1 < b1;
        if (a2 != b2) return a2 < b2;
        return a.index < b.index;
    }

    function testFuzz_MatchEqualsReferenceSelection(
        uint96[OFFERS] memory prices,
        uint32[OFFERS] memory times,
        uint8 redundancy,
        bool timeFirst
    ) public {
        uint8 r = uint8(bound(redundancy, 1, 4));
        uint8 priority = timeFirst ? OfferRanking.TIME_FIRST : OfferRanking.PRICE_FIRST;
        uint256 maxPrice = TASK_BUDGET / r;
        uint256 timeLeft = TASK_DURATION;

        // Prices and times on a coarse grid so that ties (and the index rule) actually occur.
        RefOffer[] memory eligible = new RefOffer[](OFFERS);
        uint256 n;
        for (uint256 i; i < OFFERS; ++i) {
            uint256 price = bound(prices[i], 1, 12) * 5e18; // 5 … 60 tokens
            uint256 time = bound(times[i], 1, 5) * 15 minutes; // 15 … 75 min
            post(provers_[i], uint96(price), uint32(time), 1);
            if (price <= maxPrice && time <= timeLeft) {
                eligible[n++] = RefOffer({prover: provers_[i], price: price, time: time, index: i});
            }
        }
        // Reference: selection sort of the eligible offers.
        for (uint256 i; i < n; ++i) {
            uint256 best = i;
            for (uint256 j = i + 1; j < n; ++j) {
                if (_before(eligible[j], eligible[best], priority)) best = j;
            }
            (eligible[i], eligible[best]) = (eligible[best], eligible[i]);
        }

        uint256 taskId = openBookTask(uint256(keccak256(abi.encode(prices, times))), r, priority);

        uint256 expected = n < r ? n : r;
        for (uint256 i; i < n; ++i) {
            bool shouldBeAssigned = i < expected;
            assertEq(assigned(taskId, eligible[i].prover), shouldBeAssigned, "reference pick differs");
            if (shouldBeAssigned) {
                assertEq(taskRegistry.assignmentOf(taskId, eligible[i].prover).price, eligible[i].price);
            }
        }
        assertEq(book.bookTaskOf(taskId).matched, expected);
        // Ineligible offers are never assigned.
        uint256 assignedCount;
        for (uint256 i; i < OFFERS; ++i) {
            if (assigned(taskId, provers_[i])) ++assignedCount;
        }
        assertEq(assignedCount, expected);
    }
}
