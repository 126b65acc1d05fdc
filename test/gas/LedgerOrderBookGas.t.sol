// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerOrderBook} from "../../contracts/interfaces/ILedgerOrderBook.sol";
import {IMechanism} from "../../contracts/interfaces/IMechanism.sol";
import {ITaskLedger} from "../../contracts/interfaces/ITaskLedger.sol";
import {LedgerOrderBook} from "../../contracts/mechanisms/ledger/LedgerOrderBook.sol";
import {LedgerRequest, LedgerTask} from "../../contracts/types/LedgerTask.sol";
import {LedgerFixture} from "../ledger/LedgerFixture.sol";
import {MechanismGasBase} from "./MechanismGasBase.sol";

/// @title LedgerOrderBookGas
/// @notice Gas of the order book over the TaskLedger, written to snapshots/LedgerOrderBookGas.json, in the
///         conventions of TaskLedgerGas: isolated calls (each top-level call its own transaction, storage cold as on
///         chain); `tx_<name>` the whole transaction, `<name>` execution only (minus 21,000 and calldata); the
///         verifier registry's call subtracted from every proof. `lifecycle_*` = createTask + matchTask +
///         submitProof. Book: alice 20 / 640 s, bob 21 / 620 s, carol 22 / 600 s, dave 23 / 610 s (tokens,
///         seconds), capacity 4 each. Steady state: setUp runs one matched task per prover through its life (each
///         has a completion, a credit word and an offer word written before), and the requester keeps a deposit.
/// forge-config: default.isolate = true
contract LedgerOrderBookGas is LedgerFixture, MechanismGasBase {
    uint96 internal constant BOOK_COLLATERAL = 50e18;

    LedgerOrderBook internal book;
    address internal dave = makeAddr("dave");
    address[4] internal who;

    function setUp() public {
        deployLedger();
        book = new LedgerOrderBook(
            ledger,
            ILedgerOrderBook.Params({
                collateralPerMatch: BOOK_COLLATERAL,
                maxBookSize: 32,
                profile: IMechanism.Profile({kind: 5, speed: 8, cost: 7, safety: 5, censorshipResistance: 3})
            })
        );
        ledger.setMechanism(address(book), true);
        who = [alice, bob, carol, dave];
        uint32[4] memory times = [uint32(640), 620, 600, 610];
        for (uint256 i; i < 4; ++i) {
            registerProver(who[i]);
        }
        depositFor(requester, 1000 * uint256(TASK_BUDGET));
        // Steady state: each prover, alone on the book, is matched once and proves (it has a record, a credit word
        // and an offer word written before); then all four offers stand.
        for (uint256 i; i < 4; ++i) {
            vm.prank(who[i]);
            book.postOffer(uint96(20e18 + i * 1e18), times[i], 4, bytes32(0));
            vm.prank(requester);
            (uint256 id, LedgerTask memory t) = ledger.createTask(_request(100 + i, 0));
            vm.prank(requester);
            book.matchTask(id, t);
            proveLedger(id, _matched(t, who[i], 0), 100 + i, who[i]);
            vm.prank(who[i]);
            book.withdrawOffer();
        }
        for (uint256 i; i < 4; ++i) {
            vm.prank(who[i]);
            book.postOffer(uint96(20e18 + i * 1e18), times[i], 4, bytes32(0));
        }
    }

    /// @dev `t` as the ledger stores it after the book matched `p` now with `priority`.
    function _matched(LedgerTask memory t, address p, uint256 priority) internal view returns (LedgerTask memory) {
        ILedgerOrderBook.Offer memory o = book.offerOf(p);
        uint64 state = uint64(priority) | uint64((block.timestamp + o.provingTime) << 8);
        return withAssignment(t, p, o.pricePerProof, BOOK_COLLATERAL, state);
    }

    function _request(uint256 seed, uint256 priority) internal view returns (LedgerRequest memory r) {
        r = ledgerRequest(seed, 1, address(book));
        if (priority != 0) r.mechanismData = abi.encode(priority);
    }

    function test_Gas_PostAndWithdraw() public {
        address eve = makeAddr("eve");
        registerProver(eve);
        _call("book_postOffer_new", eve, address(book), abi.encodeCall(book.postOffer, (25e18, 600, 4, bytes32(0))));
        _call("book_postOffer_update", eve, address(book), abi.encodeCall(book.postOffer, (24e18, 500, 4, bytes32(0))));
        _call("book_withdrawOffer", eve, address(book), abi.encodeCall(book.withdrawOffer, ()));
    }

    /// @dev One offer on the book (the other three withdrawn).
    function test_Gas_Lifecycle_OneOffer() public {
        for (uint256 i = 1; i < 4; ++i) {
            vm.prank(who[i]);
            book.withdrawOffer();
        }
        _lifecycle("1offer", 1, 0, alice);
    }

    function test_Gas_Lifecycle_FourOffers_PriceFirst() public {
        _lifecycle("4offers_priceFirst", 2, 0, alice);
    }

    function test_Gas_Lifecycle_FourOffers_TimeFirst() public {
        _lifecycle("4offers_timeFirst", 3, 1, carol);
    }

    /// @dev The best offer (alice's) holds as many live matches as its capacity: the runner-up wins in the same pass.
    function test_Gas_Lifecycle_FourOffers_BestAtCapacity() public {
        vm.prank(alice);
        book.postOffer(20e18, 640, 1, bytes32(0));
        vm.prank(requester);
        (uint256 id, LedgerTask memory t) = ledger.createTask(_request(50, 0));
        vm.prank(requester);
        assertEq(book.matchTask(id, t), alice);
        _lifecycle("4offers_bestAtCapacity", 4, 0, bob);
    }

    /// @dev The best offer's prover has its declared registry capacity full with another mechanism's tasks: the
    ///      registry refuses its lock and the runner-up kept from the same pass wins (no second scan).
    function test_Gas_Lifecycle_FourOffers_BestRefusedByRegistry() public {
        for (uint256 i; i < PROVER_CAPACITY; ++i) {
            (uint256 id, LedgerTask memory t) = openAssigned(60 + i);
            assigner.assign(id, t, alice, 1e18, 1e18);
        }
        _lifecycle("4offers_bestRefused", 5, 0, bob);
    }

    /// @dev Expiry of a matched task that was not proven: the slash, and the book's close hook freeing the offer.
    function test_Gas_ExpireMatched() public {
        (uint256 id, LedgerTask memory t,) = _create("book_createTask_expire", 6, 0);
        (, bytes memory ret) =
            _call("book_matchTask_expire", requester, address(book), abi.encodeCall(book.matchTask, (id, t)));
        address p = abi.decode(ret, (address));
        t = _matched(t, p, 0);
        vm.warp(uint256(t.deadline) + 1);
        _call("book_expire_slash", address(this), address(ledger), abi.encodeCall(ITaskLedger.expire, (id, t)));
    }

    function _create(string memory name, uint256 seed, uint256 priority)
        internal
        returns (uint256 id, LedgerTask memory t, uint256 g)
    {
        bytes memory ret;
        (g, ret) =
            _call(name, requester, address(ledger), abi.encodeCall(ITaskLedger.createTask, (_request(seed, priority))));
        (id, t) = abi.decode(ret, (uint256, LedgerTask));
    }

    function _lifecycle(string memory label, uint256 seed, uint256 priority, address expected) internal {
        (uint256 id, LedgerTask memory t, uint256 total) =
            _create(string.concat("book_createTask_", label), seed, priority);
        (uint256 g, bytes memory ret) = _call(
            string.concat("book_matchTask_", label), requester, address(book), abi.encodeCall(book.matchTask, (id, t))
        );
        total += g;
        address p = abi.decode(ret, (address));
        assertEq(p, expected, "matched prover");
        t = _matched(t, p, priority);
        vm.warp(block.timestamp + 1 minutes);
        uint256 verifyGas = _verifyGas(seed, p);
        bytes memory data = abi.encodeCall(ITaskLedger.submitProof, (id, t, statement(seed), proofOf(seed, p)));
        (g,) = _call(string.concat("book_submitProof_", label), p, address(ledger), data);
        total += g - verifyGas;
        vm.snapshotValue(string.concat("book_lifecycle_", label), total);
    }
}
