package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"time"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/ingest/edges"
	"github.com/chainhound/chainhound/internal/progress"
	"github.com/chainhound/chainhound/internal/store"
)

var reEIP155 = regexp.MustCompile(`^eip155:[1-9][0-9]{0,18}$`)

func ingestEdgesCommand() command {
	c := command{
		name:    "ingest edges",
		summary: "load a plain edge list (source,target,amount[,time][,tx]) as transfers, for graphs published by analyses",
		usage:   "FILE --chain CAIP2 [--asset A]",
		example: "chainhound ingest edges transaction_network_edges.csv --chain eip155:1 --data ./bybit-graph\n" +
			"chainhound trace --seed 0x47666fab8bd0ac7003bce3f5c3585383f09486e2 --model poison --max-hops 3 --data ./bybit-graph",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		caip2 := fs.String("chain", "", "CAIP-2 id of the chain the edges are on, e.g. eip155:1 (account chains only)")
		assetFlag := fs.String("asset", "native", "asset the amounts are in: native or a CAIP-19 id (eip155:1/erc20:0x…)")
		pos, err := parse(fs, args)
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return usagef("want one edge-list FILE, got %d arguments", len(pos))
		}
		if *caip2 == "" {
			return usagef("--chain is required: the CAIP-2 id of the edges' chain, e.g. eip155:1")
		}
		if !reEIP155.MatchString(*caip2) {
			return usagef("--chain %q: want an EVM chain as eip155:<chain id>; edge lists load as account-chain transfers, and a Bitcoin edge list lacks the outputs the UTXO tracer follows", *caip2)
		}
		asset, err := chain.ParseAsset(*assetFlag)
		if err != nil {
			return usageError{err.Error()}
		}
		f, err := os.Open(pos[0])
		if err != nil {
			return err
		}
		defer f.Close()
		start := time.Now()
		l, err := edges.Read(f, pos[0])
		if err != nil {
			return err
		}
		st, err := store.Open(*data, store.Options{})
		if err != nil {
			return err
		}
		defer st.Close()
		c := chain.Ethereum
		if err := st.Bind(c, chain.Network{CAIP2: *caip2, Genesis: edges.Genesis}); err != nil {
			var mm *store.NetworkMismatchError
			if errors.As(err, &mm) {
				return fmt.Errorf("%w: load edge lists into a store of their own (--data)", err)
			}
			return err
		}
		cur, had, err := st.Cursor(c)
		if err != nil {
			return err
		}
		first := uint64(1)
		if had {
			first = cur.Height + 1
		}
		blocks, err := l.Blocks(c, asset, first, cur.Hash)
		if err != nil {
			return err
		}
		p := progress.New(e.stderr, e.log, "ingest edges", 10*time.Second)
		for _, b := range blocks {
			if err := ctx.Err(); err != nil {
				p.Done()
				return fmt.Errorf("%w (blocks %d to %d are stored; the rest of the file is not)", err, first, b.Height-1)
			}
			if err := st.ApplyBlock(b); err != nil {
				p.Done()
				return err
			}
			p.Update(b.Height, blocks[len(blocks)-1].Height, 1, len(b.Transfers))
		}
		p.Done()
		if err := st.Sync(); err != nil {
			return err
		}
		order := "file order (no time column)"
		if l.HasTime {
			order = "time order"
		}
		e.log.Info("edges loaded", "file", pos[0], "edges", len(l.Edges), "zero_value", l.Zero, "self_loops", l.SelfLoop,
			"blocks", fmt.Sprintf("%d-%d", first, blocks[len(blocks)-1].Height), "order", order, "took", time.Since(start).Round(time.Millisecond))
		fmt.Fprintf(e.stdout, "loaded %d edges of %s as %s transfers in blocks %d-%d (%s)\n", len(l.Edges), pos[0], *caip2, first, blocks[len(blocks)-1].Height, order)
		return nil
	}
	return c
}
