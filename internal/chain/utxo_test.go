package chain

import (
	"fmt"
	"strings"
	"testing"
)

func btc(s string) Address { return Address{Chain: Bitcoin, Raw: s} }

func render(b *Block) string {
	var sb strings.Builder
	for _, t := range b.Transfers {
		from, to := t.From.String(), t.To.String()
		if from == "" {
			from = "-"
		}
		if to == "" {
			to = "-"
		}
		fmt.Fprintf(&sb, "%d/%d %s %s->%s %s\n", t.TxIndex, t.Seq, t.Kind, from, to, t.Amount.Dec())
	}
	return sb.String()
}

func in(addr string, v int64) Input { return Input{Address: btc(addr), Value: v, Resolved: true} }
func out(addr string, v int64) Output {
	if addr == "" {
		return Output{Value: v}
	}
	return Output{Address: btc(addr), Value: v}
}

func TestUTXOTransfersFIFO(t *testing.T) {
	b := &Block{Chain: Bitcoin, Height: 7, Txs: []Tx{
		{Index: 0, Coinbase: true, Outputs: []Output{out("miner", 625), out("", 0)}},
		// a: 50 then b: 70 in; outputs c 60, d 40, OP_RETURN 5; fee 15.
		{Index: 1, Inputs: []Input{in("a", 50), in("b", 70)}, Outputs: []Output{out("c", 60), out("d", 40), out("", 5)}},
		// Two inputs of one address to one output with change back: merged per pair.
		{Index: 2, Inputs: []Input{in("e", 30), in("e", 30)}, Outputs: []Output{out("f", 45), out("e", 14)}},
	}}
	if err := UTXOTransfers(b); err != nil {
		t.Fatal(err)
	}
	want := `0/0 coinbase -->miner 625
1/0 native a->c 50
1/1 native b->c 10
1/2 native b->d 40
1/3 burn b->- 5
1/4 fee b->- 15
2/0 native e->f 45
2/1 native e->e 14
2/2 fee e->- 1
`
	if got := render(b); got != want {
		t.Errorf("got\n%swant\n%s", got, want)
	}
	// Conservation: per address, what transfers say equals inputs and outputs.
	net := map[string]int64{}
	for _, tr := range b.Transfers {
		net[tr.From.Raw] -= int64(tr.Amount.Uint64())
		net[tr.To.Raw] += int64(tr.Amount.Uint64())
	}
	for _, tx := range b.Txs {
		for _, x := range tx.Inputs {
			net[x.Address.Raw] += x.Value
		}
		for _, o := range tx.Outputs {
			net[o.Address.Raw] -= o.Value
		}
	}
	for a, v := range net {
		if a != "" && v != 0 {
			t.Errorf("address %s: transfers and inputs/outputs differ by %d", a, v)
		}
	}
}

func TestUTXOTransfersRejectsOverspendAndUnresolved(t *testing.T) {
	b := &Block{Chain: Bitcoin, Txs: []Tx{{Index: 1, Inputs: []Input{in("a", 5)}, Outputs: []Output{out("b", 6)}}}}
	if err := UTXOTransfers(b); err == nil || !strings.Contains(err.Error(), "exceed") {
		t.Errorf("overspend: %v", err)
	}
	b = &Block{Chain: Bitcoin, Txs: []Tx{{Index: 1, Inputs: []Input{{Value: 5}}, Outputs: []Output{out("b", 1)}}}}
	if err := UTXOTransfers(b); err == nil || !strings.Contains(err.Error(), "not resolved") {
		t.Errorf("unresolved: %v", err)
	}
}
