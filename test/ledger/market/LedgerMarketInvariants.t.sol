// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProverRegistry} from "../../../contracts/interfaces/IProverRegistry.sol";
import {LedgerTask, LedgerTaskLib, TaskWord} from "../../../contracts/types/LedgerTask.sol";
import {LedgerRouterFixture} from "../LedgerRouterFixture.sol";
import {LedgerMarket, LedgerMarketHandler} from "./LedgerMarketHandler.sol";

/// @title LedgerMarketInvariants
/// @notice Stateful invariants with every ported ledger family active at once (issue #5: "escrow conservation and
///         capacity hold with every mechanism active at once"): the fuzzer drives only LedgerMarketHandler over the
///         real TaskLedger, ProverRegistry, router and the five families of LedgerRouterFixture, with tasks opened
///         directly or through the router, some with a race fallback. test/ledger/README.md lists the invariants in
///         plain words.
contract LedgerMarketInvariants is LedgerRouterFixture {
    uint256 internal constant BOND = 50e18;

    LedgerMarketHandler internal handler;
    address internal dave = makeAddr("dave");
    address[] internal _provers;

    function setUp() public {
        deployLedgerRouter();
        _provers.push(alice);
        _provers.push(bob);
        _provers.push(carol);
        _provers.push(dave);
        for (uint256 i; i < _provers.length; ++i) {
            address p = _provers[i];
            registerProver(p);
            // The sealed-bid bond behind each commitment (and a shortfall's allowance).
            token.mint(p, BOND * 4);
            vm.startPrank(p);
            token.approve(address(lsealed), type(uint256).max);
            lsealed.depositBond(BOND);
            vm.stopPrank();
        }
        handler = new LedgerMarketHandler(
            LedgerMarket({
                ledger: ledger,
                token: token,
                verifier: testVerifier,
                router: lrouter,
                race: address(lrace),
                sealedBid: lsealed,
                ascending: lascending,
                election: lelection,
                book: lbook
            }),
            requester,
            _provers
        );
        token.grantRole(token.MINTER_ROLE(), address(handler));

        bytes4[] memory selectors = new bytes4[](22);
        selectors[0] = LedgerMarketHandler.open.selector;
        selectors[1] = LedgerMarketHandler.open.selector;
        selectors[2] = LedgerMarketHandler.cancel.selector;
        selectors[3] = LedgerMarketHandler.prove.selector;
        selectors[4] = LedgerMarketHandler.prove.selector;
        selectors[5] = LedgerMarketHandler.expire.selector;
        selectors[6] = LedgerMarketHandler.withdraw.selector;
        selectors[7] = LedgerMarketHandler.lock.selector;
        selectors[8] = LedgerMarketHandler.slashLock.selector;
        selectors[9] = LedgerMarketHandler.commit.selector;
        selectors[10] = LedgerMarketHandler.commit.selector;
        selectors[11] = LedgerMarketHandler.reveal.selector;
        selectors[12] = LedgerMarketHandler.finalize.selector;
        selectors[13] = LedgerMarketHandler.forfeit.selector;
        selectors[14] = LedgerMarketHandler.draw.selector;
        selectors[15] = LedgerMarketHandler.postOffer.selector;
        selectors[16] = LedgerMarketHandler.withdrawOffer.selector;
        selectors[17] = LedgerMarketHandler.matchTask.selector;
        selectors[18] = LedgerMarketHandler.warp.selector;
        selectors[19] = LedgerMarketHandler.prove.selector;
        // More opens keep live tasks of every family in reach of the windows that close in minutes.
        selectors[20] = LedgerMarketHandler.open.selector;
        selectors[21] = LedgerMarketHandler.open.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    /// 1. Every token is where the books say: the ledger holds Σ credits + Σ live escrow, the prover registry the
    ///    stakes, the sealed-bid auction its bonds, its unrevealed commitments' collateral and its forfeits.
    function invariant_TokensAreConserved() public view {
        assertEq(token.balanceOf(address(ledger)), _credits() + _liveEscrow(), "ledger = credits + live escrow");
        uint256 stakes;
        uint256 bonds;
        for (uint256 p; p < _provers.length; ++p) {
            stakes += proverRegistry.proverOf(_provers[p]).stake;
            bonds += lsealed.bondOf(_provers[p]);
        }
        assertEq(token.balanceOf(address(proverRegistry)), stakes, "prover registry holds the stakes");
        assertEq(
            token.balanceOf(address(lsealed)),
            bonds + handler.sealedUnrevealed() * lsealed.bidCollateral() + lsealed.forfeited(),
            "sealed-bid: bonds + unrevealed collateral + forfeits"
        );
    }

    /// 2. The logs are enough to follow every family: each live word is the hash of the task folded from the logs,
    ///    and its proof count is the count of ProofAccepted logs.
    function invariant_LogsFollowEveryTask() public view {
        uint256 n = handler.taskCount();
        for (uint256 i; i < n; ++i) {
            uint256 id = handler.taskIds(i);
            TaskWord w = ledger.taskWord(id);
            if (TaskWord.unwrap(w) == 0) continue;
            assertTrue(w.matches(LedgerTaskLib.hashOfMemory(handler.currentTask(id))), "folded task is current");
            assertEq(w.proofsAccepted(), handler.acceptedCount(id), "proof count");
        }
    }

    /// 3. No task pays more than its budget plus the cover it received, accepts more proofs than its redundancy, or
    ///    two proofs from one prover (a copied proof is refused: the handler's prove requires it).
    function invariant_NoTaskPaidTwice() public view {
        uint256 n = handler.taskCount();
        for (uint256 i; i < n; ++i) {
            uint256 id = handler.taskIds(i);
            LedgerTask memory t = handler.currentTask(id);
            assertLe(handler.paidOut(id), uint256(t.maxPayment) + handler.coverIn(id), "paid within budget + cover");
            assertLe(handler.acceptedCount(id), t.redundancy, "proofs within redundancy");
            for (uint256 p; p < _provers.length; ++p) {
                assertLe(handler.acceptedBy(id, _provers[p]), 1, "one proof per prover");
            }
        }
    }

    /// 4. Capacity: each prover's locked stake and assignment count are exactly its live assignments' (whichever
    ///    family made them), within its declared capacity and its stake; each offer's live matches are the book's.
    function invariant_CapacityAndLocksHold() public view {
        uint256 n = handler.taskCount();
        for (uint256 p; p < _provers.length; ++p) {
            address prover = _provers[p];
            (uint256 locked, uint256 count, uint256 matches) = _liveAssignmentsOf(prover, n);
            IProverRegistry.Prover memory info = proverRegistry.proverOf(prover);
            assertEq(info.locked, locked, "locked = live collateral");
            assertEq(info.activeAssignments, count, "assignments = live assignees");
            assertLe(info.activeAssignments, info.maxConcurrent, "within declared capacity");
            assertLe(info.locked, info.stake, "locked within stake");
            assertEq(lbook.offerOf(prover).active, matches, "offer's active = live book matches");
        }
    }

    /// 5. The router learns each routed task's outcome exactly once, whichever family ran it.
    function invariant_RoutedTasksReportedOnce() public view {
        uint256 count;
        uint256 fulfilled;
        for (uint256 i; i < 5; ++i) {
            (,,,, uint32 c, uint32 f) = lrouter.statsOf(i);
            count += c;
            fulfilled += f;
        }
        assertEq(count, handler.routedEnded(), "one report per ended routed task");
        assertEq(fulfilled, handler.routedFulfilled(), "fulfilled reports");
    }

    /// Reach: a fixed-seed walk makes every family's actions go through at least once, checking the invariants
    /// after each step.
    function test_HandlerReachesEveryPath() public {
        for (uint256 run; run < 80; ++run) {
            uint256 r = uint256(keccak256(abi.encode("market", run)));
            try handler.open(r, uint8(run % 5), uint8(r >> 8), uint96(r >> 16), uint8(r >> 112)) {} catch {}
            if (handler.taskCount() != 0) _walk(handler.taskCount() - 1, r);
            // Through `this`: each check gets a fresh memory frame (the walk's would grow with every task read).
            this.invariant_TokensAreConserved();
            this.invariant_LogsFollowEveryTask();
            this.invariant_NoTaskPaidTwice();
            this.invariant_CapacityAndLocksHold();
            this.invariant_RoutedTasksReportedOnce();
        }
        string[18] memory actions = [
            "open",
            "route",
            "cancel",
            "prove",
            "expire",
            "reopen",
            "withdraw",
            "lock",
            "slashLock",
            "slash",
            "commit",
            "reveal",
            "finalize",
            "forfeit",
            "draw",
            "postOffer",
            "withdrawOffer",
            "matchTask"
        ];
        for (uint256 i; i < actions.length; ++i) {
            assertGt(handler.calls(bytes32(bytes(actions[i]))), 0, actions[i]);
        }
    }

    /// @dev One task's life with random choices: offers, bids, locks, draws, matches, proofs, expiry.
    function _walk(uint256 k, uint256 r) internal {
        try handler.postOffer(r >> 120, uint96(r >> 128), uint32(r >> 140), uint16(r >> 150)) {} catch {}
        if ((r >> 24) % 7 == 0) try handler.withdrawOffer(r >> 28) {} catch {}
        if ((r >> 32) % 9 == 0) try handler.cancel(k) {} catch {}
        try handler.commit(k, r >> 36) {} catch {}
        try handler.commit(k, (r >> 36) + 1) {} catch {}
        if ((r >> 40) % 3 != 0) try handler.reveal(r >> 36) {} catch {}
        try handler.finalize(k) {} catch {}
        try handler.lock(k, r >> 44) {} catch {}
        if ((r >> 48) % 3 == 0) try handler.slashLock(k) {} catch {}
        try handler.draw(k, bytes32(r)) {} catch {}
        try handler.matchTask(k) {} catch {}
        if ((r >> 52) % 4 != 0) try handler.prove(k, r >> 56, r >> 60) {} catch {}
        try handler.prove(k, (r >> 56) + 1, 0) {} catch {}
        if ((r >> 64) % 4 == 0) try handler.expire(k) {} catch {}
        if ((r >> 68) % 5 == 0) try handler.forfeit(r >> 72) {} catch {}
        try handler.withdraw(r >> 76, r >> 80) {} catch {}
        handler.warp(r >> 96);
    }

    function _liveAssignmentsOf(address prover, uint256 n)
        internal
        view
        returns (uint256 locked, uint256 count, uint256 matches)
    {
        for (uint256 i; i < n; ++i) {
            uint256 id = handler.taskIds(i);
            if (TaskWord.unwrap(ledger.taskWord(id)) == 0) continue;
            LedgerTask memory t = handler.currentTask(id);
            if (t.assignee != prover) continue;
            locked += t.collateral;
            ++count;
            if (t.mechanism == address(lbook)) ++matches;
        }
    }

    function _liveEscrow() internal view returns (uint256 sum) {
        uint256 n = handler.taskCount();
        for (uint256 i; i < n; ++i) {
            uint256 id = handler.taskIds(i);
            TaskWord w = ledger.taskWord(id);
            if (TaskWord.unwrap(w) == 0) continue;
            LedgerTask memory t = handler.currentTask(id);
            sum += uint256(t.maxPayment) - w.proofsAccepted() * (uint256(t.maxPayment) / t.redundancy) + t.coverBounty;
        }
    }

    function _credits() internal view returns (uint256 sum) {
        sum = ledger.balanceOf(requester) + ledger.balanceOf(treasury);
        for (uint256 p; p < _provers.length; ++p) {
            sum += ledger.balanceOf(_provers[p]);
        }
    }
}
