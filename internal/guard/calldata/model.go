package calldata

import (
	"bytes"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
)

// A small executable model of the official MultiSend (1.1.0 to 1.5.0:
// the same assembly), written from the contract's source independently of
// the decoder, for the differential checks of the fuzz tests (FuzzDecode
// here, FuzzCheckMultiSend in internal/guard); the decoder does not use it:
//
//	let length := mload(transactions)
//	let i := 0x20
//	for { } lt(i, length) { } {
//	    let operation := shr(0xf8, mload(add(transactions, i)))
//	    let to := shr(0x60, mload(add(transactions, add(i, 0x01))))
//	    let value := mload(add(transactions, add(i, 0x15)))
//	    let dataLength := mload(add(transactions, add(i, 0x35)))
//	    let data := add(transactions, add(i, 0x55))
//	    switch operation case 0 { call } case 1 { delegatecall }
//	    if eq(success, 0) { revert(0, 0) }   // also for operation > 1
//	    i := add(i, add(0x55, dataLength))
//	}
//
// Memory past the batch reads as zeros. A call whose data is too long to
// pass within a block's gas runs out of gas and reverts everything.

// ModelCall is one DELEGATECALL the model runs as the Safe.
type ModelCall struct {
	To   common.Address
	Data []byte
}

const modelGasBytes = 4 << 20 // more zero-padding than this cannot be paid for

var multiSendSel = keccak([]byte("multiSend(bytes)"))[:4]

// modelMem is the batch as memory: bytes past its end are zero.
func modelMem(b []byte, off, n uint64) []byte {
	out := make([]byte, n)
	if off < uint64(len(b)) {
		copy(out, b[off:])
	}
	return out
}

// RunModel executes calldata delegatecalled into the MultiSend at ms and
// returns the DELEGATECALLs that run as the Safe, or nil if it reverts (a
// revert undoes everything, delegatecalls included).
func RunModel(ms common.Address, calldata []byte, depth int) ([]ModelCall, bool) {
	if depth > 64 || len(calldata) < 4 || !bytes.Equal(calldata[:4], multiSendSel) {
		return nil, false // no such function: MultiSend reverts
	}
	args := calldata[4:]
	if len(args) < 32 {
		return nil, false
	}
	off := new(big.Int).SetBytes(args[:32])
	if !off.IsUint64() || off.Uint64()+32 > uint64(len(args)) {
		return nil, false
	}
	n := new(big.Int).SetBytes(args[off.Uint64() : off.Uint64()+32])
	if !n.IsUint64() || off.Uint64()+32+n.Uint64() > uint64(len(args)) {
		return nil, false
	}
	b := args[off.Uint64()+32 : off.Uint64()+32+n.Uint64()]
	var execs []ModelCall
	length := uint64(len(b))
	for i := uint64(0x20); i < length; {
		p := i - 0x20
		op := modelMem(b, p, 1)[0]
		to := common.BytesToAddress(modelMem(b, p+1, 20))
		dl := new(big.Int).SetBytes(modelMem(b, p+0x35, 32))
		avail := uint64(0) // data bytes present in the batch
		if p+0x55 < length {
			avail = length - (p + 0x55)
		}
		if !dl.IsUint64() || dl.Uint64() > avail+modelGasBytes {
			return nil, false // out of gas (memory expansion): reverts
		}
		data := modelMem(b, p+0x55, dl.Uint64())
		switch op {
		case 0:
			// A CALL runs in the target's context, not the Safe's.
		case 1:
			execs = append(execs, ModelCall{To: to, Data: data})
			if to == ms {
				inner, ok := RunModel(ms, data, depth+1)
				if !ok {
					return nil, false
				}
				execs = append(execs, inner...)
			}
		default:
			return nil, false
		}
		i += 0x55 + dl.Uint64()
	}
	return execs, true
}
