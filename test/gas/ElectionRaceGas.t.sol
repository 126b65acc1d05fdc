// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProverRegistry} from "../../contracts/interfaces/IProverRegistry.sol";
import {ITaskRegistry} from "../../contracts/interfaces/ITaskRegistry.sol";
import {ElectionRace} from "../../contracts/mechanisms/ElectionRace.sol";
import {TaskRequest} from "../../contracts/types/Task.sol";
import {HeaderBuilder} from "../mechanisms/ElectionRace.t.sol";
import {MechanismGasBase} from "./MechanismGasBase.sol";

/// @title ElectionRaceGas
/// @notice Gas of every transaction of an election-race task's life, written to
///         snapshots/ElectionRaceGas.json (see MechanismGasBase for the conventions). Steady state: setUp runs
///         one task through its whole life first. Three eligible provers with equal stake at the weight cap
///         (every sampling attempt that hits an eligible prover accepts it).
///         `lifecycle` = createTask + draw + submitProof − verify; `overhead` = lifecycle − the core's own
///         lifecycle (`core_lifecycle`: same state, same prover, same price and collateral). The draw's
///         header (≈ 540 bytes) is calldata: in `tx_draw`, not in `draw`.
/// forge-config: default.isolate = true
contract ElectionRaceGas is MechanismGasBase, HeaderBuilder {
    uint96 internal constant COLLATERAL = 10e18;
    ElectionRace internal election;

    function setUp() public {
        deployCore();
        _deployNull();
        election = _deploy(3);
        registerProver(alice);
        registerProver(bob);
        registerProver(carol);
        uint256 warm = _create(election, 0, 1);
        address elected = _elected(warm, _drawHeader(election, warm, keccak256("warm")));
        prove(warm, 0, elected);
        vm.prank(elected);
        taskRegistry.withdraw();
    }

    function _deploy(uint8 electedCount) internal returns (ElectionRace e) {
        e = new ElectionRace(
            ElectionRace.Params({
                taskRegistry: ITaskRegistry(address(taskRegistry)),
                proverRegistry: IProverRegistry(address(proverRegistry)),
                electedCount: electedCount,
                minHardwareClass: 1,
                collateral: COLLATERAL,
                drawDelay: 2,
                electionWindow: 20 minutes,
                decayWindow: 30 minutes,
                decayFloorBps: 5000,
                weightCap: uint96(PROVER_STAKE),
                maxAttempts: 32
            })
        );
        taskRegistry.setMechanism(address(e), true);
    }

    function _create(ElectionRace e, uint256 seed, uint8 redundancy) internal returns (uint256) {
        TaskRequest memory r = raceRequest(seed, redundancy);
        r.mechanism = address(e);
        return openTask(requester, r);
    }

    /// @dev Rolls past the target, publishes a header with prevrandao `mix`, returns it (not yet drawn).
    function _prepareHeader(ElectionRace e, uint256 taskId, bytes32 mix) internal returns (bytes memory header) {
        uint256 target = e.electionOf(taskId).marker;
        vm.roll(target + 1);
        header = _header(target, mix, "proofmarket");
        vm.setBlockhash(target, keccak256(header));
    }

    function _drawHeader(ElectionRace e, uint256 taskId, bytes32 mix) internal returns (uint256) {
        bytes memory header = _prepareHeader(e, taskId, mix);
        e.draw(taskId, header);
        return taskId;
    }

    function _elected(uint256 taskId, uint256) internal view returns (address) {
        address[3] memory all = [alice, bob, carol];
        for (uint256 i; i < 3; ++i) {
            if (taskRegistry.assignmentOf(taskId, all[i]).active) return all[i];
        }
        return address(0);
    }

    /// @dev createTask → draw (one elected) → submitProof by the elected prover, then the core alone.
    function test_Gas_Lifecycle_OneElected() public {
        uint256 snap = vm.snapshotState();
        TaskRequest memory r = raceRequest(1, 1);
        r.mechanism = address(election);
        fund(requester, TASK_BUDGET);
        (uint256 total, bytes memory ret) =
            _call("createTask", requester, address(taskRegistry), abi.encodeCall(taskRegistry.createTask, (r)));
        uint256 taskId = abi.decode(ret, (uint256));
        bytes memory header = _prepareHeader(election, taskId, keccak256("mix"));
        (uint256 g,) =
            _call("draw_oneElected", address(this), address(election), abi.encodeCall(election.draw, (taskId, header)));
        total += g;
        address prover = _elected(taskId, 0);
        vm.warp(block.timestamp + 5 minutes);
        uint256 verifyGas = _verifyGas(1, prover);
        (g,) = _call(
            "submitProof_elected",
            prover,
            address(taskRegistry),
            abi.encodeCall(taskRegistry.submitProof, (taskId, statement(1), proofOf(1, prover)))
        );
        total += g - verifyGas;
        vm.snapshotValue("lifecycle", total);
        uint256 paid = taskRegistry.claimable(prover);

        vm.revertToState(snap);
        // The core pays the same amount, so that payout and refund touch the same storage.
        uint256 core = _baseline(1, prover, uint96(paid), COLLATERAL);
        vm.snapshotValue("overhead", total - core);
        assertLt(paid, TASK_BUDGET, "the elected prover is paid the decayed value");
        assertLe(total - core, 200_000, "election-race coordination overhead within 200k per task");
    }

    /// @dev A draw electing three of twenty registered provers (redundancy 3).
    function test_Gas_Draw_ThreeOfTwenty() public {
        for (uint256 i; i < 17; ++i) {
            registerProver(makeAddr(string(abi.encode("prover", i))));
        }
        ElectionRace three = _deploy(3);
        uint256 taskId = _create(three, 1, 3);
        bytes memory header = _prepareHeader(three, taskId, keccak256("mix"));
        _call("draw_threeOfTwenty", address(this), address(three), abi.encodeCall(three.draw, (taskId, header)));
    }

    function test_Gas_Retarget() public {
        uint256 taskId = _create(election, 1, 1);
        vm.roll(election.electionOf(taskId).marker + 300);
        _call("draw_retarget", address(this), address(election), abi.encodeCall(election.draw, (taskId, "")));
    }

    function test_Gas_SlashElectedAndOpenProof() public {
        uint256 taskId = _create(election, 1, 1);
        _drawHeader(election, taskId, keccak256("mix"));
        address offline = _elected(taskId, 0);
        address other = offline == alice ? bob : alice;
        vm.warp(election.electionOf(taskId).marker + 1);
        _call("slashElected", other, address(election), abi.encodeCall(election.slashElected, (taskId, offline)));
        _call(
            "submitProof_open",
            other,
            address(taskRegistry),
            abi.encodeCall(taskRegistry.submitProof, (taskId, statement(1), proofOf(1, other)))
        );
    }
}
