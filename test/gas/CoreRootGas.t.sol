// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IProofVerifier} from "../../contracts/interfaces/IProofVerifier.sol";
import {ITaskRegistry} from "../../contracts/interfaces/ITaskRegistry.sol";
import {TaskRequest} from "../../contracts/types/Task.sol";
import {RootProofVerifier} from "../../contracts/verifiers/RootProofVerifier.sol";
import {Deployers} from "../utils/Deployers.sol";
import {stdJson} from "forge-std/StdJson.sol";

/// @title CoreRootGas
/// @notice A race fulfilment with the real generated Root verifier and a real fixture proof
///         (block 1 of `test/fixtures/rollup_blocks.json`), written to snapshots/CoreRootGas.json. Same conventions as CoreGas
///         (isolated, execution gas = transaction − 21,000 − calldata, credits zero; no `tx_` entries, as the
///         proof bytes change when fixtures are regenerated): `verify_root` is the
///         verifier's own execution, `submitProof_race_fulfil_root` the whole submission; the difference is
///         the registry's and the race's overhead.
/// forge-config: default.isolate = true
contract CoreRootGas is Deployers {
    using stdJson for string;

    RootProofVerifier internal rootVerifier;
    bytes32 internal circuitId;
    uint256[] internal inputs;
    address internal prover;
    bytes internal proof;

    function setUp() public {
        deployCore();
        rootVerifier = new RootProofVerifier();
        string memory json = vm.readFile("test/fixtures/rollup_blocks.json");
        circuitId = json.readBytes32(".root_circuit_id");
        inputs = new uint256[](4); // prev_state_root, new_state_root, txs_commitment, block_number
        inputs[0] = uint256(json.readBytes32(".blocks[0].prev_state_root"));
        inputs[1] = uint256(json.readBytes32(".blocks[0].new_state_root"));
        inputs[2] = uint256(json.readBytes32(".blocks[0].txs_commitment"));
        inputs[3] = json.readUint(".blocks[0].number");
        prover = json.readAddress(".blocks[0].proofs[0].prover");
        proof = json.readBytes(".blocks[0].proofs[0].proof");
        verifierRegistry.setVerifier(circuitId, address(rootVerifier));
        registerProver(prover);
        fund(requester, 10 * uint256(TASK_BUDGET));
        // Warm-up: the prover has completed a task before and withdrawn; the circuit id is interned.
        uint256 warm = _open();
        vm.prank(prover);
        taskRegistry.submitProof(warm, inputs, proof);
        vm.prank(prover);
        taskRegistry.withdraw();
    }

    function test_Gas_RaceFulfilRealRootVerifier() public {
        uint256 taskId = _open();
        vm.warp(block.timestamp + TASK_DURATION / 2);
        uint256[] memory full = new uint256[](inputs.length + 1);
        for (uint256 i; i < inputs.length; ++i) {
            full[i] = inputs[i];
        }
        full[inputs.length] = uint256(uint160(prover));
        _measure(
            "verify_root",
            address(taskRegistry),
            address(rootVerifier),
            abi.encodeCall(IProofVerifier.verifyProof, (proof, full))
        );
        _measure(
            "submitProof_race_fulfil_root",
            prover,
            address(taskRegistry),
            abi.encodeCall(ITaskRegistry.submitProof, (taskId, inputs, proof))
        );
    }

    function _open() internal returns (uint256 taskId) {
        TaskRequest memory r = raceRequest(0, 1);
        r.circuitId = circuitId;
        r.inputCommitment = keccak256(abi.encodePacked(inputs));
        vm.prank(requester);
        taskId = taskRegistry.createTask(r);
    }

    function _measure(string memory name, address from, address target, bytes memory data) internal {
        vm.prank(from);
        (bool ok, bytes memory ret) = target.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
        // Only execution gas is recorded: the fixture proofs are re-randomised whenever the circuits' fixtures
        // are regenerated, which changes calldata (and so the whole transaction's gas) but not execution.
        uint256 txGas = vm.lastCallGas().gasTotalUsed;
        uint256 calldataGas;
        for (uint256 i; i < data.length; ++i) {
            calldataGas += data[i] == 0 ? 4 : 16;
        }
        vm.snapshotValue(name, txGas - 21_000 - calldataGas);
    }
}
