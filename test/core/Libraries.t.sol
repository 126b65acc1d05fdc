// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {DecaySchedule} from "../../contracts/libraries/DecaySchedule.sol";
import {SlashSplit} from "../../contracts/libraries/SlashSplit.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Test} from "forge-std/Test.sol";

/// @dev External wrappers so that library reverts can be expected.
contract LibraryHarness {
    function decayed(uint256 amount, uint256 start, uint256 window, uint256 floorBps, uint256 t)
        external
        pure
        returns (uint256)
    {
        return DecaySchedule.decayed(amount, start, window, floorBps, t);
    }

    function check(uint256 treasuryBps, uint256 coverBps) external pure {
        SlashSplit.check(treasuryBps, coverBps);
    }
}

/// @notice Tests of the pure math: the decay schedule against an independent reference, and the slash split.
contract LibrariesTest is Test {
    LibraryHarness internal h = new LibraryHarness();

    function test_DecayEndpoints() public view {
        assertEq(h.decayed(1000, 100, 50, 2500, 100), 1000);
        assertEq(h.decayed(1000, 100, 50, 2500, 99), 1000);
        assertEq(h.decayed(1000, 100, 50, 2500, 150), 250);
        assertEq(h.decayed(1000, 100, 50, 2500, 1e9), 250);
        assertEq(h.decayed(1000, 100, 50, 2500, 125), 625);
        assertEq(h.decayed(1000, 100, 0, 2500, 101), 250, "zero window: floor right after start");
    }

    function test_RevertWhen_FloorAboveFull() public {
        vm.expectRevert(abi.encodeWithSelector(DecaySchedule.FloorAboveFull.selector, 10_001));
        h.decayed(1, 0, 1, 10_001, 1);
    }

    /// Differential: equals ceil(amount·(10000·w − (10000 − floor)·e) / (10000·w)) computed with mulDiv.
    function testFuzz_DecayMatchesReference(uint128 amount, uint64 start, uint64 window, uint16 floorBps, uint64 dt)
        public
        view
    {
        window = uint64(bound(window, 1, type(uint64).max));
        floorBps = uint16(bound(floorBps, 0, 10_000));
        uint256 t = uint256(start) + dt;
        uint256 e = dt < window ? dt : window;
        uint256 expected = dt == 0
            ? amount
            : Math.mulDiv(
                amount,
                10_000 * uint256(window) - (10_000 - uint256(floorBps)) * e,
                10_000 * uint256(window),
                Math.Rounding.Ceil
            );
        assertEq(h.decayed(amount, start, window, floorBps, t), expected);
    }

    function testFuzz_DecayMonotoneAndBounded(uint128 amount, uint32 window, uint16 floorBps, uint32 t1, uint32 t2)
        public
        view
    {
        floorBps = uint16(bound(floorBps, 0, 10_000));
        (uint256 a, uint256 b) = t1 <= t2 ? (uint256(t1), uint256(t2)) : (uint256(t2), uint256(t1));
        uint256 va = h.decayed(amount, 0, window, floorBps, a);
        uint256 vb = h.decayed(amount, 0, window, floorBps, b);
        assertGe(va, vb, "non-increasing");
        assertLe(va, amount);
        assertGe(vb, uint256(amount) * floorBps / 10_000, "never below the floor");
    }

    function testFuzz_SplitSumsToAmount(uint256 amount, uint16 treasuryBps, uint16 coverBps) public pure {
        amount = bound(amount, 0, type(uint128).max);
        treasuryBps = uint16(bound(treasuryBps, 0, 5000));
        coverBps = uint16(bound(coverBps, 0, 10_000 - treasuryBps));
        (uint256 t, uint256 c, uint256 r) = SlashSplit.split(amount, treasuryBps, coverBps);
        assertEq(t + c + r, amount);
        assertEq(t, amount * treasuryBps / 10_000);
        assertEq(c, amount * coverBps / 10_000);
    }

    function test_RevertWhen_SplitOutOfRange() public {
        vm.expectRevert(abi.encodeWithSelector(SlashSplit.SplitOutOfRange.selector, 5001, 0));
        h.check(5001, 0);
        vm.expectRevert(abi.encodeWithSelector(SlashSplit.SplitOutOfRange.selector, 0, 10_001));
        h.check(0, 10_001);
        h.check(5000, 5000);
    }
}
