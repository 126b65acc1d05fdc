// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LedgerMechanismRouter} from "../../contracts/LedgerMechanismRouter.sol";
import {ILedgerAscendingPriceAuction} from "../../contracts/interfaces/ILedgerAscendingPriceAuction.sol";
import {ILedgerOrderBook} from "../../contracts/interfaces/ILedgerOrderBook.sol";
import {ILedgerSealedBidAuction} from "../../contracts/interfaces/ILedgerSealedBidAuction.sol";
import {IMechanism} from "../../contracts/interfaces/IMechanism.sol";
import {IRouterInstances} from "../../contracts/interfaces/IRouterInstances.sol";
import {LedgerAscendingPriceAuction} from "../../contracts/mechanisms/ledger/LedgerAscendingPriceAuction.sol";
import {LedgerElectionRace} from "../../contracts/mechanisms/ledger/LedgerElectionRace.sol";
import {LedgerOrderBook} from "../../contracts/mechanisms/ledger/LedgerOrderBook.sol";
import {LedgerProofRace} from "../../contracts/mechanisms/ledger/LedgerProofRace.sol";
import {LedgerSealedBidAuction} from "../../contracts/mechanisms/ledger/LedgerSealedBidAuction.sol";
import {LedgerRequest, LedgerTask} from "../../contracts/types/LedgerTask.sol";
import {QoSProfile} from "../../contracts/types/Task.sol";
import {LedgerFixture} from "./LedgerFixture.sol";

/// @title LedgerRouterFixture
/// @notice The one-word router over one instance of each ledger mechanism family (parameters as the stored
///         router's default deployment where the family has them; docs/mechanisms.md "MechanismRouter"), on the
///         ledger of LedgerFixture, with the router holding ROUTER_ROLE and set as the ledger's router.
abstract contract LedgerRouterFixture is LedgerFixture {
    uint256 internal constant L_RACE = 0;
    uint256 internal constant L_SEALED = 1;
    uint256 internal constant L_ASCENDING = 2;
    uint256 internal constant L_ELECTION = 3;
    uint256 internal constant L_BOOK = 4;
    uint96 internal constant LOCK_COLLATERAL = 100e18;
    uint96 internal constant BOOK_COLLATERAL = 50e18;

    LedgerMechanismRouter internal lrouter;
    LedgerProofRace internal lrace;
    LedgerSealedBidAuction internal lsealed;
    LedgerAscendingPriceAuction internal lascending;
    LedgerElectionRace internal lelection;
    LedgerOrderBook internal lbook;

    function deployLedgerRouter() internal {
        deployLedger();
        lrace = new LedgerProofRace(
            ledger, 4, 2500, 0, IMechanism.Profile({kind: 1, speed: 9, cost: 4, safety: 3, censorshipResistance: 9})
        );
        lsealed = new LedgerSealedBidAuction(
            ILedgerSealedBidAuction.Params({
                ledger: address(ledger),
                token: address(token),
                treasury: treasury,
                secondPrice: true,
                commitWindow: 5 minutes,
                revealWindow: 5 minutes,
                minProvingWindow: 5 minutes,
                bidCollateral: 10e18,
                winnerCollateral: 100e18,
                maxBids: 16
            })
        );
        lascending = new LedgerAscendingPriceAuction(
            ILedgerAscendingPriceAuction.Params({
                ledger: ledger,
                floorBps: 2000,
                rampPeriod: 30 minutes,
                lockWindow: 20 minutes,
                lockCollateral: LOCK_COLLATERAL
            })
        );
        lelection = new LedgerElectionRace(
            LedgerElectionRace.Params({
                ledger: ledger,
                electedCount: 3,
                minHardwareClass: 0,
                drawDelay: 1,
                electionWindow: 10 minutes,
                decayWindow: 0,
                decayFloorBps: 2500,
                weightCap: 10_000e18,
                maxAttempts: 3
            })
        );
        lbook = new LedgerOrderBook(
            ledger,
            ILedgerOrderBook.Params({
                collateralPerMatch: BOOK_COLLATERAL,
                maxBookSize: 32,
                profile: IMechanism.Profile({kind: 5, speed: 8, cost: 7, safety: 5, censorshipResistance: 3})
            })
        );
        ledger.setMechanism(address(lrace), true);
        ledger.setMechanism(address(lsealed), true);
        ledger.setMechanism(address(lascending), true);
        ledger.setMechanism(address(lelection), true);
        ledger.setMechanism(address(lbook), true);

        lrouter = new LedgerMechanismRouter(ledger, address(this));
        ledger.grantRole(ledger.ROUTER_ROLE(), address(lrouter));
        ledger.setRouter(address(lrouter));
        lrouter.addInstance(address(lrace), limits(4, 0, 0));
        lrouter.addInstance(address(lsealed), limits(1, 100e18, 15 minutes));
        lrouter.addInstance(address(lascending), limits(1, LOCK_COLLATERAL, 0));
        lrouter.addInstance(address(lelection), limits(8, 0, 10 minutes));
        lrouter.addInstance(address(lbook), limits(1, BOOK_COLLATERAL, 0));
        vm.label(address(lrouter), "LedgerMechanismRouter");
    }

    function limits(uint8 maxRedundancy, uint96 stake, uint32 lead)
        internal
        pure
        returns (IRouterInstances.Limits memory)
    {
        return IRouterInstances.Limits({
            maxRedundancy: maxRedundancy,
            stakeAtRisk: stake,
            minLeadTime: lead,
            minPricePerProof: 0,
            requiresData: false
        });
    }

    /// @notice A routed request for statement `seed` (2 hours, the default budget, redundancy 1).
    function routedRequest(uint256 seed) internal view returns (LedgerRequest memory r) {
        r = ledgerRequest(seed, 1, address(0));
        r.deadline = uint64(block.timestamp) + 2 hours;
    }

    function qosOf(uint8 speed, uint8 cost, uint8 safety, uint8 censorship) internal pure returns (QoSProfile memory) {
        return QoSProfile({
            speedWeight: speed,
            costWeight: cost,
            safetyWeight: safety,
            censorshipWeight: censorship,
            minRedundancy: 1,
            minStakeAtRisk: 0
        });
    }

    // The personas of DESIGN.md §6, as the stored router's tests state them.
    function arbitrageBot() internal pure returns (QoSProfile memory) {
        return qosOf(10, 3, 1, 1);
    }

    function dailyRollup() internal pure returns (QoSProfile memory) {
        return qosOf(3, 2, 10, 1);
    }

    function costSensitiveApp() internal pure returns (QoSProfile memory) {
        return qosOf(2, 10, 3, 1);
    }

    function aztecBlock() internal pure returns (QoSProfile memory) {
        return qosOf(7, 5, 8, 8);
    }

    /// @notice Deposits the budget for `from` and routes `r` as it; the task is tracked for the conservation check.
    function routeAs(address from, LedgerRequest memory r, QoSProfile memory qos)
        internal
        returns (uint256 taskId, uint256 instanceId, LedgerTask memory t)
    {
        depositFor(from, r.maxPayment);
        vm.prank(from);
        (taskId, instanceId, t) = lrouter.route(r, qos);
        track(taskId, t);
    }
}
