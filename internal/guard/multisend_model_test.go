package guard

import (
	"bytes"
	"context"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/chainhound/chainhound/internal/guard/calldata"
	"github.com/chainhound/chainhound/internal/guard/deployments"
	"github.com/chainhound/chainhound/internal/guard/safe"
)

// A small executable model of the official MultiSend (1.1.0 to 1.5.0:
// the same assembly), written from the contract's source independently of
// the decoder, for the differential check in FuzzCheckMultiSend:
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

// modelExec is one DELEGATECALL the model runs as the Safe.
type modelExec struct {
	to   common.Address
	data []byte
}

const modelGasBytes = 4 << 20 // more zero-padding than this cannot be paid for

var multiSendSel = crypto.Keccak256([]byte("multiSend(bytes)"))[:4]

// modelMem is the batch as memory: bytes past its end are zero.
func modelMem(b []byte, off, n uint64) []byte {
	out := make([]byte, n)
	if off < uint64(len(b)) {
		copy(out, b[off:])
	}
	return out
}

// modelRun executes calldata delegatecalled into the MultiSend at ms and
// returns the DELEGATECALLs that run as the Safe, or nil if it reverts (a
// revert undoes everything, delegatecalls included).
func modelRun(ms common.Address, calldata []byte, depth int) ([]modelExec, bool) {
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
	var execs []modelExec
	length := uint64(len(b))
	for i := uint64(0x20); i < length; {
		p := i - 0x20
		op := modelMem(b, p, 1)[0]
		to := common.BytesToAddress(modelMem(b, p+1, 20))
		dl := new(big.Int).SetBytes(modelMem(b, p+0x35, 32))
		if !dl.IsUint64() || dl.Uint64() > length+modelGasBytes {
			return nil, false
		}
		data := modelMem(b, p+0x55, dl.Uint64())
		switch op {
		case 0:
			// A CALL runs in the target's context, not the Safe's.
		case 1:
			execs = append(execs, modelExec{to, data})
			if to == ms {
				inner, ok := modelRun(ms, data, depth+1)
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

// truncatedBatch is a batch whose only entry, a DELEGATECALL to the
// implant, claims one data byte more than the batch holds: MultiSend
// runs it anyway.
func truncatedBatch(t testing.TB) []byte {
	payload := calldata.Transfer(receiver, big.NewInt(0))
	b := append([]byte{1}, implant[:]...)
	b = append(b, make([]byte, 32)...)
	b = append(b, common.LeftPadBytes(big.NewInt(int64(len(payload)+1)).Bytes(), 32)...)
	b = append(b, payload...)
	return pack(t, "multiSend(bytes)", b)
}

func TestModelRunsCutOffEntry(t *testing.T) {
	execs, ok := modelRun(multiSend, truncatedBatch(t), 0)
	if !ok || len(execs) != 1 || execs[0].to != implant || len(execs[0].data) != 69 {
		t.Fatalf("model: %v %+v", ok, execs)
	}
	c := calldata.Decode(multiSend, nil, truncatedBatch(t), safe.DelegateCall)
	if len(c.Inner) != 1 || c.Inner[0].To != implant || c.Inner[0].Operation != safe.DelegateCall || c.Err == "" || !bytes.Equal(c.Inner[0].Data, execs[0].data) {
		t.Fatalf("decoded: %+v", c)
	}
}

// FuzzCheckMultiSend is the security property of decoding, checked
// against the model: for a transaction that DELEGATECALLs the official
// MultiSend 1.1.1 with arbitrary calldata, every DELEGATECALL the model
// would run as the Safe either goes to an official library and appears in
// the decoded tree, or the checker rates the transaction critical.
func FuzzCheckMultiSend(f *testing.F) {
	f.Add(truncatedBatch(f))
	f.Add(calldata.MultiSend(calldata.Packed{Op: safe.Call, To: usdt, Data: calldata.Transfer(receiver, big.NewInt(5))},
		calldata.Packed{Op: safe.DelegateCall, To: multiSend, Data: calldata.MultiSend(calldata.Packed{To: receiver})}))
	f.Add(calldata.MultiSend(calldata.Packed{Op: safe.DelegateCall, To: multiSend, Data: truncatedBatch(f)}))
	c := &Checker{Known: deployments.Official()}
	f.Fuzz(func(t *testing.T, data []byte) {
		execs, ok := modelRun(multiSend, data, 0)
		if !ok || len(execs) == 0 {
			return
		}
		tx := &Tx{Safe: bybitSafe, Tx: safe.Tx{To: multiSend, Value: new(big.Int), Data: data, Operation: safe.DelegateCall, Nonce: big.NewInt(1)}}
		r, err := c.Check(context.Background(), tx, mainnet, VersionChoice{v111, "flag"})
		if err != nil {
			t.Fatal(err)
		}
		if r.MaxSeverity == "critical" {
			return
		}
		shown := map[common.Address]bool{}
		r.Calls.Walk(func(x *calldata.Call, _ []*calldata.Call) {
			if x.Operation == safe.DelegateCall {
				shown[x.To] = true
			}
		})
		for _, e := range execs {
			d, ok := c.Known.ByAddress(e.to)
			if !ok || d.Role() != deployments.RoleLibrary || !shown[e.to] {
				t.Fatalf("MultiSend would DELEGATECALL %s (data %x); the check says %s", e.to.Hex(), e.data, r.MaxSeverity)
			}
		}
	})
}
