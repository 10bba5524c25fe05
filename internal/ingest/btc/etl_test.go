package btc

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/ingest"
	"github.com/chainhound/chainhound/internal/store"
)

// etlDir returns one of bitcoin-etl's recorded Bitcoin cases.
func etlDir(t testing.TB, name string) string {
	return sharedData(t, filepath.Join("bitcoin-etl-tests/tests/resources/test_export_blocks_job/bitcoin", name))
}

// ingestInto runs the ingest pipeline over blocks into a fresh store from
// height from to height to and returns the store's dump.
func ingestInto(t *testing.T, blocks Blocks, txRPC *RPC, from, to uint64) string {
	t.Helper()
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	net := mainnet(t)
	n := chain.Network{CAIP2: net.CAIP2(), Genesis: net.Params.GenesisHash.String()}
	ing, err := ingest.New(NewSource(net, blocks, st, txRPC), st, ingest.Config{From: from, HasFrom: true, To: to, HasTo: true, Network: &n})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ing.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return dumpBTC(t, st, from, to)
}

// dumpBTC renders every stored Bitcoin transfer, every transaction's
// resolved inputs and outputs, and every block hash.
func dumpBTC(t *testing.T, st *store.DB, from, to uint64) string {
	t.Helper()
	var b strings.Builder
	for r, err := range st.Transfers(store.Query{Chain: chain.Bitcoin}) {
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "T %d %d %d %s %s %s %s %s %d\n", r.Block, r.TxIndex, r.Seq, r.Kind, r.TxHash, r.From.Raw, r.To.Raw, r.Amount.Dec(), r.Time)
	}
	for h := from; h <= to; h++ {
		hash, ok, err := st.BlockHash(chain.Bitcoin, h)
		if err != nil || !ok {
			t.Fatalf("block %d: stored %v, %v", h, ok, err)
		}
		fmt.Fprintf(&b, "B %d %s\n", h, hash)
		for i := uint32(0); ; i++ {
			tx, ok, err := st.IO(chain.Bitcoin, h, i)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			fmt.Fprintf(&b, "W %d %d %s coinbase=%v version=%d locktime=%d known=%v\n", h, i, tx.Hash, tx.Coinbase, tx.Version, tx.LockTime, tx.HasFingerprint)
			for _, in := range tx.Inputs {
				fmt.Fprintf(&b, "  in %s:%d %s %d\n", in.PrevTx, in.PrevIndex, in.Address.Raw, in.Value)
			}
			for _, o := range tx.Outputs {
				fmt.Fprintf(&b, "  out %s %d\n", o.Address.Raw, o.Value)
			}
		}
	}
	return b.String()
}

// TestETLAgreesWithNode loads bitcoin-etl's exports of mainnet blocks
// 50,001-50,002 with --etl-json's reader and compares the store, record by
// record, with an ingest of the same blocks from the node (bitcoin-etl's
// recorded bitcoind answers, previous outputs fetched with
// getrawtransaction): once from the export with resolved inputs, once from
// the blocks and transactions files whose inputs are unresolved (the node
// then serves the outputs they spend).
func TestETLAgreesWithNode(t *testing.T) {
	stream := etlDir(t, "stream_50001_50002")
	rs := newReplayServer(t, stream, "etl", "pw")
	node, err := NewRPC(rs.URL, Auth{User: "etl", Password: "pw"}, WithRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	want := ingestInto(t, RPCBlocks{RPC: node, Net: mainnet(t)}, node, 50001, 50002)
	if !strings.Contains(want, "in 0x76a8d70a757be5055f60be076b683897cadaad6b7bdf78c43e39b9d59cb4a6ea:0 1DoQeKfU3dYhN9bxMpFFcVUnufCPDqSPae 5000000000") ||
		!strings.Contains(want, "version=1 locktime=0 known=true") {
		t.Fatalf("the node's ingest did not resolve the first input:\n%s", want)
	}

	resolved, err := OpenETL(mainnet(t), filepath.Join(stream, "expected_transactions.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer resolved.Close()
	if got := ingestInto(t, resolved, nil, 50001, 50002); got != want {
		t.Errorf("export with resolved inputs:\n%s\nnode:\n%s", got, want)
	}

	split := etlDir(t, "block_with_transactions")
	unresolved, err := OpenETL(mainnet(t), filepath.Join(split, "expected_blocks.json"), filepath.Join(split, "expected_transactions.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer unresolved.Close()
	before := rs.served("getrawtransaction")
	if got := ingestInto(t, unresolved, node, 50001, 50002); got != want {
		t.Errorf("blocks and transactions files:\n%s\nnode:\n%s", got, want)
	}
	if rs.served("getrawtransaction") == before {
		t.Error("unresolved inputs were not fetched from the node")
	}
}

// bigQueryStyle rewrites bitcoin-etl lines the way BigQuery's JSON export
// of crypto_bitcoin writes them: integers as strings (values as NUMERIC with
// a fraction) and timestamps as "YYYY-MM-DD HH:MM:SS UTC".
func bigQueryStyle(t *testing.T, path string) string {
	t.Helper()
	var out strings.Builder
	for _, m := range readJSONLines(t, path) {
		delete(m, "type")
		ts, _ := m["block_timestamp"].(json.Number).Int64()
		m["block_timestamp"] = time.Unix(ts, 0).UTC().Format("2006-01-02 15:04:05") + " UTC"
		for _, k := range []string{"block_number", "index", "version", "lock_time", "size", "fee"} {
			m[k] = string(m[k].(json.Number))
		}
		for _, side := range []string{"inputs", "outputs"} {
			for _, x := range m[side].([]any) {
				io := x.(map[string]any)
				if v, ok := io["value"].(json.Number); ok {
					io["value"] = string(v) + ".000000000"
				}
				if v, ok := io["spent_output_index"].(json.Number); ok {
					io["spent_output_index"] = string(v)
				}
			}
		}
		line, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		out.Write(line)
		out.WriteByte('\n')
	}
	return out.String()
}

// TestETLBigQueryLayout reads the same export as BigQuery writes it.
func TestETLBigQueryLayout(t *testing.T) {
	src := filepath.Join(etlDir(t, "stream_50001_50002"), "expected_transactions.json")
	plain, err := OpenETL(mainnet(t), src)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	want := ingestInto(t, plain, nil, 50001, 50002)

	bq := filepath.Join(t.TempDir(), "bq.json")
	text := bigQueryStyle(t, src)
	if !strings.Contains(text, `"value":"5000000000.000000000"`) || !strings.Contains(text, ` UTC"`) {
		t.Fatalf("rewrite did not take:\n%.400s", text)
	}
	if err := os.WriteFile(bq, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := OpenETL(mainnet(t), bq)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if got := ingestInto(t, e, nil, 50001, 50002); got != want {
		t.Errorf("BigQuery layout:\n%s\nbitcoin-etl layout:\n%s", got, want)
	}
}

// TestETLBadInput breaks an export in the ways a real one breaks and wants
// an error naming the file and line (or the block) and what is wrong.
func TestETLBadInput(t *testing.T) {
	split := etlDir(t, "block_with_transactions")
	txs, err := os.ReadFile(filepath.Join(split, "expected_transactions.json"))
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := os.ReadFile(filepath.Join(split, "expected_blocks.json"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimSpace(string(txs))+"\n", "\n")
	join := func(ls ...string) string { return strings.Join(ls, "") }
	cases := []struct {
		name, txs, blocks string
		open              string // error from OpenETL: every line is checked before anything is stored
	}{
		{name: "not JSON", txs: join(lines[0], "{\"hash\": \n", lines[1]), open: `tx.json:2: not a bitcoin-etl JSON line`},
		{name: "transaction missing", txs: join(lines[0], lines[2]), open: `tx.json:2: block 50001: transaction index 2 follows 0`},
		{name: "block split", txs: join(lines[0], lines[1], lines[3], lines[2]), open: `tx.json:4: block 50001: its transactions are split`},
		{name: "block without transactions", txs: join(lines[3]), blocks: string(blocks), open: `blocks.json:1: block 50001 has no transactions in the files`},
		{name: "count", txs: join(lines[0], lines[1], lines[3]), blocks: string(blocks), open: `tx.json:1: block 50001 has 2 transactions in the files, its block record`},
		{name: "block hash", txs: join(lines[0], strings.Replace(lines[1], `"block_hash": "000000001c92`, `"block_hash": "000000001c93`, 1)), open: `tx.json:2: block 50001: block_hash 000000001c93`},
		{name: "no script", txs: join(lines[0], strings.Replace(lines[1], `"script_hex": "76a9`, `"script_hexx": "76a9`, 1), lines[2], lines[3]), open: `tx.json:2: block 50001: transaction 7940cdde4d713e171849efc6bd89939185be270266c94e92369e3877ad89455a output 0: no script_hex`},
		{name: "negative value", txs: join(lines[0], strings.Replace(lines[1], `"value": 10000000000`, `"value": -1`, 1), lines[2], lines[3]), open: `output 0: value missing or out of range`},
		{name: "coinbase flag", txs: join(strings.Replace(lines[0], `"is_coinbase": true`, `"is_coinbase": false`, 1), lines[1], lines[2], lines[3]), open: `tx.json:1: block 50001`},
		{name: "bad prev hash", txs: join(lines[0], strings.Replace(lines[1], `"spent_transaction_hash": "76a8`, `"spent_transaction_hash": "zz`, 1), lines[2], lines[3]), open: `input 0: spent_transaction_hash "zz`},
		{name: "timestamp", txs: join(strings.Replace(lines[0], `"block_timestamp": 1270917100`, `"block_timestamp": "yesterday"`, 1), lines[1]), open: `tx.json:1: block 50001: block_timestamp: "yesterday" is neither Unix seconds nor a date`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			paths := []string{filepath.Join(dir, "tx.json")}
			if err := os.WriteFile(paths[0], []byte(c.txs), 0o644); err != nil {
				t.Fatal(err)
			}
			if c.blocks != "" {
				paths = append(paths, filepath.Join(dir, "blocks.json"))
				if err := os.WriteFile(paths[1], []byte(c.blocks), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := OpenETL(mainnet(t), paths...)
			if err == nil || !strings.Contains(err.Error(), c.open) {
				t.Fatalf("OpenETL: %v\nwant %q", err, c.open)
			}
		})
	}
}

// TestETLWrongNetwork: an export of mainnet read as testnet is refused: its
// outputs' addresses are not what their scripts pay on testnet.
func TestETLWrongNetwork(t *testing.T) {
	src := filepath.Join(etlDir(t, "stream_50001_50002"), "expected_transactions.json")
	_, err := OpenETL(testnet3(t), src)
	if err == nil || !containsAll(err.Error(), "expected_transactions.json:1", "the export names it 1PkqKGbNLDdDJGveCcNUMV9CEFH77ADrPQ", "wrong --network") {
		t.Fatalf("got %v", err)
	}
}

// TestETLGapBetweenBlocks: heights must follow each other.
func TestETLGapBetweenBlocks(t *testing.T) {
	src := filepath.Join(etlDir(t, "stream_50001_50002"), "expected_transactions.json")
	ls := readJSONLines(t, src)
	var text strings.Builder
	for _, m := range ls {
		if n, _ := m["block_number"].(json.Number).Int64(); n == 50002 {
			m["block_number"] = 50004
		}
		line, _ := json.Marshal(m)
		text.Write(line)
		text.WriteByte('\n')
	}
	p := filepath.Join(t.TempDir(), "gap.json")
	os.WriteFile(p, []byte(text.String()), 0o644)
	_, err := OpenETL(mainnet(t), p)
	if err == nil || !strings.Contains(err.Error(), "block 50002 is missing from") {
		t.Fatalf("got %v", err)
	}
}

// FuzzDecodeETLTx feeds arbitrary lines to the transaction decoder: it may
// refuse them, but must not panic, and what it accepts must be a
// transaction the store can take.
func FuzzDecodeETLTx(f *testing.F) {
	f.Add([]byte(`{"hash":"e1882d41800d96d0fddc196cd8d3f0b45d65b030c652d97eaba79a1174e64d58","is_coinbase":true,"inputs":[],"outputs":[{"index":0,"script_hex":"76a914b5cd7aaed869cd5ccb45868e8666e7e934a2373688ac","value":"50.0"}]}`))
	f.Add([]byte(`{"hash":"7940cdde4d713e171849efc6bd89939185be270266c94e92369e3877ad89455a","is_coinbase":false,"inputs":[{"index":0,"spent_transaction_hash":"76a8d70a757be5055f60be076b683897cadaad6b7bdf78c43e39b9d59cb4a6ea","spent_output_index":0,"type":"pubkey","addresses":["1DoQeKfU3dYhN9bxMpFFcVUnufCPDqSPae"],"value":5000000000}],"outputs":[{"script_hex":"6a","value":0}]}`))
	net := mainnet(f)
	f.Fuzz(func(t *testing.T, line []byte) {
		tx, err := DecodeETLTx(line, net)
		if err != nil {
			return
		}
		if len(tx.Outputs) == 0 || (!tx.Coinbase && len(tx.Inputs) == 0) {
			t.Fatalf("accepted a transaction without outputs or inputs: %s", line)
		}
		var sum int64
		for _, o := range tx.Outputs {
			if o.Value < 0 {
				t.Fatalf("negative output accepted: %s", line)
			}
			sum += o.Value
		}
		if sum > maxMoney {
			t.Fatalf("outputs above 21M BTC accepted: %s", line)
		}
		for _, in := range tx.Inputs {
			if in.Spent != nil && (in.Spent.Value < 0 || in.Spent.Value > maxMoney) {
				t.Fatalf("input value out of range accepted: %s", line)
			}
		}
	})
}

// FuzzOpenETL feeds arbitrary files to the indexer and decodes every block
// it accepts: errors are fine, panics and blocks out of order are not.
func FuzzOpenETL(f *testing.F) {
	f.Add([]byte(`{"hash":"e1882d41800d96d0fddc196cd8d3f0b45d65b030c652d97eaba79a1174e64d58","block_number":1,"block_hash":"000000001c920d495e1eeef2452b6d1c6c229a919b28196c103ecffebabee141","block_timestamp":1,"index":0,"is_coinbase":true,"inputs":[],"outputs":[{"script_hex":"51","value":1}]}` + "\n"))
	f.Add([]byte(`{"type":"block","number":"7","hash":"000000001c920d495e1eeef2452b6d1c6c229a919b28196c103ecffebabee141","timestamp":"2010-04-10 16:31:40 UTC","transaction_count":1}` + "\n"))
	net := mainnet(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "f.json")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		e, err := OpenETL(net, p)
		if err != nil {
			return
		}
		defer e.Close()
		if e.First() < 0 || e.Last() < e.First() {
			t.Fatalf("range %d..%d", e.First(), e.Last())
		}
		for h := e.First(); h <= e.Last() && h < e.First()+4; h++ {
			b, err := e.BlockAt(context.Background(), h)
			if err != nil {
				continue
			}
			if b.Height != h || len(b.Txs) == 0 || !b.Txs[0].Coinbase {
				t.Fatalf("block %d: height %d, %d txs", h, b.Height, len(b.Txs))
			}
		}
	})
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// TestETLFingerprint: a line with version and lock_time gives them to the
// chain model as known; a line without either leaves the fingerprint
// unknown rather than claiming version 0, locktime 0.
func TestETLFingerprint(t *testing.T) {
	const line = `{"hash":"e1882d41800d96d0fddc196cd8d3f0b45d65b030c652d97eaba79a1174e64d58","is_coinbase":true,%s"inputs":[],"outputs":[{"index":0,"script_hex":"76a914b5cd7aaed869cd5ccb45868e8666e7e934a2373688ac","value":"50.0"}]}`
	for _, c := range []struct {
		fields string
		known  bool
	}{{`"version":2,"lock_time":840000,`, true}, {`"version":2,`, false}, {`"lock_time":1,`, false}, {``, false}} {
		tx, err := DecodeETLTx([]byte(fmt.Sprintf(line, c.fields)), mainnet(t))
		if err != nil {
			t.Fatal(err)
		}
		b := ToChainBlock(&Block{Txs: []Tx{*tx}})
		got := b.Txs[0]
		if got.HasFingerprint != c.known || c.known && (got.Version != 2 || got.LockTime != 840000) {
			t.Errorf("%s: version %d locktime %d known %v", c.fields, got.Version, got.LockTime, got.HasFingerprint)
		}
	}
}
