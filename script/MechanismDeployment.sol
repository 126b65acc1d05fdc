// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProverRegistry} from "../contracts/interfaces/IProverRegistry.sol";
import {ITaskRegistry} from "../contracts/interfaces/ITaskRegistry.sol";
import {AscendingPriceAuction} from "../contracts/mechanisms/AscendingPriceAuction.sol";
import {ElectionRace} from "../contracts/mechanisms/ElectionRace.sol";
import {SealedBidAuction} from "../contracts/mechanisms/SealedBidAuction.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title MechanismDeployment
/// @notice Deploys and allow-lists the sealed-bid, ascending-price and election-race mechanisms with the
///         defaults documented in docs/mechanisms.md (token amounts for an 18-decimal token and ≈ 100-token
///         tasks; times for an L1 with 12 s blocks). The caller must hold the task registry's
///         MECHANISM_ADMIN_ROLE. Used by the tests; Deploy.run can call `_deployAuctionMechanisms`.
abstract contract MechanismDeployment {
    /// @notice The instances deployed by `_deployAuctionMechanisms`.
    struct AuctionMechanisms {
        SealedBidAuction sealedBidSecondPrice;
        SealedBidAuction sealedBidFirstPrice;
        AscendingPriceAuction ascending;
        ElectionRace electionRace;
    }

    // Sealed-bid: 10 blocks to commit, 10 to reveal, ≥ 3× the slowest proof after that.
    uint32 internal constant DEFAULT_SEALED_COMMIT_WINDOW = 120;
    uint32 internal constant DEFAULT_SEALED_REVEAL_WINDOW = 120;
    uint32 internal constant DEFAULT_SEALED_MIN_PROVING_WINDOW = 600;
    uint96 internal constant DEFAULT_SEALED_BID_COLLATERAL = 10e18;
    uint96 internal constant DEFAULT_SEALED_WINNER_COLLATERAL = 50e18;
    uint8 internal constant DEFAULT_SEALED_MAX_BIDS = 16;

    // Ascending: from 20 % to 100 % of the slot maximum over 10 blocks; 10 minutes to prove after a lock.
    uint16 internal constant DEFAULT_ASCENDING_FLOOR_BPS = 2000;
    uint32 internal constant DEFAULT_ASCENDING_RAMP_PERIOD = 120;
    uint32 internal constant DEFAULT_ASCENDING_LOCK_WINDOW = 600;
    uint96 internal constant DEFAULT_ASCENDING_LOCK_COLLATERAL = 50e18;

    // Election-race: 2-block draw delay, 10-minute election window and decay to half.
    uint8 internal constant DEFAULT_ELECTION_COUNT = 4;
    uint8 internal constant DEFAULT_ELECTION_MIN_HARDWARE_CLASS = 1;
    uint96 internal constant DEFAULT_ELECTION_COLLATERAL = 50e18;
    uint16 internal constant DEFAULT_ELECTION_DRAW_DELAY = 2;
    uint32 internal constant DEFAULT_ELECTION_WINDOW = 600;
    uint32 internal constant DEFAULT_ELECTION_DECAY_WINDOW = 600;
    uint16 internal constant DEFAULT_ELECTION_DECAY_FLOOR_BPS = 5000;
    uint96 internal constant DEFAULT_ELECTION_WEIGHT_CAP = 1000e18;
    uint8 internal constant DEFAULT_ELECTION_MAX_ATTEMPTS = 32;

    /// @notice A sealed-bid instance with the default windows and collateral.
    function _deploySealedBid(
        ITaskRegistry tasks,
        IProverRegistry provers,
        IERC20 token,
        address treasury,
        bool secondPrice
    ) internal returns (SealedBidAuction auction) {
        auction = new SealedBidAuction(
            SealedBidAuction.Params({
                taskRegistry: tasks,
                proverRegistry: provers,
                token: token,
                treasury: treasury,
                secondPrice: secondPrice,
                commitWindow: DEFAULT_SEALED_COMMIT_WINDOW,
                revealWindow: DEFAULT_SEALED_REVEAL_WINDOW,
                minProvingWindow: DEFAULT_SEALED_MIN_PROVING_WINDOW,
                bidCollateral: DEFAULT_SEALED_BID_COLLATERAL,
                winnerCollateral: DEFAULT_SEALED_WINNER_COLLATERAL,
                maxBids: DEFAULT_SEALED_MAX_BIDS
            })
        );
        tasks.setMechanism(address(auction), true);
    }

    /// @notice An ascending-price instance with the default ramp and lock.
    function _deployAscending(ITaskRegistry tasks) internal returns (AscendingPriceAuction auction) {
        auction = new AscendingPriceAuction(
            AscendingPriceAuction.Params({
                taskRegistry: tasks,
                floorBps: DEFAULT_ASCENDING_FLOOR_BPS,
                rampPeriod: DEFAULT_ASCENDING_RAMP_PERIOD,
                lockWindow: DEFAULT_ASCENDING_LOCK_WINDOW,
                lockCollateral: DEFAULT_ASCENDING_LOCK_COLLATERAL
            })
        );
        tasks.setMechanism(address(auction), true);
    }

    /// @notice An election-race instance with the default draw, window and decay.
    function _deployElectionRace(ITaskRegistry tasks, IProverRegistry provers) internal returns (ElectionRace race) {
        race = new ElectionRace(
            ElectionRace.Params({
                taskRegistry: tasks,
                proverRegistry: provers,
                electedCount: DEFAULT_ELECTION_COUNT,
                minHardwareClass: DEFAULT_ELECTION_MIN_HARDWARE_CLASS,
                collateral: DEFAULT_ELECTION_COLLATERAL,
                drawDelay: DEFAULT_ELECTION_DRAW_DELAY,
                electionWindow: DEFAULT_ELECTION_WINDOW,
                decayWindow: DEFAULT_ELECTION_DECAY_WINDOW,
                decayFloorBps: DEFAULT_ELECTION_DECAY_FLOOR_BPS,
                weightCap: DEFAULT_ELECTION_WEIGHT_CAP,
                maxAttempts: DEFAULT_ELECTION_MAX_ATTEMPTS
            })
        );
        tasks.setMechanism(address(race), true);
    }

    /// @notice All four default instances (second- and first-price sealed bid, ascending, election-race).
    function _deployAuctionMechanisms(ITaskRegistry tasks, IProverRegistry provers, IERC20 token, address treasury)
        internal
        returns (AuctionMechanisms memory m)
    {
        m.sealedBidSecondPrice = _deploySealedBid(tasks, provers, token, treasury, true);
        m.sealedBidFirstPrice = _deploySealedBid(tasks, provers, token, treasury, false);
        m.ascending = _deployAscending(tasks);
        m.electionRace = _deployElectionRace(tasks, provers);
    }
}
