// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ITaskLedger} from "../../contracts/interfaces/ITaskLedger.sol";
import {LedgerTreeAssignment} from "../../contracts/mechanisms/ledger/LedgerTreeAssignment.sol";
import {LedgerRequest, LedgerTask} from "../../contracts/types/LedgerTask.sol";
import {LedgerTreeFixture} from "../ledger/mechanisms/LedgerTreeAssignment.t.sol";
import {MechanismGasBase} from "./MechanismGasBase.sol";

/// @title LedgerTreeGas
/// @notice Gas of the tree assignment over the one-word TaskLedger, written to snapshots/LedgerTreeGas.json, in the
///         conventions of the other ledger suites (TaskLedgerGas / MechanismGasBase): isolated calls (every top-level
///         call its own transaction, storage cold as on chain); `tx_<name>` the whole transaction, `<name>` execution
///         only (minus 21,000 and calldata: the task, and the draw's ≈ 510-byte header, are calldata); the verifier
///         registry's call (`verify`) subtracted from every proof. Each lifecycle's steps are recorded under keys of
///         their own (`r<k>_*`, `cover_*`, `coverRoot_*`), so that they sum to `lifecycle_<name>` = createTask + draw
///         + every attest (+ cover) + the root proof − verify: the mechanism's coordination overhead per task in
///         the issue's reading (all its transactions but the verifier's own gas), to compare with the stored tree's
///         `lifecycle_*` in snapshots/TreeAssignmentGas.json. Four members (alice, bob, carol, dave), each bonded
///         100 tokens and declaring 4 slots; the instance is the stored suite's (range bond 20, root collateral 100,
///         window 50 %, uncle 50 %, weights 1/1/1, draw delay 2). Steady state: setUp runs a 4-range tree and 255
///         single-range trees through their lives, so every one of the requester's 256 tree-word slots has held a
///         tree (a rollup posting a tree task per block is in this state after 256 blocks), and a race task; the
///         members' counters word, every member's and the requester's credit words exist; the requester keeps a
///         deposit.
/// forge-config: default.isolate = true
contract LedgerTreeGas is LedgerTreeFixture, MechanismGasBase {
    /// @notice The issue's target for a mechanism's coordination overhead per task.
    uint256 internal constant TARGET = 200_000;

    function setUp() public {
        deployTree();
        depositFor(requester, 1000 * uint256(TASK_BUDGET));
        vm.roll(block.number + 10);
        (uint256 id, LedgerTask memory t) = _open(0, 8, 2);
        t = drawTree(id, t, keccak256("warm"));
        attestAll(id);
        proveLedger(id, t, 0, tree.rootProverOf(id));
        // The requester's other 255 tree-word slots (nonce mod 256) have held a tree too.
        for (uint256 i = 1; i < 256; ++i) {
            (id, t) = _open(0, 4, 4);
            t = drawTree(id, t, bytes32(i));
            proveLedger(id, t, 0, tree.rootProverOf(id));
        }
        (id, t) = _openOn(address(ledgerRace), 100, "");
        proveLedger(id, t, 100, alice);
    }

    function _openOn(address mechanism, uint256 seed, bytes memory data)
        internal
        returns (uint256 id, LedgerTask memory t)
    {
        LedgerRequest memory r = ledgerRequest(seed, 1, mechanism);
        r.mechanismData = data;
        vm.prank(requester);
        (id, t) = ledger.createTask(r);
    }

    function _open(uint256 seed, uint32 txCount, uint32 rangeSize) internal returns (uint256, LedgerTask memory) {
        return _openOn(address(tree), seed, abi.encode(txCount, rangeSize));
    }

    function _create(string memory name, uint256 seed, uint32 txCount, uint32 rangeSize)
        internal
        returns (uint256 id, LedgerTask memory t, uint256 g)
    {
        LedgerRequest memory r = treeRequestOn(tree, seed, txCount, rangeSize);
        bytes memory ret;
        (g, ret) = _call(name, requester, address(ledger), abi.encodeCall(ITaskLedger.createTask, (r)));
        (id, t) = abi.decode(ret, (uint256, LedgerTask));
    }

    function _drawGas(string memory name, uint256 id, LedgerTask memory t)
        internal
        returns (uint256 g, LedgerTask memory n)
    {
        bytes memory header = seedHeaderOn(tree, t, keccak256(abi.encode("mix", id)));
        (g,) = _call(name, carol, address(tree), abi.encodeCall(tree.draw, (id, t, header)));
        n = drawnVersion(tree, id, t);
    }

    function _attestGas(string memory name, uint256 id, uint256 range) internal returns (uint256 g) {
        (g,) = _call(
            name,
            ownerOf(id, range),
            address(tree),
            abi.encodeCall(tree.attest, (id, range, keccak256("top"), keccak256("node")))
        );
    }

    function _prove(string memory name, uint256 id, LedgerTask memory t, uint256 seed, address prover)
        internal
        returns (uint256)
    {
        uint256 verifyGas = _verifyGas(seed, prover);
        bytes memory data = abi.encodeCall(ITaskLedger.submitProof, (id, t, statement(seed), proofOf(seed, prover)));
        (uint256 g,) = _call(name, prover, address(ledger), data);
        return g - verifyGas;
    }

    /// @dev One whole lifecycle of a tree of `txCount` leaves in ranges of `rangeSize`: createTask → draw → every
    ///      owner's attest → the root proof; each step under `<prefix>_<step>`, the total under `lifecycle_<name>`.
    function _lifecycle(string memory prefix, string memory name, uint256 seed, uint32 txCount, uint32 rangeSize)
        internal
        returns (uint256 total)
    {
        return _lifecycle(prefix, name, seed, txCount, rangeSize, 0);
    }

    /// @dev As above, the attests from range `firstAttest` on (a single-range tree's owner need not attest: the root
    ///      proof delivers range 0, and it has no uncle to be covered by).
    function _lifecycle(
        string memory prefix,
        string memory name,
        uint256 seed,
        uint32 txCount,
        uint32 rangeSize,
        uint256 firstAttest
    ) internal returns (uint256 total) {
        (uint256 id, LedgerTask memory t, uint256 g) =
            _create(string.concat(prefix, "_createTask"), seed, txCount, rangeSize);
        total = g;
        (g, t) = _drawGas(string.concat(prefix, "_draw"), id, t);
        total += g;
        uint256 k = tree.treeOf(id).rangeCount;
        uint256 attests;
        for (uint256 i = firstAttest; i < k; ++i) {
            attests += _attestGas(string.concat(prefix, "_attest", vm.toString(i)), id, i);
        }
        vm.snapshotValue(string.concat(prefix, "_attests"), attests);
        uint256 proof = _prove(string.concat(prefix, "_submitProofTx"), id, t, seed, tree.rootProverOf(id));
        vm.snapshotValue(string.concat(prefix, "_submitProof_root"), proof);
        total += attests + proof;
        vm.snapshotValue(string.concat("lifecycle_", name), total);
    }

    /// @dev The smallest tree task: one range (the root prover proves everything): createTask → draw → the root
    ///      proof, no attest (nothing to attest against: no uncle, and the root proof delivers range 0). The issue's
    ///      target holds.
    function test_Gas_Lifecycle_SingleRange() public {
        assertLe(_lifecycle("r1", "singleRange", 1, 4, 4, 1), TARGET, "within the 200k target");
    }

    /// @dev The same with the owner's optional attest of range 0 before its proof (for the table).
    function test_Gas_Lifecycle_SingleRangeAttested() public {
        _lifecycle("r1a", "singleRangeAttested", 1, 4, 4);
    }

    /// @dev 8 transactions in 2 ranges of 4: one uncle pair (for the table; above the target, docs/mechanisms.md).
    function test_Gas_Lifecycle_TwoRanges() public {
        _lifecycle("r2", "twoRanges", 2, 8, 4);
    }

    /// @dev 8 transactions in 4 ranges of 2 (for the table; above the target, docs/mechanisms.md).
    function test_Gas_Lifecycle_FourRanges() public {
        _lifecycle("r4", "fourRanges", 3, 8, 2);
    }

    /// @dev 8 transactions in 2 ranges of 4, range 1's owner silent: createTask → draw → range 0's attest → after
    ///      the range deadline range 0's owner covers range 1 (the failed bond slashed, the uncle's reward credited)
    ///      → the root proof pays the uncle both ranges.
    function test_Gas_Lifecycle_UncleCover() public {
        (uint256 id, LedgerTask memory t, uint256 total) = _create("cover_createTask", 4, 8, 4);
        uint256 g;
        (g, t) = _drawGas("cover_draw", id, t);
        total += g;
        total += _attestGas("cover_attest0", id, 0);
        vm.warp(tree.treeOf(id).rangeDeadline + 1);
        address uncle = ownerOf(id, 0);
        (g,) = _call(
            "cover", uncle, address(tree), abi.encodeCall(tree.cover, (id, t, 1, keccak256("top"), keccak256("node")))
        );
        total += g;
        total += _prove("cover_submitProofTx", id, t, 4, uncle);
        vm.snapshotValue("lifecycle_uncleCover", total);
        _call("withdraw_uncleReward", uncle, address(tree), abi.encodeCall(tree.withdraw, ()));
    }

    /// @dev As above with range 0's owner silent: the uncle (range 1's owner) covers range 0, so the ledger slashes
    ///      the root assignment and assigns the uncle in the same call; the uncle's root proof collects the bounty.
    function test_Gas_Lifecycle_UncleCoversTheRoot() public {
        (uint256 id, LedgerTask memory t, uint256 total) = _create("coverRoot_createTask", 5, 8, 4);
        uint256 g;
        (g, t) = _drawGas("coverRoot_draw", id, t);
        total += g;
        total += _attestGas("coverRoot_attest1", id, 1);
        vm.warp(tree.treeOf(id).rangeDeadline + 1);
        address uncle = ownerOf(id, 1);
        (g,) = _call(
            "cover_root",
            uncle,
            address(tree),
            abi.encodeCall(tree.cover, (id, t, 0, keccak256("top"), keccak256("node")))
        );
        total += g;
        LedgerTask memory n = slashedVersion(t, ROOT_COLLATERAL / 2, t.mechanismState);
        n = withAssignment(n, uncle, 0, ROOT_COLLATERAL, t.mechanismState);
        total += _prove("coverRoot_submitProofTx", id, n, 5, uncle);
        vm.snapshotValue("lifecycle_uncleCoversTheRoot", total);
    }

    /// @dev Nobody draws within 256 blocks: the draw re-anchors the seed block through the ledger.
    function test_Gas_DrawReanchor() public {
        (uint256 id, LedgerTask memory t) = _open(6, 8, 2);
        vm.roll(drawBlockOf(tree, t) + 300);
        _call("draw_reanchor", carol, address(tree), abi.encodeCall(tree.draw, (id, t, "")));
    }

    /// @dev Nobody attests or proves: the expiry (the ledger slashes the root; the close hook slashes four bonds).
    function test_Gas_ExpireEveryRangeFailed() public {
        (uint256 id, LedgerTask memory t) = _open(7, 8, 2);
        t = drawTree(id, t, keccak256("expire"));
        vm.warp(t.deadline + 1);
        _call("expire_fourRangesFailed", carol, address(ledger), abi.encodeCall(ITaskLedger.expire, (id, t)));
    }

    function test_Gas_JoinAndLeavePool() public {
        address eve = makeAddr("eve");
        registerProver(eve);
        token.mint(eve, 150e18);
        vm.prank(eve);
        token.approve(address(tree), type(uint256).max);
        _call("joinPool_new", eve, address(tree), abi.encodeCall(tree.joinPool, (100e18)));
        vm.roll(block.number + 1);
        _call("joinPool_topUp", eve, address(tree), abi.encodeCall(tree.joinPool, (50e18)));
        _call("requestLeave", eve, address(tree), abi.encodeCall(tree.requestLeave, (150e18)));
        vm.warp(block.timestamp + 1 hours);
        _call("leavePool_all", eve, address(tree), abi.encodeCall(tree.leavePool, ()));
    }

    /// @dev The core's own race lifecycle in the same state (create + proof, no mechanism hooks), for reference.
    function test_Gas_CoreRace() public {
        LedgerRequest memory r = ledgerRequest(8, 1, address(ledgerRace));
        (uint256 g, bytes memory ret) =
            _call("core_createTask_race", requester, address(ledger), abi.encodeCall(ITaskLedger.createTask, (r)));
        (uint256 id, LedgerTask memory t) = abi.decode(ret, (uint256, LedgerTask));
        g += _prove("core_submitProof_race", id, t, 8, alice);
        vm.snapshotValue("core_race_lifecycle", g);
    }
}
