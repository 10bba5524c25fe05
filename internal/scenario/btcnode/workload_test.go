package btcnode

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestWorkload(t *testing.T) {
	t.Parallel()
	n := startNode(t, Config{})
	res, err := RunWorkload(t.Context(), n, WorkloadConfig{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	var counts []string
	for _, typ := range append(SpendableTypes(), NullData) {
		counts = append(counts, fmt.Sprintf("%s paid %d spent %d", typ, res.Paid[typ], res.Spent[typ]))
	}
	t.Logf("%d txs, %d blocks (heights %d-%d), %d multi-input, %d multi-output, %d same-block pairs, %d scripts\n%s",
		len(res.TxIDs), res.Blocks, res.FromHeight, res.ToHeight, res.MultiInput, res.MultiOutput,
		len(res.SameBlock), len(res.Scripts), strings.Join(counts, "\n"))
	if res.MultiInput == 0 || res.MultiOutput == 0 || len(res.SameBlock) != 3 {
		t.Errorf("multi-input %d, multi-output %d, same-block pairs %d: want some, some, 3", res.MultiInput, res.MultiOutput, len(res.SameBlock))
	}
	if want := 1 + len(SpendableTypes())*2; len(res.Scripts) != want {
		t.Errorf("%d scripts, want %d", len(res.Scripts), want)
	}

	b := checkBalances(t, n)
	byAddr := b.ByAddress()
	for _, a := range res.Addresses() {
		if _, ok := byAddr[a]; !ok {
			t.Logf("address %s holds nothing at the tip", a)
		}
	}
}

// TestWorkloadDeterministic runs one seed on two fresh nodes: every
// transaction must have the same inputs (by position in the workload) and
// the same outputs, values included, even though txids differ.
func TestWorkloadDeterministic(t *testing.T) {
	t.Parallel()
	shape := func(seed int64) []string {
		n := startNode(t, Config{})
		res, err := RunWorkload(t.Context(), n, WorkloadConfig{Seed: seed, Rounds: 2})
		if err != nil {
			t.Fatal(err)
		}
		n.mu.Lock()
		defer n.mu.Unlock()
		var out []string
		for _, txid := range res.TxIDs {
			tx := n.sent[txid].tx
			var s strings.Builder
			fmt.Fprintf(&s, "%d in:", len(tx.TxIn))
			for _, c := range n.sent[txid].coins {
				fmt.Fprintf(&s, " %s/%d", c.Script.Type, c.Value)
			}
			s.WriteString(" out:")
			for _, o := range tx.TxOut {
				fmt.Fprintf(&s, " %x/%d", o.PkScript, o.Value)
			}
			out = append(out, s.String())
		}
		return out
	}
	a, b, c := shape(11), shape(11), shape(12)
	if !slices.Equal(a, b) {
		t.Errorf("seed 11 twice differs:\n%s\n--\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
	if slices.Equal(a, c) {
		t.Error("seeds 11 and 12 gave the same transactions")
	}
}
