// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMechanism} from "../../contracts/interfaces/IMechanism.sol";
import {ITaskRegistry} from "../../contracts/interfaces/ITaskRegistry.sol";
import {ITreeAssignment} from "../../contracts/interfaces/ITreeAssignment.sol";
import {TreeAssignment} from "../../contracts/mechanisms/TreeAssignment.sol";
import {TaskRequest} from "../../contracts/types/Task.sol";
import {MechanismGasBase} from "./MechanismGasBase.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title TreeAssignmentGas
/// @notice Gas of every transaction of a tree task's life, written to snapshots/TreeAssignmentGas.json
///         (isolated). `lifecycle_*` = createTask + draw + every attest (+ cover) + submitProof − the
///         verifier's own gas; `overhead_*` = lifecycle − the core's own lifecycle with NullMechanism.
/// forge-config: default.isolate = true
contract TreeAssignmentGas is MechanismGasBase {
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
                drawDelay: 1,
                exitDelay: 1 hours,
                baseWeight: 1,
                mergeWeight: 1,
                rootWeight: 1,
                profile: IMechanism.Profile({kind: 6, speed: 8, cost: 4, safety: 7, censorshipResistance: 10})
            })
        );
        taskRegistry.setMechanism(address(tree), true);
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

    function _draw(uint256 taskId) internal {
        uint256 drawBlock = tree.treeOf(taskId).drawBlock;
        vm.roll(drawBlock + 1);
        vm.setBlockhash(drawBlock, keccak256(abi.encode("seed", taskId)));
        tree.draw(taskId);
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
        uint256 drawBlock = tree.treeOf(taskId).drawBlock;
        vm.roll(drawBlock + 1);
        vm.setBlockhash(drawBlock, keccak256(abi.encode("seed", taskId)));
        (g,) = _call(name, carol, address(tree), abi.encodeCall(tree.draw, (taskId)));
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

    function test_Gas_JoinAndLeavePool() public {
        address eve = makeAddr("eve");
        registerProver(eve);
        token.mint(eve, 100e18);
        vm.prank(eve);
        token.approve(address(tree), type(uint256).max);
        _call("joinPool_new", eve, address(tree), abi.encodeCall(tree.joinPool, (100e18)));
        _call("requestLeave", eve, address(tree), abi.encodeCall(tree.requestLeave, (100e18)));
        vm.warp(block.timestamp + 1 hours);
        _call("leavePool_all", eve, address(tree), abi.encodeCall(tree.leavePool, ()));
    }

    /// @dev A block of 8 transactions in 4 ranges of 2: createTask → draw → 4 attests → root proof.
    function test_Gas_Lifecycle_FourRanges() public {
        uint256 core = _baseline(9, bob, 0, 100e18);
        (uint256 taskId, uint256 create) = _open("createTask_tree8", 1, 8, 2);
        uint256 drawGas = _drawMeasured("draw_4ranges", taskId);
        uint256 attests = _attest("attest_first", taskId, 0);
        attests += _attest("attest", taskId, 1);
        attests += _attest("attest", taskId, 2);
        attests += _attest("attest", taskId, 3);
        uint256 submit = _submit("submitProof_root_4ranges", taskId, 1, tree.rootProverOf(taskId));
        uint256 total = create + drawGas + attests + submit;
        vm.snapshotValue("lifecycle_fourRanges", total);
        vm.snapshotValue("overhead_fourRanges", total - core);
    }

    /// @dev 8 transactions in 2 ranges of 4: one uncle pair.
    function test_Gas_Lifecycle_TwoRanges() public {
        uint256 core = _baseline(9, bob, 0, 100e18);
        (uint256 taskId, uint256 create) = _open("createTask_tree8", 1, 8, 4);
        uint256 drawGas = _drawMeasured("draw_2ranges", taskId);
        uint256 attests = _attest("attest", taskId, 0) + _attest("attest", taskId, 1);
        uint256 submit = _submit("submitProof_root_2ranges", taskId, 1, tree.rootProverOf(taskId));
        uint256 total = create + drawGas + attests + submit;
        vm.snapshotValue("lifecycle_twoRanges", total);
        vm.snapshotValue("overhead_twoRanges", total - core);
    }

    /// @dev The smallest tree task: one range (the root prover proves everything).
    function test_Gas_Lifecycle_SingleRange() public {
        uint256 core = _baseline(9, bob, 0, 100e18);
        (uint256 taskId, uint256 create) = _open("createTask_tree4", 1, 4, 4);
        uint256 drawGas = _drawMeasured("draw_1range", taskId);
        uint256 attestGas = _attest("attest_single", taskId, 0);
        uint256 submit = _submit("submitProof_root_1range", taskId, 1, tree.rootProverOf(taskId));
        uint256 total = create + drawGas + attestGas + submit;
        vm.snapshotValue("lifecycle_singleRange", total);
        vm.snapshotValue("overhead_singleRange", total - core);
    }

    /// @dev 16 ranges of 2 over 32 transactions: the draw's and the payout's growth with k.
    function test_Gas_Draw16Ranges() public {
        (uint256 taskId,) = _open("createTask_tree32", 1, 32, 2);
        _drawMeasured("draw_16ranges", taskId);
        for (uint256 i; i < 16; ++i) {
            vm.prank(tree.rangeOf(taskId, i).owner);
            tree.attest(taskId, i, bytes32(0), bytes32(0));
        }
        _submit("submitProof_root_16ranges", taskId, 1, tree.rootProverOf(taskId));
    }

    /// @dev A range owner fails; its sibling covers it (bond slash + reward credit), then withdraws.
    function test_Gas_Cover() public {
        (uint256 taskId,) = _open("createTask_tree8", 1, 8, 2);
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
        (uint256 taskId,) = _open("createTask_tree8", 1, 8, 2);
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
}
