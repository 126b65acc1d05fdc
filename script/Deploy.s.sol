// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MechanismRouter} from "../contracts/MechanismRouter.sol";
import {ProofToken} from "../contracts/ProofToken.sol";
import {ProverRegistry} from "../contracts/ProverRegistry.sol";
import {Rollup} from "../contracts/Rollup.sol";
import {SequencerSet} from "../contracts/SequencerSet.sol";
import {TaskRegistry} from "../contracts/TaskRegistry.sol";
import {VerifierRegistry} from "../contracts/VerifierRegistry.sol";
import {IMechanism} from "../contracts/interfaces/IMechanism.sol";
import {IMechanismRouter} from "../contracts/interfaces/IMechanismRouter.sol";
import {IProverRegistry} from "../contracts/interfaces/IProverRegistry.sol";
import {IRollup} from "../contracts/interfaces/IRollup.sol";
import {ISequencerSelector} from "../contracts/interfaces/ISequencerSelector.sol";
import {ITaskRegistry} from "../contracts/interfaces/ITaskRegistry.sol";
import {IVerifierRegistry} from "../contracts/interfaces/IVerifierRegistry.sol";
import {ProofRace} from "../contracts/mechanisms/ProofRace.sol";
import {QoSProfile} from "../contracts/types/Task.sol";
import {BaseProofVerifier} from "../contracts/verifiers/BaseProofVerifier.sol";
import {MergeProofVerifier} from "../contracts/verifiers/MergeProofVerifier.sol";
import {RootProofVerifier} from "../contracts/verifiers/RootProofVerifier.sol";
import {MechanismDeployment} from "./MechanismDeployment.sol";
import {RouterDeployment} from "./RouterDeployment.sol";
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

    // ------------------------------------------------------------------ rollup

    /// @notice Rollup deployment parameters; docs/rollup.md gives each default and why.
    struct RollupParams {
        bytes32 genesisStateRoot;
        address sequencer;
        uint32 proofWindow;
        uint16 maxPendingBlocks;
        uint16 sequencerShareBps;
        uint8 redundancy;
        uint96 blockReward;
    }

    /// @notice Proof window: 10 minutes per block.
    uint32 internal constant DEFAULT_ROLLUP_PROOF_WINDOW = 10 minutes;
    /// @notice At most 32 posted-but-unfinalised blocks (Aztec's epoch size).
    uint16 internal constant DEFAULT_ROLLUP_MAX_PENDING_BLOCKS = 32;
    /// @notice 30% of the block reward to the sequencer, 70% escrowed for the root proof.
    uint16 internal constant DEFAULT_ROLLUP_SEQUENCER_SHARE_BPS = 3000;
    /// @notice 10 tokens per block from the Rollup's reward pool.
    uint96 internal constant DEFAULT_ROLLUP_BLOCK_REWARD = 10e18;

    function _defaultRollupParams(bytes32 genesisStateRoot, address sequencer)
        internal
        pure
        returns (RollupParams memory)
    {
        return RollupParams({
            genesisStateRoot: genesisStateRoot,
            sequencer: sequencer,
            proofWindow: DEFAULT_ROLLUP_PROOF_WINDOW,
            maxPendingBlocks: DEFAULT_ROLLUP_MAX_PENDING_BLOCKS,
            sequencerShareBps: DEFAULT_ROLLUP_SEQUENCER_SHARE_BPS,
            redundancy: 1,
            blockReward: DEFAULT_ROLLUP_BLOCK_REWARD
        });
    }

    /// @notice The Rollup config for `p`: root tasks straight into the registry under `mechanism`, with the
    ///         "rollup block proving (Aztec-like)" QoS persona.
    function _rollupConfig(ISequencerSelector selector, address mechanism, RollupParams memory p)
        internal
        pure
        returns (IRollup.Config memory)
    {
        return IRollup.Config({
            selector: selector,
            proofWindow: p.proofWindow,
            maxPendingBlocks: p.maxPendingBlocks,
            sequencerShareBps: p.sequencerShareBps,
            redundancy: p.redundancy,
            mechanism: mechanism,
            blockReward: p.blockReward,
            router: IMechanismRouter(address(0)),
            qos: QoSProfile({
                speedWeight: 7,
                costWeight: 5,
                safetyWeight: 8,
                censorshipWeight: 8,
                minRedundancy: p.redundancy,
                minStakeAtRisk: 0
            }),
            mechanismData: ""
        });
    }

    /// @notice Deploys the devnet sequencer set (with `p.sequencer` as its member unless zero) and the Rollup
    ///         at `p.genesisStateRoot`, proving through the core's race. `admin` (the current sender) keeps
    ///         every admin role. The root circuit's verifier must be registered before blocks are requested.
    function _deployRollup(Core memory c, address admin, RollupParams memory p)
        internal
        returns (SequencerSet sequencers, Rollup rollup)
    {
        sequencers = new SequencerSet(admin);
        if (p.sequencer != address(0)) sequencers.addSequencer(p.sequencer);
        rollup = new Rollup(
            admin,
            ITaskRegistry(address(c.tasks)),
            IERC20(address(c.token)),
            p.genesisStateRoot,
            _rollupConfig(ISequencerSelector(address(sequencers)), address(c.race), p)
        );
    }
}

/// @title Deploy
/// @notice `forge script script/Deploy.s.sol --rpc-url … --private-key … --broadcast`: deploys the whole
///         system — core registries, the generated verifiers registered per circuit id, every default
///         mechanism instance, the MechanismRouter with those instances registered, and (when
///         `ROLLUP_GENESIS_ROOT` is set) the Rollup — mints `INITIAL_MINT` test tokens (default 1,000,000) to
///         the deployer, logs the addresses and, when `DEPLOY_OUT` is set, writes them as JSON to that path
///         (forge may write only under the folders `fs_permissions` in foundry.toml allows, e.g. `.devnet/`).
contract Deploy is Script, CoreDeployment, MechanismDeployment, RouterDeployment {
    function run() external returns (Core memory c) {
        vm.startBroadcast();
        (, address deployer,) = vm.readCallers();
        address treasury = vm.envOr("TREASURY", deployer);
        ProofToken token = _deployToken(deployer);
        c = _deployCore(token, deployer, _defaultCoreParams(treasury));
        uint256 initialMint = vm.envOr("INITIAL_MINT", uint256(1_000_000e18));
        if (initialMint != 0) token.mint(deployer, initialMint);
        _deployVerifiers(c);
        _deployMechanismsAndRouter(c, deployer, treasury);
        // The Rollup is deployed when its genesis state root is given (the devnet's, from the circuits crate).
        bytes32 genesisStateRoot = vm.envOr("ROLLUP_GENESIS_ROOT", bytes32(0));
        if (genesisStateRoot != bytes32(0)) _deployAndFundRollup(c, deployer, genesisStateRoot);
        vm.stopBroadcast();

        _log(c);
        string memory out = vm.envOr("DEPLOY_OUT", string(""));
        if (bytes(out).length != 0) vm.writeJson(_json(c), out);
    }

    /// @dev The generated Groth16 verifiers (development keys), each registered under its circuit id.
    function _deployVerifiers(Core memory c) internal {
        BaseProofVerifier base = new BaseProofVerifier();
        MergeProofVerifier merge = new MergeProofVerifier();
        RootProofVerifier root = new RootProofVerifier();
        c.verifiers.setVerifier(base.CIRCUIT_ID(), address(base));
        c.verifiers.setVerifier(merge.CIRCUIT_ID(), address(merge));
        c.verifiers.setVerifier(root.CIRCUIT_ID(), address(root));
        console2.log("BaseVerifier    ", address(base));
        console2.log("MergeVerifier   ", address(merge));
        console2.log("RootVerifier    ", address(root));
        vm.serializeAddress("deployment", "BaseProofVerifier", address(base));
        vm.serializeAddress("deployment", "MergeProofVerifier", address(merge));
        vm.serializeAddress("deployment", "RootProofVerifier", address(root));
    }

    /// @dev Every default mechanism instance, the router, and the instances registered behind it.
    function _deployMechanismsAndRouter(Core memory c, address deployer, address treasury) internal {
        ITaskRegistry tasks = ITaskRegistry(address(c.tasks));
        IProverRegistry provers = IProverRegistry(address(c.provers));
        AuctionMechanisms memory a = _deployAuctionMechanisms(tasks, provers, IERC20(address(c.token)), treasury);
        RoutedInstances memory m;
        m.race = c.race;
        m.sealedBid = a.sealedBidSecondPrice;
        m.ascending = a.ascending;
        m.electionRace = a.electionRace;
        m.orderBook = _deployOrderBook(tasks, provers);
        m.tree = _deployTreeAssignment(tasks, provers, IERC20(address(c.token)));
        MechanismRouter router = _deployRouter(c.tasks, deployer);
        _registerDefaultInstances(router, m);

        console2.log("SealedBid (2nd) ", address(a.sealedBidSecondPrice));
        console2.log("SealedBid (1st) ", address(a.sealedBidFirstPrice));
        console2.log("Ascending       ", address(a.ascending));
        console2.log("ElectionRace    ", address(a.electionRace));
        console2.log("OrderBook       ", address(m.orderBook));
        console2.log("TreeAssignment  ", address(m.tree));
        console2.log("MechanismRouter ", address(router));
        string memory k = "deployment";
        vm.serializeAddress(k, "SealedBidAuction", address(a.sealedBidSecondPrice));
        vm.serializeAddress(k, "SealedBidAuctionFirstPrice", address(a.sealedBidFirstPrice));
        vm.serializeAddress(k, "AscendingPriceAuction", address(a.ascending));
        vm.serializeAddress(k, "ElectionRace", address(a.electionRace));
        vm.serializeAddress(k, "OrderBook", address(m.orderBook));
        vm.serializeAddress(k, "TreeAssignment", address(m.tree));
        vm.serializeAddress(k, "MechanismRouter", address(router));
    }

    /// @dev Rollup with the deploy defaults; `SEQUENCER` (default: the deployer) joins the sequencer set and
    ///      `ROLLUP_REWARD_FUNDING` (default 10,000 tokens, taken from the deployer) funds the reward pool.
    function _deployAndFundRollup(Core memory c, address deployer, bytes32 genesisStateRoot) internal {
        (SequencerSet sequencers, Rollup rollup) =
            _deployRollup(c, deployer, _defaultRollupParams(genesisStateRoot, vm.envOr("SEQUENCER", deployer)));
        uint256 funding = vm.envOr("ROLLUP_REWARD_FUNDING", uint256(10_000e18));
        if (funding != 0) {
            c.token.approve(address(rollup), funding);
            rollup.fundRewards(funding);
        }
        console2.log("SequencerSet    ", address(sequencers));
        console2.log("Rollup          ", address(rollup));
        vm.serializeAddress("deployment", "SequencerSet", address(sequencers));
        vm.serializeAddress("deployment", "Rollup", address(rollup));
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
