// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMechanism} from "../../contracts/interfaces/IMechanism.sol";
import {ITaskRegistry} from "../../contracts/interfaces/ITaskRegistry.sol";
import {ITreeAssignment} from "../../contracts/interfaces/ITreeAssignment.sol";
import {TreeAssignment} from "../../contracts/mechanisms/TreeAssignment.sol";
import {TaskRequest} from "../../contracts/types/Task.sol";
import {HeaderBuilder} from "../mechanisms/ElectionRace.t.sol";
import {MechanismGasBase} from "./MechanismGasBase.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title TreeAssignmentGas
/// @notice Gas of every transaction of a tree task's life, written to snapshots/TreeAssignmentGas.json
///         (isolated). `lifecycle_*` = createTask + draw + every attest (+ cover) + submitProof − the
///         verifier's own gas; `overhead_*` = lifecycle − the core's own lifecycle with NullMechanism. Each
///         lifecycle's steps are recorded under keys of their own (`r<k>_*`), so that they sum to it. The
///         draw's header is a 16-item post-London header (its calldata is not in the execution numbers).
/// forge-config: default.isolate = true
contract TreeAssignmentGas is MechanismGasBase, HeaderBuilder {
    /// @notice The issue's target for every mechanism's coordination overhead per task.
    uint256 internal constant OVERHEAD_TARGET = 200_000;

    TreeAssignment internal tree;
    address internal dave = makeAddr("dave");
    address[4] internal members;

    function setUp() public {
        deployCore();
        _deployNull();
        tree = new TreeAssignment(
            taskRegistry,
            proverRegistry,
            IERC20(address(token)),
            ITreeAssignment.Params({
                rangeBond: 20e18,
                rootCollateral: 100e18,
                rangeWindowBps: 5000,
                uncleBps: 5000,
                maxRanges: 16,
                maxPoolSize: 32,
                drawDelay: 2,
                exitDelay: 1 hours,
                baseWeight: 1,
                mergeWeight: 1,
                rootWeight: 1,
                profile: IMechanism.Profile({kind: 6, speed: 8, cost: 4, safety: 7, censorshipResistance: 10})
            })
        );
        taskRegistry.setMechanism(address(tree), true);
        proverRegistry.addCapacityHolder(address(tree));
        members = [alice, bob, carol, dave];
        for (uint256 i; i < 4; ++i) {
            registerProver(members[i]);
            _join(members[i], 200e18);
        }
        // Steady state: one 4-range tree through its whole life.
        uint256 warm = openTask(requester, _request(0, 8, 2));
        _draw(warm);
        for (uint256 i; i < 4; ++i) {
            vm.prank(tree.rangeOf(warm, i).owner);
            tree.attest(warm, i, bytes32(i + 1), bytes32(i + 2));
        }
        prove(warm, 0, tree.rootProverOf(warm));
    }

    function _join(address prover, uint256 amount) internal {
        token.mint(prover, amount);
        vm.startPrank(prover);
        token.approve(address(tree), type(uint256).max);
        tree.joinPool(amount);
        vm.stopPrank();
    }

    function _request(uint256 seed, uint32 txCount, uint32 rangeSize) internal view returns (TaskRequest memory r) {
        r = raceRequest(seed, 1);
        r.mechanism = address(tree);
        r.mechanismData = abi.encode(txCount, rangeSize);
    }

    /// @dev Rolls past the seed block and makes the chain hold a header for it; returns the header.
    function _seedHeader(uint256 taskId) internal returns (bytes memory header) {
        uint256 drawBlock = tree.treeOf(taskId).drawBlock;
        vm.roll(drawBlock + 1);
        header = _header(drawBlock, keccak256(abi.encode("seed", taskId)), "");
        vm.setBlockhash(drawBlock, keccak256(header));
    }

    function _draw(uint256 taskId) internal {
        tree.draw(taskId, _seedHeader(taskId));
    }

    function _open(string memory name, uint256 seed, uint32 txCount, uint32 rangeSize)
        internal
        returns (uint256 taskId, uint256 g)
    {
        fund(requester, TASK_BUDGET);
        bytes memory ret;
        (g, ret) = _call(
            name,
            requester,
            address(taskRegistry),
            abi.encodeCall(ITaskRegistry.createTask, (_request(seed, txCount, rangeSize)))
        );
        taskId = abi.decode(ret, (uint256));
    }

    function _drawMeasured(string memory name, uint256 taskId) internal returns (uint256 g) {
        bytes memory header = _seedHeader(taskId);
        (g,) = _call(name, carol, address(tree), abi.encodeCall(tree.draw, (taskId, header)));
    }

    function _attest(string memory name, uint256 taskId, uint256 range) internal returns (uint256 g) {
        address owner = tree.rangeOf(taskId, range).owner;
        (g,) = _call(
            name, owner, address(tree), abi.encodeCall(tree.attest, (taskId, range, keccak256("top"), keccak256("id")))
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

    /// @dev One whole lifecycle of a tree of `txCount` leaves in ranges of `rangeSize`, every step under
    ///      `<prefix>_<step>` (execution gas; `<prefix>_submitProof_root` less the verifier's own gas), the
    ///      total under `lifecycle_<name>` and the overhead over the core's under `overhead_<name>`.
    function _lifecycle(string memory prefix, string memory name, uint32 txCount, uint32 rangeSize)
        internal
        returns (uint256 overhead)
    {
        uint256 core = _baseline(9, bob, 0, 100e18);
        (uint256 taskId, uint256 total) = _open(string.concat(prefix, "_createTask"), 1, txCount, rangeSize);
        total += _drawMeasured(string.concat(prefix, "_draw"), taskId);
        uint256 k = tree.treeOf(taskId).rangeCount;
        uint256 attests;
        for (uint256 i; i < k; ++i) {
            attests += _attest(string.concat(prefix, "_attest", vm.toString(i)), taskId, i);
        }
        vm.snapshotValue(string.concat(prefix, "_attests"), attests);
        uint256 submit = _submit(string.concat(prefix, "_submitProofTx"), taskId, 1, tree.rootProverOf(taskId));
        vm.snapshotValue(string.concat(prefix, "_submitProof_root"), submit);
        total += attests + submit;
        overhead = total - core;
        vm.snapshotValue(string.concat("lifecycle_", name), total);
        vm.snapshotValue(string.concat("overhead_", name), overhead);
    }

    function test_Gas_JoinAndLeavePool() public {
        address eve = makeAddr("eve");
        registerProver(eve);
        token.mint(eve, 100e18);
        vm.prank(eve);
        token.approve(address(tree), type(uint256).max);
        _call("joinPool_new", eve, address(tree), abi.encodeCall(tree.joinPool, (100e18)));
        vm.roll(block.number + 1);
        // A top-up rewrites the member's pool word and its change block (read by the draw).
        token.mint(eve, 50e18);
        _call("joinPool_topUp", eve, address(tree), abi.encodeCall(tree.joinPool, (50e18)));
        _call("requestLeave", eve, address(tree), abi.encodeCall(tree.requestLeave, (150e18)));
        vm.warp(block.timestamp + 1 hours);
        _call("leavePool_all", eve, address(tree), abi.encodeCall(tree.leavePool, ()));
    }

    /// @dev A block of 8 transactions in 4 ranges of 2: createTask → draw → 4 attests → root proof. The
    ///      issue's target (≤ 200k overhead) is asserted here.
    function test_Gas_Lifecycle_FourRanges() public {
        uint256 overhead = _lifecycle("r4", "fourRanges", 8, 2);
        assertLe(overhead, OVERHEAD_TARGET, "4-range tree overhead above the 200k target");
    }

    /// @dev 8 transactions in 2 ranges of 4: one uncle pair.
    function test_Gas_Lifecycle_TwoRanges() public {
        assertLe(_lifecycle("r2", "twoRanges", 8, 4), OVERHEAD_TARGET);
    }

    /// @dev The smallest tree task: one range (the root prover proves everything).
    function test_Gas_Lifecycle_SingleRange() public {
        assertLe(_lifecycle("r1", "singleRange", 4, 4), OVERHEAD_TARGET);
    }

    /// @dev 16 transactions in 8 ranges of 2 over 8 distinct members (for information: the growth per
    ///      range; no target).
    function test_Gas_Lifecycle_EightRanges() public {
        for (uint256 i; i < 4; ++i) {
            address p = makeAddr(string(abi.encode("member", i)));
            registerProver(p);
            _join(p, 200e18);
        }
        _lifecycle("r8", "eightRanges", 16, 2);
    }

    /// @dev 16 ranges of 2 over 32 transactions: the draw's and the payout's growth with k (ranges 10–15
    ///      live in an extra word).
    function test_Gas_Draw16Ranges() public {
        (uint256 taskId,) = _open("r16_createTask", 1, 32, 2);
        _drawMeasured("r16_draw", taskId);
        for (uint256 i; i < 16; ++i) {
            vm.prank(tree.rangeOf(taskId, i).owner);
            tree.attest(taskId, i, bytes32(0), bytes32(0));
        }
        vm.snapshotValue("r16_submitProof_root", _submit("r16_submitProofTx", taskId, 1, tree.rootProverOf(taskId)));
    }

    /// @dev A range owner fails; its sibling covers it (bond slash + reward credit), then withdraws.
    function test_Gas_Cover() public {
        (uint256 taskId,) = _open("cover_createTask", 1, 8, 2);
        _draw(taskId);
        for (uint256 i; i < 3; ++i) {
            vm.prank(tree.rangeOf(taskId, i).owner);
            tree.attest(taskId, i, bytes32(0), bytes32(0));
        }
        vm.warp(block.timestamp + 31 minutes);
        address uncle = tree.rangeOf(taskId, 2).owner;
        _call("cover", uncle, address(tree), abi.encodeCall(tree.cover, (taskId, 3, keccak256("t"), keccak256("n"))));
        _call("withdraw_uncleReward", uncle, address(tree), abi.encodeCall(tree.withdraw, ()));
    }

    /// @dev The root range's owner fails: cover also moves the registry's root assignment (slash + assign).
    function test_Gas_CoverRoot() public {
        (uint256 taskId,) = _open("coverRoot_createTask", 1, 8, 2);
        _draw(taskId);
        for (uint256 i = 1; i < 4; ++i) {
            vm.prank(tree.rangeOf(taskId, i).owner);
            tree.attest(taskId, i, bytes32(0), bytes32(0));
        }
        vm.warp(block.timestamp + 31 minutes);
        address uncle = tree.rangeOf(taskId, 1).owner;
        _call(
            "cover_root", uncle, address(tree), abi.encodeCall(tree.cover, (taskId, 0, keccak256("t"), keccak256("n")))
        );
    }

    /// @dev A draw whose seed block aged out (re-anchors to a later block; no header needed).
    function test_Gas_DrawReanchor() public {
        (uint256 taskId,) = _open("reanchor_createTask", 1, 8, 2);
        vm.roll(tree.treeOf(taskId).drawBlock + 300);
        _call("draw_reanchor", carol, address(tree), abi.encodeCall(tree.draw, (taskId, bytes(""))));
    }
}
