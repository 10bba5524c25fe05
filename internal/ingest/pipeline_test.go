package ingest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/holiman/uint256"
)

// scripted is a Source serving one of several chains; switchAt lets a test
// swap the chain when a given block is fetched, as a reorg would.
type scripted struct {
	mu       sync.Mutex
	chain    *fakeChain
	switchAt map[uint64]*fakeChain
}

// fakeChain is blocks 0..n-1; a block's hash encodes its fork tag, and each
// block credits a withdrawal to an address named after its fork, so stores
// of different forks export differently.
type fakeChain struct {
	tag  byte
	fork uint64 // blocks at or below fork are shared with the base chain
	n    uint64
}

func (c *fakeChain) hash(h uint64) chain.Hash {
	tag := c.tag
	if h <= c.fork {
		tag = 'a'
	}
	var x chain.Hash
	x[0] = tag
	x[31], x[30] = byte(h), byte(h>>8)
	return x
}

func (c *fakeChain) block(h uint64) *chain.Block {
	var parent chain.Hash
	if h > 0 {
		parent = c.hash(h - 1)
	}
	var to [20]byte
	to[19] = c.hash(h)[0]
	return &chain.Block{Chain: chain.Ethereum, Height: h, Hash: c.hash(h), Parent: parent, Time: int64(1000 + h),
		Transfers: []chain.Transfer{{Block: h, TxIndex: chain.BlockLevel, Kind: chain.KindWithdrawal, To: chain.EVMAddress(to), Amount: *uint256.NewInt(h + 1)}}}
}

func (s *scripted) current() *fakeChain {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.chain
}

func (s *scripted) Chain() chain.Chain { return chain.Ethereum }
func (s *scripted) Network(context.Context) (chain.Network, error) {
	return chain.Network{CAIP2: "eip155:1", Genesis: "0xa"}, nil
}
func (s *scripted) Head(context.Context) (uint64, error) { return s.current().n - 1, nil }
func (s *scripted) BlockHash(_ context.Context, n uint64) (chain.Hash, error) {
	c := s.current()
	if n >= c.n {
		return chain.Hash{}, fmt.Errorf("block %d: %w", n, ErrNotFound)
	}
	return c.hash(n), nil
}
func (s *scripted) Block(_ context.Context, n uint64) (*Fetched, error) {
	s.mu.Lock()
	if next, ok := s.switchAt[n]; ok {
		s.chain = next
		delete(s.switchAt, n)
	}
	c := s.chain
	s.mu.Unlock()
	if n >= c.n {
		return nil, fmt.Errorf("block %d: %w", n, ErrNotFound)
	}
	return &Fetched{Block: c.block(n)}, nil
}

func openStore(t *testing.T) *store.DB {
	t.Helper()
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func run(t *testing.T, src Source, st *store.DB, cfg Config) (Summary, error) {
	t.Helper()
	cfg.Workers = 3
	ing, err := New(src, st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return ing.Run(context.Background())
}

// exportOf renders the stored chain: block, withdrawal recipient's tag.
func exportOf(t *testing.T, st *store.DB) string {
	t.Helper()
	var sb strings.Builder
	for r, err := range st.Transfers(store.Query{Chain: chain.Ethereum}) {
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&sb, "%d:%c ", r.Block, r.To.Raw[19])
	}
	return sb.String()
}

func TestReorgMidRangeStillFinishesRange(t *testing.T) {
	a := &fakeChain{tag: 'a', n: 26}
	b := &fakeChain{tag: 'b', fork: 8, n: 26}
	src := &scripted{chain: a, switchAt: map[uint64]*fakeChain{12: b}}
	st := openStore(t)
	sum, err := run(t, src, st, Config{HasTo: true, To: 20})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Reorgs == 0 {
		t.Fatal("the chain switched mid-range but no reorg was handled")
	}
	want := openStore(t)
	if _, err := run(t, &scripted{chain: b}, want, Config{HasTo: true, To: 20}); err != nil {
		t.Fatal(err)
	}
	if got, exp := exportOf(t, st), exportOf(t, want); got != exp {
		t.Fatalf("after a mid-range reorg:\n got %s\nwant %s", got, exp)
	}
}

func TestReorgDeeperThanLimitIsRefused(t *testing.T) {
	st := openStore(t)
	if _, err := run(t, &scripted{chain: &fakeChain{tag: 'a', n: 21}}, st, Config{}); err != nil {
		t.Fatal(err)
	}
	before := exportOf(t, st)
	_, err := run(t, &scripted{chain: &fakeChain{tag: 'b', fork: 8, n: 25}}, st, Config{MaxReorgDepth: 5})
	if err == nil || !strings.Contains(err.Error(), "reorg deeper than 5") {
		t.Fatalf("want a refusal of a 12-block reorg, got %v", err)
	}
	if exportOf(t, st) != before {
		t.Fatal("a refused reorg changed the store")
	}
}

// TestNodeBehindStoredTip: a node whose head is below the stored tip (lagging,
// or on a shorter branch) is waited for, not an error; once its branch passes
// the tip, the fork is rolled back and replaced.
func TestNodeBehindStoredTip(t *testing.T) {
	st := openStore(t)
	if _, err := run(t, &scripted{chain: &fakeChain{tag: 'a', n: 21}}, st, Config{}); err != nil {
		t.Fatal(err)
	}
	before := exportOf(t, st)
	short := &fakeChain{tag: 'b', fork: 10, n: 16}
	if _, err := run(t, &scripted{chain: short}, st, Config{}); err != nil {
		t.Fatalf("node behind the stored tip: %v", err)
	}
	if exportOf(t, st) != before {
		t.Fatal("the store changed while the node was behind it")
	}
	longer := &fakeChain{tag: 'b', fork: 10, n: 30}
	sum, err := run(t, &scripted{chain: longer}, st, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.RolledBack != 10 {
		t.Errorf("rolled back %d blocks, want 10 (11..20)", sum.RolledBack)
	}
	want := openStore(t)
	if _, err := run(t, &scripted{chain: longer}, want, Config{}); err != nil {
		t.Fatal(err)
	}
	if exportOf(t, st) != exportOf(t, want) {
		t.Fatal("store after the node overtook it differs from a fresh ingest")
	}
}

func TestFromBeyondHeadIsAnError(t *testing.T) {
	st := openStore(t)
	_, err := run(t, &scripted{chain: &fakeChain{tag: 'a', n: 5}}, st, Config{HasFrom: true, From: 9})
	if err == nil || !strings.Contains(err.Error(), "--from 9 is beyond the node's head 4") {
		t.Fatalf("want an error naming --from and the head, got %v", err)
	}
}

func TestCancelStopsAtBlockBoundary(t *testing.T) {
	st := openStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	src := &cancelling{scripted: scripted{chain: &fakeChain{tag: 'a', n: 200}}, at: 50, cancel: cancel}
	ing, err := New(src, st, Config{Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ing.Run(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want cancellation, got %v", err)
	}
	cur, ok, err := st.Cursor(chain.Ethereum)
	if err != nil || !ok || cur.Height >= 199 {
		t.Fatalf("cursor after cancel: %+v ok=%v err=%v", cur, ok, err)
	}
	// Resuming completes the chain exactly once.
	if _, err := run(t, &scripted{chain: &fakeChain{tag: 'a', n: 200}}, st, Config{}); err != nil {
		t.Fatal(err)
	}
	want := openStore(t)
	run(t, &scripted{chain: &fakeChain{tag: 'a', n: 200}}, want, Config{})
	if exportOf(t, st) != exportOf(t, want) {
		t.Fatal("cancel and resume differs from one uninterrupted run")
	}
}

type cancelling struct {
	scripted
	at     uint64
	cancel func()
}

func (c *cancelling) Block(ctx context.Context, n uint64) (*Fetched, error) {
	if n == c.at {
		c.cancel()
	}
	return c.scripted.Block(ctx, n)
}
