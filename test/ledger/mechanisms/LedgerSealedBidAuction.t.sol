// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerMechanism} from "../../../contracts/interfaces/ILedgerMechanism.sol";
import {ILedgerSealedBidAuction} from "../../../contracts/interfaces/ILedgerSealedBidAuction.sol";
import {IMechanism} from "../../../contracts/interfaces/IMechanism.sol";
import {IProverRegistry} from "../../../contracts/interfaces/IProverRegistry.sol";
import {ITaskLedger} from "../../../contracts/interfaces/ITaskLedger.sol";
import {LedgerSealedBidAuction} from "../../../contracts/mechanisms/ledger/LedgerSealedBidAuction.sol";
import {LedgerRequest, LedgerTask, LedgerTaskLib} from "../../../contracts/types/LedgerTask.sol";
import {LedgerFixture} from "../LedgerFixture.sol";

/// @notice The sealed-bid auction over the real TaskLedger and ProverRegistry (HashVerifier test circuit only).
contract LedgerSealedBidAuctionTest is LedgerFixture {
    uint32 internal constant COMMIT = 10 minutes;
    uint32 internal constant REVEAL = 10 minutes;
    uint32 internal constant MIN_PROVING = 20 minutes;
    uint96 internal constant BID_COLLATERAL = 1e18;
    uint96 internal constant WINNER_COLLATERAL = 10e18;
    uint96 internal constant BOND = 100e18;
    uint8 internal constant MAX_BIDS = 8;

    LedgerSealedBidAuction internal firstPrice;
    LedgerSealedBidAuction internal secondPrice;
    address internal dave = makeAddr("dave");
    address internal outsider = makeAddr("outsider");
    address[] internal _bidders;
    /// @dev Open (committed, unrevealed, not forfeited) commitments per auction, booked by the tests.
    mapping(address auction => uint256) internal _open;

    function setUp() public {
        deployLedger();
        firstPrice = _deploy(false, MAX_BIDS);
        secondPrice = _deploy(true, MAX_BIDS);
        _bidders = [alice, bob, carol, dave];
        for (uint256 i; i < _bidders.length; ++i) {
            registerProver(_bidders[i]);
            _bond(_bidders[i], firstPrice);
            _bond(_bidders[i], secondPrice);
        }
        _accounts.push(dave);
    }

    // ------------------------------------------------------------------ helpers

    function _deploy(bool second, uint8 maxBids) internal returns (LedgerSealedBidAuction a) {
        a = new LedgerSealedBidAuction(_params(second, maxBids));
        ledger.setMechanism(address(a), true);
    }

    function _params(bool second, uint8 maxBids) internal view returns (ILedgerSealedBidAuction.Params memory) {
        return ILedgerSealedBidAuction.Params({
            ledger: address(ledger),
            token: address(token),
            treasury: treasury,
            secondPrice: second,
            commitWindow: COMMIT,
            revealWindow: REVEAL,
            minProvingWindow: MIN_PROVING,
            bidCollateral: BID_COLLATERAL,
            winnerCollateral: WINNER_COLLATERAL,
            maxBids: maxBids
        });
    }

    function _bond(address who, LedgerSealedBidAuction a) internal {
        token.mint(who, BOND);
        vm.startPrank(who);
        token.approve(address(a), type(uint256).max);
        a.depositBond(BOND);
        vm.stopPrank();
    }

    function _openTask(LedgerSealedBidAuction a, uint256 seed) internal returns (uint256, LedgerTask memory) {
        return openLedger(ledgerRequest(seed, 1, address(a)));
    }

    function _salt(address who) internal pure returns (bytes32) {
        return keccak256(abi.encode("salt", who));
    }

    function _commit(LedgerSealedBidAuction a, uint256 id, LedgerTask memory t, address who, uint96 price) internal {
        bytes32 c = a.commitmentOf(id, t.openedAt, who, price, _salt(who));
        vm.prank(who);
        a.commit(id, t, c);
        ++_open[address(a)];
    }

    function _reveal(LedgerSealedBidAuction a, uint256 id, LedgerTask memory t, address who, uint96 price) internal {
        vm.prank(who);
        a.reveal(id, t.openedAt, t.deadline, price, _salt(who));
        --_open[address(a)];
    }

    function _toReveal(LedgerTask memory t) internal {
        vm.warp(uint256(t.openedAt) + COMMIT);
    }

    function _toFinalize(LedgerTask memory t) internal {
        vm.warp(uint256(t.openedAt) + COMMIT + REVEAL);
    }

    function _list(address a) internal pure returns (address[] memory l) {
        l = new address[](1);
        l[0] = a;
    }

    function _list(address a, address b) internal pure returns (address[] memory l) {
        l = new address[](2);
        (l[0], l[1]) = a < b ? (a, b) : (b, a);
    }

    /// @dev Ascending copy of `l` (insertion sort).
    function _sorted(address[] memory l) internal pure returns (address[] memory s) {
        s = new address[](l.length);
        for (uint256 i; i < l.length; ++i) {
            address x = l[i];
            uint256 j = i;
            while (j > 0 && s[j - 1] > x) {
                s[j] = s[j - 1];
                --j;
            }
            s[j] = x;
        }
    }

    /// @dev Finalizes and returns the task as the ledger now holds it (the winner assigned, or FINALIZED state).
    function _finalize(
        LedgerSealedBidAuction a,
        uint256 id,
        LedgerTask memory t,
        address[] memory committers,
        address winner,
        uint96 price
    ) internal returns (LedgerTask memory n) {
        a.finalize(id, t, committers);
        n = winner == address(0)
            ? withAssignment(t, address(0), 0, 0, a.FINALIZED())
            : withAssignment(t, winner, price, WINNER_COLLATERAL, a.FINALIZED());
        ledger.checkTask(id, n); // reverts StaleTask unless the ledger holds exactly this
        track(id, n);
    }

    /// @dev The auction's tokens: Σ bonds + open commitments × bidCollateral + forfeited.
    function _assertAuctionConserved(LedgerSealedBidAuction a) internal view {
        uint256 bonds;
        for (uint256 i; i < _bidders.length; ++i) {
            bonds += a.bondOf(_bidders[i]);
        }
        bonds += a.bondOf(outsider);
        assertEq(
            token.balanceOf(address(a)),
            bonds + _open[address(a)] * BID_COLLATERAL + a.forfeited(),
            "auction tokens conserved"
        );
    }

    function _assertAllConserved() internal view {
        assertConserved();
        _assertAuctionConserved(firstPrice);
        _assertAuctionConserved(secondPrice);
    }

    // ------------------------------------------------------------------ constructor, hooks, profile

    function test_RevertWhen_ConstructorParameterInvalid() public {
        ILedgerSealedBidAuction.Params memory p = _params(false, MAX_BIDS);
        p.ledger = address(0);
        vm.expectRevert(abi.encodeWithSelector(ILedgerSealedBidAuction.InvalidParameter.selector, "ledger"));
        new LedgerSealedBidAuction(p);
        p = _params(false, MAX_BIDS);
        p.token = address(0);
        vm.expectRevert(abi.encodeWithSelector(ILedgerSealedBidAuction.InvalidParameter.selector, "token"));
        new LedgerSealedBidAuction(p);
        p = _params(false, MAX_BIDS);
        p.treasury = address(0);
        vm.expectRevert(abi.encodeWithSelector(ILedgerSealedBidAuction.InvalidParameter.selector, "treasury"));
        new LedgerSealedBidAuction(p);
        p = _params(false, MAX_BIDS);
        p.commitWindow = 0;
        vm.expectRevert(abi.encodeWithSelector(ILedgerSealedBidAuction.InvalidParameter.selector, "commitWindow"));
        new LedgerSealedBidAuction(p);
        p = _params(false, MAX_BIDS);
        p.revealWindow = 0;
        vm.expectRevert(abi.encodeWithSelector(ILedgerSealedBidAuction.InvalidParameter.selector, "revealWindow"));
        new LedgerSealedBidAuction(p);
        p = _params(false, MAX_BIDS);
        p.bidCollateral = 0;
        vm.expectRevert(abi.encodeWithSelector(ILedgerSealedBidAuction.InvalidParameter.selector, "bidCollateral"));
        new LedgerSealedBidAuction(p);
        p = _params(false, 65);
        vm.expectRevert(abi.encodeWithSelector(ILedgerSealedBidAuction.InvalidParameter.selector, "maxBids"));
        new LedgerSealedBidAuction(p);
        p = _params(false, 0);
        vm.expectRevert(abi.encodeWithSelector(ILedgerSealedBidAuction.InvalidParameter.selector, "maxBids"));
        new LedgerSealedBidAuction(p);
    }

    function test_Constructor_ReadsProverRegistryFromLedger() public view {
        assertEq(address(firstPrice.provers()), address(proverRegistry));
        assertEq(address(firstPrice.ledger()), address(ledger));
        assertFalse(firstPrice.secondPrice());
        assertTrue(secondPrice.secondPrice());
    }

    function test_HooksAndProfile() public view {
        (uint8 flags, uint8 cap) = firstPrice.hooks();
        assertEq(flags, LedgerTaskLib.HOOK_OPEN);
        assertEq(cap, 1);
        (bool allowed, uint8 entryFlags, uint8 entryCap) = ledger.mechanismOf(address(firstPrice));
        assertTrue(allowed);
        assertEq(entryFlags, LedgerTaskLib.HOOK_OPEN);
        assertEq(entryCap, 1);
        IMechanism.Profile memory p = firstPrice.profile();
        assertEq(p.kind, 2);
        assertEq(p.speed, 4);
        assertEq(p.cost, 8);
        assertEq(p.safety, 6);
        assertEq(p.censorshipResistance, 5);
    }

    function test_RevertWhen_HookCallerIsNotTheLedger() public {
        (uint256 id, LedgerTask memory t) = _openTask(firstPrice, 1);
        vm.expectRevert(abi.encodeWithSelector(ILedgerMechanism.OnlyTaskLedger.selector, address(this)));
        firstPrice.onTaskOpened(id, t, "");
        vm.expectRevert(abi.encodeWithSelector(ILedgerMechanism.OnlyTaskLedger.selector, address(this)));
        firstPrice.onProofAccepted(id, t, alice, 0);
        vm.expectRevert(abi.encodeWithSelector(ILedgerMechanism.OnlyTaskLedger.selector, address(this)));
        firstPrice.onTaskClosed(id, t);
    }

    function test_OnTaskClosed_FromLedgerIsANoOp() public {
        (uint256 id, LedgerTask memory t) = _openTask(firstPrice, 1);
        vm.prank(address(ledger));
        firstPrice.onTaskClosed(id, t);
        ledger.checkTask(id, t);
    }

    function test_RevertWhen_DeadlineTooSoon() public {
        LedgerRequest memory r = ledgerRequest(1, 1, address(firstPrice));
        r.deadline = uint64(block.timestamp) + COMMIT + REVEAL + MIN_PROVING - 1;
        depositFor(requester, r.maxPayment);
        uint256 id = ledger.nextTaskId(requester);
        vm.expectRevert(
            abi.encodeWithSelector(
                ILedgerSealedBidAuction.DeadlineTooSoon.selector,
                id,
                r.deadline,
                block.timestamp + COMMIT + REVEAL + MIN_PROVING
            )
        );
        vm.prank(requester);
        ledger.createTask(r);
    }

    /// @notice Redundancy > 1 needs an assignee list in the core: the ledger refuses it for this mechanism.
    function test_RevertWhen_RedundancyAboveOne() public {
        LedgerRequest memory r = ledgerRequest(1, 2, address(firstPrice));
        depositFor(requester, r.maxPayment);
        uint256 id = ledger.nextTaskId(requester);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.TooManyWinners.selector, id, 2, 1));
        vm.prank(requester);
        ledger.createTask(r);
    }

    function test_WindowsOf() public {
        (, LedgerTask memory t) = _openTask(firstPrice, 1);
        (uint256 commitEnd, uint256 revealEnd) = firstPrice.windowsOf(t);
        assertEq(commitEnd, uint256(t.openedAt) + COMMIT);
        assertEq(revealEnd, uint256(t.openedAt) + COMMIT + REVEAL);
    }

    // ------------------------------------------------------------------ bonds

    function test_DepositAndWithdrawBond() public {
        assertEq(firstPrice.bondOf(alice), BOND);
        vm.prank(alice);
        firstPrice.withdrawBond(40e18);
        assertEq(firstPrice.bondOf(alice), BOND - 40e18);
        assertEq(token.balanceOf(alice), 40e18);
        _assertAuctionConserved(firstPrice);
    }

    function test_RevertWhen_BondAmountZero() public {
        vm.prank(alice);
        vm.expectRevert(ILedgerSealedBidAuction.ZeroAmount.selector);
        firstPrice.depositBond(0);
        vm.prank(alice);
        vm.expectRevert(ILedgerSealedBidAuction.ZeroAmount.selector);
        firstPrice.withdrawBond(0);
    }

    function test_RevertWhen_WithdrawMoreThanFreeBond() public {
        (uint256 id, LedgerTask memory t) = _openTask(firstPrice, 1);
        _commit(firstPrice, id, t, alice, 50e18);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                ILedgerSealedBidAuction.InsufficientBond.selector, alice, BOND, BOND - BID_COLLATERAL
            )
        );
        firstPrice.withdrawBond(BOND);
    }

    // ------------------------------------------------------------------ commit

    function test_Commit_LocksCollateralAndCountsInTaskWord() public {
        (uint256 id, LedgerTask memory t) = _openTask(firstPrice, 1);
        bytes32 c = firstPrice.commitmentOf(id, t.openedAt, alice, 50e18, _salt(alice));
        vm.expectEmit(address(firstPrice));
        emit ILedgerSealedBidAuction.BidCommitted(id, alice, c, 1);
        vm.prank(alice);
        firstPrice.commit(id, t, c);
        ++_open[address(firstPrice)];
        assertEq(firstPrice.bondOf(alice), BOND - BID_COLLATERAL);
        (ILedgerSealedBidAuction.BidStatus status, uint96 price) = firstPrice.bidOf(id, t.openedAt, t.deadline, alice);
        assertEq(uint8(status), uint8(ILedgerSealedBidAuction.BidStatus.Committed));
        assertEq(price, 0);
        (, uint256 counter) = ledger.checkTask(id, t); // the task copy is still current
        assertEq(counter, 1);
        _assertAllConserved();
    }

    /// @notice Bidders committing with the same copy of the task do not make each other's copy stale.
    function test_Commit_ConcurrentBiddersShareOneTaskCopy() public {
        (uint256 id, LedgerTask memory t) = _openTask(firstPrice, 1);
        _commit(firstPrice, id, t, alice, 50e18);
        _commit(firstPrice, id, t, bob, 60e18);
        _commit(firstPrice, id, t, carol, 70e18);
        (, uint256 counter) = ledger.checkTask(id, t);
        assertEq(counter, 3);
    }

    function test_Commit_PullsShortfallWhenBondTooSmall() public {
        (uint256 id, LedgerTask memory t) = _openTask(firstPrice, 1);
        vm.prank(alice);
        firstPrice.withdrawBond(BOND - BID_COLLATERAL / 2);
        token.mint(alice, BID_COLLATERAL);
        uint256 before = token.balanceOf(alice);
        _commit(firstPrice, id, t, alice, 50e18);
        assertEq(firstPrice.bondOf(alice), 0);
        assertEq(before - token.balanceOf(alice), BID_COLLATERAL / 2);
        _assertAuctionConserved(firstPrice);
    }

    function test_RevertWhen_CommitZero() public {
        (uint256 id, LedgerTask memory t) = _openTask(firstPrice, 1);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ILedgerSealedBidAuction.ZeroCommitment.selector, bytes32(0)));
        firstPrice.commit(id, t, bytes32(0));
    }

    function test_RevertWhen_CommitAfterCommitWindow() public {
        (uint256 id, LedgerTask memory t) = _openTask(firstPrice, 1);
        _toReveal(t);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                ILedgerSealedBidAuction.CommitWindowClosed.selector, id, uint256(t.openedAt) + COMMIT
            )
        );
        firstPrice.commit(id, t, bytes32(uint256(1)));
    }

    function test_RevertWhen_BidderNotRegistered() public {
        (uint256 id, LedgerTask memory t) = _openTask(firstPrice, 1);
        vm.prank(outsider);
        vm.expectRevert(abi.encodeWithSelector(ILedgerSealedBidAuction.BidderNotRegistered.selector, outsider));
        firstPrice.commit(id, t, bytes32(uint256(1)));
    }

    function test_RevertWhen_CommitTwice() public {
        (uint256 id, LedgerTask memory t) = _openTask(firstPrice, 1);
        _commit(firstPrice, id, t, alice, 50e18);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ILedgerSealedBidAuction.AlreadyCommitted.selector, id, alice));
        firstPrice.commit(id, t, bytes32(uint256(1)));
    }

    function test_RevertWhen_AuctionFull() public {
        LedgerSealedBidAuction small = _deploy(false, 2);
        for (uint256 i; i < 3; ++i) {
            _bond(_bidders[i], small);
        }
        (uint256 id, LedgerTask memory t) = _openTask(small, 1);
        _commit(small, id, t, alice, 50e18);
        _commit(small, id, t, bob, 50e18);
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(ILedgerSealedBidAuction.AuctionFull.selector, id, 2));
        small.commit(id, t, bytes32(uint256(1)));
    }

    function test_RevertWhen_CommitWithStaleTask() public {
        (uint256 id, LedgerTask memory t) = _openTask(firstPrice, 1);
        LedgerTask memory stale = copyOf(t);
        stale.maxPayment -= 1;
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.StaleTask.selector, id));
        firstPrice.commit(id, stale, bytes32(uint256(1)));
    }

    function test_RevertWhen_CommitToAnotherMechanismsTask() public {
        (uint256 id, LedgerTask memory t) = _openTask(secondPrice, 1);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.OnlyTaskMechanism.selector, address(firstPrice), id));
        firstPrice.commit(id, t, bytes32(uint256(1)));
    }

    // ------------------------------------------------------------------ reveal

    function test_Reveal_ReturnsCollateral() public {
        (uint256 id, LedgerTask memory t) = _openTask(firstPrice, 1);
        _commit(firstPrice, id, t, alice, 50e18);
        _toReveal(t);
        vm.expectEmit(address(firstPrice));
        emit ILedgerSealedBidAuction.BidRevealed(id, alice, 50e18);
        _reveal(firstPrice, id, t, alice, 50e18);
        assertEq(firstPrice.bondOf(alice), BOND);
        (ILedgerSealedBidAuction.BidStatus status, uint96 price) = firstPrice.bidOf(id, t.openedAt, t.deadline, alice);
        assertEq(uint8(status), uint8(ILedgerSealedBidAuction.BidStatus.Revealed));
        assertEq(price, 50e18);
        _assertAllConserved();
    }

    function test_RevertWhen_RevealOutsideRevealWindow() public {
        (uint256 id, LedgerTask memory t) = _openTask(firstPrice, 1);
        _commit(firstPrice, id, t, alice, 50e18);
        bytes memory err = abi.encodeWithSelector(
            ILedgerSealedBidAuction.NotInRevealWindow.selector,
            id,
            uint256(t.openedAt) + COMMIT,
            uint256(t.openedAt) + COMMIT + REVEAL
        );
        vm.prank(alice);
        vm.expectRevert(err);
        firstPrice.reveal(id, t.openedAt, t.deadline, 50e18, _salt(alice));
        _toFinalize(t);
        vm.prank(alice);
        vm.expectRevert(err);
        firstPrice.reveal(id, t.openedAt, t.deadline, 50e18, _salt(alice));
    }

    function test_RevertWhen_RevealDoesNotMatch() public {
        (uint256 id, LedgerTask memory t) = _openTask(firstPrice, 1);
        _commit(firstPrice, id, t, alice, 50e18);
        _toReveal(t);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ILedgerSealedBidAuction.CommitmentMismatch.selector, id, alice));
        firstPrice.reveal(id, t.openedAt, t.deadline, 49e18, _salt(alice));
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ILedgerSealedBidAuction.CommitmentMismatch.selector, id, alice));
        firstPrice.reveal(id, t.openedAt, t.deadline, 50e18, _salt(bob));
    }

    /// @notice A copied commitment is bound to its author: another bidder cannot open it.
    function test_RevertWhen_RevealWithoutCommitment() public {
        (uint256 id, LedgerTask memory t) = _openTask(firstPrice, 1);
        _commit(firstPrice, id, t, alice, 50e18);
        _toReveal(t);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(ILedgerSealedBidAuction.NoCommitment.selector, id, bob));
        firstPrice.reveal(id, t.openedAt, t.deadline, 50e18, _salt(alice));
        // The wrong round (deadline) finds no word either.
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ILedgerSealedBidAuction.NoCommitment.selector, id, alice));
        firstPrice.reveal(id, t.openedAt, t.deadline + 1, 50e18, _salt(alice));
    }

    function test_RevertWhen_RevealTwice() public {
        (uint256 id, LedgerTask memory t) = _openTask(firstPrice, 1);
        _commit(firstPrice, id, t, alice, 50e18);
        _toReveal(t);
        _reveal(firstPrice, id, t, alice, 50e18);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ILedgerSealedBidAuction.AlreadyRevealed.selector, id, alice));
        firstPrice.reveal(id, t.openedAt, t.deadline, 50e18, _salt(alice));
    }

    // ------------------------------------------------------------------ finalize

    function test_RevertWhen_FinalizeEarly() public {
        (uint256 id, LedgerTask memory t) = _openTask(firstPrice, 1);
        _commit(firstPrice, id, t, alice, 50e18);
        _toReveal(t);
        vm.expectRevert(
            abi.encodeWithSelector(
                ILedgerSealedBidAuction.RevealWindowOpen.selector, id, uint256(t.openedAt) + COMMIT + REVEAL
            )
        );
        firstPrice.finalize(id, t, _list(alice));
    }

    function test_RevertWhen_FinalizeAfterDeadline() public {
        (uint256 id, LedgerTask memory t) = _openTask(firstPrice, 1);
        vm.warp(uint256(t.deadline) + 1);
        vm.expectRevert(abi.encodeWithSelector(ILedgerSealedBidAuction.AuctionExpired.selector, id, t.deadline));
        firstPrice.finalize(id, t, new address[](0));
    }

    function test_RevertWhen_FinalizeListTooShortOrTooLong() public {
        (uint256 id, LedgerTask memory t) = _twoRevealed(firstPrice, 50e18, 60e18);
        vm.expectRevert(abi.encodeWithSelector(ILedgerSealedBidAuction.CommitterCountMismatch.selector, id, 1, 2));
        firstPrice.finalize(id, t, _list(alice));
        address[] memory three = new address[](3);
        (three[0], three[1], three[2]) = (address(1), address(2), address(3));
        vm.expectRevert(abi.encodeWithSelector(ILedgerSealedBidAuction.CommitterCountMismatch.selector, id, 3, 2));
        firstPrice.finalize(id, t, three);
    }

    function test_RevertWhen_FinalizeListUnsorted() public {
        (uint256 id, LedgerTask memory t) = _twoRevealed(firstPrice, 50e18, 60e18);
        address[] memory l = _list(alice, bob);
        (l[0], l[1]) = (l[1], l[0]);
        vm.expectRevert(abi.encodeWithSelector(ILedgerSealedBidAuction.CommittersNotAscending.selector, id, 1));
        firstPrice.finalize(id, t, l);
    }

    function test_RevertWhen_FinalizeListDuplicated() public {
        (uint256 id, LedgerTask memory t) = _twoRevealed(firstPrice, 50e18, 60e18);
        address[] memory l = new address[](2);
        (l[0], l[1]) = (alice, alice);
        vm.expectRevert(abi.encodeWithSelector(ILedgerSealedBidAuction.CommittersNotAscending.selector, id, 1));
        firstPrice.finalize(id, t, l);
    }

    function test_RevertWhen_FinalizeListHasNonCommitter() public {
        (uint256 id, LedgerTask memory t) = _twoRevealed(firstPrice, 50e18, 60e18);
        address[] memory l = _list(alice, carol);
        vm.expectRevert(abi.encodeWithSelector(ILedgerSealedBidAuction.NotACommitter.selector, id, carol));
        firstPrice.finalize(id, t, _sorted(l));
    }

    function test_RevertWhen_FinalizeWithStaleTask() public {
        (uint256 id, LedgerTask memory t) = _twoRevealed(firstPrice, 50e18, 60e18);
        LedgerTask memory stale = copyOf(t);
        stale.minCollateral = 1;
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.StaleTask.selector, id));
        firstPrice.finalize(id, stale, _list(alice, bob));
    }

    function test_RevertWhen_FinalizeTwice() public {
        (uint256 id, LedgerTask memory t) = _openTask(firstPrice, 1);
        _toFinalize(t);
        LedgerTask memory n = _finalize(firstPrice, id, t, new address[](0), address(0), 0);
        vm.expectRevert(abi.encodeWithSelector(ILedgerSealedBidAuction.AlreadyFinalized.selector, id));
        firstPrice.finalize(id, n, new address[](0));
    }

    /// @dev Alice and bob commit and reveal; the clock is at the reveal window's end.
    function _twoRevealed(LedgerSealedBidAuction a, uint96 alicePrice, uint96 bobPrice)
        internal
        returns (uint256 id, LedgerTask memory t)
    {
        (id, t) = _openTask(a, 7);
        _commit(a, id, t, alice, alicePrice);
        _commit(a, id, t, bob, bobPrice);
        _toReveal(t);
        _reveal(a, id, t, alice, alicePrice);
        _reveal(a, id, t, bob, bobPrice);
        _toFinalize(t);
    }

    // ------------------------------------------------------------------ prices and proofs

    function test_FirstPrice_WinnerPaidItsBid() public {
        (uint256 id, LedgerTask memory t) = _twoRevealed(firstPrice, 60e18, 50e18);
        vm.expectEmit(address(firstPrice));
        emit ILedgerSealedBidAuction.AuctionFinalized(id, bob, 50e18, 50e18, 0);
        t = _finalize(firstPrice, id, t, _list(alice, bob), bob, 50e18);
        assertEq(proveLedger(id, t, 7, bob), 50e18);
        assertEq(ledger.balanceOf(requester), TASK_BUDGET - 50e18, "rest refunded");
        _assertAllConserved();
    }

    function test_SecondPrice_WinnerPaidBestLosingBid() public {
        (uint256 id, LedgerTask memory t) = _twoRevealed(secondPrice, 60e18, 50e18);
        t = _finalize(secondPrice, id, t, _list(alice, bob), bob, 60e18);
        assertEq(proveLedger(id, t, 7, bob), 60e18);
        assertEq(ledger.balanceOf(requester), TASK_BUDGET - 60e18);
        _assertAllConserved();
    }

    function test_OneBidder_FirstPricePaysBid_SecondPricePaysReserve() public {
        (uint256 id, LedgerTask memory t) = _openTask(firstPrice, 1);
        _commit(firstPrice, id, t, alice, 40e18);
        (uint256 id2, LedgerTask memory t2) = _openTask(secondPrice, 2);
        _commit(secondPrice, id2, t2, alice, 40e18);
        _toReveal(t);
        _reveal(firstPrice, id, t, alice, 40e18);
        _reveal(secondPrice, id2, t2, alice, 40e18);
        _toFinalize(t);
        t = _finalize(firstPrice, id, t, _list(alice), alice, 40e18);
        t2 = _finalize(secondPrice, id2, t2, _list(alice), alice, TASK_BUDGET);
        assertEq(proveLedger(id, t, 1, alice), 40e18);
        assertEq(proveLedger(id2, t2, 2, alice), TASK_BUDGET);
        _assertAllConserved();
    }

    /// @notice The reserve is the requester's maxPayment: a bid above it (or a zero bid) is refunded at the reveal
    ///         and does not compete.
    function test_BidAboveReserveOrZero_DoesNotCompete() public {
        (uint256 id, LedgerTask memory t) = _openTask(secondPrice, 1);
        _commit(secondPrice, id, t, alice, TASK_BUDGET + 1);
        _commit(secondPrice, id, t, bob, 0);
        _commit(secondPrice, id, t, carol, TASK_BUDGET);
        _toReveal(t);
        _reveal(secondPrice, id, t, alice, TASK_BUDGET + 1);
        _reveal(secondPrice, id, t, bob, 0);
        _reveal(secondPrice, id, t, carol, TASK_BUDGET);
        assertEq(secondPrice.bondOf(alice), BOND, "refunded");
        _toFinalize(t);
        address[] memory l = new address[](3);
        (l[0], l[1], l[2]) = (alice, bob, carol);
        // Carol, the only eligible bid, wins at the reserve (no eligible losing bid sets the price).
        t = _finalize(secondPrice, id, t, _sorted(l), carol, TASK_BUDGET);
        _assertAllConserved();
    }

    function test_RevertWhen_ProofBeforeFinalize() public {
        (uint256 id, LedgerTask memory t) = _openTask(firstPrice, 1);
        _commit(firstPrice, id, t, alice, 40e18);
        bytes memory proof = proofOf(1, alice);
        uint256[] memory inputs = statement(1);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ILedgerSealedBidAuction.NotAWinner.selector, id, alice));
        ledger.submitProof(id, t, inputs, proof);
    }

    function test_RevertWhen_LoserProves() public {
        (uint256 id, LedgerTask memory t) = _twoRevealed(firstPrice, 60e18, 50e18);
        t = _finalize(firstPrice, id, t, _list(alice, bob), bob, 50e18);
        bytes memory proof = proofOf(7, alice);
        uint256[] memory inputs = statement(7);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ITaskLedger.AssignedToOther.selector, id, bob));
        ledger.submitProof(id, t, inputs, proof);
    }

    /// @notice The winner's collateral is the larger of the instance's and the requester's floor.
    function test_WinnerCollateral_AtLeastTaskMinimum() public {
        LedgerRequest memory r = ledgerRequest(3, 1, address(firstPrice));
        r.minCollateral = 30e18;
        (uint256 id, LedgerTask memory t) = openLedger(r);
        _commit(firstPrice, id, t, alice, 40e18);
        _toReveal(t);
        _reveal(firstPrice, id, t, alice, 40e18);
        _toFinalize(t);
        firstPrice.finalize(id, t, _list(alice));
        ledger.checkTask(id, withAssignment(t, alice, 40e18, 30e18, firstPrice.FINALIZED()));
        assertEq(proverRegistry.proverOf(alice).locked, 30e18);
    }

    /// @notice A best bidder that made itself unassignable after revealing is passed over; under second price the
    ///         next winner pays the bid after it.
    function test_UnassignableWinner_IsSkipped() public {
        (uint256 id, LedgerTask memory t) = _openTask(secondPrice, 1);
        _commit(secondPrice, id, t, alice, 30e18);
        _commit(secondPrice, id, t, bob, 40e18);
        _commit(secondPrice, id, t, carol, 50e18);
        _toReveal(t);
        _reveal(secondPrice, id, t, alice, 30e18);
        _reveal(secondPrice, id, t, bob, 40e18);
        _reveal(secondPrice, id, t, carol, 50e18);
        vm.prank(alice);
        proverRegistry.requestUnstake(PROVER_STAKE);
        _toFinalize(t);
        address[] memory l = new address[](3);
        (l[0], l[1], l[2]) = (alice, bob, carol);
        vm.expectEmit(address(secondPrice));
        emit ILedgerSealedBidAuction.WinnerSkipped(
            id,
            alice,
            abi.encodeWithSelector(IProverRegistry.InsufficientFreeStake.selector, alice, WINNER_COLLATERAL, 0)
        );
        t = _finalize(secondPrice, id, t, _sorted(l), bob, 50e18);
        assertEq(proveLedger(id, t, 1, bob), 50e18);
        _assertAllConserved();
    }

    // ------------------------------------------------------------------ ties

    /// @notice Equal prices: the lower keccak256(seed, bidder) wins, seed the XOR of the revealed salts; the
    ///         outcome does not depend on the order of commits or reveals.
    function test_Tie_DecidedBySeedNotOrder() public {
        uint256 snap = vm.snapshotState();
        address first = _tieWinner(alice, bob);
        vm.revertToState(snap);
        address second = _tieWinner(bob, alice);
        assertEq(first, second, "order-independent");
        uint64 seed = uint64(uint256(_salt(alice))) ^ uint64(uint256(_salt(bob)));
        uint256 ka = uint256(keccak256(abi.encode(seed, alice)));
        uint256 kb = uint256(keccak256(abi.encode(seed, bob)));
        assertEq(first, ka < kb ? alice : bob, "lower tie key wins");
    }

    function _tieWinner(address x, address y) internal returns (address winner) {
        (uint256 id, LedgerTask memory t) = _openTask(firstPrice, 9);
        _commit(firstPrice, id, t, x, 50e18);
        _commit(firstPrice, id, t, y, 50e18);
        _toReveal(t);
        _reveal(firstPrice, id, t, x, 50e18);
        _reveal(firstPrice, id, t, y, 50e18);
        _toFinalize(t);
        firstPrice.finalize(id, t, _list(x, y));
        // Whoever is assigned makes this copy current.
        winner = _isCurrent(id, withAssignment(t, alice, 50e18, WINNER_COLLATERAL, 1)) ? alice : bob;
        ledger.checkTask(id, withAssignment(t, winner, 50e18, WINNER_COLLATERAL, 1));
    }

    function _isCurrent(uint256 id, LedgerTask memory t) internal view returns (bool) {
        try ledger.checkTask(id, t) {
            return true;
        } catch {
            return false;
        }
    }

    // ------------------------------------------------------------------ game edge cases

    /// @notice Nobody reveals: finalize assigns nobody and forfeits the collateral to the treasury; the task expires
    ///         and the requester is refunded.
    function test_NoReveal_CollateralForfeited_TaskExpires() public {
        (uint256 id, LedgerTask memory t) = _openTask(firstPrice, 1);
        _commit(firstPrice, id, t, alice, 40e18);
        _commit(firstPrice, id, t, bob, 45e18);
        _toFinalize(t);
        vm.expectEmit(address(firstPrice));
        emit ILedgerSealedBidAuction.AuctionFinalized(id, address(0), 0, 0, 2 * BID_COLLATERAL);
        t = _finalize(firstPrice, id, t, _list(alice, bob), address(0), 0);
        _open[address(firstPrice)] -= 2;
        assertEq(firstPrice.forfeited(), 2 * BID_COLLATERAL);
        assertEq(firstPrice.bondOf(alice), BOND - BID_COLLATERAL);
        _assertAllConserved();

        vm.warp(uint256(t.deadline) + 1);
        ledger.expire(id, t);
        assertEq(ledger.balanceOf(requester), TASK_BUDGET);
        firstPrice.sweepForfeits();
        assertEq(token.balanceOf(treasury), 2 * BID_COLLATERAL);
        assertEq(firstPrice.forfeited(), 0);
        _assertAllConserved();
    }

    /// @notice Nobody reveals, the requester named the race as fallback: the task reopens there and is proven.
    function test_NoReveal_TaskFallsToFallback() public {
        LedgerRequest memory r = ledgerRequest(4, 1, address(firstPrice));
        r.fallbackMechanism = address(ledgerRace);
        r.fallbackWindow = 1 hours;
        (uint256 id, LedgerTask memory t) = openLedger(r);
        _commit(firstPrice, id, t, alice, 40e18);
        _toFinalize(t);
        t = _finalize(firstPrice, id, t, _list(alice), address(0), 0);
        _open[address(firstPrice)] -= 1;
        vm.warp(uint256(t.deadline) + 1);
        ledger.expire(id, t);
        LedgerTask memory n = copyOf(t);
        n.mechanism = address(ledgerRace);
        n.openedAt = uint32(block.timestamp);
        n.deadline = uint32(block.timestamp + 1 hours);
        n.flags = 0;
        n.fallbackMechanism = address(0);
        n.fallbackWindow = 0;
        n.mechanismState = 0;
        track(id, n);
        assertEq(proveLedger(id, n, 4, bob), TASK_BUDGET);
        _assertAllConserved();
    }

    function test_SweepForfeits_RevertWhen_Nothing() public {
        vm.expectRevert(ILedgerSealedBidAuction.NothingToSweep.selector);
        firstPrice.sweepForfeits();
    }

    /// @notice Everyone reveals late: the reveals revert, finalize assigns nobody and forfeits everything.
    function test_AllRevealLate() public {
        (uint256 id, LedgerTask memory t) = _openTask(firstPrice, 1);
        _commit(firstPrice, id, t, alice, 40e18);
        _commit(firstPrice, id, t, bob, 45e18);
        _toFinalize(t);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                ILedgerSealedBidAuction.NotInRevealWindow.selector,
                id,
                uint256(t.openedAt) + COMMIT,
                uint256(t.openedAt) + COMMIT + REVEAL
            )
        );
        firstPrice.reveal(id, t.openedAt, t.deadline, 40e18, _salt(alice));
        t = _finalize(firstPrice, id, t, _list(alice, bob), address(0), 0);
        _open[address(firstPrice)] -= 2;
        assertEq(firstPrice.forfeited(), 2 * BID_COLLATERAL);
        _assertAllConserved();
    }

    /// @notice One bidder reveals, one does not: the revealer wins, the other's collateral is forfeited.
    function test_PartialReveal_ForfeitsOnlyTheSilent() public {
        (uint256 id, LedgerTask memory t) = _openTask(firstPrice, 1);
        _commit(firstPrice, id, t, alice, 40e18);
        _commit(firstPrice, id, t, bob, 30e18);
        _toReveal(t);
        _reveal(firstPrice, id, t, alice, 40e18);
        _toFinalize(t);
        t = _finalize(firstPrice, id, t, _list(alice, bob), alice, 40e18);
        _open[address(firstPrice)] -= 1;
        assertEq(firstPrice.forfeited(), BID_COLLATERAL);
        (ILedgerSealedBidAuction.BidStatus status,) = firstPrice.bidOf(id, t.openedAt, t.deadline, bob);
        assertEq(uint8(status), uint8(ILedgerSealedBidAuction.BidStatus.None), "word cleared");
        _assertAllConserved();
    }

    /// @notice The winner does not prove: expiry slashes its collateral (treasury / cover / requester split).
    function test_WinnerFailsToProve_SlashedAtExpiry() public {
        (uint256 id, LedgerTask memory t) = _twoRevealed(firstPrice, 60e18, 50e18);
        t = _finalize(firstPrice, id, t, _list(alice, bob), bob, 50e18);
        uint256 stakeBefore = proverRegistry.proverOf(bob).stake;
        vm.warp(uint256(t.deadline) + 1);
        ledger.expire(id, t);
        assertEq(stakeBefore - proverRegistry.proverOf(bob).stake, WINNER_COLLATERAL, "slashed");
        assertEq(proverRegistry.proverOf(bob).locked, 0);
        // 20 % treasury; no fallback, so the cover share goes to the requester with the escrow.
        assertEq(ledger.balanceOf(treasury), WINNER_COLLATERAL / 5);
        assertEq(ledger.balanceOf(requester), TASK_BUDGET + WINNER_COLLATERAL - WINNER_COLLATERAL / 5);
        _assertAllConserved();
    }

    /// @notice The requester cancels during bidding: bidders still get their collateral back by revealing; what
    ///         stays unrevealed is forfeited after the deadline with forfeitUnrevealed.
    function test_Cancel_RevealStillRefunds_ForfeitUnrevealedAfterDeadline() public {
        (uint256 id, LedgerTask memory t) = _openTask(firstPrice, 1);
        _commit(firstPrice, id, t, alice, 40e18);
        _commit(firstPrice, id, t, bob, 40e18);
        vm.prank(requester);
        ledger.cancelTask(id, t);
        _toReveal(t);
        _reveal(firstPrice, id, t, alice, 40e18);
        assertEq(firstPrice.bondOf(alice), BOND);

        address[] memory l = new address[](3);
        (l[0], l[1], l[2]) = (alice, bob, carol);
        vm.expectRevert(abi.encodeWithSelector(ILedgerSealedBidAuction.RoundNotOver.selector, id, t.deadline));
        firstPrice.forfeitUnrevealed(id, t.openedAt, t.deadline, l);
        vm.warp(uint256(t.deadline) + 1);
        vm.expectEmit(address(firstPrice));
        emit ILedgerSealedBidAuction.UnrevealedForfeited(id, BID_COLLATERAL);
        firstPrice.forfeitUnrevealed(id, t.openedAt, t.deadline, l);
        _open[address(firstPrice)] -= 1;
        assertEq(firstPrice.forfeited(), BID_COLLATERAL);
        // Nothing is forfeited twice.
        firstPrice.forfeitUnrevealed(id, t.openedAt, t.deadline, l);
        assertEq(firstPrice.forfeited(), BID_COLLATERAL);
        _assertAllConserved();
    }

    /// @notice A task reopened to the same instance is a new round: the old round's words do not carry over.
    function test_ReopenToSameInstance_IsANewRound() public {
        LedgerRequest memory r = ledgerRequest(5, 1, address(firstPrice));
        r.fallbackMechanism = address(firstPrice);
        r.fallbackWindow = 2 hours;
        (uint256 id, LedgerTask memory t) = openLedger(r);
        _commit(firstPrice, id, t, alice, 40e18);
        _toReveal(t);
        _reveal(firstPrice, id, t, alice, 40e18);
        vm.warp(uint256(t.deadline) + 1);
        ledger.expire(id, t);
        LedgerTask memory n = copyOf(t);
        n.openedAt = uint32(block.timestamp);
        n.deadline = uint32(block.timestamp + 2 hours);
        n.fallbackMechanism = address(0);
        n.fallbackWindow = 0;
        track(id, n);
        (, uint256 counter) = ledger.checkTask(id, n);
        assertEq(counter, 0, "counter reset");
        _commit(firstPrice, id, n, alice, 35e18); // not AlreadyCommitted
        _toReveal(n);
        _reveal(firstPrice, id, n, alice, 35e18);
        _toFinalize(n);
        n = _finalize(firstPrice, id, n, _list(alice), alice, 35e18);
        assertEq(proveLedger(id, n, 5, alice), 35e18);
        _assertAllConserved();
    }

    // ------------------------------------------------------------------ fuzz against a reference model

    /// @notice Random bids and reveal decisions over four bidders, both pricing rules: the assigned winner and price
    ///         are those of a reference model (minimum price, then lower keccak256(seed, bidder), then lower address;
    ///         first price pays the bid, second price the best other eligible bid or the reserve), and all funds are
    ///         conserved through the proof.
    function testFuzz_RankingAndPrice_MatchReference(uint96[4] memory prices, uint8 revealMask, bool second) public {
        LedgerSealedBidAuction a = second ? secondPrice : firstPrice;
        (uint256 id, LedgerTask memory t) = _openTask(a, 11);
        for (uint256 i; i < 4; ++i) {
            // Up to 25 % above the reserve and zero included, with ties likely.
            prices[i] = uint96(bound(prices[i], 0, 10) * (TASK_BUDGET / 8));
            _commit(a, id, t, _bidders[i], prices[i]);
        }
        _toReveal(t);
        uint64 seed;
        for (uint256 i; i < 4; ++i) {
            if (revealMask & (1 << i) != 0) {
                _reveal(a, id, t, _bidders[i], prices[i]);
                seed ^= uint64(uint256(_salt(_bidders[i])));
            }
        }
        _toFinalize(t);

        (address winner, uint96 price) = _reference(prices, revealMask, seed, second);
        t = _finalize(a, id, t, _sorted(_bidders), winner, price);
        uint256 unrevealed = 4 - _popcount(revealMask & 15);
        _open[address(a)] -= unrevealed;
        assertEq(a.forfeited(), unrevealed * BID_COLLATERAL);
        if (winner != address(0)) assertEq(proveLedger(id, t, 11, winner), price);
        _assertAllConserved();
    }

    function _reference(uint96[4] memory prices, uint8 revealMask, uint64 seed, bool second)
        internal
        view
        returns (address best, uint96 price)
    {
        uint256 bestIndex = type(uint256).max;
        for (uint256 i; i < 4; ++i) {
            if (revealMask & (1 << i) == 0 || prices[i] == 0 || prices[i] > TASK_BUDGET) continue;
            if (bestIndex == type(uint256).max || _before(i, bestIndex, prices, seed)) bestIndex = i;
        }
        if (bestIndex == type(uint256).max) return (address(0), 0);
        best = _bidders[bestIndex];
        if (!second) return (best, prices[bestIndex]);
        price = TASK_BUDGET;
        for (uint256 i; i < 4; ++i) {
            if (i == bestIndex || revealMask & (1 << i) == 0 || prices[i] == 0 || prices[i] > TASK_BUDGET) continue;
            if (prices[i] < price) price = prices[i];
        }
    }

    function _before(uint256 i, uint256 j, uint96[4] memory prices, uint64 seed) internal view returns (bool) {
        if (prices[i] != prices[j]) return prices[i] < prices[j];
        uint256 ki = uint256(keccak256(abi.encode(seed, _bidders[i])));
        uint256 kj = uint256(keccak256(abi.encode(seed, _bidders[j])));
        if (ki != kj) return ki < kj;
        return _bidders[i] < _bidders[j];
    }

    function _popcount(uint256 x) internal pure returns (uint256 c) {
        for (; x != 0; x >>= 1) {
            c += x & 1;
        }
    }
}
