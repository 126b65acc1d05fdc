// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IMechanismRouter} from "../../contracts/interfaces/IMechanismRouter.sol";
import {IVerifierRegistry} from "../../contracts/interfaces/IVerifierRegistry.sol";
import {CoreDeployment, Deploy} from "../../script/Deploy.s.sol";
import {stdJson} from "forge-std/StdJson.sol";
import {Test} from "forge-std/Test.sol";

/// @notice The deploy script deploys and wires the whole system (core, verifiers, mechanisms, router) and writes its addresses as JSON.
contract DeployTest is Test {
    using stdJson for string;

    function test_DeployWiresTheWholeSystem() public {
        string memory out = "snapshots/.deploy-test.json";
        vm.setEnv("DEPLOY_OUT", out);
        vm.setEnv("INITIAL_MINT", "5000000000000000000000");
        CoreDeployment.Core memory c = new Deploy().run();

        (, address deployer,) = vm.readCallers();
        assertTrue(c.provers.hasRole(c.provers.TASK_REGISTRY_ROLE(), address(c.tasks)), "task registry may slash");
        assertTrue(c.tasks.isMechanism(address(c.race)), "race allow-listed");
        assertTrue(c.tasks.hasRole(c.tasks.MECHANISM_ADMIN_ROLE(), deployer));
        assertTrue(c.verifiers.hasRole(c.verifiers.VERIFIER_ADMIN_ROLE(), deployer));
        assertEq(address(c.tasks.token()), address(c.token));
        assertEq(address(c.race.registry()), address(c.tasks));
        assertEq(c.token.balanceOf(deployer), 5000e18);
        (address treasury, uint16 treasuryBps, uint16 coverBps) = c.tasks.slashSplit();
        assertEq(treasury, deployer);
        assertEq(treasuryBps, 2000);
        assertEq(coverBps, 5000);

        string memory json = vm.readFile(out);
        assertEq(json.readAddress(".TaskRegistry"), address(c.tasks));
        assertEq(json.readAddress(".ProverRegistry"), address(c.provers));
        assertEq(json.readAddress(".ProofRace"), address(c.race));

        // The generated verifiers are registered under their circuit ids.
        bytes32[3] memory circuits = [
            keccak256("proofmarket.circuit.base.v1"),
            keccak256("proofmarket.circuit.merge.v1"),
            keccak256("proofmarket.circuit.root.v1")
        ];
        string[3] memory names = [".BaseProofVerifier", ".MergeProofVerifier", ".RootProofVerifier"];
        for (uint256 i = 0; i < 3; ++i) {
            assertEq(IVerifierRegistry(address(c.verifiers)).verifierOf(circuits[i]), json.readAddress(names[i]));
        }

        // Every default mechanism is allow-listed and registered behind the router, which may open tasks.
        IMechanismRouter router = IMechanismRouter(json.readAddress(".MechanismRouter"));
        assertTrue(c.tasks.hasRole(c.tasks.ROUTER_ROLE(), address(router)), "router may open tasks");
        string[6] memory mechanisms = [
            ".ProofRace",
            ".SealedBidAuction",
            ".AscendingPriceAuction",
            ".ElectionRace",
            ".OrderBook",
            ".TreeAssignment"
        ];
        assertEq(router.instanceCount(), mechanisms.length);
        for (uint256 i = 0; i < mechanisms.length; ++i) {
            address mechanism = json.readAddress(mechanisms[i]);
            assertTrue(c.tasks.isMechanism(mechanism), mechanisms[i]);
            assertEq(router.instanceOf(i).mechanism, mechanism, mechanisms[i]);
        }
        assertTrue(c.tasks.isMechanism(json.readAddress(".SealedBidAuctionFirstPrice")), "first-price sealed bid");
        vm.removeFile(out);
        vm.setEnv("DEPLOY_OUT", ""); // leave the process environment as other tests expect it
        vm.setEnv("INITIAL_MINT", "1000000000000000000000000");
    }
}
