// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ITaskLedger} from "../../contracts/interfaces/ITaskLedger.sol";
import {LedgerElectionRace} from "../../contracts/mechanisms/ledger/LedgerElectionRace.sol";
import {LedgerRequest, LedgerTask} from "../../contracts/types/LedgerTask.sol";
import {LedgerElectionFixture} from "../ledger/mechanisms/LedgerElectionRace.t.sol";
import {MechanismGasBase} from "./MechanismGasBase.sol";

/// @title LedgerElectionGas
/// @notice Gas of the election-then-race over the one-word TaskLedger, written to snapshots/LedgerElectionGas.json, in
///         the conventions of TaskLedgerGas / MechanismGasBase: isolated calls (every top-level call its own
///         transaction, storage cold as on chain); `tx_<name>` the whole transaction, `<name>` execution only (minus
///         21,000 and calldata: the draw's ≈ 540-byte header and the task are calldata); the verifier registry's call
///         (`verify`) subtracted from every proof. Five registered provers, all eligible, staking the weight cap (an
///         attempt that lands on a prover not yet drawn accepts it). Steady state: setUp runs a redundancy-5 task of
///         the three-elected instance through its life (three elected proofs, two open-race proofs), so every
///         prover's credit word and proven-bits word for this requester exist; the requester keeps a deposit.
///         `*_lifecycle` = createTask + draw + the proofs − verify. `core_race_lifecycle`: the core's own open race
///         (create + proof, the fixture's LedgerRace) in the same state, for the election's share of the figure.
/// forge-config: default.isolate = true
contract LedgerElectionGas is LedgerElectionFixture, MechanismGasBase {
    LedgerElectionRace internal one;
    LedgerElectionRace internal three;
    address[5] internal provers;

    function setUp() public {
        deployLedger();
        uint96 cap = 1000e18; // PROVER_STAKE: every attempt on a prover not yet drawn accepts it
        one = _deployElection(1, 1, cap);
        three = _deployElection(1, 3, cap);
        provers = [alice, bob, carol, makeAddr("dave"), makeAddr("erin")];
        for (uint256 i; i < 5; ++i) {
            registerProver(provers[i]);
        }
        depositFor(requester, 1000 * uint256(TASK_BUDGET));
        vm.roll(block.number + 10);

        (uint256 id, LedgerTask memory t) = _open(three, 100, 5);
        _draw(three, id, t, keccak256("warm"));
        for (uint256 i; i < 5; ++i) {
            if (three.isElected(id, t.openedAt, provers[i])) proveLedger(id, t, 100, provers[i]);
        }
        vm.warp(three.electionOf(id, t.openedAt).electionEnd + 1);
        for (uint256 i; i < 5; ++i) {
            if (!three.isElected(id, t.openedAt, provers[i])) proveLedger(id, t, 100, provers[i]);
        }
        (id, t) = _open(address(ledgerRace), 101, 1);
        proveLedger(id, t, 101, alice);
    }

    /// @dev createTask → draw (one elected of five) → the elected prover's proof five minutes later.
    function test_Gas_Lifecycle_OneElectedOfFive() public {
        (uint256 id, LedgerTask memory t, uint256 total) = _create(one, 1, 1, "createTask_one");
        total += _drawGas(one, id, t, "draw_oneOfFive");
        address prover = one.electionOf(id, t.openedAt).firstElected;
        vm.warp(block.timestamp + 5 minutes);
        total += _prove(id, t, 1, prover, "submitProof_elected");
        vm.snapshotValue("oneOfFive_lifecycle", total);
        assertLe(total, 200_000, "within the 200k target");
        _coreRace(2);
    }

    /// @dev createTask → draw (three elected of five, redundancy 3) → the three elected provers' proofs.
    function test_Gas_Lifecycle_ThreeElectedOfFive() public {
        (uint256 id, LedgerTask memory t, uint256 total) = _create(three, 3, 3, "createTask_three");
        total += _drawGas(three, id, t, "draw_threeOfFive");
        address[] memory elected = three.electionOf(id, t.openedAt).elected;
        assertEq(elected.length, 3);
        string[3] memory names = ["submitProof_three_first", "submitProof_three_second", "submitProof_three_third"];
        for (uint256 i; i < 3; ++i) {
            vm.warp(block.timestamp + 2 minutes);
            total += _prove(id, t, 3, elected[i], names[i]);
        }
        vm.snapshotValue("threeOfFive_lifecycle", total);
    }

    /// @dev The elected prover is offline: createTask → draw → after the window an outsider's open-race proof (no
    ///      transaction opens the race).
    function test_Gas_Lifecycle_OutsiderAfterTheWindow() public {
        (uint256 id, LedgerTask memory t, uint256 total) = _create(one, 4, 1, "createTask_fallback");
        total += _drawGas(one, id, t, "draw_fallback");
        address outsider;
        for (uint256 i; i < 5 && outsider == address(0); ++i) {
            if (!one.isElected(id, t.openedAt, provers[i])) outsider = provers[i];
        }
        vm.warp(one.electionOf(id, t.openedAt).electionEnd + 5 minutes);
        total += _prove(id, t, 4, outsider, "submitProof_open");
        vm.snapshotValue("outsider_lifecycle", total);
        assertLe(total, 200_000, "within the 200k target");
    }

    /// @dev A draw sent after the target left the 256-block window re-targets through the ledger.
    function test_Gas_Retarget() public {
        (uint256 id, LedgerTask memory t,) = _create(one, 5, 1, "createTask_retarget");
        (uint256 target,) = one.targetOf(t.mechanismState);
        vm.roll(target + 300);
        _call("draw_retarget", address(this), address(one), abi.encodeCall(one.draw, (id, t, "")));
    }

    /// @dev The core's own race lifecycle in the same state (create + proof, no mechanism hooks).
    function _coreRace(uint256 seed) internal {
        LedgerRequest memory r = ledgerRequest(seed, 1, address(ledgerRace));
        (uint256 g, bytes memory ret) =
            _call("core_createTask_race", requester, address(ledger), abi.encodeCall(ITaskLedger.createTask, (r)));
        (uint256 id, LedgerTask memory t) = abi.decode(ret, (uint256, LedgerTask));
        g += _prove(id, t, seed, alice, "core_submitProof_race");
        vm.snapshotValue("core_race_lifecycle", g);
    }

    function _open(address mechanism, uint256 seed, uint8 redundancy) internal returns (uint256, LedgerTask memory) {
        LedgerRequest memory r = ledgerRequest(seed, redundancy, mechanism);
        vm.prank(requester);
        return ledger.createTask(r);
    }

    function _open(LedgerElectionRace e, uint256 seed, uint8 redundancy) internal returns (uint256, LedgerTask memory) {
        return _open(address(e), seed, redundancy);
    }

    function _create(LedgerElectionRace e, uint256 seed, uint8 redundancy, string memory name)
        internal
        returns (uint256 id, LedgerTask memory t, uint256 g)
    {
        LedgerRequest memory r = ledgerRequest(seed, redundancy, address(e));
        bytes memory ret;
        (g, ret) = _call(name, requester, address(ledger), abi.encodeCall(ITaskLedger.createTask, (r)));
        (id, t) = abi.decode(ret, (uint256, LedgerTask));
    }

    function _drawGas(LedgerElectionRace e, uint256 id, LedgerTask memory t, string memory name)
        internal
        returns (uint256 g)
    {
        bytes memory header = _publishTarget(e, t, keccak256("mix"));
        (g,) = _call(name, address(this), address(e), abi.encodeCall(e.draw, (id, t, header)));
    }

    function _prove(uint256 id, LedgerTask memory t, uint256 seed, address prover, string memory name)
        internal
        returns (uint256)
    {
        uint256 verifyGas = _verifyGas(seed, prover);
        bytes memory data = abi.encodeCall(ITaskLedger.submitProof, (id, t, statement(seed), proofOf(seed, prover)));
        (uint256 g,) = _call(name, prover, address(ledger), data);
        return g - verifyGas;
    }
}
