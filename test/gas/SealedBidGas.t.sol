// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProverRegistry} from "../../contracts/interfaces/IProverRegistry.sol";
import {ITaskRegistry} from "../../contracts/interfaces/ITaskRegistry.sol";
import {SealedBidAuction} from "../../contracts/mechanisms/SealedBidAuction.sol";
import {TaskRequest} from "../../contracts/types/Task.sol";
import {MechanismGasBase} from "./MechanismGasBase.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title SealedBidGas
/// @notice Gas of every transaction of a sealed-bid task's life, written to snapshots/SealedBidGas.json
///         (see MechanismGasBase for the conventions). Steady state: setUp runs one task through its whole
///         life first, and bidders hold a deposited bond (a commit moves no tokens).
///         `lifecycle` = createTask + commitBid + revealBid + finalize + submitProof − verify (one bidder);
///         `overhead` = lifecycle − the core's own lifecycle (`core_lifecycle`, same state, same prover).
/// forge-config: default.isolate = true
contract SealedBidGas is MechanismGasBase {
    uint96 internal constant WINNER_COLLATERAL = 10e18;
    SealedBidAuction internal auction;
    address internal dave = makeAddr("dave");

    function setUp() public {
        deployCore();
        _deployNull();
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
                bidCollateral: 1e18,
                winnerCollateral: WINNER_COLLATERAL,
                maxBids: 16
            })
        );
        taskRegistry.setMechanism(address(auction), true);
        address[4] memory provers = [alice, bob, carol, dave];
        for (uint256 i; i < 4; ++i) {
            registerProver(provers[i]);
            token.mint(provers[i], 10e18);
            vm.startPrank(provers[i]);
            token.approve(address(auction), type(uint256).max);
            auction.depositBond(5e18);
            vm.stopPrank();
        }
        // Warm-up task through its whole life (circuit interned, balances non-zero).
        uint256 warm = _create(0);
        _bid(warm, alice, 50e18);
        _reveal(warm, alice, 50e18);
        _toFinalize(warm);
        auction.finalize(warm);
        prove(warm, 0, alice);
        vm.prank(alice);
        taskRegistry.withdraw();
    }

    function _request(uint256 seed) internal view returns (TaskRequest memory r) {
        r = raceRequest(seed, 1);
        r.mechanism = address(auction);
    }

    function _create(uint256 seed) internal returns (uint256) {
        return openTask(requester, _request(seed));
    }

    function _commitment(uint256 taskId, address bidder, uint96 price) internal view returns (bytes32) {
        return
            auction.commitmentOf(taskId, auction.auctionOf(taskId).round, bidder, price, keccak256(abi.encode(bidder)));
    }

    function _bid(uint256 taskId, address bidder, uint96 price) internal {
        bytes32 c = _commitment(taskId, bidder, price);
        vm.prank(bidder);
        auction.commitBid(taskId, c);
    }

    function _reveal(uint256 taskId, address bidder, uint96 price) internal {
        (uint64 commitEnd,) = auction.windowsOf(taskId);
        if (block.timestamp < commitEnd) vm.warp(commitEnd);
        vm.prank(bidder);
        auction.revealBid(taskId, price, keccak256(abi.encode(bidder)));
    }

    function _toFinalize(uint256 taskId) internal {
        (, uint64 revealEnd) = auction.windowsOf(taskId);
        vm.warp(revealEnd);
    }

    /// @dev One bidder, one winner: every transaction of the task's life, then the same for the core alone.
    function test_Gas_Lifecycle_OneBidder() public {
        uint256 snap = vm.snapshotState();
        uint256 total;
        fund(requester, TASK_BUDGET);
        (uint256 g, bytes memory ret) = _call(
            "createTask", requester, address(taskRegistry), abi.encodeCall(taskRegistry.createTask, (_request(1)))
        );
        uint256 taskId = abi.decode(ret, (uint256));
        total += g;
        bytes32 c = _commitment(taskId, bob, 40e18);
        (g,) = _call("commitBid", bob, address(auction), abi.encodeCall(auction.commitBid, (taskId, c)));
        total += g;
        (uint64 commitEnd,) = auction.windowsOf(taskId);
        vm.warp(commitEnd);
        (g,) = _call(
            "revealBid",
            bob,
            address(auction),
            abi.encodeCall(auction.revealBid, (taskId, 40e18, keccak256(abi.encode(bob))))
        );
        total += g;
        _toFinalize(taskId);
        (g,) = _call("finalize_oneBid", address(this), address(auction), abi.encodeCall(auction.finalize, (taskId)));
        total += g;
        uint256 verifyGas = _verifyGas(1, bob);
        (g,) = _call(
            "submitProof",
            bob,
            address(taskRegistry),
            abi.encodeCall(taskRegistry.submitProof, (taskId, statement(1), proofOf(1, bob)))
        );
        total += g - verifyGas;
        vm.snapshotValue("lifecycle", total);
        uint96 price = uint96(taskRegistry.claimable(bob));
        _call("withdraw", bob, address(taskRegistry), abi.encodeCall(taskRegistry.withdraw, ()));
        vm.revertToState(snap);
        uint256 core = _baseline(1, bob, price, WINNER_COLLATERAL);
        vm.snapshotValue("overhead", total - core);
        assertLe(total - core, 200_000, "sealed-bid coordination overhead within 200k per task");
    }

    /// @dev Finalize with three revealed bids under second price (sorting, winner pre-check, price lookup).
    function test_Gas_Finalize_ThreeBids() public {
        uint256 taskId = _create(1);
        address[3] memory b = [alice, bob, carol];
        uint96[3] memory p = [uint96(60e18), 40e18, 50e18];
        for (uint256 i; i < 3; ++i) {
            _bid(taskId, b[i], p[i]);
        }
        for (uint256 i; i < 3; ++i) {
            _reveal(taskId, b[i], p[i]);
        }
        _toFinalize(taskId);
        _call("finalize_threeBids", address(this), address(auction), abi.encodeCall(auction.finalize, (taskId)));
    }

    function test_Gas_SweepForfeits() public {
        uint256 taskId = _create(1);
        _bid(taskId, carol, 10e18);
        _toFinalize(taskId);
        auction.finalize(taskId);
        _call("sweepForfeits", address(this), address(auction), abi.encodeCall(auction.sweepForfeits, ()));
    }
}
