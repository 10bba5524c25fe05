package scenario

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/core/vm/program"
)

// asm adds named jump labels to go-ethereum's program builder, which only
// knows addresses already emitted: hand-written contracts jump forward (to
// a shared revert, to a function body), so jumps are emitted as PUSH2
// placeholders and patched once every label is known.
type asm struct {
	*program.Program
	labels map[string]uint64
	fixups map[int]string // offset of a PUSH2 immediate -> label it needs
}

func newAsm() *asm {
	return &asm{Program: program.New(), labels: map[string]uint64{}, fixups: map[int]string{}}
}

// label marks the next instruction as the jump target name.
func (a *asm) label(name string) {
	if _, dup := a.labels[name]; dup {
		panic(fmt.Sprintf("scenario: asm label %q defined twice", name))
	}
	a.labels[name] = a.Label()
	a.Op(vm.JUMPDEST)
}

func (a *asm) pushLabel(name string) {
	a.Op(vm.PUSH2)
	a.fixups[a.Size()] = name
	a.Append([]byte{0, 0})
}

// jump jumps to name unconditionally.
func (a *asm) jump(name string) {
	a.pushLabel(name)
	a.Op(vm.JUMP)
}

// jumpi pops a condition and jumps to name if it is non-zero.
func (a *asm) jumpi(name string) {
	a.pushLabel(name)
	a.Op(vm.JUMPI)
}

// code patches the jumps and returns the bytecode. A jump to a label never
// defined is a bug in this package, hence the panic.
func (a *asm) code() []byte {
	code := a.Bytes()
	for at, name := range a.fixups {
		pc, ok := a.labels[name]
		if !ok {
			panic(fmt.Sprintf("scenario: asm label %q used but not defined", name))
		}
		code[at], code[at+1] = byte(pc>>8), byte(pc)
	}
	return append([]byte(nil), code...)
}

// selector pushes the 4-byte function selector of the calldata.
func (a *asm) selector() {
	a.Push0().Op(vm.CALLDATALOAD).Push(0xe0).Op(vm.SHR)
}

// dispatch jumps to name if the selector on top of the stack equals sel,
// leaving the selector in place either way.
func (a *asm) dispatch(sel uint32, name string) {
	a.Op(vm.DUP1).Push(sel).Op(vm.EQ)
	a.jumpi(name)
}

// revert is the shared failure exit: empty revert data, like a Solidity
// require without a message.
func (a *asm) revert() {
	a.label("revert")
	a.Push0().Push0().Op(vm.REVERT)
}

// nonPayable reverts when the call carries value.
func (a *asm) nonPayable() {
	a.Op(vm.CALLVALUE)
	a.jumpi("revert")
}

// argWord pushes the i-th 32-byte ABI argument after the selector.
func (a *asm) argWord(i int) {
	a.Push(4 + 32*i).Op(vm.CALLDATALOAD)
}

// argAddress pushes the i-th ABI argument masked to 20 bytes, so dirty high
// bytes cannot make two spellings of one address.
func (a *asm) argAddress(i int) {
	a.InputAddressToStack(uint32(4 + 32*i))
}

// pushHash pushes a full 32-byte word such as an event topic. Push would
// drop leading zero bytes, which is harmless but obscures the listing.
func (a *asm) pushHash(h common.Hash) {
	a.Op(vm.PUSH32)
	a.Append(h.Bytes())
}

// deployer wraps runtime in init code that runs ctor first (nil for none)
// and then returns runtime as the contract's code.
func deployer(ctor func(a *asm), runtime []byte) []byte {
	a := newAsm()
	if ctor != nil {
		ctor(a)
	}
	a.ReturnViaCodeCopy(runtime)
	return a.code()
}
