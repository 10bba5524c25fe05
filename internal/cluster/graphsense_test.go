package cluster

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/cluster/coinjoin"
)

// sharedData finds ../shared/data/rel from the repository root, or skips.
func sharedData(t testing.TB, rel string) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, "..", "shared", "data", rel)
			if _, err := os.Stat(p); err != nil {
				t.Skipf("shared test data %s is absent (%v): skipping the comparison with its peer", p, err)
			}
			return p
		}
		if filepath.Dir(dir) == dir {
			t.Fatal("no go.mod above the test directory")
		}
	}
}

func readJSONLines[T any](t *testing.T, path string) []T {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s line %d: %v", path, line, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

type gsCoin struct {
	Address []string `json:"address"`
	Value   int64    `json:"value"`
}

type gsTx struct {
	TxID     int64    `json:"txId"`
	Coinbase bool     `json:"coinbase"`
	CoinJoin bool     `json:"coinjoin"`
	BlockID  uint64   `json:"blockId"`
	Inputs   []gsCoin `json:"inputs"`
	Outputs  []gsCoin `json:"outputs"`
}

type gsAddressID struct {
	AddressID int    `json:"addressId"`
	Address   string `json:"address"`
}

type gsAddressCluster struct {
	AddressID int `json:"addressId"`
	ClusterID int `json:"clusterId"`
}

// partition renders a partition canonically: each group's members
// sorted, groups sorted by their first member, one group a line.
func partition(groups map[string][]string) string {
	var lines []string
	for _, g := range groups {
		slices.Sort(g)
		lines = append(lines, strings.Join(g, " "))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// TestGraphSenseClusters reproduces GraphSense's address clusters of its
// UTXO test graph (graphsense-spark src/test/resources/utxo), with and
// without CoinJoin filtering. GraphSense's TransformationTest compares
// computeAddressCluster(..., removeCoinJoin = true) with
// address_cluster.json ("without coinjoin inputs") and removeCoinJoin =
// false with address_cluster_with_coinjoin.json ("all inputs"). Which
// transactions are CoinJoins is the input's coinjoin flag, which
// GraphSense's ingest sets (BlockSci's rule); inputs with other than one
// address (bare multisig) take no part, as in GraphSense's regular inputs.
// Partitions of addresses are compared, not ids: GraphSense names a
// cluster after its member in most transactions, chainhound after its
// smallest id.
func TestGraphSenseClusters(t *testing.T) {
	dir := sharedData(t, "graphsense-spark-tests/src/test/resources/utxo")
	txs := readJSONLines[gsTx](t, filepath.Join(dir, "test_txs.json"))
	names := readJSONLines[gsAddressID](t, filepath.Join(dir, "reference", "address_ids.json"))
	byID := map[int]string{}
	for _, n := range names {
		byID[n.AddressID] = n.Address
	}
	expected := func(file string) string {
		groups := map[string][]string{}
		for _, r := range readJSONLines[gsAddressCluster](t, filepath.Join(dir, "reference", file)) {
			a, ok := byID[r.AddressID]
			if !ok {
				t.Fatalf("%s: address id %d not in address_ids.json", file, r.AddressID)
			}
			k := fmt.Sprint(r.ClusterID)
			groups[k] = append(groups[k], a)
		}
		return partition(groups)
	}
	cases := []struct {
		file string
		keep bool
	}{
		{"address_cluster.json", false},
		{"address_cluster_with_coinjoin.json", true},
	}
	results := map[bool]string{}
	for _, c := range cases {
		got := clusterGraphSense(t, txs, names, c.keep)
		results[c.keep] = got
		if want := expected(c.file); got != want {
			t.Errorf("KeepCoinJoins=%v: partition differs from %s\n got:\n%s\nwant:\n%s", c.keep, c.file, got, want)
		}
	}
	if results[true] == results[false] {
		t.Error("filtering CoinJoins made no difference: the graph has a flagged CoinJoin with two input addresses")
	}
}

func clusterGraphSense(t *testing.T, txs []gsTx, universe []gsAddressID, keep bool) string {
	flagged := map[*chain.Tx]bool{}
	c := New(Options{KeepCoinJoins: keep, Detect: func(tx *chain.Tx, _ uint64) coinjoin.Kind {
		if flagged[tx] {
			return coinjoin.JoinMarket
		}
		return coinjoin.None
	}})
	ids := map[string]uint64{}
	intern := func(a string) uint64 {
		if id, ok := ids[a]; ok {
			return id
		}
		ids[a] = uint64(len(ids) + 1)
		return ids[a]
	}
	addr := func(co gsCoin) (chain.Address, uint64) {
		if len(co.Address) != 1 {
			return chain.Address{}, 0
		}
		return chain.Address{Chain: chain.Bitcoin, Raw: co.Address[0]}, intern(co.Address[0])
	}
	for _, g := range txs {
		tx := &chain.Tx{Coinbase: g.Coinbase}
		var in []uint64
		for _, co := range g.Inputs {
			a, id := addr(co)
			tx.Inputs = append(tx.Inputs, chain.Input{Address: a, Value: co.Value, Resolved: true})
			in = append(in, id)
		}
		for _, co := range g.Outputs {
			a, _ := addr(co)
			tx.Outputs = append(tx.Outputs, chain.Output{Address: a, Value: co.Value})
		}
		flagged[tx] = g.CoinJoin
		c.Apply(tx, g.BlockID, in, nil)
	}
	groups := map[string][]string{}
	for _, n := range universe {
		key := "self:" + n.Address
		if id, ok := ids[n.Address]; ok && int(id) < c.Forest.Len() {
			key = fmt.Sprint(c.Forest.Entity(uint32(id)))
		}
		groups[key] = append(groups[key], n.Address)
	}
	if len(ids) > len(universe)-1 { // the universe holds GraphSense's "coinbase" pseudo-address too
		t.Errorf("%d addresses interned, GraphSense knows %d", len(ids), len(universe)-1)
	}
	return partition(groups)
}
