package deployments

// legacy lists official Ethereum mainnet deployments that predate
// @safe-global/safe-deployments (which starts at 1.0.0 and omits several
// of these), checked by hand. Source of every address: the "networks"
// field, chain 1, of the contract's build artifact in the npm package
// @gnosis.pm/safe-contracts of that version (licence GPL-3.0; tarballs
// from registry.npmjs.org, SHA-1 84e579645249c3cb0001520f67c9ea0fdec2e121
// for 1.1.0; 0.1.0 and 1.0.0 are the ones the node tests fetch). They
// agree with Etherscan's "Safe:" labels except that Etherscan swaps
// MultiSend 0.1.0 and CreateAndAddModules 0.1.0 (it labels 0xcbf223cc…
// "Multi Send 0.1.0"; the 0.1.0 artifacts put MultiSend at 0xe74d6af1…).
//
// No code hash: the npm builds of 0.1.0 and 1.0.0 differ from what was
// deployed (see docs/guard.md), so only the address is vouched for.
// CreateAndAddModules is a setup helper, not a library an
// execTransaction should DELEGATECALL (role other).
//
// MultiSend 0.1.0 and 1.0.0 use the ABI-tuple batch encoding; the
// decoder knows their addresses (calldata.TupleMultiSend).
var legacy = []Deployment{
	{"GnosisSafe", "gnosis_safe", "0.1.0", "legacy", "0x8942595A2dC5181Df0465AF0D7be08c8f23C93af", ""},
	{"MultiSend", "multi_send", "0.1.0", "legacy", "0xe74d6AF1670FB6560dd61EE29eB57C7Bc027Ce4E", ""},
	{"CreateAndAddModules", "create_and_add_modules", "0.1.0", "legacy", "0xcbF223cCb3264E447167d4772c312Df403Ab87F0", ""},
	{"ProxyFactory", "proxy_factory", "0.1.0", "legacy", "0x88cd603A5dC47857D02865bbC7941b588C533263", ""},
	{"MultiSend", "multi_send", "1.0.0", "legacy", "0xD4B7B161E4779629C2717385114Bf78D612aEa72", ""},
	{"CreateAndAddModules", "create_and_add_modules", "1.0.0", "legacy", "0x1a56aE690ab0818aF5cA349b7D21f1d7e76a3d36", ""},
	{"GnosisSafe", "gnosis_safe", "1.1.0", "legacy", "0xaE32496491b53841efb51829d6f886387708F99B", ""},
	{"MultiSend", "multi_send", "1.1.0", "legacy", "0xB522a9f781924eD250A11C54105E51840B138AdD", ""},
	{"CreateCall", "create_call", "1.1.0", "legacy", "0x293EBbB6983CF50bdC3E0E4c363ab3e8bFC0F2d3", ""},
	{"CreateAndAddModules", "create_and_add_modules", "1.1.0", "legacy", "0x5Fb29eEa20B764b8908fd7477a91314397Cd3b9d", ""},
	{"DefaultCallbackHandler", "default_callback_handler", "1.1.0", "legacy", "0x40A930851BD2e590Bd5A5C981b436de25742E980", ""},
	{"ProxyFactory", "proxy_factory", "1.1.0", "legacy", "0x50e55Af101C777bA7A1d560a774A82eF002ced9F", ""},
}
