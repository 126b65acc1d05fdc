// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMechanism} from "../../contracts/interfaces/IMechanism.sol";
import {ITaskRegistry} from "../../contracts/interfaces/ITaskRegistry.sol";
import {IVerifierRegistry} from "../../contracts/interfaces/IVerifierRegistry.sol";
import {TaskRequest} from "../../contracts/types/Task.sol";
import {Deployers} from "../utils/Deployers.sol";

/// @notice The cheapest possible mechanism: no storage, pays the assigned price, assigns on request. Its
///         lifecycle (createTask → assign → submitProof) is the core's own cost, which every mechanism pays;
///         a mechanism's coordination overhead is what it adds on top.
contract NullMechanism is IMechanism {
    ITaskRegistry public immutable registry;

    constructor(ITaskRegistry registry_) {
        registry = registry_;
    }

    function assign(uint256 taskId, address prover, uint96 price, uint96 collateral) external {
        registry.assign(taskId, prover, price, collateral);
    }

    function onTaskOpened(uint256, TaskRequest calldata) external view {
        if (msg.sender != address(registry)) revert OnlyTaskRegistry(msg.sender);
    }

    function onProofAccepted(uint256, address, uint96 assignedPrice) external view returns (uint256) {
        if (msg.sender != address(registry)) revert OnlyTaskRegistry(msg.sender);
        return assignedPrice;
    }

    function onTaskClosed(uint256) external view {
        if (msg.sender != address(registry)) revert OnlyTaskRegistry(msg.sender);
    }

    function profile() external pure returns (Profile memory) {
        return Profile({kind: 0, speed: 0, cost: 0, safety: 0, censorshipResistance: 0});
    }
}

/// @title MechanismGasBase
/// @notice Shared by the sealed-bid, ascending and election-race gas suites (run isolated: every top-level
///         call is its own transaction, storage cold as on chain). `_call` records `tx_<name>` (the whole
///         transaction) and `<name>` (execution only: minus 21,000 and calldata). `_baseline` records the
///         core's own lifecycle with NullMechanism (`core_createTask`, `core_assign`, `core_submitProof`)
///         so that each suite can state its mechanism's overhead as (its lifecycle − the core's), verifier
///         excluded.
abstract contract MechanismGasBase is Deployers {
    NullMechanism internal nullMechanism;

    function _deployNull() internal {
        nullMechanism = new NullMechanism(ITaskRegistry(address(taskRegistry)));
        taskRegistry.setMechanism(address(nullMechanism), true);
    }

    /// @dev The core's lifecycle for one task and one prover assigned at `price` with `collateral` (the
    ///      same as the mechanism's lifecycle it is compared with, so that refunds and payouts touch the
    ///      same storage): returns createTask + assign + submitProof − verify, execution gas.
    function _baseline(uint256 seed, address prover, uint96 price, uint96 collateral) internal returns (uint256 total) {
        uint256 taskId;
        (taskId, total) = _baselineOpen(seed);
        (uint256 g,) = _call(
            "core_assign",
            address(this),
            address(nullMechanism),
            abi.encodeCall(NullMechanism.assign, (taskId, prover, price, collateral))
        );
        total += g;
        total += _baselineSubmit(taskId, seed, prover);
        vm.snapshotValue("core_lifecycle", total);
    }

    function _baselineOpen(uint256 seed) internal returns (uint256 taskId, uint256 g) {
        TaskRequest memory r = raceRequest(seed, 1);
        r.mechanism = address(nullMechanism);
        fund(requester, r.maxPayment);
        bytes memory ret;
        (g, ret) =
            _call("core_createTask", requester, address(taskRegistry), abi.encodeCall(ITaskRegistry.createTask, (r)));
        taskId = abi.decode(ret, (uint256));
    }

    function _baselineSubmit(uint256 taskId, uint256 seed, address prover) internal returns (uint256) {
        uint256 verifyGas = _verifyGas(seed, prover);
        bytes memory data = abi.encodeCall(ITaskRegistry.submitProof, (taskId, statement(seed), proofOf(seed, prover)));
        (uint256 g,) = _call("core_submitProof", prover, address(taskRegistry), data);
        return g - verifyGas;
    }

    /// @dev Execution gas of the verifier-registry call submitProof makes (the test-double verifier).
    function _verifyGas(uint256 seed, address prover) internal returns (uint256 g) {
        (g,) = _call(
            "verify",
            address(taskRegistry),
            address(verifierRegistry),
            abi.encodeCall(IVerifierRegistry.verify, (TEST_CIRCUIT, proofOf(seed, prover), boundInputs(seed, prover)))
        );
    }

    function _call(string memory name, address from, address target, bytes memory data)
        internal
        returns (uint256 execution, bytes memory ret)
    {
        bool ok;
        vm.prank(from);
        (ok, ret) = target.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
        uint256 txGas = vm.snapshotGasLastCall(string.concat("tx_", name));
        execution = txGas - 21_000 - _calldataGas(data);
        vm.snapshotValue(name, execution);
    }

    function _calldataGas(bytes memory data) internal pure returns (uint256 gas) {
        for (uint256 i; i < data.length; ++i) {
            gas += data[i] == 0 ? 4 : 16;
        }
    }
}
