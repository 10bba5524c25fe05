package scenario

import (
	"encoding/binary"

	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/core/vm/program"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

// The router's events, from their signatures as THORChain's router
// declares them (not from the ingester's decoder, which the tests check).
var (
	routerDepositTopic     = crypto.Keccak256Hash([]byte("Deposit(address,address,uint256,string)"))
	routerTransferOutTopic = crypto.Keccak256Hash([]byte("TransferOut(address,address,address,uint256,string)"))
)

// RouterDeployCode deploys RouterCode.
func RouterDeployCode() []byte { return program.New().ReturnViaCodeCopy(RouterCode()).Bytes() }

// RouterCode is a THORChain-router-like contract written for the tests
// (the bridge's end-to-end test, the watcher's scripted theft).
// depositWithExpiry(vault, asset, amount, memo, expiry) (any selector but
// transferOut's is taken for it) forwards msg.value to vault, reverting if
// that fails, and emits the router's Deposit(address indexed to, address
// indexed asset, uint256 amount, string memo) with amount = msg.value, as
// the real router does for ether. transferOut(to, asset, amount, memo), a
// vault's payout, sends msg.value to "to" and emits TransferOut(address
// indexed vault, address indexed to, address asset, uint256 amount, string
// memo) with the caller as vault.
func RouterCode() []byte {
	build := func(out, revert uint16) (code []byte, outAt, revertAt uint16) {
		p := program.New()
		push2 := func(v uint16) { p.Op(vm.PUSH2).Append([]byte{byte(v >> 8), byte(v)}) }
		// forward sends msg.value to the address argument 0, reverting on failure.
		forward := func() {
			p.Push0().Push0().Push0().Push0().Op(vm.CALLVALUE)
			p.InputAddressToStack(4)
			p.Op(vm.GAS, vm.CALL, vm.ISZERO)
			push2(revert)
			p.Op(vm.JUMPI)
		}
		// memo copies the string argument 3 (length word and text) to
		// memory at at and leaves at plus its padded size on the stack.
		memo := func(at int) {
			p.Push(4 + 3*32).Op(vm.CALLDATALOAD).Push(4).Op(vm.ADD)
			p.Op(vm.DUP1, vm.CALLDATALOAD).Push(31).Op(vm.ADD)
			p.Push(new(uint256.Int).Not(uint256.NewInt(31))).Op(vm.AND)
			p.Push(32).Op(vm.ADD)
			p.Op(vm.DUP1, vm.SWAP2).Push(at).Op(vm.CALLDATACOPY)
			p.Push(at).Op(vm.ADD)
		}
		p.Push0().Op(vm.CALLDATALOAD).Push(0xe0).Op(vm.SHR)
		p.Push(transferOutSelector).Op(vm.EQ)
		push2(out)
		p.Op(vm.JUMPI)
		// Deposit: data = amount, 0x40, memo; topics vault, asset.
		forward()
		p.Op(vm.CALLVALUE).Push0().Op(vm.MSTORE)
		p.Push(0x40).Push(32).Op(vm.MSTORE)
		memo(64)
		p.InputAddressToStack(4 + 32).InputAddressToStack(4)
		p.Op(vm.PUSH32).Append(routerDepositTopic.Bytes())
		p.Op(vm.DUP4).Push0().Op(vm.LOG3, vm.STOP)
		// TransferOut: data = asset, amount, 0x60, memo; topics caller, to.
		outAt = uint16(p.Size())
		p.Op(vm.JUMPDEST)
		forward()
		p.InputAddressToStack(4 + 32).Push0().Op(vm.MSTORE)
		p.Op(vm.CALLVALUE).Push(32).Op(vm.MSTORE)
		p.Push(0x60).Push(64).Op(vm.MSTORE)
		memo(96)
		p.InputAddressToStack(4).Op(vm.CALLER)
		p.Op(vm.PUSH32).Append(routerTransferOutTopic.Bytes())
		p.Op(vm.DUP4).Push0().Op(vm.LOG3, vm.STOP)
		revertAt = uint16(p.Size())
		p.Op(vm.JUMPDEST).Push0().Push0().Op(vm.REVERT)
		return p.Bytes(), outAt, revertAt
	}
	_, out, revert := build(0, 0)
	code, _, _ := build(out, revert) // jump targets are PUSH2: the layout does not move
	return code
}

var transferOutSelector = uint64(binary.BigEndian.Uint32(crypto.Keccak256([]byte("transferOut(address,address,uint256,string)"))[:4]))

const RouterABI = `[{"type":"function","name":"depositWithExpiry","stateMutability":"payable","inputs":[
 {"name":"vault","type":"address"},{"name":"asset","type":"address"},{"name":"amount","type":"uint256"},
 {"name":"memo","type":"string"},{"name":"expiration","type":"uint256"}],"outputs":[]},
 {"type":"function","name":"transferOut","stateMutability":"payable","inputs":[
 {"name":"to","type":"address"},{"name":"asset","type":"address"},{"name":"amount","type":"uint256"},
 {"name":"memo","type":"string"}],"outputs":[]}]`
