// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ILedgerAscendingPriceAuction} from "../../contracts/interfaces/ILedgerAscendingPriceAuction.sol";
import {IMechanism} from "../../contracts/interfaces/IMechanism.sol";
import {ITaskLedger} from "../../contracts/interfaces/ITaskLedger.sol";
import {SlashSplit} from "../../contracts/libraries/SlashSplit.sol";
import {LedgerAscendingPriceAuction} from "../../contracts/mechanisms/ledger/LedgerAscendingPriceAuction.sol";
import {LedgerProofRace} from "../../contracts/mechanisms/ledger/LedgerProofRace.sol";
import {LedgerRequest, LedgerTask} from "../../contracts/types/LedgerTask.sol";
import {LedgerFixture} from "../ledger/LedgerFixture.sol";
import {HashVerifier} from "../utils/HashVerifier.sol";
import {MechanismGasBase} from "./MechanismGasBase.sol";

/// @title LedgerRaceAscendingGas
/// @notice Gas of the open race and the ascending-price auction over the one-word TaskLedger, written to
///         snapshots/LedgerRaceAscendingGas.json, in the conventions of TaskLedgerGas: isolated calls (every
///         top-level call its own transaction, storage cold as on chain); `tx_<name>` the whole transaction,
///         `<name>` execution only (minus 21,000 and calldata); the verifier registry's call (`verify`) subtracted
///         from every proof; `*_spike_convention` adds back the registry's part of it (the spike subtracted only
///         the verifier's own 0.9k), for the comparison with docs/one-word-tasks.md. Steady state: setUp runs race
///         tasks (redundancy 1 and 2) and an ascending task (locked and proven by bob) through their lives and lets
///         a lock of bob's lapse and be slashed, so the provers' proven-bits word and the provers', the requester's
///         and the treasury's credit words exist; the requester keeps a deposit. The lapsed lock measured is
///         alice's first slash (her slash record is written fresh, as in TaskLedgerGas's slashAssignment).
///         Instances: the race with the deployment's defaults (K 4, floor 25 %, decay over the task's window),
///         the auction with the deployment's defaults (floor 20 %, ramp 120 s, lock window 600 s, lock collateral
///         50 tokens).
/// forge-config: default.isolate = true
contract LedgerRaceAscendingGas is LedgerFixture, MechanismGasBase {
    uint96 internal constant LOCK_COLLATERAL = 50e18;

    LedgerProofRace internal lrace;
    LedgerAscendingPriceAuction internal auction;

    function setUp() public {
        deployLedger();
        lrace = new LedgerProofRace(
            ledger, 4, 2500, 0, IMechanism.Profile({kind: 1, speed: 9, cost: 4, safety: 3, censorshipResistance: 9})
        );
        auction = new LedgerAscendingPriceAuction(
            ILedgerAscendingPriceAuction.Params({
                ledger: ledger, floorBps: 2000, rampPeriod: 120, lockWindow: 600, lockCollateral: LOCK_COLLATERAL
            })
        );
        ledger.setMechanism(address(lrace), true);
        ledger.setMechanism(address(auction), true);
        registerProver(alice);
        registerProver(bob);
        depositFor(requester, 1000 * uint256(TASK_BUDGET));

        (uint256 id, LedgerTask memory t) = _open(100, 1, address(lrace));
        proveLedger(id, t, 100, alice);
        (id, t) = _open(101, 2, address(lrace));
        proveLedger(id, t, 101, alice);
        proveLedger(id, t, 101, bob);
        (id, t) = _open(102, 1, address(auction));
        t = _lockAs(id, t, bob);
        proveLedger(id, t, 102, bob);
        (id, t) = _open(103, 1, address(auction));
        t = _lockAs(id, t, bob);
        vm.warp(uint256(t.mechanismState) + 1);
        auction.slashLock(id, t);
    }

    // ------------------------------------------------------------------ race

    function test_Gas_Race_Lifecycle() public {
        (uint256 id, LedgerTask memory t, uint256 total) = _create(1, 1, address(lrace), "race_createTask");
        vm.warp(block.timestamp + 1 minutes);
        total += _prove(id, t, 1, alice, "race_submitProof");
        vm.snapshotValue("race_lifecycle", total);
        vm.snapshotValue("race_lifecycle_spike_convention", total + _registryPart(1, alice));
    }

    function test_Gas_Race_TwoProversOnOneTask() public {
        (uint256 id, LedgerTask memory t, uint256 total) = _create(2, 2, address(lrace), "race2_createTask");
        vm.warp(block.timestamp + 1 minutes);
        total += _prove(id, t, 2, alice, "race2_submitProof_first");
        total += _prove(id, t, 2, bob, "race2_submitProof_second");
        vm.snapshotValue("race2_lifecycle", total);
    }

    function test_Gas_Race_Expire() public {
        (uint256 id, LedgerTask memory t,) = _create(3, 1, address(lrace), "race_createTask_2");
        vm.warp(uint256(t.deadline) + 1);
        _call("race_expire", address(this), address(ledger), abi.encodeCall(ITaskLedger.expire, (id, t)));
    }

    // ------------------------------------------------------------------ ascending

    function test_Gas_Ascending_Lifecycle() public {
        (uint256 id, LedgerTask memory t, uint256 total) = _create(4, 1, address(auction), "ascending_createTask");
        vm.warp(block.timestamp + 1 minutes);
        uint256 g;
        (g, t) = _lock(id, t, alice, "ascending_lock");
        total += g;
        vm.warp(block.timestamp + 2 minutes);
        total += _prove(id, t, 4, alice, "ascending_submitProof_locked");
        vm.snapshotValue("ascending_lifecycle", total);
        vm.snapshotValue("ascending_lifecycle_spike_convention", total + _registryPart(4, alice));
    }

    /// Lock, let it lapse, slash it (by an account that is not a prover), a cover proof without a lock.
    function test_Gas_Ascending_LapsedLockSlashedAndCovered() public {
        (uint256 id, LedgerTask memory t, uint256 total) = _create(5, 1, address(auction), "ascending_createTask_2");
        uint256 g;
        (g, t) = _lock(id, t, alice, "ascending_lock_2");
        total += g;
        vm.warp(uint256(t.mechanismState) + 1);
        (g,) = _call(
            "ascending_slashLock",
            carol,
            address(auction),
            abi.encodeCall(LedgerAscendingPriceAuction.slashLock, (id, t))
        );
        total += g;
        (, uint256 toCover,) = SlashSplit.split(LOCK_COLLATERAL, 2000, 5000);
        t = slashedVersion(t, toCover, 0);
        total += _prove(id, t, 5, bob, "ascending_submitProof_cover");
        vm.snapshotValue("ascending_lapsed_lifecycle", total);
    }

    // ------------------------------------------------------------------ helpers

    /// @dev The verifier registry's lookup and cold verifier account: what the spike did not subtract.
    function _registryPart(uint256 seed, address prover) internal returns (uint256) {
        return _verifyGas(seed, prover) - _verifyDirectGas(seed, prover);
    }

    function _verifyDirectGas(uint256 seed, address prover) internal returns (uint256 g) {
        (g,) = _call(
            "verify_direct",
            address(ledger),
            address(testVerifier),
            abi.encodeCall(HashVerifier.verifyProof, (proofOf(seed, prover), boundInputs(seed, prover)))
        );
    }

    function _open(uint256 seed, uint8 redundancy, address mechanism) internal returns (uint256, LedgerTask memory) {
        LedgerRequest memory r = ledgerRequest(seed, redundancy, mechanism);
        vm.prank(requester);
        return ledger.createTask(r);
    }

    function _lockAs(uint256 id, LedgerTask memory t, address prover) internal returns (LedgerTask memory) {
        vm.prank(prover);
        (uint96 price, uint64 lockDeadline) = auction.lock(id, t);
        return withAssignment(t, prover, price, LOCK_COLLATERAL, lockDeadline);
    }

    function _lock(uint256 id, LedgerTask memory t, address prover, string memory name)
        internal
        returns (uint256 g, LedgerTask memory n)
    {
        bytes memory ret;
        (g, ret) = _call(name, prover, address(auction), abi.encodeCall(LedgerAscendingPriceAuction.lock, (id, t)));
        (uint96 price, uint64 lockDeadline) = abi.decode(ret, (uint96, uint64));
        n = withAssignment(t, prover, price, LOCK_COLLATERAL, lockDeadline);
    }

    function _create(uint256 seed, uint8 redundancy, address mechanism, string memory name)
        internal
        returns (uint256 id, LedgerTask memory t, uint256 g)
    {
        LedgerRequest memory r = ledgerRequest(seed, redundancy, mechanism);
        bytes memory ret;
        (g, ret) = _call(name, requester, address(ledger), abi.encodeCall(ITaskLedger.createTask, (r)));
        (id, t) = abi.decode(ret, (uint256, LedgerTask));
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
