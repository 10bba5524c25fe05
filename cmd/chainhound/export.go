package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/store"
)

// transferColumns is the export's column order; scripts depend on it.
var transferColumns = []string{"chain", "block", "tx_hash", "seq", "kind", "from", "to", "asset", "amount", "time"}

func exportTransfersCommand() command {
	c := command{
		name:    "export transfers",
		summary: "write stored transfers as CSV or JSON lines",
		usage:   "[--chain eth] [--from-block N] [--to-block M] [--address A] [--kind native|token|internal|fee|burn|withdrawal|coinbase|genesis] [--output csv|jsonl]",
		example: "chainhound export transfers --address 0x47666fab8bd0ac7003bce3f5c3585383f09486e2 --kind native,token --output jsonl",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		chainName := fs.String("chain", "", "chain to export: eth or btc (default: the store's only chain)")
		from := fs.Uint64("from-block", 0, "first block")
		to := fs.Uint64("to-block", 0, "last block (default: the last stored)")
		address := fs.String("address", "", "only transfers from or to this address")
		kinds := fs.String("kind", "", "only these kinds, comma-separated")
		output := fs.String("output", "csv", "csv or jsonl")
		if err := noArgs(fs, args); err != nil {
			return err
		}
		hasTo := false
		fs.Visit(func(f *flag.Flag) { hasTo = hasTo || f.Name == "to-block" })
		if err := checkOutput(*output, "csv", "jsonl"); err != nil {
			return err
		}
		st, err := openReadStore(*data)
		if err != nil {
			return err
		}
		defer st.Close()
		if *chainName == "" {
			c, err := onlyChain(st)
			if err != nil {
				return err
			}
			*chainName = c.String()
		}
		q, err := transferQuery(*chainName, *from, *to, hasTo, *address, *kinds)
		if err != nil {
			return usageError{err.Error()}
		}
		net, _, err := st.Network(q.Chain)
		if err != nil {
			return err
		}
		if q.Address != nil {
			a := recordedUnder(e, *q.Address, net.CAIP2)
			q.Address = &a
		}
		return writeTransfers(ctx, e.stdout, *output, net.CAIP2, st.Transfers(q))
	}
	return c
}

func transferQuery(chainName string, from, to uint64, hasTo bool, address, kinds string) (store.Query, error) {
	c, err := chain.ParseChain(chainName)
	if err != nil {
		return store.Query{}, fmt.Errorf("--chain: %w", err)
	}
	q := store.Query{Chain: c, FromBlock: from, ToBlock: to, HasToBlock: hasTo}
	if hasTo && to < from {
		return q, fmt.Errorf("--to-block %d is below --from-block %d", to, from)
	}
	if address != "" {
		a, err := chain.ParseAddress(c, address)
		if err != nil {
			return q, fmt.Errorf("--address: %w", err)
		}
		q.Address = &a
	}
	for _, k := range strings.Split(kinds, ",") {
		if k = strings.TrimSpace(k); k == "" {
			continue
		}
		kind, err := chain.ParseKind(k)
		if err != nil {
			return q, fmt.Errorf("--kind: %w", err)
		}
		q.Kinds = append(q.Kinds, kind)
	}
	return q, nil
}

// knownChains are the chains a store can hold, in the order they are tried.
var knownChains = []chain.Chain{chain.Ethereum, chain.Bitcoin}

// boundChains lists the chains the store holds data of.
func boundChains(st *store.DB) ([]chain.Chain, error) {
	var out []chain.Chain
	for _, c := range knownChains {
		_, ok, err := st.Network(c)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, c)
		}
	}
	return out, nil
}

// onlyChain is the store's one chain, the default of --chain.
func onlyChain(st *store.DB) (chain.Chain, error) {
	cs, err := boundChains(st)
	if err != nil {
		return 0, err
	}
	switch len(cs) {
	case 0:
		return chain.Ethereum, nil // an empty store: nothing to show either way
	case 1:
		return cs[0], nil
	}
	return 0, usagef("the store at %s holds several chains (%v): choose one with --chain", st.Dir(), cs)
}

// openReadStore opens an existing store; a missing directory is an error
// rather than a new empty store.
func openReadStore(dir string) (*store.DB, error) { return openReadStoreCache(dir, 0) }

// openReadStoreCache is openReadStore with a block cache of cacheMB
// (0: the store's default).
func openReadStoreCache(dir string, cacheMB int) (*store.DB, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("no store at %s (ingest first, or pass --data): %w", dir, err)
	}
	return store.Open(dir, store.Options{ReadOnly: true, CacheBytes: int64(cacheMB) << 20})
}

// transferRecord is the JSON shape of one exported transfer.
type transferRecord struct {
	Chain   string `json:"chain"`
	Block   uint64 `json:"block"`
	TxHash  string `json:"tx_hash"`
	Seq     uint32 `json:"seq"`
	Kind    string `json:"kind"`
	From    string `json:"from"`
	To      string `json:"to"`
	Asset   string `json:"asset"`
	Amount  string `json:"amount"`
	Time    string `json:"time"`
	TokenID string `json:"token_id,omitempty"`
}

func newTransferRecord(caip2 string, r store.Row) transferRecord {
	rec := transferRecord{
		Chain: caip2, Block: r.Block, Seq: r.Seq, Kind: r.Kind.String(),
		From: r.From.String(), To: r.To.String(), Asset: r.Asset.CAIP19(caip2),
		Amount: r.Amount.Dec(), Time: time.Unix(r.Time, 0).UTC().Format(time.RFC3339),
	}
	if !r.TxHash.IsZero() {
		rec.TxHash = r.Chain.FormatHash(r.TxHash)
	}
	if r.TokenID != nil {
		rec.TokenID = r.TokenID.Dec()
		rec.Asset += "/" + rec.TokenID // a CAIP-19 asset id names the token
	}
	return rec
}

func writeTransfers(ctx context.Context, w io.Writer, format, caip2 string, rows func(func(store.Row, error) bool)) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	var cw *csv.Writer
	enc := json.NewEncoder(bw)
	if format == "csv" {
		cw = csv.NewWriter(bw)
		cw.Write(transferColumns)
	}
	n := 0
	for r, err := range rows {
		if err != nil {
			return err
		}
		if n++; n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		rec := newTransferRecord(caip2, r)
		if cw != nil {
			cw.Write([]string{rec.Chain, strconv.FormatUint(rec.Block, 10), rec.TxHash, strconv.FormatUint(uint64(rec.Seq), 10),
				rec.Kind, rec.From, rec.To, rec.Asset, rec.Amount, rec.Time})
		} else if err := enc.Encode(rec); err != nil {
			return err
		}
	}
	if cw != nil {
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
	}
	return bw.Flush()
}
