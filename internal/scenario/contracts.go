package scenario

// Hand-assembled contracts. There is no Solidity compiler on the build
// machines, and assembling by hand keeps every opcode that moves value in
// plain sight. Each *Code function returns init code for a contract-creation
// transaction (Node.Deploy); the comment above it is the contract's ABI.
//
// Storage layouts are deliberately naive (a balance lives in the slot whose
// number is the holder's address, an NFT owner in the slot numbered by the
// token id): nothing reads storage directly, and a short program is easier
// to review than a keccak-mapped one.

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/vm"
)

// Function selectors (first four bytes of keccak256 of the signature).
const (
	SelTransfer     uint32 = 0xa9059cbb // transfer(address,uint256)
	SelBalanceOf    uint32 = 0x70a08231 // balanceOf(address)
	SelDeposit      uint32 = 0xd0e30db0 // deposit()
	SelWithdraw     uint32 = 0x2e1a7d4d // withdraw(uint256)
	SelTransferFrom uint32 = 0x23b872dd // transferFrom(address,address,uint256)
	SelOwnerOf      uint32 = 0x6352211e // ownerOf(uint256)
)

// Event topics (keccak256 of the event signature).
var (
	// TransferTopic is Transfer(address indexed from, address indexed to,
	// uint256 value) for ERC-20 (3 topics, value in data) and ERC-721
	// (4 topics, the token id as the third indexed argument, empty data).
	TransferTopic = common.HexToHash("0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef")
	// DepositTopic is WETH's Deposit(address indexed dst, uint256 wad).
	DepositTopic = common.HexToHash("0xe1fffcc4923d04b559f4d29a8bfc6cda04eb5b0d3c460751c2402c5c5cc9109c")
	// WithdrawalTopic is WETH's Withdrawal(address indexed src, uint256 wad).
	WithdrawalTopic = common.HexToHash("0x7fcf532c15f0a6db0bd6d0e038bea71d30d808c7d98cb3bf7268a95bf5081b65")
)

// ForwarderCode deploys a payable fan-out. Calldata is a bare list of
// 32-byte words, each a recipient address (no selector). The call sends
// msg.value / len(list) to every recipient with a CALL carrying value; the
// division remainder stays in the forwarder, as does the whole value when
// the list is empty. If any forward fails the whole call reverts, so value
// is either fully fanned out or not moved at all.
func ForwarderCode() []byte {
	a := newAsm()
	a.Op(vm.CALLDATASIZE).Push(5).Op(vm.SHR) // n
	a.Op(vm.DUP1, vm.ISZERO)
	a.jumpi("done")
	a.Op(vm.DUP1, vm.CALLVALUE, vm.DIV) // share n
	a.Push0()                           // i share n
	a.label("loop")
	a.Op(vm.DUP3, vm.DUP2, vm.LT, vm.ISZERO) // !(i < n)
	a.jumpi("done")
	a.Push0().Push0().Push0().Push0()                 // out and in areas: empty
	a.Op(vm.DUP6)                                     // value = share
	a.Op(vm.DUP6).Push(5).Op(vm.SHL, vm.CALLDATALOAD) // to = word i
	a.Op(vm.GAS, vm.CALL, vm.ISZERO)
	a.jumpi("revert")
	a.Push(1).Op(vm.ADD)
	a.jump("loop")
	a.label("done")
	a.Op(vm.STOP)
	a.revert()
	return deployer(nil, a.code())
}

// ForwarderCalldata encodes the recipient list for a Forwarder call.
func ForwarderCalldata(recipients ...common.Address) []byte {
	out := make([]byte, 0, 32*len(recipients))
	for _, r := range recipients {
		out = append(out, common.LeftPadBytes(r.Bytes(), 32)...)
	}
	return out
}

// ReverterCode deploys a contract whose every call reverts with empty data,
// keeping any value sent with it with the caller.
func ReverterCode() []byte {
	a := newAsm()
	a.Push0().Push0().Op(vm.REVERT)
	return deployer(nil, a.code())
}

// TryCallCode deploys a payable relay: calldata is one 32-byte word, the
// target address; the call CALLs the target with all of msg.value and all
// remaining gas, ignores whether it failed, and succeeds. When the target
// reverts the inner frame's value transfer is undone and the value stays in
// the TryCall contract: the outer transaction succeeded, the inner frame
// moved nothing.
func TryCallCode() []byte {
	a := newAsm()
	a.Push0().Push0().Push0().Push0()
	a.Op(vm.CALLVALUE)
	a.Push0().Op(vm.CALLDATALOAD)
	a.Op(vm.GAS, vm.CALL, vm.POP, vm.STOP)
	return deployer(nil, a.code())
}

// AddressCalldata encodes one address as a 32-byte word, the calldata of
// TryCall (the target) and SelfDestructor (the beneficiary).
func AddressCalldata(addr common.Address) []byte {
	return common.LeftPadBytes(addr.Bytes(), 32)
}

// SelfDestructorCode deploys a contract that accepts value at creation and
// on any later call SELFDESTRUCTs to the beneficiary in calldata (one
// 32-byte word). Since Cancun (EIP-6780) that only moves the balance: the
// code and storage stay, and the contract can be funded and destroyed
// again. Anyone may trigger it.
func SelfDestructorCode() []byte {
	a := newAsm()
	a.Push0().Op(vm.CALLDATALOAD, vm.SELFDESTRUCT)
	return deployer(nil, a.code())
}

// EphemeralCode is init code that SELFDESTRUCTs to beneficiary inside its
// own constructor. A creation transaction with value therefore creates an
// account, moves the value on to beneficiary and deletes the account in the
// same transaction: the one case where EIP-6780 still removes an account.
func EphemeralCode(beneficiary common.Address) []byte {
	a := newAsm()
	a.Selfdestruct(beneficiary)
	return a.code()
}

// SinkCode deploys a contract whose code is a single STOP: it accepts value
// from any call and never moves it. Used as the child of Factory and for
// plain contract creations with value.
func SinkCode() []byte {
	return deployer(nil, []byte{byte(vm.STOP)})
}

// FactoryCode deploys a payable factory: any call CREATEs a new Sink with
// msg.value as its endowment (an internal creation that moves value) and
// returns the child's address as a 32-byte word. Children get addresses
// from the factory's own nonce, which starts at 1.
func FactoryCode() []byte {
	child := SinkCode()
	a := newAsm()
	a.Mstore(child, 0)
	a.Push(len(child)).Push0().Op(vm.CALLVALUE, vm.CREATE)
	a.Op(vm.DUP1, vm.ISZERO)
	a.jumpi("revert")
	a.Push0().Op(vm.MSTORE)
	a.Return(0, 32)
	a.revert()
	return deployer(nil, a.code())
}
