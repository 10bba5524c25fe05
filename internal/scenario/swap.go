package scenario

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/vm"
)

// SwapPoolCode deploys a one-way exchange of ether for a token, the
// smallest thing that shows a DEX swap's two legs in one transaction: any
// call carrying value pays the caller value·rate of the token (calling its
// transfer from the pool's own balance, which must be funded first), and
// keeps the ether. A call whose token transfer fails reverts.
func SwapPoolCode(token common.Address, rate uint64) []byte {
	a := newAsm()
	a.Push(new(big.Int).Lsh(big.NewInt(int64(SelTransfer)), 224)).Push0().Op(vm.MSTORE) // mem[0:4] = transfer selector
	a.Op(vm.CALLER).Push(4).Op(vm.MSTORE)                                               // mem[4:36] = to
	a.Op(vm.CALLVALUE).Push(rate).Op(vm.MUL).Push(36).Op(vm.MSTORE)                     // mem[36:68] = value·rate
	a.Push0().Push0().Push(68).Push0().Push0()                                          // ret size, ret offset, args size, args offset, value
	a.Push(token.Bytes()).Op(vm.GAS, vm.CALL, vm.ISZERO)
	a.jumpi("revert")
	a.Op(vm.STOP)
	a.revert()
	return deployer(nil, a.code())
}
