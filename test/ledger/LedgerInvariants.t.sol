// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {LedgerMechanismRouter} from "../../contracts/LedgerMechanismRouter.sol";
import {IMechanism} from "../../contracts/interfaces/IMechanism.sol";
import {IRouterInstances} from "../../contracts/interfaces/IRouterInstances.sol";
import {ITreeAssignment} from "../../contracts/interfaces/ITreeAssignment.sol";
import {LedgerTreeAssignment} from "../../contracts/mechanisms/ledger/LedgerTreeAssignment.sol";
import {LedgerTask, LedgerTaskLib, TaskWord} from "../../contracts/types/LedgerTask.sol";
import {LedgerFixture} from "./LedgerFixture.sol";
import {LedgerHandler} from "./LedgerHandler.sol";
import {LedgerTreeHandler} from "./LedgerTreeHandler.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title LedgerInvariants
/// @notice Stateful invariants of the TaskLedger (test/ledger/README.md lists them in plain words): the fuzzer
///         drives only LedgerHandler over the real ledger, ProverRegistry, VerifierRegistry, HashVerifier and the
///         two test mechanisms and a LedgerTreeAssignment whose pool is the three provers, half the race and assigner
///         tasks opened through the one-word router.
contract LedgerInvariants is LedgerFixture {
    LedgerHandler internal handler;
    LedgerMechanismRouter internal router;
    LedgerTreeAssignment internal tree;
    LedgerTreeHandler internal treeHandler;
    address[] internal _provers;

    function setUp() public {
        deployLedger();
        registerProver(alice);
        registerProver(bob);
        registerProver(carol);
        _provers.push(alice);
        _provers.push(bob);
        _provers.push(carol);
        handler = new LedgerHandler(
            ledger, token, proverRegistry, testVerifier, address(ledgerRace), assigner, requester, _provers
        );
        token.grantRole(token.MINTER_ROLE(), address(handler));
        router = new LedgerMechanismRouter(ledger, address(this));
        ledger.grantRole(ledger.ROUTER_ROLE(), address(router));
        ledger.setRouter(address(router));
        IRouterInstances.Limits memory any = IRouterInstances.Limits({
            maxRedundancy: 4, stakeAtRisk: 0, minLeadTime: 0, minPricePerProof: 0, requiresData: false
        });
        router.addInstance(address(ledgerRace), any);
        router.addInstance(address(assigner), any);
        handler.setRouter(router);
        tree = new LedgerTreeAssignment(
            ledger,
            IERC20(address(token)),
            ITreeAssignment.Params({
                rangeBond: 20e18,
                rootCollateral: 100e18,
                rangeWindowBps: 5000,
                uncleBps: 5000,
                maxRanges: 16,
                maxPoolSize: 8,
                drawDelay: 2,
                exitDelay: 1 hours,
                baseWeight: 1,
                mergeWeight: 1,
                rootWeight: 1,
                profile: IMechanism.Profile({kind: 6, speed: 8, cost: 4, safety: 7, censorshipResistance: 10})
            })
        );
        ledger.setMechanism(address(tree), true);
        proverRegistry.addCapacityHolder(address(tree));
        for (uint256 p; p < 3; ++p) {
            token.mint(_provers[p], 200e18);
            vm.startPrank(_provers[p]);
            token.approve(address(tree), 200e18);
            tree.joinPool(200e18);
            vm.stopPrank();
        }
        treeHandler = new LedgerTreeHandler(ledger, token, testVerifier, tree, handler, requester);
        token.grantRole(token.MINTER_ROLE(), address(treeHandler));
        handler.setKeeper(address(treeHandler));
        bytes4[] memory selectors = new bytes4[](12);
        selectors[0] = LedgerHandler.open.selector;
        selectors[1] = LedgerHandler.open.selector;
        selectors[2] = LedgerHandler.assign.selector;
        selectors[3] = LedgerHandler.unassign.selector;
        selectors[4] = LedgerHandler.slash.selector;
        selectors[5] = LedgerHandler.prove.selector;
        selectors[6] = LedgerHandler.prove.selector;
        selectors[7] = LedgerHandler.prove.selector;
        selectors[8] = LedgerHandler.expire.selector;
        selectors[9] = LedgerHandler.cancel.selector;
        selectors[10] = LedgerHandler.withdraw.selector;
        selectors[11] = LedgerHandler.warp.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
        bytes4[] memory treeSelectors = new bytes4[](6);
        treeSelectors[0] = LedgerTreeHandler.openTree.selector;
        treeSelectors[1] = LedgerTreeHandler.drawTree.selector;
        treeSelectors[2] = LedgerTreeHandler.attestTree.selector;
        treeSelectors[3] = LedgerTreeHandler.attestTree.selector;
        treeSelectors[4] = LedgerTreeHandler.coverTree.selector;
        treeSelectors[5] = LedgerTreeHandler.proveTree.selector;
        targetSelector(FuzzSelector({addr: address(treeHandler), selectors: treeSelectors}));
        targetContract(address(treeHandler));
    }

    /// 1. The ledger's token balance is Σ credits + Σ escrow of live tasks.
    function invariant_TokensAreConserved() public view {
        uint256 escrow;
        uint256 n = handler.taskCount();
        for (uint256 i; i < n; ++i) {
            uint256 id = handler.taskIds(i);
            TaskWord w = ledger.taskWord(id);
            if (TaskWord.unwrap(w) == 0) continue;
            LedgerTask memory t = handler.currentTask(id);
            escrow += uint256(t.maxPayment) - w.proofsAccepted() * (uint256(t.maxPayment) / t.redundancy)
            + t.coverBounty;
        }
        assertEq(token.balanceOf(address(ledger)), creditSum() + escrow, "ledger balance = credits + live escrow");
        assertEq(token.balanceOf(address(proverRegistry)), _stakeSum(), "prover registry holds the stakes");
    }

    /// 2. The handler's book of every live task is the ledger's: each live word is the hash of the tracked task,
    ///    and its proof count is what the handler saw accepted.
    function invariant_BooksMatchTheWords() public view {
        uint256 n = handler.taskCount();
        for (uint256 i; i < n; ++i) {
            uint256 id = handler.taskIds(i);
            TaskWord w = ledger.taskWord(id);
            if (TaskWord.unwrap(w) == 0) continue;
            assertTrue(w.matches(LedgerTaskLib.hashOfMemory(handler.currentTask(id))), "tracked task is current");
            assertEq(w.proofsAccepted(), handler.acceptedCount(id), "proof count");
        }
    }

    /// 3. No task pays more than its budget plus the cover it received, accepts more proofs than its redundancy,
    ///    or accepts two proofs from one prover; a copied proof is never accepted.
    function invariant_NoTaskPaidTwice() public view {
        assertEq(handler.copiedAccepted(), 0, "a copied proof was accepted");
        uint256 n = handler.taskCount();
        for (uint256 i; i < n; ++i) {
            uint256 id = handler.taskIds(i);
            LedgerTask memory t = handler.currentTask(id);
            assertLe(handler.paidOut(id), uint256(t.maxPayment) + handler.coverIn(id), "paid within budget");
            assertLe(handler.acceptedCount(id), t.redundancy, "proofs within redundancy");
            for (uint256 p; p < 3; ++p) {
                assertLe(handler.acceptedBy(id, handler.provers(p)), 1, "one proof per prover");
            }
        }
    }

    /// 4. Each prover's locked stake and live-assignment count are exactly those of the live tasks it is assigned.
    function invariant_LocksMatchAssignments() public view {
        uint256 n = handler.taskCount();
        for (uint256 p; p < 3; ++p) {
            address prover = handler.provers(p);
            uint256 locked;
            uint256 count;
            for (uint256 i; i < n; ++i) {
                uint256 id = handler.taskIds(i);
                if (TaskWord.unwrap(ledger.taskWord(id)) == 0) continue;
                LedgerTask memory t = handler.currentTask(id);
                if (t.assignee == prover) {
                    locked += t.collateral;
                    ++count;
                }
            }
            assertEq(proverRegistry.proverOf(prover).locked, locked, "locked = live collateral");
            assertEq(proverRegistry.proverOf(prover).activeAssignments, count, "assignments = live assignees");
        }
    }

    /// 5. The ledger reports every routed task exactly once, when it ends under its routed mechanism (fulfilled,
    ///    expired, or reopened to its fallback), and never a direct task, a cancellation or a reopened version: the
    ///    router's outcome counts are the handler's. Live tasks carry FLAG_ROUTED exactly when they are routed.
    function invariant_RoutedTasksReportedOnce() public view {
        (,,,, uint32 raceCount, uint32 raceFulfilled) = router.statsOf(0);
        (,,,, uint32 assignerCount, uint32 assignerFulfilled) = router.statsOf(1);
        assertEq(uint256(raceCount) + assignerCount, handler.routedEnded(), "one report per ended routed task");
        assertEq(uint256(raceFulfilled) + assignerFulfilled, handler.routedFulfilled(), "fulfilled reports");
        uint256 n = handler.taskCount();
        for (uint256 i; i < n; ++i) {
            uint256 id = handler.taskIds(i);
            if (TaskWord.unwrap(ledger.taskWord(id)) == 0) continue;
            bool flagged = handler.currentTask(id).flags & LedgerTaskLib.FLAG_ROUTED != 0;
            assertEq(flagged, handler.routedLive(id), "FLAG_ROUTED on exactly the routed live tasks");
        }
    }

    /// 6. The tree's tokens are conserved: it holds exactly Σ free bonds + rangeBond × Σ locked ranges + Σ credited
    ///    uncle rewards and requester compensation (withdrawable by the requester and the provers).
    function invariant_TreeBondsConserved() public view {
        uint256 sum = tree.claimable(requester);
        for (uint256 p; p < 3; ++p) {
            address prover = handler.provers(p);
            (uint256 free, uint256 locked) = tree.bondOf(prover);
            sum += free + 20e18 * locked + tree.claimable(prover);
        }
        assertEq(token.balanceOf(address(tree)), sum, "tree balance = bonds + credits");
    }

    /// 7. Every locked range bond belongs to a range of a live drawn tree that is drawn or attested (not covered),
    ///    and each of those ranges locks its owner's bond: a closed tree locks nothing.
    function invariant_TreeLocksMatchRanges() public view {
        uint256 n = handler.taskCount();
        for (uint256 p; p < 3; ++p) {
            address prover = handler.provers(p);
            uint256 expected;
            for (uint256 i; i < n; ++i) {
                uint256 id = handler.taskIds(i);
                if (TaskWord.unwrap(ledger.taskWord(id)) == 0) continue;
                uint256 k = tree.treeOf(id).rangeCount;
                for (uint256 r; r < k; ++r) {
                    ITreeAssignment.Range memory range = tree.rangeOf(id, r);
                    if (range.owner == prover && range.state != ITreeAssignment.RangeState.Covered) ++expected;
                }
            }
            (, uint256 locked) = tree.bondOf(prover);
            assertEq(locked, expected, "locked ranges = live drawn or attested ranges");
        }
    }

    /// Reach (tree): a fixed-seed walk makes every tree action go through at least once, with every invariant
    /// checked after each round.
    function test_HandlerReachesEveryTreePath() public {
        for (uint256 run; run < 30; ++run) {
            uint256 r = uint256(keccak256(abi.encode("tree", run)));
            treeHandler.openTree(r, uint8(r >> 8), uint8(r >> 16), uint96(r >> 24));
            uint256 k = handler.taskCount() - 1;
            try treeHandler.drawTree(k, bytes32(r)) {} catch {}
            if ((r >> 120) % 3 != 0) try treeHandler.attestTree(k, 0) {} catch {}
            for (uint256 a; a < 3; ++a) {
                if ((r >> (130 + a)) % 2 == 0) try treeHandler.attestTree(k, a + 1) {} catch {}
            }
            if ((r >> 140) % 2 == 0) try treeHandler.coverTree(k, (r >> 150) % 4) {} catch {}
            if ((r >> 160) % 5 == 0) {
                try handler.expire(k) {} catch {}
            } else if ((r >> 160) % 5 == 1) {
                try handler.prove(k, r >> 170, 1) {} catch {}
            } else {
                try treeHandler.proveTree(k) {} catch {}
            }
            try handler.withdraw(r >> 180, r >> 190) {} catch {}
            invariant_TokensAreConserved();
            invariant_BooksMatchTheWords();
            invariant_NoTaskPaidTwice();
            invariant_LocksMatchAssignments();
            invariant_TreeBondsConserved();
            invariant_TreeLocksMatchRanges();
        }
        string[7] memory actions =
            ["openTree", "drawTree", "attestTree", "coverTree", "coverTreeRoot", "proveTree", "expire"];
        for (uint256 i; i < actions.length; ++i) {
            assertGt(handler.calls(bytes32(bytes(actions[i]))), 0, actions[i]);
        }
    }

    /// Reach: a fixed-seed walk makes every action go through at least once.
    function test_HandlerReachesEveryPath() public {
        for (uint256 run; run < 40; ++run) {
            uint256 r = uint256(keccak256(abi.encode("reach", run)));
            try handler.open(r, uint8(r >> 8), (r >> 16) % 2 == 0, uint8(r >> 24), uint96(r >> 32)) {} catch {}
            uint256 k = handler.taskCount() - 1;
            if ((r >> 104) % 6 == 0) try handler.cancel(k) {} catch {}
            if ((r >> 40) % 2 == 0) try handler.assign(k, r >> 48, uint96(r >> 56)) {} catch {}
            if ((r >> 64) % 5 == 0) try handler.unassign(k) {} catch {}
            if ((r >> 72) % 5 == 1) try handler.slash(k) {} catch {}
            try handler.prove(k, r >> 80, r >> 88) {} catch {}
            try handler.prove(k, (r >> 80) + 1, 1) {} catch {}
            if ((r >> 96) % 4 == 0) try handler.expire(k) {} catch {}
            try handler.withdraw(r >> 112, r >> 120) {} catch {}
            handler.warp(r >> 128);
            invariant_TokensAreConserved();
            invariant_BooksMatchTheWords();
            invariant_NoTaskPaidTwice();
            invariant_LocksMatchAssignments();
            invariant_RoutedTasksReportedOnce();
        }
        string[10] memory actions =
            ["open", "route", "assign", "unassign", "slash", "prove", "expire", "reopen", "cancel", "withdraw"];
        for (uint256 i; i < actions.length; ++i) {
            assertGt(handler.calls(bytes32(bytes(actions[i]))), 0, actions[i]);
        }
    }

    function _stakeSum() internal view returns (uint256 sum) {
        for (uint256 p; p < 3; ++p) {
            sum += proverRegistry.proverOf(handler.provers(p)).stake;
        }
    }
}
