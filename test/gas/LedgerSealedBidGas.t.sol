// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerSealedBidAuction} from "../../contracts/interfaces/ILedgerSealedBidAuction.sol";
import {ITaskLedger} from "../../contracts/interfaces/ITaskLedger.sol";
import {LedgerSealedBidAuction} from "../../contracts/mechanisms/ledger/LedgerSealedBidAuction.sol";
import {LedgerRequest, LedgerTask} from "../../contracts/types/LedgerTask.sol";
import {LedgerFixture} from "../ledger/LedgerFixture.sol";
import {MechanismGasBase} from "./MechanismGasBase.sol";

/// @title LedgerSealedBidGas
/// @notice Gas of the sealed-bid auction over the TaskLedger, written to snapshots/LedgerSealedBidGas.json, in the
///         conventions of TaskLedgerGas: isolated calls; `tx_<name>` the whole transaction, `<name>` execution only
///         (minus 21,000 and calldata); the verifier registry's call (`verify`) subtracted from every proof. Steady
///         state: setUp runs a two-bidder auction through its life, so the bidders' bond words, the provers' and the
///         requester's credit words and the ledger's circuit entry exist; the requester keeps a deposit, the bidders
///         a bond (a commit moves no tokens). Lifecycles count every transaction of the task, each bidder's included.
/// forge-config: default.isolate = true
contract LedgerSealedBidGas is LedgerFixture, MechanismGasBase {
    uint32 internal constant COMMIT = 2 minutes;
    uint32 internal constant REVEAL = 2 minutes;
    uint32 internal constant MIN_PROVING = 10 minutes;
    uint96 internal constant BID_COLLATERAL = 10e18;
    uint96 internal constant WINNER_COLLATERAL = 50e18;
    uint96 internal constant ALICE_BID = 60e18;
    uint96 internal constant BOB_BID = 70e18;

    LedgerSealedBidAuction internal auction;

    function setUp() public {
        deployLedger();
        auction = new LedgerSealedBidAuction(
            ILedgerSealedBidAuction.Params({
                ledger: address(ledger),
                token: address(token),
                treasury: treasury,
                secondPrice: true,
                commitWindow: COMMIT,
                revealWindow: REVEAL,
                minProvingWindow: MIN_PROVING,
                bidCollateral: BID_COLLATERAL,
                winnerCollateral: WINNER_COLLATERAL,
                maxBids: 16
            })
        );
        ledger.setMechanism(address(auction), true);
        registerProver(alice);
        registerProver(bob);
        _bond(alice);
        _bond(bob);
        depositFor(requester, 1000 * uint256(TASK_BUDGET));

        // Warm-up: a two-bidder auction proven by its winner.
        (uint256 id, LedgerTask memory t) = _open(100);
        _commitQuiet(id, t, alice, ALICE_BID);
        _commitQuiet(id, t, bob, BOB_BID);
        vm.warp(block.timestamp + COMMIT);
        _revealQuiet(id, t, alice, ALICE_BID);
        _revealQuiet(id, t, bob, BOB_BID);
        vm.warp(block.timestamp + REVEAL);
        auction.finalize(id, t, _sorted(alice, bob));
        t = withAssignment(t, alice, BOB_BID, WINNER_COLLATERAL, auction.FINALIZED());
        proveLedger(id, t, 100, alice);
    }

    /// @notice One bidder: create + commit + reveal + finalize + proof (second price: paid the reserve).
    function test_Gas_OneBidder_Lifecycle() public {
        (uint256 id, LedgerTask memory t, uint256 total) = _create(1, "sealed_createTask");
        total += _commit(id, t, alice, ALICE_BID, "sealed_commit");
        vm.warp(block.timestamp + COMMIT);
        total += _reveal(id, t, alice, ALICE_BID, "sealed_reveal");
        vm.warp(block.timestamp + REVEAL);
        address[] memory list = new address[](1);
        list[0] = alice;
        total += _finalize(id, t, list, "sealed_finalize");
        t = withAssignment(t, alice, TASK_BUDGET, WINNER_COLLATERAL, auction.FINALIZED());
        total += _prove(id, t, 1, alice, "sealed_submitProof");
        vm.snapshotValue("sealed_lifecycle_one_bidder", total);
    }

    /// @notice Two bidders on one task copy: both commits and both reveals counted.
    function test_Gas_TwoBidders_Lifecycle() public {
        (uint256 id, LedgerTask memory t, uint256 total) = _create(2, "sealed2_createTask");
        total += _commit(id, t, alice, ALICE_BID, "sealed2_commit_first");
        // Bob commits with the same copy of the task: the count is outside the hash.
        total += _commit(id, t, bob, BOB_BID, "sealed2_commit_second");
        vm.warp(block.timestamp + COMMIT);
        total += _reveal(id, t, alice, ALICE_BID, "sealed2_reveal_first");
        total += _reveal(id, t, bob, BOB_BID, "sealed2_reveal_second");
        vm.warp(block.timestamp + REVEAL);
        total += _finalize(id, t, _sorted(alice, bob), "sealed2_finalize");
        t = withAssignment(t, alice, BOB_BID, WINNER_COLLATERAL, auction.FINALIZED());
        total += _prove(id, t, 2, alice, "sealed2_submitProof");
        vm.snapshotValue("sealed_lifecycle_two_bidders", total);
    }

    /// @notice The winner never proves: create + commit + reveal + finalize + expire (slash, refund).
    function test_Gas_WinnerSlashedAtExpiry() public {
        (uint256 id, LedgerTask memory t, uint256 total) = _create(3, "sealed_slash_createTask");
        total += _commit(id, t, alice, ALICE_BID, "sealed_slash_commit");
        vm.warp(block.timestamp + COMMIT);
        total += _reveal(id, t, alice, ALICE_BID, "sealed_slash_reveal");
        vm.warp(block.timestamp + REVEAL);
        address[] memory list = new address[](1);
        list[0] = alice;
        total += _finalize(id, t, list, "sealed_slash_finalize");
        t = withAssignment(t, alice, TASK_BUDGET, WINNER_COLLATERAL, auction.FINALIZED());
        vm.warp(uint256(t.deadline) + 1);
        (uint256 g,) =
            _call("sealed_expire_slash", address(this), address(ledger), abi.encodeCall(ITaskLedger.expire, (id, t)));
        total += g;
        vm.snapshotValue("sealed_lifecycle_slashed", total);
    }

    // ------------------------------------------------------------------ helpers

    function _bond(address who) internal {
        token.mint(who, 1000e18);
        vm.startPrank(who);
        token.approve(address(auction), type(uint256).max);
        auction.depositBond(1000e18);
        vm.stopPrank();
    }

    function _salt(address who) internal pure returns (bytes32) {
        return keccak256(abi.encode("salt", who));
    }

    function _sorted(address a, address b) internal pure returns (address[] memory list) {
        list = new address[](2);
        (list[0], list[1]) = a < b ? (a, b) : (b, a);
    }

    function _open(uint256 seed) internal returns (uint256, LedgerTask memory) {
        LedgerRequest memory r = ledgerRequest(seed, 1, address(auction));
        vm.prank(requester);
        return ledger.createTask(r);
    }

    function _commitQuiet(uint256 id, LedgerTask memory t, address who, uint96 price) internal {
        bytes32 c = auction.commitmentOf(id, t.openedAt, who, price, _salt(who));
        vm.prank(who);
        auction.commit(id, t, c);
    }

    function _revealQuiet(uint256 id, LedgerTask memory t, address who, uint96 price) internal {
        vm.prank(who);
        auction.reveal(id, t.openedAt, t.deadline, price, _salt(who));
    }

    function _create(uint256 seed, string memory name) internal returns (uint256 id, LedgerTask memory t, uint256 g) {
        LedgerRequest memory r = ledgerRequest(seed, 1, address(auction));
        bytes memory ret;
        (g, ret) = _call(name, requester, address(ledger), abi.encodeCall(ITaskLedger.createTask, (r)));
        (id, t) = abi.decode(ret, (uint256, LedgerTask));
    }

    function _commit(uint256 id, LedgerTask memory t, address who, uint96 price, string memory name)
        internal
        returns (uint256 g)
    {
        bytes32 c = auction.commitmentOf(id, t.openedAt, who, price, _salt(who));
        (g,) = _call(name, who, address(auction), abi.encodeCall(LedgerSealedBidAuction.commit, (id, t, c)));
    }

    function _reveal(uint256 id, LedgerTask memory t, address who, uint96 price, string memory name)
        internal
        returns (uint256 g)
    {
        (g,) = _call(
            name,
            who,
            address(auction),
            abi.encodeCall(LedgerSealedBidAuction.reveal, (id, t.openedAt, t.deadline, price, _salt(who)))
        );
    }

    function _finalize(uint256 id, LedgerTask memory t, address[] memory list, string memory name)
        internal
        returns (uint256 g)
    {
        (g,) = _call(name, requester, address(auction), abi.encodeCall(LedgerSealedBidAuction.finalize, (id, t, list)));
    }

    function _prove(uint256 id, LedgerTask memory t, uint256 seed, address prover, string memory name)
        internal
        returns (uint256)
    {
        uint256 verifyGas = _verifyGas(seed, prover);
        bytes memory data = abi.encodeCall(ITaskLedger.submitProof, (id, t, statement(seed), proofOf(seed, prover)));
        (uint256 g,) = _call(name, prover, address(ledger), data);
        return g - verifyGas;
    }
}
