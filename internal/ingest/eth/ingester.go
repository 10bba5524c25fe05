package eth

import (
	"context"
	"fmt"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/ingest"
	"github.com/ethereum/go-ethereum/common"
)

// Source is where Ethereum blocks come from: a Fetcher over JSON-RPC, or a
// replay of recorded blocks for benchmarks.
type Source interface {
	ChainID(ctx context.Context) (uint64, error)
	Head(ctx context.Context) (uint64, error)
	BlockHash(ctx context.Context, n uint64) (hash, parent common.Hash, err error)
	FetchBlock(ctx context.Context, n uint64) (*BlockData, error)
}

// Store, Config and Summary are the generic pipeline's (internal/ingest).
type (
	Store   = ingest.Store
	Config  = ingest.Config
	Summary = ingest.Summary
)

// Counter names in Summary.Counters.
const (
	CounterMalformedLogs = "malformed_logs"
	CounterUnbackedWraps = "unbacked_wrap_logs"
)

// NewIngester returns the generic ingest pipeline over an Ethereum source:
// fetching and extraction run on the pipeline's workers.
func NewIngester(src Source, st Store, cfg Config) (*ingest.Ingester, error) {
	return ingest.New(adapter{src}, st, cfg)
}

// NetworkOf asks a node which network it serves: its chain id and genesis.
func NetworkOf(ctx context.Context, src Source) (chain.Network, error) {
	return adapter{src}.Network(ctx)
}

// adapter turns an Ethereum Source into the pipeline's Source.
type adapter struct{ src Source }

func (a adapter) Chain() chain.Chain { return chain.Ethereum }

func (a adapter) Network(ctx context.Context) (chain.Network, error) {
	id, err := a.src.ChainID(ctx)
	if err != nil {
		return chain.Network{}, err
	}
	g, _, err := a.src.BlockHash(ctx, 0)
	if err != nil {
		return chain.Network{}, fmt.Errorf("genesis block: %w", err)
	}
	return chain.Network{CAIP2: chain.EIP155(id), Genesis: chain.Hash(g).String()}, nil
}

func (a adapter) Head(ctx context.Context) (uint64, error) { return a.src.Head(ctx) }

func (a adapter) BlockHash(ctx context.Context, n uint64) (chain.Hash, error) {
	h, _, err := a.src.BlockHash(ctx, n)
	return chain.Hash(h), err
}

func (a adapter) Block(ctx context.Context, n uint64) (*ingest.Fetched, error) {
	d, err := a.src.FetchBlock(ctx, n)
	if err != nil {
		return nil, err
	}
	b, stats, err := Extract(d)
	if err != nil {
		return nil, err
	}
	f := &ingest.Fetched{Block: b}
	if len(stats.MalformedLogs) > 0 || stats.UnbackedWraps > 0 {
		f.Counters = map[string]int{CounterMalformedLogs: len(stats.MalformedLogs), CounterUnbackedWraps: stats.UnbackedWraps}
	}
	for _, m := range stats.MalformedLogs {
		f.Warnings = append(f.Warnings, "malformed token log skipped: "+m.Error())
	}
	return f, nil
}
