// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ITaskRegistry} from "../../contracts/interfaces/ITaskRegistry.sol";
import {LinearPriceRamp} from "../../contracts/libraries/LinearPriceRamp.sol";
import {RevealedBid, SealedBidRanking} from "../../contracts/libraries/SealedBidRanking.sol";
import {SlotBudget} from "../../contracts/libraries/SlotBudget.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Test} from "forge-std/Test.sol";

/// @notice Differential tests of the mechanisms' pricing math against independent reference models
///         (different formulas, same specification), in the manner of Art Gobblers' test/correctness/.
contract PricingDifferentialTest is Test {
    // ------------------------------------------------------------------ ascending ramp

    /// @dev Reference: the ramp written top-down — ceiling minus the not-yet-ramped part, rounded up — with
    ///      512-bit mulDiv. Algebraically f + ⌊(c−f)e/p⌋ = c − ⌈(c−f)(p−e)/p⌉, so the two must agree exactly.
    function _rampReference(uint256 floor, uint256 ceiling, uint256 start, uint256 period, uint256 at)
        internal
        pure
        returns (uint256)
    {
        if (period == 0) return ceiling;
        uint256 elapsed = at > start ? at - start : 0;
        if (elapsed > period) elapsed = period;
        uint256 remaining = period - elapsed;
        return ceiling - Math.mulDiv(ceiling - floor, remaining, period, Math.Rounding.Ceil);
    }

    function testFuzz_RampMatchesReference(uint96 ceiling, uint16 floorBps, uint40 start, uint32 period, uint40 at)
        public
        pure
    {
        floorBps = uint16(bound(floorBps, 0, 10_000));
        uint256 floor = LinearPriceRamp.fractionOf(ceiling, floorBps);
        assertEq(
            LinearPriceRamp.priceAt(floor, ceiling, start, period, at),
            _rampReference(floor, ceiling, start, period, at)
        );
    }

    /// @dev Boundary values the fuzzer is unlikely to hit exactly.
    function test_RampMatchesReferenceAtBoundaries() public pure {
        uint256[5] memory ceilings = [uint256(1), 7, 1e18, 100e18, type(uint96).max];
        uint256[4] memory periods = [uint256(0), 1, 600, type(uint32).max];
        for (uint256 i; i < ceilings.length; ++i) {
            for (uint256 j; j < periods.length; ++j) {
                uint256 c = ceilings[i];
                uint256 p = periods[j];
                uint256 f = LinearPriceRamp.fractionOf(c, 2000);
                uint256[5] memory ats = [uint256(0), 1000, 1000 + p / 2, 1000 + p, 1000 + p + 1];
                for (uint256 k; k < ats.length; ++k) {
                    assertEq(LinearPriceRamp.priceAt(f, c, 1000, p, ats[k]), _rampReference(f, c, 1000, p, ats[k]));
                }
            }
        }
    }

    function testFuzz_RampBoundedAndMonotone(uint96 ceiling, uint16 floorBps, uint32 period, uint32 t1, uint32 t2)
        public
        pure
    {
        floorBps = uint16(bound(floorBps, 0, 10_000));
        uint256 floor = LinearPriceRamp.fractionOf(ceiling, floorBps);
        (uint32 a, uint32 b) = t1 <= t2 ? (t1, t2) : (t2, t1);
        uint256 pa = LinearPriceRamp.priceAt(floor, ceiling, 0, period, a);
        uint256 pb = LinearPriceRamp.priceAt(floor, ceiling, 0, period, b);
        assertLe(pa, pb);
        assertGe(pa, period == 0 ? ceiling : floor);
        assertLe(pb, ceiling);
    }

    function test_RevertWhen_FloorAboveCeiling() public {
        vm.expectRevert(abi.encodeWithSelector(LinearPriceRamp.FloorAboveCeiling.selector, 2, 1));
        this.priceAtExternal(2, 1, 0, 10, 5);
    }

    function priceAtExternal(uint256 f, uint256 c, uint256 s, uint256 p, uint256 t) external pure returns (uint256) {
        return LinearPriceRamp.priceAt(f, c, s, p, t);
    }

    // ------------------------------------------------------------------ sealed-bid ranking

    /// @dev Reference: pick winners one by one, each time the not-yet-picked bid that no other remaining
    ///      bid beats (selection by repeated minimum, O(n²)), comparing (price, tie key, address) as a tuple.
    function _winnersReference(RevealedBid[] memory bids, uint64 seed, uint256 r)
        internal
        pure
        returns (address[] memory winners, uint96 nextPrice, bool hasNext)
    {
        uint256 n = bids.length;
        bool[] memory taken = new bool[](n);
        uint256 k = r < n ? r : n;
        winners = new address[](k);
        for (uint256 w; w <= k && w < n; ++w) {
            uint256 best = type(uint256).max;
            for (uint256 i; i < n; ++i) {
                if (taken[i]) continue;
                if (best == type(uint256).max || _less(bids[i], bids[best], seed)) best = i;
            }
            if (w == k) {
                nextPrice = bids[best].price;
                hasNext = true;
                break;
            }
            taken[best] = true;
            winners[w] = bids[best].bidder;
        }
    }

    function _less(RevealedBid memory a, RevealedBid memory b, uint64 seed) internal pure returns (bool) {
        uint256 ka = uint256(keccak256(abi.encode(seed, a.bidder)));
        uint256 kb = uint256(keccak256(abi.encode(seed, b.bidder)));
        return a.price < b.price || (a.price == b.price && (ka < kb || (ka == kb && a.bidder < b.bidder)));
    }

    function testFuzz_RankingMatchesReference(uint96[8] memory prices, uint8 count, uint8 redundancy, uint64 seed)
        public
        pure
    {
        uint256 n = bound(count, 1, 8);
        uint256 r = bound(redundancy, 1, 4);
        RevealedBid[] memory bids = new RevealedBid[](n);
        for (uint256 i; i < n; ++i) {
            // Few distinct prices, so that ties are common.
            bids[i] = RevealedBid({bidder: address(uint160(0x1000 + i)), price: uint96(bound(prices[i], 1, 4))});
        }
        (address[] memory expected, uint96 nextPrice, bool hasNext) = _winnersReference(bids, seed, r);

        RevealedBid[] memory sorted = new RevealedBid[](n);
        for (uint256 i; i < n; ++i) {
            sorted[i] = bids[i];
        }
        SealedBidRanking.sort(sorted, seed);
        for (uint256 w; w < expected.length; ++w) {
            assertEq(sorted[w].bidder, expected[w]);
        }
        uint256 next = expected.length;
        uint96 reserve = 5;
        assertEq(SealedBidRanking.clearingPrice(sorted, 3, next, reserve, true), hasNext ? nextPrice : reserve);
        assertEq(SealedBidRanking.clearingPrice(sorted, 3, next, reserve, false), 3);
    }

    /// @dev Sorting is a function of the set of bids: any permutation of the input sorts the same.
    function testFuzz_RankingIndependentOfInputOrder(uint96[6] memory prices, uint64 seed, uint256 shuffle)
        public
        pure
    {
        RevealedBid[] memory a = new RevealedBid[](6);
        RevealedBid[] memory b = new RevealedBid[](6);
        for (uint256 i; i < 6; ++i) {
            a[i] = RevealedBid({bidder: address(uint160(0x2000 + i)), price: uint96(bound(prices[i], 1, 3))});
        }
        // Fisher–Yates permutation of a into b.
        for (uint256 i; i < 6; ++i) {
            b[i] = a[i];
        }
        for (uint256 i = 5; i > 0; --i) {
            uint256 j = uint256(keccak256(abi.encode(shuffle, i))) % (i + 1);
            (b[i], b[j]) = (b[j], b[i]);
        }
        SealedBidRanking.sort(a, seed);
        SealedBidRanking.sort(b, seed);
        for (uint256 i; i < 6; ++i) {
            assertEq(a[i].bidder, b[i].bidder);
            assertEq(a[i].price, b[i].price);
        }
    }

    // ------------------------------------------------------------------ slot budget

    /// @dev The open slots' prices never exceed the requester's per-proof maximum nor, together, the unspent
    ///      budget; and they are the largest such equal share (reference: the two caps computed apart).
    function testFuzz_SlotBudgetWithinBothCaps(
        uint96 maxPayment,
        uint8 redundancy,
        uint8 accepted,
        uint96 paid,
        uint96 reserved
    ) public pure {
        redundancy = uint8(bound(redundancy, 1, 32));
        accepted = uint8(bound(accepted, 0, redundancy - 1));
        maxPayment = uint96(bound(maxPayment, 1, type(uint96).max));
        paid = uint96(bound(paid, 0, maxPayment));
        reserved = uint96(bound(reserved, 0, maxPayment - paid));
        ITaskRegistry.Budget memory b = ITaskRegistry.Budget({
            maxPayment: maxPayment,
            paid: paid,
            reserved: reserved,
            redundancy: redundancy,
            proofsAccepted: accepted,
            openedAt: 0,
            deadline: 0
        });
        (uint8 slots, uint256 perSlot) = SlotBudget.open(b);
        assertEq(slots, redundancy - accepted);
        uint256 requesterCap = uint256(maxPayment) / redundancy;
        uint256 budgetCap = (uint256(maxPayment) - paid - reserved) / slots;
        assertEq(perSlot, requesterCap < budgetCap ? requesterCap : budgetCap);
        assertLe(perSlot * slots, uint256(maxPayment) - paid - reserved);
    }
}
