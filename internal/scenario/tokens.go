package scenario

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/vm"
)

// ERC20Code deploys a minimal ERC-20. The constructor credits supply to the
// deployer and logs Transfer(0x0, deployer, supply), the way minting shows
// on chain. Functions, all non-payable:
//
//	transfer(address to, uint256 value) returns (bool)  0xa9059cbb
//	    moves value from the caller, logs Transfer(caller, to, value)
//	    (3 topics, value as 32 bytes of data), returns true; reverts when
//	    the caller's balance is short
//	balanceOf(address holder) returns (uint256)        0x70a08231
//
// Any other selector reverts. There are no allowances (no transferFrom).
func ERC20Code(supply *big.Int) []byte {
	mint := func(a *asm) {
		a.Push(supply).Op(vm.CALLER, vm.SSTORE)
		a.Push(supply).Push0().Op(vm.MSTORE)
		a.Op(vm.CALLER).Push0()
		a.pushHash(TransferTopic)
		a.Push(32).Push0().Op(vm.LOG3)
	}
	a := newAsm()
	a.selector()
	a.dispatch(SelTransfer, "transfer")
	a.dispatch(SelBalanceOf, "balanceOf")
	a.jump("revert")
	tokenFunctions(a)
	a.revert()
	return deployer(mint, a.code())
}

// tokenFunctions emits the transfer and balanceOf bodies shared by ERC20
// and WETH. Balances live in the slot numbered by the holder's address.
func tokenFunctions(a *asm) {
	a.label("transfer")
	a.nonPayable()
	a.argAddress(0)               // to
	a.argWord(1)                  // value to
	a.Op(vm.CALLER, vm.SLOAD)     // bal value to
	a.Op(vm.DUP2, vm.DUP2, vm.LT) // bal < value
	a.jumpi("revert")
	a.Op(vm.DUP2, vm.SWAP1, vm.SUB)          // bal-value value to
	a.Op(vm.CALLER, vm.SSTORE)               // value to
	a.Op(vm.DUP2, vm.SLOAD, vm.DUP2, vm.ADD) // toBal+value value to
	a.Op(vm.DUP3, vm.SSTORE)                 // value to
	a.Push0().Op(vm.MSTORE)                  // to; mem[0:32] = value
	a.Op(vm.CALLER)
	a.pushHash(TransferTopic)
	a.Push(32).Push0().Op(vm.LOG3)
	a.returnTrue()

	a.label("balanceOf")
	a.nonPayable()
	a.argAddress(0)
	a.Op(vm.SLOAD).Push0().Op(vm.MSTORE)
	a.Return(0, 32)
}

// returnTrue returns the ABI encoding of bool true.
func (a *asm) returnTrue() {
	a.Push(1).Push0().Op(vm.MSTORE)
	a.Return(0, 32)
}

// WETHCode deploys a WETH9-like wrapper, an ERC-20 backed 1:1 by ether:
//
//	deposit() payable              0xd0e30db0  credits msg.value to the caller,
//	                                           logs Deposit(caller, value)
//	(empty calldata) payable                   same as deposit(), like WETH9's fallback
//	withdraw(uint256 wad)          0x2e1a7d4d  debits wad, logs Withdrawal(caller, wad),
//	                                           then CALLs the caller with wad (an internal
//	                                           transfer); reverts if short or if that call fails
//	transfer(address,uint256)      0xa9059cbb  as in ERC20Code
//	balanceOf(address)             0x70a08231  as in ERC20Code
func WETHCode() []byte {
	a := newAsm()
	a.Op(vm.CALLDATASIZE, vm.ISZERO)
	a.jumpi("deposit")
	a.selector()
	a.dispatch(SelDeposit, "deposit")
	a.dispatch(SelWithdraw, "withdraw")
	a.dispatch(SelTransfer, "transfer")
	a.dispatch(SelBalanceOf, "balanceOf")
	a.jump("revert")

	a.label("deposit")
	a.Op(vm.CALLER, vm.SLOAD, vm.CALLVALUE, vm.ADD, vm.CALLER, vm.SSTORE)
	a.Op(vm.CALLVALUE).Push0().Op(vm.MSTORE)
	a.Op(vm.CALLER)
	a.pushHash(DepositTopic)
	a.Push(32).Push0().Op(vm.LOG2, vm.STOP)

	a.label("withdraw")
	a.nonPayable()
	a.argWord(0)                  // wad
	a.Op(vm.CALLER, vm.SLOAD)     // bal wad
	a.Op(vm.DUP2, vm.DUP2, vm.LT) // bal < wad
	a.jumpi("revert")
	a.Op(vm.DUP2, vm.SWAP1, vm.SUB, vm.CALLER, vm.SSTORE) // wad
	a.Op(vm.DUP1).Push0().Op(vm.MSTORE)
	a.Op(vm.CALLER)
	a.pushHash(WithdrawalTopic)
	a.Push(32).Push0().Op(vm.LOG2)    // wad
	a.Push0().Push0().Push0().Push0() // no calldata, no return data
	a.Op(vm.DUP5, vm.CALLER, vm.GAS, vm.CALL, vm.ISZERO)
	a.jumpi("revert")
	a.Op(vm.STOP)

	tokenFunctions(a)
	a.revert()
	return deployer(nil, a.code())
}

// ERC721Code deploys a minimal ERC-721 whose constructor mints token ids
// 1..count to the deployer, each with Transfer(0x0, deployer, id): 4 topics,
// empty data. Functions, all non-payable:
//
//	transferFrom(address from, address to, uint256 id)  0x23b872dd
//	    only from itself may move its token (no approvals); reverts unless
//	    from owns id; logs Transfer(from, to, id)
//	ownerOf(uint256 id) returns (address)              0x6352211e
func ERC721Code(count int) []byte {
	mint := func(a *asm) {
		for id := 1; id <= count; id++ {
			a.Op(vm.CALLER).Push(id).Op(vm.SSTORE)
			a.Push(id).Op(vm.CALLER).Push0()
			a.pushHash(TransferTopic)
			a.Push0().Push0().Op(vm.LOG4)
		}
	}
	a := newAsm()
	a.nonPayable()
	a.selector()
	a.dispatch(SelTransferFrom, "transferFrom")
	a.dispatch(SelOwnerOf, "ownerOf")
	a.jump("revert")

	a.label("transferFrom")
	a.argAddress(0)                            // from
	a.Op(vm.DUP1, vm.CALLER, vm.EQ, vm.ISZERO) // caller != from
	a.jumpi("revert")
	a.argWord(2)                                       // id from
	a.Op(vm.DUP1, vm.SLOAD, vm.DUP3, vm.EQ, vm.ISZERO) // owner != from
	a.jumpi("revert")
	a.argAddress(1)                   // to id from
	a.Op(vm.DUP1, vm.DUP3, vm.SSTORE) // owner[id] = to
	a.Op(vm.DUP2, vm.DUP2, vm.DUP5)   // from to id | to id from
	a.pushHash(TransferTopic)
	a.Push0().Push0().Op(vm.LOG4, vm.STOP)

	a.label("ownerOf")
	a.argWord(0)
	a.Op(vm.SLOAD).Push0().Op(vm.MSTORE)
	a.Return(0, 32)
	a.revert()
	return deployer(mint, a.code())
}

// TransferCalldata encodes transfer(to, value).
func TransferCalldata(to common.Address, value *big.Int) []byte {
	return callData(SelTransfer, AddressCalldata(to), word(value))
}

// BalanceOfCalldata encodes balanceOf(holder).
func BalanceOfCalldata(holder common.Address) []byte {
	return callData(SelBalanceOf, AddressCalldata(holder))
}

// DepositCalldata encodes deposit().
func DepositCalldata() []byte { return callData(SelDeposit) }

// WithdrawCalldata encodes withdraw(wad).
func WithdrawCalldata(wad *big.Int) []byte { return callData(SelWithdraw, word(wad)) }

// TransferFromCalldata encodes transferFrom(from, to, id).
func TransferFromCalldata(from, to common.Address, id *big.Int) []byte {
	return callData(SelTransferFrom, AddressCalldata(from), AddressCalldata(to), word(id))
}

// OwnerOfCalldata encodes ownerOf(id).
func OwnerOfCalldata(id *big.Int) []byte { return callData(SelOwnerOf, word(id)) }

func callData(sel uint32, words ...[]byte) []byte {
	out := binary.BigEndian.AppendUint32(make([]byte, 0, 4+32*len(words)), sel)
	for _, w := range words {
		out = append(out, w...)
	}
	return out
}

func word(v *big.Int) []byte { return common.LeftPadBytes(v.Bytes(), 32) }

// BalanceOf reads token.balanceOf(holder) at the head with eth_call.
func BalanceOf(ctx context.Context, n *Node, token, holder common.Address) (*big.Int, error) {
	out, err := n.Client().CallContract(ctx, ethereum.CallMsg{To: &token, Data: BalanceOfCalldata(holder)}, nil)
	if err != nil {
		return nil, fmt.Errorf("scenario: balanceOf(%s) on %s: %w", holder, token, err)
	}
	if len(out) != 32 {
		return nil, fmt.Errorf("scenario: balanceOf(%s) on %s: %d bytes returned, want 32", holder, token, len(out))
	}
	return new(big.Int).SetBytes(out), nil
}

// OwnerOf reads nft.ownerOf(id) at the head with eth_call.
func OwnerOf(ctx context.Context, n *Node, nft common.Address, id *big.Int) (common.Address, error) {
	out, err := n.Client().CallContract(ctx, ethereum.CallMsg{To: &nft, Data: OwnerOfCalldata(id)}, nil)
	if err != nil {
		return common.Address{}, fmt.Errorf("scenario: ownerOf(%v) on %s: %w", id, nft, err)
	}
	if len(out) != 32 {
		return common.Address{}, fmt.Errorf("scenario: ownerOf(%v) on %s: %d bytes returned, want 32", id, nft, len(out))
	}
	return common.BytesToAddress(out), nil
}
