// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProofVerifier} from "../../contracts/interfaces/IProofVerifier.sol";
import {ITaskRegistry} from "../../contracts/interfaces/ITaskRegistry.sol";
import {TaskRequest, TaskStatus} from "../../contracts/types/Task.sol";
import {RootProofVerifier} from "../../contracts/verifiers/RootProofVerifier.sol";
import {Deployers} from "../utils/Deployers.sol";
import {stdJson} from "forge-std/StdJson.sol";

/// @notice TaskRegistry + ProofRace with the real generated Root verifier and real Groth16 proofs of devnet
///         block 1 (block 1 of `test/fixtures/rollup_blocks.json`, written by `pm-circuits export-fixtures`; one root
///         proof per fixture prover, anvil accounts #1–#3, each binding its prover's address as the last
///         public input).
contract RootFixtureRaceTest is Deployers {
    using stdJson for string;

    RootProofVerifier internal rootVerifier;
    bytes32 internal circuitId;
    uint256[] internal inputs;
    address[3] internal fixtureProvers;
    bytes[3] internal fixtureProofs;

    function setUp() public {
        deployCore();
        rootVerifier = new RootProofVerifier();
        string memory json = vm.readFile("test/fixtures/rollup_blocks.json");
        circuitId = json.readBytes32(".root_circuit_id");
        assertEq(circuitId, keccak256("proofmarket.circuit.root.v1"));
        assertEq(circuitId, rootVerifier.CIRCUIT_ID());
        inputs = new uint256[](4); // prev_state_root, new_state_root, txs_commitment, block_number
        inputs[0] = uint256(json.readBytes32(".blocks[0].prev_state_root"));
        inputs[1] = uint256(json.readBytes32(".blocks[0].new_state_root"));
        inputs[2] = uint256(json.readBytes32(".blocks[0].txs_commitment"));
        inputs[3] = json.readUint(".blocks[0].number");
        for (uint256 i; i < 3; ++i) {
            string memory at = string.concat(".blocks[0].proofs[", vm.toString(i), "]");
            fixtureProvers[i] = json.readAddress(string.concat(at, ".prover"));
            fixtureProofs[i] = json.readBytes(string.concat(at, ".proof"));
            registerProver(fixtureProvers[i]);
        }
        verifierRegistry.setVerifier(circuitId, address(rootVerifier));
    }

    function rootRequest(uint8 redundancy) internal view returns (TaskRequest memory r) {
        r = raceRequest(0, redundancy);
        r.circuitId = circuitId;
        r.inputCommitment = keccak256(abi.encodePacked(inputs));
    }

    function submit(uint256 taskId, uint256 proverIdx, uint256 proofIdx) internal returns (uint256) {
        vm.prank(fixtureProvers[proverIdx]);
        return taskRegistry.submitProof(taskId, inputs, fixtureProofs[proofIdx]);
    }

    function test_RealRootProofsRaceAndCopiesFail() public {
        uint256 taskId = openTask(requester, rootRequest(2));

        // #2 front-runs with #1's proof: the real verifier rejects it, the proof binds #1.
        vm.expectRevert(IProofVerifier.InvalidProof.selector);
        this.submitExternal(taskId, 1, 0);

        uint256 first = submit(taskId, 0, 0);
        assertEq(first, TASK_BUDGET / 2, "first proof at once: full share");
        vm.warp(block.timestamp + TASK_DURATION / 2);
        uint256 second = submit(taskId, 1, 1);
        assertEq(second, TASK_BUDGET / 2 * 6250 / 10_000, "second proof halfway: 62.5%");

        ITaskRegistry.Task memory t = taskRegistry.taskOf(taskId);
        assertEq(uint8(t.status), uint8(TaskStatus.Fulfilled));
        assertTrue(taskRegistry.hasProven(taskId, fixtureProvers[0]));
        assertTrue(taskRegistry.hasProven(taskId, fixtureProvers[1]));
        assertEq(taskRegistry.claimable(requester), TASK_BUDGET - first - second);

        // #3's own valid proof arrives too late: the task is fulfilled.
        vm.expectRevert(abi.encodeWithSelector(ITaskRegistry.TaskNotOpen.selector, taskId, TaskStatus.Fulfilled));
        this.submitExternal(taskId, 2, 2);
    }

    function test_RevertWhen_RealProofForAnotherStatement() public {
        TaskRequest memory r = rootRequest(1);
        inputs[3] += 1; // block number + 1: a statement nobody proved
        r.inputCommitment = keccak256(abi.encodePacked(inputs));
        uint256 taskId = openTask(requester, r);
        vm.expectRevert(IProofVerifier.InvalidProof.selector);
        this.submitExternal(taskId, 0, 0);
    }

    /// @dev External so that expectRevert sees the registry's revert after the prank.
    function submitExternal(uint256 taskId, uint256 proverIdx, uint256 proofIdx) external returns (uint256) {
        return submit(taskId, proverIdx, proofIdx);
    }
}
