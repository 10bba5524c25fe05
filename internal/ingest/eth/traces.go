package eth

import (
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/holiman/uint256"
)

// FlatTrace is one call frame, creation, self-destruct or reward in a single
// shape for both trace sources (geth's callTracer and parity's trace_block),
// in the vocabulary of parity and ethereum-etl. Fields a source does not
// report stay nil.
type FlatTrace struct {
	TxIndex      int          // position of the transaction in the block; -1 for block rewards
	TxHash       *common.Hash // nil for rewards, or when neither trace nor block names it
	TraceAddress []int        // path from the transaction's top frame; empty for the top frame
	Type         string       // call, create, suicide, reward
	CallType     string       // for calls: call, delegatecall, staticcall, callcode
	From, To     *common.Address
	Value        uint256.Int
	Input        []byte // call data or init code
	Output       []byte // return data or deployed code
	Gas, GasUsed *uint64
	Subtraces    int
	Error        string
	Status       int    // 1 ok; 0 if this trace or any ancestor failed
	RewardType   string // for rewards: block, uncle
}

// geth's callTracer frame types mapped to (type, callType).
var callFrameTypes = map[string][2]string{
	"CALL":         {"call", "call"},
	"DELEGATECALL": {"call", "delegatecall"},
	"STATICCALL":   {"call", "staticcall"},
	"CALLCODE":     {"call", "callcode"},
	"CREATE":       {"create", ""},
	"CREATE2":      {"create", ""},
	"SELFDESTRUCT": {"suicide", ""},
}

// FlattenCallTraces turns callTracer frames into flat traces, depth first.
// traces[i] belongs to transaction i of b; b may be nil when only the traces
// are at hand, in which case transaction hashes come from the traces alone.
func FlattenCallTraces(b *Block, traces []TxCallTrace) []FlatTrace {
	var out []FlatTrace
	for i := range traces {
		t := &traces[i]
		if t.Result == nil {
			continue
		}
		txHash := t.TxHash
		if txHash == nil && b != nil && i < len(b.Transactions) {
			h := b.Transactions[i].Hash
			txHash = &h
		}
		out = flattenFrame(out, t.Result, i, txHash, nil, true)
	}
	return out
}

func flattenFrame(out []FlatTrace, f *CallFrame, txIndex int, txHash *common.Hash, addr []int, parentOK bool) []FlatTrace {
	ft := FlatTrace{
		TxIndex:      txIndex,
		TxHash:       txHash,
		TraceAddress: addr,
		Subtraces:    len(f.Calls),
		Error:        f.Error,
	}
	if kind, ok := callFrameTypes[strings.ToUpper(f.Type)]; ok {
		ft.Type, ft.CallType = kind[0], kind[1]
	} else {
		ft.Type = strings.ToLower(f.Type) // unknown to us; kept for the record
	}
	ft.Value = u256(f.Value)
	if ft.Type == "suicide" {
		// Old geth (callTracer in JavaScript, before 1.10) reported only
		// {"type":"SELFDESTRUCT"}: no beneficiary, no amount. The zero
		// address cannot run code, so a zero "from" means "not reported".
		if f.From != (common.Address{}) {
			from := f.From
			ft.From = &from
		}
		ft.To = f.To
	} else {
		from := f.From
		ft.From = &from
		ft.To = f.To
		gas, used := uint64(f.Gas), uint64(f.GasUsed)
		ft.Gas, ft.GasUsed = &gas, &used
		ft.Input = f.Input
		ft.Output = f.Output
	}
	ok := parentOK && f.Error == ""
	if ok {
		ft.Status = 1
	}
	out = append(out, ft)
	for j := range f.Calls {
		child := make([]int, len(addr)+1)
		copy(child, addr)
		child[len(addr)] = j
		out = flattenFrame(out, &f.Calls[j], txIndex, txHash, child, ok)
	}
	return out
}

// FlattenParityTraces turns trace_block output into flat traces, keeping its
// order. b may be nil; when given it supplies transaction hashes a trace
// leaves out.
func FlattenParityTraces(ts []ParityTrace, b *Block) []FlatTrace {
	out := make([]FlatTrace, len(ts))
	// A trace fails with its whole subtree: collect the failed addresses
	// first so the result does not depend on the node's ordering.
	failed := map[string]bool{}
	for i := range ts {
		if ts[i].Error != "" && ts[i].TransactionPosition != nil {
			failed[traceKey(*ts[i].TransactionPosition, ts[i].TraceAddress)] = true
		}
	}
	for i := range ts {
		out[i] = flattenParity(&ts[i], b, failed)
	}
	return out
}

func flattenParity(t *ParityTrace, b *Block, failed map[string]bool) FlatTrace {
	a := &t.Action
	ft := FlatTrace{
		TxIndex:      -1,
		TxHash:       t.TransactionHash,
		TraceAddress: t.TraceAddress,
		Type:         t.Type,
		Subtraces:    t.Subtraces,
		Error:        t.Error,
		Status:       1,
	}
	if t.TransactionPosition != nil {
		ft.TxIndex = int(*t.TransactionPosition)
		if ft.TxHash == nil && b != nil && ft.TxIndex < len(b.Transactions) {
			h := b.Transactions[ft.TxIndex].Hash
			ft.TxHash = &h
		}
		if t.Error != "" || ancestorFailed(*t.TransactionPosition, t.TraceAddress, failed) {
			ft.Status = 0
		}
	}
	var gasUsed *uint64
	if t.Result != nil && t.Result.GasUsed != nil {
		v := uint64(*t.Result.GasUsed)
		gasUsed = &v
	}
	var gas *uint64
	if a.Gas != nil {
		v := uint64(*a.Gas)
		gas = &v
	}
	switch t.Type {
	case "call":
		ft.CallType = a.CallType
		ft.From, ft.To = a.From, a.To
		ft.Value = u256(a.Value)
		ft.Input = a.Input
		if t.Result != nil {
			ft.Output = t.Result.Output
		}
		ft.Gas, ft.GasUsed = gas, gasUsed
	case "create":
		ft.From = a.From
		ft.Value = u256(a.Value)
		ft.Input = a.Init
		if t.Result != nil {
			ft.To = t.Result.Address
			ft.Output = t.Result.Code
		}
		ft.Gas, ft.GasUsed = gas, gasUsed
	case "suicide":
		ft.From, ft.To = a.Address, a.RefundAddress
		ft.Value = u256(a.Balance)
	case "reward":
		ft.To = a.Author
		ft.Value = u256(a.Value)
		ft.RewardType = a.RewardType
	}
	return ft
}

func ancestorFailed(pos uint64, addr []int, failed map[string]bool) bool {
	if len(failed) == 0 {
		return false
	}
	for n := len(addr) - 1; n >= 0; n-- {
		if failed[traceKey(pos, addr[:n])] {
			return true
		}
	}
	return false
}

func traceKey(pos uint64, addr []int) string {
	var b strings.Builder
	b.WriteString(strconv.FormatUint(pos, 10))
	for _, a := range addr {
		b.WriteByte('_')
		b.WriteString(strconv.Itoa(a))
	}
	return b.String()
}

// u256 reads an optional amount; absent means zero.
func u256(v *hexutil.U256) uint256.Int {
	if v == nil {
		return uint256.Int{}
	}
	return uint256.Int(*v)
}

// OpcodeTrace is the result of geth's default tracer (the struct logger)
// for one transaction: every EVM step. Ingest does not use it; it is decoded
// so that a node or proxy that ignores the tracer option is recognised, and
// so that every debug_trace* response shape is covered.
type OpcodeTrace struct {
	Gas         uint64        `json:"gas"`
	Failed      bool          `json:"failed"`
	ReturnValue hexutil.Bytes `json:"returnValue"`
	StructLogs  []OpcodeStep  `json:"structLogs"`
}

// OpcodeStep is one EVM step of an OpcodeTrace.
type OpcodeStep struct {
	Pc         uint64                      `json:"pc"`
	Op         string                      `json:"op"`
	Gas        uint64                      `json:"gas"`
	GasCost    uint64                      `json:"gasCost"`
	Depth      int                         `json:"depth"`
	Error      string                      `json:"error"`
	Stack      []hexutil.U256              `json:"stack"`
	Memory     []hexutil.Bytes             `json:"memory"`
	Storage    map[common.Hash]common.Hash `json:"storage"`
	ReturnData hexutil.Bytes               `json:"returnData"`
	Refund     uint64                      `json:"refund"`
}

// TxOpcodeTrace is one element of debug_traceBlockBy* with the default
// tracer.
type TxOpcodeTrace struct {
	TxHash *common.Hash `json:"txHash"`
	Result *OpcodeTrace `json:"result"`
	Error  string       `json:"error"`
}
