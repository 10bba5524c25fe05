package btc

import (
	"github.com/chainhound/chainhound/internal/chain"
)

// OpReturnText returns the text a null-data (OP_RETURN) output script
// carries: its pushes concatenated, if that is non-empty printable ASCII of
// at most chain.MaxMemoLen bytes. Bridge instructions are text (THORChain
// writes "OUT:<hash>" on its payouts and users "=:e:0x…" on their swaps);
// binary payloads (Omni, Runes, commitments) are not memos, and skipping
// them keeps mainnet's many OP_RETURNs out of the store.
func OpReturnText(script []byte) (string, bool) {
	if len(script) < 2 || script[0] != opReturn {
		return "", false
	}
	var text []byte
	for pos := 1; pos < len(script); {
		op, data, next, ok := scriptOp(script, pos)
		if !ok || op > opPushData4 {
			return "", false
		}
		text = append(text, data...)
		pos = next
	}
	if len(text) == 0 || len(text) > chain.MaxMemoLen {
		return "", false
	}
	for _, c := range text {
		if c < 0x20 || c > 0x7e {
			return "", false
		}
	}
	return string(text), true
}

// opReturnMemos collects the OP_RETURN memos of a decoded block.
func opReturnMemos(b *Block) []chain.Memo {
	var out []chain.Memo
	for i := range b.Txs {
		for j := range b.Txs[i].Outputs {
			o := &b.Txs[i].Outputs[j]
			if o.Type != NullData {
				continue
			}
			if text, ok := OpReturnText(o.Script); ok {
				out = append(out, chain.Memo{TxIndex: uint32(i), Kind: chain.MemoOpReturn, Index: uint32(j), Text: text})
			}
		}
	}
	return out
}
