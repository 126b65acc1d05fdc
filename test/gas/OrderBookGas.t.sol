// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMechanism} from "../../contracts/interfaces/IMechanism.sol";
import {IOrderBook} from "../../contracts/interfaces/IOrderBook.sol";
import {ITaskRegistry} from "../../contracts/interfaces/ITaskRegistry.sol";
import {OrderBook} from "../../contracts/mechanisms/OrderBook.sol";
import {TaskRequest} from "../../contracts/types/Task.sol";
import {MechanismGasBase} from "./MechanismGasBase.sol";

/// @title OrderBookGas
/// @notice Gas of every transaction of an order-book task's life, written to snapshots/OrderBookGas.json
///         (isolated: each top-level call is its own transaction). `lifecycle_*` = createTask (with the
///         match) + submitProof − the verifier's own gas; `overhead_*` = lifecycle − the core's own
///         lifecycle with NullMechanism (createTask + assign + submitProof). Book of 4 offers unless named.
/// forge-config: default.isolate = true
contract OrderBookGas is MechanismGasBase {
    uint96 internal constant COLLATERAL = 50e18;

    OrderBook internal book;
    address internal dave = makeAddr("dave");

    function setUp() public {
        deployCore();
        _deployNull();
        book = new OrderBook(
            taskRegistry,
            proverRegistry,
            IOrderBook.Params({
                collateralPerMatch: COLLATERAL,
                maxBookSize: 32,
                maxRedundancy: 4,
                profile: IMechanism.Profile({kind: 5, speed: 8, cost: 7, safety: 5, censorshipResistance: 3})
            })
        );
        taskRegistry.setMechanism(address(book), true);
        address[4] memory who = [alice, bob, carol, dave];
        for (uint256 i; i < 4; ++i) {
            registerProver(who[i]);
            vm.prank(who[i]);
            book.postOffer(uint96(20e18 + i * 1e18), uint32(600 + i), 4, bytes32(0));
        }
        // Steady state: one task through its whole life (alice's record and claimable become non-zero).
        uint256 warm = openTask(requester, _request(0, 1));
        prove(warm, 0, alice);
        vm.prank(alice);
        taskRegistry.withdraw();
    }

    function _request(uint256 seed, uint8 redundancy) internal view returns (TaskRequest memory r) {
        r = raceRequest(seed, redundancy);
        r.mechanism = address(book);
    }

    function test_Gas_PostOffer() public {
        address eve = makeAddr("eve");
        registerProver(eve);
        _call("postOffer_new", eve, address(book), abi.encodeCall(book.postOffer, (25e18, 600, 4, bytes32(0))));
        _call("postOffer_update", eve, address(book), abi.encodeCall(book.postOffer, (24e18, 500, 4, bytes32(0))));
        _call("withdrawOffer", eve, address(book), abi.encodeCall(book.withdrawOffer, ()));
    }

    /// @dev createTask (matched at once against 4 offers) → submitProof.
    function test_Gas_Lifecycle_Match() public {
        uint256 core = _baseline(9, bob, 20e18, COLLATERAL);
        fund(requester, TASK_BUDGET);
        (uint256 create, bytes memory ret) = _call(
            "createTask_match4",
            requester,
            address(taskRegistry),
            abi.encodeCall(ITaskRegistry.createTask, (_request(1, 1)))
        );
        uint256 taskId = abi.decode(ret, (uint256));
        uint256 submit = _submit("submitProof_matched", taskId, 1, alice);
        vm.snapshotValue("lifecycle_match", create + submit);
        vm.snapshotValue("overhead_match", create + submit - core);
    }

    /// @dev createTask on a book with no acceptable offer → a new offer → matchTask → submitProof.
    function test_Gas_Lifecycle_LateMatch() public {
        TaskRequest memory r = _request(1, 1);
        r.maxPayment = 10e18; // below every offer
        fund(requester, r.maxPayment);
        (uint256 create, bytes memory ret) =
            _call("createTask_nomatch", requester, address(taskRegistry), abi.encodeCall(ITaskRegistry.createTask, (r)));
        uint256 taskId = abi.decode(ret, (uint256));
        _call("postOffer_update", bob, address(book), abi.encodeCall(book.postOffer, (9e18, 600, 4, bytes32(0))));
        (uint256 matchGas,) = _call("matchTask", carol, address(book), abi.encodeCall(book.matchTask, (taskId)));
        uint256 submit = _submit("submitProof_lateMatched", taskId, 1, bob);
        vm.snapshotValue("lifecycle_lateMatch", create + matchGas + submit);
    }

    /// @dev Redundancy 3: three provers matched in one createTask, three proofs.
    function test_Gas_Lifecycle_Redundancy3() public {
        fund(requester, TASK_BUDGET);
        (uint256 create, bytes memory ret) = _call(
            "createTask_match3of4",
            requester,
            address(taskRegistry),
            abi.encodeCall(ITaskRegistry.createTask, (_request(1, 3)))
        );
        uint256 taskId = abi.decode(ret, (uint256));
        uint256 s1 = _submit("submitProof_r3_first", taskId, 1, alice);
        uint256 s2 = _submit("submitProof_r3_second", taskId, 1, bob);
        uint256 s3 = _submit("submitProof_r3_last", taskId, 1, carol);
        vm.snapshotValue("lifecycle_redundancy3", create + s1 + s2 + s3);
    }

    /// @dev The scan cost: createTask against a full book of 32 offers (28 added here).
    function test_Gas_CreateTask_FullBook() public {
        for (uint256 i; i < 28; ++i) {
            address p = makeAddr(string(abi.encode("filler", i)));
            registerProver(p);
            vm.prank(p);
            book.postOffer(uint96(30e18 + i), 600, 4, bytes32(0));
        }
        fund(requester, TASK_BUDGET);
        _call(
            "createTask_match32",
            requester,
            address(taskRegistry),
            abi.encodeCall(ITaskRegistry.createTask, (_request(1, 1)))
        );
    }

    function _submit(string memory name, uint256 taskId, uint256 seed, address prover) internal returns (uint256) {
        uint256 verifyGas = _verifyGas(seed, prover);
        (uint256 g,) = _call(
            name,
            prover,
            address(taskRegistry),
            abi.encodeCall(ITaskRegistry.submitProof, (taskId, statement(seed), proofOf(seed, prover)))
        );
        return g - verifyGas;
    }
}
