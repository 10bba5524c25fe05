package calldata

import (
	"bytes"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/chainhound/chainhound/internal/guard/safe"
)

var (
	self  = common.HexToAddress("0x1Db92e2EeBC8E0c075a02BeA49a2935BcD2dFCF4")
	token = common.HexToAddress("0xdAC17F958D2ee523a2206206994597C13D831ec7")
	bob   = common.HexToAddress("0x00000000000000000000000000000000000000b0")
	ms    = common.HexToAddress("0x8D29bE29923b68abfDD21e541b9374737B49cdAD")
)

func TestSelectorsAreTheKnownOnes(t *testing.T) {
	for sel, sig := range map[string]string{
		"a9059cbb": "transfer(address,uint256)", "095ea7b3": "approve(address,uint256)", "39509351": "increaseAllowance(address,uint256)",
		"d505accf": "permit(address,address,uint256,uint256,uint8,bytes32,bytes32)", "0d582f13": "addOwnerWithThreshold(address,uint256)",
		"f8dc5dd9": "removeOwner(address,address,uint256)", "e318b52b": "swapOwner(address,address,address)", "694e80c3": "changeThreshold(uint256)",
		"610b5925": "enableModule(address)", "e009cfde": "disableModule(address,address)", "e19a9dd9": "setGuard(address)",
		"f08a0323": "setFallbackHandler(address)", "7de7edef": "changeMasterCopy(address)", "8d80ff0a": "multiSend(bytes)",
		"6a761202": "execTransaction(address,uint256,bytes,uint8,uint256,uint256,uint256,address,address,bytes)",
	} {
		var s [4]byte
		copy(s[:], hexutil.MustDecode("0x"+sel))
		if got, ok := Lookup(s); !ok || got != sig {
			t.Errorf("selector %s: %q, want %q", sel, got, sig)
		}
	}
}

func TestERC20Transfer(t *testing.T) {
	data := Transfer(bob, big.NewInt(1234))
	c := Decode(token, nil, data, safe.Call)
	if c.Err != "" || c.Method == nil || c.Method.Name != "transfer" {
		t.Fatalf("decoded %+v", c)
	}
	if c.Method.Arg("to").Addr != bob || c.Method.Arg("amount").Int.Int64() != 1234 {
		t.Errorf("args %+v", c.Method.Args)
	}
	d := strings.Join(c.Describe(self, nil), "\n")
	if !strings.Contains(d, "ERC-20 transfer of 1234") || !strings.Contains(d, bob.Hex()) {
		t.Errorf("describe: %s", d)
	}
}

// A batch inside a batch: MultiSend delegatecalled, one inner entry is a
// delegatecall to MultiSend again carrying a transfer and an owner change.
func TestNestedMultiSend(t *testing.T) {
	innerBatch := MultiSend(
		Packed{Op: safe.Call, To: token, Data: Transfer(bob, big.NewInt(5))},
		Packed{Op: safe.Call, To: self, Data: mustPack("addOwnerWithThreshold(address,uint256)", word(bob[:]), word([]byte{2}))},
	)
	outer := MultiSend(
		Packed{Op: safe.Call, To: bob, Value: big.NewInt(1e18)},
		Packed{Op: safe.DelegateCall, To: ms, Data: innerBatch},
	)
	c := Decode(ms, nil, outer, safe.DelegateCall)
	if c.Err != "" || len(c.Inner) != 2 {
		t.Fatalf("outer: err %q, %d inner", c.Err, len(c.Inner))
	}
	in := c.Inner[1]
	if in.Operation != safe.DelegateCall || len(in.Inner) != 2 || in.Inner[1].Method.Name != "addOwnerWithThreshold" {
		t.Fatalf("inner batch %+v", in)
	}
	var n int
	c.Walk(func(*Call, []*Call) { n++ })
	if n != 5 {
		t.Errorf("walked %d calls, want 5", n)
	}
	lines := c.Describe(self, func(a common.Address) string {
		if a == ms {
			return "MultiSend 1.1.1"
		}
		return ""
	})
	if len(lines) != 5 || !strings.HasPrefix(lines[3], "    ") || !strings.Contains(lines[4], "add owner") {
		t.Errorf("describe:\n%s", strings.Join(lines, "\n"))
	}
}

func TestNestedExecTransaction(t *testing.T) {
	data := mustPack("execTransaction(address,uint256,bytes,uint8,uint256,uint256,uint256,address,address,bytes)",
		word(token[:]), word(nil), nil, word([]byte{1}), word(nil), word(nil), word(nil), word(nil), word(nil), []byte{1, 2, 3})
	c := Decode(self, nil, data, safe.Call)
	if c.Err != "" || len(c.Inner) != 1 || c.Inner[0].Operation != safe.DelegateCall || c.Inner[0].To != token {
		t.Fatalf("%+v err %q", c, c.Err)
	}
}

func TestMalformed(t *testing.T) {
	good := Transfer(bob, big.NewInt(1))
	for name, data := range map[string][]byte{
		"short selector":      {0xa9, 0x05},
		"short args":          good[:30],
		"dirty address":       append(append([]byte{}, good[:4]...), bytes.Repeat([]byte{0xff}, 64)...),
		"batch header cut":    mustPack("multiSend(bytes)", MultiSend(Packed{To: bob})[:50]),
		"batch bad op":        mustPack("multiSend(bytes)", append([]byte{7}, make([]byte, 84)...)),
		"batch length lies":   mustPack("multiSend(bytes)", append(append([]byte{0}, make([]byte, 52)...), word([]byte{0xff, 0xff})...)),
		"bytes offset beyond": append(hexutil.MustDecode("0x8d80ff0a"), word([]byte{0xff, 0xff, 0xff})...),
	} {
		c := Decode(ms, nil, data, safe.Call)
		if c.Err == "" {
			t.Errorf("%s: no error", name)
		}
		_ = c.Describe(self, nil) // must not panic
	}
}

func TestUnknownSelector(t *testing.T) {
	c := Decode(bob, big.NewInt(3), hexutil.MustDecode("0xdeadbeef00"), safe.Call)
	if c.Method != nil || c.Err != "" {
		t.Fatalf("%+v", c)
	}
	if d := c.Describe(self, nil)[0]; !strings.Contains(d, "unknown function 0xdeadbeef") {
		t.Error(d)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(Transfer(bob, big.NewInt(1)), uint8(0))
	f.Add(MultiSend(Packed{Op: safe.Call, To: token, Data: Transfer(bob, big.NewInt(5))}, Packed{Op: safe.DelegateCall, To: ms, Data: MultiSend(Packed{To: bob})}), uint8(1))
	f.Add(mustPack("execTransaction(address,uint256,bytes,uint8,uint256,uint256,uint256,address,address,bytes)",
		word(token[:]), word(nil), Transfer(bob, big.NewInt(1)), word(nil), word(nil), word(nil), word(nil), word(nil), word(nil), []byte{1}), uint8(0))
	f.Add([]byte{}, uint8(0))
	f.Add(truncatedBatch(), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, op uint8) {
		c := Decode(ms, big.NewInt(0), data, safe.Operation(op%2))
		depth := 0
		c.Walk(func(x *Call, parents []*Call) {
			depth = max(depth, len(parents))
			if x.Method != nil && x.Err == "" && len(x.Method.Args) == 0 && !strings.HasSuffix(x.Method.Signature, "()") {
				t.Fatalf("decoded %s without arguments", x.Method.Signature)
			}
		})
		if depth > MaxDepth+1 {
			t.Fatalf("depth %d beyond MaxDepth", depth)
		}
		_ = c.Describe(ms, nil)
		// The security property, against the executable model of
		// MultiSend (RunModel): every DELEGATECALL it would run as the Safe
		// appears in the decoded tree, or the tree holds a batch reached by
		// DELEGATECALL that did not decode and does not certainly revert,
		// which the checker rates critical (FuzzCheckMultiSend in
		// internal/guard checks the whole chain to the report).
		if op%2 != 1 {
			return
		}
		execs, ok := RunModel(ms, data, 0)
		if !ok {
			return
		}
		shown, flagged := map[common.Address]bool{}, false
		c.Walk(func(x *Call, _ []*Call) {
			if x.Operation == safe.DelegateCall {
				shown[x.To] = true
				if x.Err != "" && !x.Reverts && x.Method != nil && (x.Method.Kind == KindBatch || x.Method.Kind == KindSafeExec) {
					flagged = true
				}
			}
		})
		for _, e := range execs {
			if !shown[e.To] && !flagged {
				t.Fatalf("MultiSend would DELEGATECALL %s (data %x); the decoded tree neither shows nor flags it", e.To.Hex(), e.Data)
			}
		}
	})
}

// Batches are read as MultiSend's assembly reads them: up to 32 trailing
// bytes are not run (no error); a header cut off by the end is run with
// zeros past it, so the entry is decoded and flagged.
func TestMultiSendReadLikeTheContract(t *testing.T) {
	inner := []byte{0} // CALL
	inner = append(inner, bob[:]...)
	inner = append(inner, make([]byte, 64)...) // value 0, data length 0
	c := Decode(ms, nil, mustPack("multiSend(bytes)", append(append([]byte(nil), inner...), make([]byte, 32)...)), safe.DelegateCall)
	if c.Err != "" || len(c.Inner) != 1 {
		t.Errorf("32 trailing bytes: %+v", c)
	}
	cut := append(append([]byte(nil), inner...), 1)
	cut = append(cut, token[:]...)
	cut = append(cut, make([]byte, 19)...) // 40 bytes of a header (more than 32 left, so it runs): value and length read as zero
	c = Decode(ms, nil, mustPack("multiSend(bytes)", cut), safe.DelegateCall)
	if c.Err == "" || len(c.Inner) != 2 || c.Inner[1].Operation != safe.DelegateCall || c.Inner[1].To != token || c.Inner[1].Err == "" || len(c.Inner[1].Data) != 0 {
		t.Errorf("cut-off header: %+v %+v", c, c.Inner)
	}
}

// truncatedBatch: the only entry, a DELEGATECALL, claims one data byte
// more than the batch holds; MultiSend runs it anyway.
func truncatedBatch() []byte {
	implant := common.HexToAddress("0x96221423681A6d52E184D440a8eFCEbB105C7242")
	payload := Transfer(bob, big.NewInt(0))
	b := append([]byte{1}, implant[:]...)
	b = append(b, make([]byte, 32)...)
	b = append(b, word(big.NewInt(int64(len(payload)+1)).Bytes())...)
	b = append(b, payload...)
	return mustPack("multiSend(bytes)", b)
}

// Data far past the end cannot be passed within a block's gas: MultiSend
// reverts, nothing runs; the batch says so and the entry is not attached.
func TestMultiSendTooLongReverts(t *testing.T) {
	b := append([]byte{1}, bob[:]...)
	b = append(b, make([]byte, 32)...)
	b = append(b, word(big.NewInt(1<<40).Bytes())...)
	c := Decode(ms, nil, mustPack("multiSend(bytes)", b), safe.DelegateCall)
	if !c.Reverts || c.Err == "" || len(c.Inner) != 0 {
		t.Errorf("%+v", c)
	}
	if _, ok := RunModel(ms, mustPack("multiSend(bytes)", b), 0); ok {
		t.Error("model runs it")
	}
}
