package guard

import (
	"bytes"
	"context"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/chainhound/chainhound/internal/guard/calldata"
	"github.com/chainhound/chainhound/internal/guard/deployments"
	"github.com/chainhound/chainhound/internal/guard/safe"
)

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
	execs, ok := calldata.RunModel(multiSend, truncatedBatch(t), 0)
	if !ok || len(execs) != 1 || execs[0].To != implant || len(execs[0].Data) != 69 {
		t.Fatalf("model: %v %+v", ok, execs)
	}
	c := calldata.Decode(multiSend, nil, truncatedBatch(t), safe.DelegateCall)
	if len(c.Inner) != 1 || c.Inner[0].To != implant || c.Inner[0].Operation != safe.DelegateCall || c.Err == "" || !bytes.Equal(c.Inner[0].Data, execs[0].Data) {
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
		execs, ok := calldata.RunModel(multiSend, data, 0)
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
			d, ok := c.Known.ByAddress(e.To)
			if !ok || d.Role() != deployments.RoleLibrary || !shown[e.To] {
				t.Fatalf("MultiSend would DELEGATECALL %s (data %x); the check says %s", e.To.Hex(), e.Data, r.MaxSeverity)
			}
		}
	})
}
