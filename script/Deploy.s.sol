// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ProofToken} from "../contracts/ProofToken.sol";
import {ProverRegistry} from "../contracts/ProverRegistry.sol";
import {TaskRegistry} from "../contracts/TaskRegistry.sol";
import {VerifierRegistry} from "../contracts/VerifierRegistry.sol";
import {IMechanism} from "../contracts/interfaces/IMechanism.sol";
import {IProverRegistry} from "../contracts/interfaces/IProverRegistry.sol";
import {ITaskRegistry} from "../contracts/interfaces/ITaskRegistry.sol";
import {IVerifierRegistry} from "../contracts/interfaces/IVerifierRegistry.sol";
import {ProofRace} from "../contracts/mechanisms/ProofRace.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Script} from "forge-std/Script.sol";
import {console2} from "forge-std/console2.sol";

/// @title CoreDeployment
/// @notice How the core of proofmarket is deployed and wired, shared by the deploy script and the test
///         fixture (test/utils/Deployers.sol) so that both deploy exactly the same way. Every function
///         deploys one component as the current sender (the broadcaster in a script, the test contract in
///         tests), which becomes its admin. Later components (verifiers, mechanisms, router, rollup) add
///         their own `_deployX` functions next to these and a call in `Deploy.run`.
abstract contract CoreDeployment {
    /// @notice The core contracts of a deployment.
    struct Core {
        ProofToken token;
        ProverRegistry provers;
        VerifierRegistry verifiers;
        TaskRegistry tasks;
        ProofRace race;
    }

    /// @notice Deployment parameters; see docs/protocol.md for each default and why.
    struct CoreParams {
        uint256 minStake;
        uint64 unstakeDelay;
        address treasury;
        uint8 raceMaxWinners;
        uint16 raceFloorBps;
        uint32 raceDecayWindow;
    }

    /// @notice Minimum prover stake: 100 tokens.
    uint256 internal constant DEFAULT_MIN_STAKE = 100e18;
    /// @notice Unstake delay: 7 days, longer than any task deadline plus fallback window we expect.
    uint64 internal constant DEFAULT_UNSTAKE_DELAY = 7 days;
    /// @notice Race instance: up to 4 paid proofs per task, floor 25% of the per-proof share, decay over the
    ///         task's whole window.
    uint8 internal constant DEFAULT_RACE_MAX_WINNERS = 4;
    uint16 internal constant DEFAULT_RACE_FLOOR_BPS = 2500;
    uint32 internal constant DEFAULT_RACE_DECAY_WINDOW = 0;

    function _defaultCoreParams(address treasury) internal pure returns (CoreParams memory) {
        return CoreParams({
            minStake: DEFAULT_MIN_STAKE,
            unstakeDelay: DEFAULT_UNSTAKE_DELAY,
            treasury: treasury,
            raceMaxWinners: DEFAULT_RACE_MAX_WINNERS,
            raceFloorBps: DEFAULT_RACE_FLOOR_BPS,
            raceDecayWindow: DEFAULT_RACE_DECAY_WINDOW
        });
    }

    /// @notice Deploys the test token with `admin` as admin and minter.
    function _deployToken(address admin) internal returns (ProofToken) {
        return new ProofToken(admin);
    }

    /// @notice Deploys the registries and a ProofRace instance and wires them: the task registry may lock
    ///         and slash stake, the race is allow-listed. `admin` (the current sender) keeps every admin role.
    function _deployCore(ProofToken token, address admin, CoreParams memory p) internal returns (Core memory c) {
        c.token = token;
        c.provers = new ProverRegistry(IERC20(address(token)), p.minStake, p.unstakeDelay, admin);
        c.verifiers = new VerifierRegistry(admin);
        c.tasks = new TaskRegistry(
            IERC20(address(token)),
            IProverRegistry(address(c.provers)),
            IVerifierRegistry(address(c.verifiers)),
            admin,
            p.treasury
        );
        c.provers.grantRole(c.provers.TASK_REGISTRY_ROLE(), address(c.tasks));
        c.race = _deployRace(c.tasks, p.raceMaxWinners, p.raceFloorBps, p.raceDecayWindow);
    }

    /// @notice Deploys a ProofRace instance and allow-lists it. Declared profile: fast (anyone may prove at
    ///         once), mid cost (the decay pays early provers near the max), low safety (no collateral at
    ///         risk), high censorship resistance (nobody can be kept out).
    function _deployRace(TaskRegistry tasks, uint8 maxWinners, uint16 floorBps, uint32 decayWindow)
        internal
        returns (ProofRace race)
    {
        race = new ProofRace(
            ITaskRegistry(address(tasks)),
            maxWinners,
            floorBps,
            decayWindow,
            IMechanism.Profile({kind: 1, speed: 9, cost: 4, safety: 3, censorshipResistance: 9})
        );
        tasks.setMechanism(address(race), true);
    }
}

/// @title Deploy
/// @notice `forge script script/Deploy.s.sol --rpc-url … --private-key … --broadcast`: deploys the core,
///         mints `INITIAL_MINT` test tokens (default 1,000,000) to the deployer, logs the addresses and, when
///         `DEPLOY_OUT` is set, writes them as JSON to that path.
contract Deploy is Script, CoreDeployment {
    function run() external returns (Core memory c) {
        vm.startBroadcast();
        (, address deployer,) = vm.readCallers();
        address treasury = vm.envOr("TREASURY", deployer);
        ProofToken token = _deployToken(deployer);
        c = _deployCore(token, deployer, _defaultCoreParams(treasury));
        uint256 initialMint = vm.envOr("INITIAL_MINT", uint256(1_000_000e18));
        if (initialMint != 0) token.mint(deployer, initialMint);
        vm.stopBroadcast();

        _log(c);
        string memory out = vm.envOr("DEPLOY_OUT", string(""));
        if (bytes(out).length != 0) vm.writeJson(_json(c), out);
    }

    function _log(Core memory c) internal pure {
        console2.log("ProofToken      ", address(c.token));
        console2.log("ProverRegistry  ", address(c.provers));
        console2.log("VerifierRegistry", address(c.verifiers));
        console2.log("TaskRegistry    ", address(c.tasks));
        console2.log("ProofRace       ", address(c.race));
    }

    function _json(Core memory c) internal returns (string memory) {
        string memory k = "deployment";
        vm.serializeUint(k, "chainId", block.chainid);
        vm.serializeAddress(k, "ProofToken", address(c.token));
        vm.serializeAddress(k, "ProverRegistry", address(c.provers));
        vm.serializeAddress(k, "VerifierRegistry", address(c.verifiers));
        vm.serializeAddress(k, "TaskRegistry", address(c.tasks));
        return vm.serializeAddress(k, "ProofRace", address(c.race));
    }
}
