// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title SlashSplit
/// @notice How slashed collateral is divided: a treasury share (the protocol's cut, which also makes
///         self-slashing through a colluding requester or coverer cost at least that share), a cover share
///         (the bounty for whoever proves the task after the failure) and the rest to the requester
///         (compensation for the delay).
library SlashSplit {
    /// @notice Basis-point denominator.
    uint256 internal constant BPS = 10_000;
    /// @notice The treasury may never take more than half of a slash.
    uint256 internal constant MAX_TREASURY_BPS = 5000;

    /// @notice The split is outside its bounds (treasuryBps ≤ 5000, treasuryBps + coverBps ≤ 10000).
    /// @param treasuryBps Treasury share asked for.
    /// @param coverBps Cover share asked for.
    error SplitOutOfRange(uint256 treasuryBps, uint256 coverBps);

    /// @notice Reverts unless (`treasuryBps`, `coverBps`) is a valid split.
    function check(uint256 treasuryBps, uint256 coverBps) internal pure {
        if (treasuryBps > MAX_TREASURY_BPS || treasuryBps + coverBps > BPS) {
            revert SplitOutOfRange(treasuryBps, coverBps);
        }
    }

    /// @notice Splits `amount`; the parts always sum to `amount` (rounding favours the requester).
    /// @return toTreasury amount × treasuryBps / 10000, rounded down.
    /// @return toCover amount × coverBps / 10000, rounded down.
    /// @return toRequester The rest.
    function split(uint256 amount, uint256 treasuryBps, uint256 coverBps)
        internal
        pure
        returns (uint256 toTreasury, uint256 toCover, uint256 toRequester)
    {
        toTreasury = amount * treasuryBps / BPS;
        toCover = amount * coverBps / BPS;
        toRequester = amount - toTreasury - toCover;
    }
}
