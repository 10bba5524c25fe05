package trace

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/holiman/uint256"
)

// checkFast holds the snapshot's fast path to the general tracer's answer
// (want, werr, from TraceAccount over the store): where that succeeds the
// fast path must be taken and give the same Result; where it fails the
// fast path must decline, and Trace must fail the same way.
func checkFast(t *testing.T, snap *AccountSnapshot, m Model, b Bounds, seeds []AccountSeed, want *Result, werr error) {
	t.Helper()
	fr, ferr := snap.FastTrace(m, b, seeds, FastOptions{})
	got, gerr := snap.Trace(chain.Ethereum, m, b, seeds)
	checkFastResult(t, "TraceAccount", m, b, seeds, want, werr, fr, ferr, got, gerr)
}

// checkFastResult holds a fast trace (fr, ferr) and the snapshot's Trace
// (got, gerr) to the general tracer's answer (want, werr), named tracer.
func checkFastResult(t *testing.T, tracer string, m Model, b Bounds, seeds any, want *Result, werr error, fr *FastResult, ferr error, got *Result, gerr error) {
	t.Helper()
	if werr != nil {
		if ferr == nil || !IsNotFast(ferr) {
			t.Fatalf("%s seeds %v bounds %+v: the general tracer fails (%v), the fast path gives %v", m, seeds, b, werr, ferr)
		}
	} else {
		if ferr != nil {
			t.Fatalf("%s seeds %v bounds %+v: the fast path declined (%v) a trace the general tracer runs", m, seeds, b, ferr)
		}
		if r := fr.Result(); !reflect.DeepEqual(want, r) {
			t.Fatalf("%s seeds %v bounds %+v: the fast path's Result differs from %s's:\n%s", m, seeds, b, tracer, diffResults(want, r))
		}
		if fr.Reached() != sumReach(want.Reach) || fr.Flows() != len(want.Flows) {
			t.Fatalf("%s: the fast path counts %d reached and %d flows, its Result %d and %d", m, fr.Reached(), fr.Flows(), sumReach(want.Reach), len(want.Flows))
		}
	}
	if fmt.Sprint(werr) != fmt.Sprint(gerr) || !reflect.DeepEqual(want, got) {
		t.Fatalf("%s seeds %v bounds %+v: the snapshot's Trace gives %v, %s %v (or their Results differ)", m, seeds, b, gerr, tracer, werr)
	}
}

func sumReach(r []int) int {
	n := 0
	for _, k := range r {
		n += k
	}
	return n
}

// diffResults names the first field where two Results differ.
func diffResults(want, got *Result) string {
	if want == nil || got == nil {
		return fmt.Sprintf("want %v, got %v", want, got)
	}
	wv, gv := reflect.ValueOf(*want), reflect.ValueOf(*got)
	for i := range wv.NumField() {
		if !reflect.DeepEqual(wv.Field(i).Interface(), gv.Field(i).Interface()) {
			name := wv.Type().Field(i).Name
			if name == "Exits" {
				w, g := want.Exits, got.Exits
				for k := range min(len(w), len(g)) {
					if !reflect.DeepEqual(w[k], g[k]) {
						return fmt.Sprintf("exit %d of %d/%d: want %+v\ngot %+v", k, len(w), len(g), w[k], g[k])
					}
				}
				return fmt.Sprintf("%d exits, want %d: want %s\ngot %s", len(g), len(w), exitSummary(w), exitSummary(g))
			}
			if name == "Flows" {
				w, g := want.Flows, got.Flows
				for k := range min(len(w), len(g)) {
					if !reflect.DeepEqual(w[k], g[k]) {
						return fmt.Sprintf("flow %d of %d/%d: want %+v\ngot %+v", k, len(w), len(g), w[k], g[k])
					}
				}
				return fmt.Sprintf("%d flows, want %d", len(g), len(w))
			}
			return fmt.Sprintf("%s: want %+v\ngot %+v", name, wv.Field(i).Interface(), gv.Field(i).Interface())
		}
	}
	return "no field differs"
}

// exitCount counts what the random traces with exit services produced,
// so that a test fails when they exercise nothing.
type exitCount struct {
	traces                       int // successful traces with services
	stopped, goneOn, skipped     int // exits stopped, not stopped, and (either) under SkipRemaining
	remaining, issuer, seedAtSvc int // exits with taint remaining, with an issuer; seeds at a service
	reseeded                     int // seeds at a service the trace had stopped at before the seed's block
	swapAtSvc, mixed             int // exits at a swap's venue; stopped exits with a part followed
}

func (c *exitCount) add(x *Exits, r *Result, seeds []AccountSeed) {
	if x == nil {
		return
	}
	c.traces++
	for _, e := range r.Exits {
		if e.Stopped {
			c.stopped++
		} else {
			c.goneOn++
		}
		if x.SkipRemaining {
			c.skipped++
		}
		if !e.Remaining.IsZero() {
			c.remaining++
		}
		if e.Issuer != "" {
			c.issuer++
		}
		if e.Stopped && !e.Followed.IsZero() {
			c.mixed++
		}
		for _, s := range r.Swaps {
			if s.Venue == e.Address && s.Sold == e.Asset {
				c.swapAtSvc++
				break
			}
		}
	}
	for _, sd := range seeds {
		if _, ok := x.Services.Service(sd.Address); ok {
			c.seedAtSvc++
			for _, e := range r.Exits {
				if e.Address == sd.Address && e.Stopped && e.Block < sd.FromBlock {
					c.reseeded++
					break
				}
			}
		}
	}
}

func (c *exitCount) check(t *testing.T) {
	t.Helper()
	t.Logf("%d traces with services: %d stopped exits, %d not stopped, %d under SkipRemaining, %d with taint remaining, %d with an issuer; %d seeds at services, %d at one stopped at earlier; %d exits at a swap's venue, %d stopped with a part followed",
		c.traces, c.stopped, c.goneOn, c.skipped, c.remaining, c.issuer, c.seedAtSvc, c.reseeded, c.swapAtSvc, c.mixed)
	if c.stopped == 0 || c.goneOn == 0 || c.skipped == 0 || c.remaining == 0 || c.issuer == 0 || c.seedAtSvc == 0 || c.reseeded == 0 || c.swapAtSvc == 0 || c.mixed == 0 {
		t.Fatalf("the random traces with services exercise too little: %+v", *c)
	}
}

var exitCategories = []string{"exchange", "defi_bridge", "mixing_service", "otc"}

// randomExits makes an exit policy over some of addrs: each a service with
// probability 1/3, of a random category; the trace stops at every service
// (nil Stop), at exchanges and mixers only, or nowhere; every token
// freezable, every asset, none, or no Freezable; SkipRemaining on or off.
func randomExits(r *rand.Rand, addrs []chain.Address) *Exits {
	ex := services{}
	for i, a := range addrs {
		if r.IntN(3) == 0 {
			ex[a] = Service{Name: fmt.Sprint("svc ", i), Actor: fmt.Sprint("actor", i%3), Category: exitCategories[r.IntN(len(exitCategories))],
				Source: "test", CanFreeze: r.IntN(2) == 0}
		}
	}
	x := &Exits{Services: ex, SkipRemaining: r.IntN(3) == 0}
	if r.IntN(2) == 0 { // listed, with some addresses that are no service
		x.Services = &listedServices{services: ex, extra: addrs[:r.IntN(len(addrs)+1)]}
	}
	switch r.IntN(3) {
	case 0: // nil: stop at every service
	case 1:
		x.Stop = func(c string) bool { return c == "exchange" || c == "mixing_service" }
	case 2:
		x.Stop = func(string) bool { return false }
	}
	switch r.IntN(4) {
	case 0:
		x.Freezable = func(a chain.Asset) (string, bool) {
			if a.Kind == chain.ERC20 {
				return "issuer of " + a.Contract.Raw, true
			}
			return "", false
		}
	case 1:
		x.Freezable = func(a chain.Asset) (string, bool) { return "issuer of " + a.String(), true }
	case 2:
		x.Freezable = func(chain.Asset) (string, bool) { return "", false }
	}
	return x
}

// listedServices is services that can list its addresses
// (ServiceLister), with extra ones that are no service, as a list may
// have; asked, when set, records every address Service was asked about.
type listedServices struct {
	services
	extra []chain.Address
	asked map[chain.Address]bool
}

func (l *listedServices) Service(a chain.Address) (Service, bool) {
	if l.asked != nil {
		l.asked[a] = true
	}
	return l.services.Service(a)
}

func (l *listedServices) ServiceAddresses(c chain.Chain) ([]chain.Address, bool) {
	var out []chain.Address
	for _, a := range append(slices.Collect(maps.Keys(l.services)), l.extra...) {
		if a.Chain == c {
			out = append(out, a)
		}
	}
	return out, true
}

// TestFastAccountListedServices checks that the fast path asks a
// ServiceLister only about the addresses it lists, while its traces reach
// many more, and gives the Result the general tracer does.
func TestFastAccountListedServices(t *testing.T) {
	var asked, reached int
	for seed := range uint64(6) {
		r := rand.New(rand.NewPCG(seed, 17))
		s := openStore(t)
		addrs := randomMixedChain(t, r, s, 60)
		snap, err := NewAccountSnapshot(s, chain.Ethereum)
		if err != nil {
			t.Fatal(err)
		}
		ex := services{}
		for i, a := range addrs {
			if i%8 == 0 {
				ex[a] = Service{Name: fmt.Sprint("svc ", i), Category: "exchange", Source: "test"}
			}
		}
		for _, m := range []Model{FIFO, Haircut, Poison} {
			seeds := randomAccountSeeds(r, addrs, 60, 2)
			want, werr := TraceAccount(s, chain.Ethereum, m, Bounds{MaxHops: 4, Exits: &Exits{Services: ex}}, seeds)
			if werr != nil {
				continue
			}
			l := &listedServices{services: ex, extra: addrs[1:2], asked: map[chain.Address]bool{}}
			listed, _ := l.ServiceAddresses(chain.Ethereum)
			b := Bounds{MaxHops: 4, Exits: &Exits{Services: l}}
			fr, err := snap.FastTrace(m, b, seeds, FastOptions{})
			if err != nil {
				t.Fatalf("%s: %v", m, err)
			}
			if got := fr.Result(); !reflect.DeepEqual(want, got) {
				t.Fatalf("%s: the fast path with listed services differs:\n%s", m, diffResults(want, got))
			}
			for a := range l.asked {
				if !slices.Contains(listed, a) {
					t.Fatalf("%s: asked about %s, which is not on the list", m, a)
				}
			}
			asked += len(l.asked)
			reached += fr.Reached()
		}
	}
	if reached < 2*asked || asked == 0 {
		t.Fatalf("the traces reached %d addresses and asked about %d: too few to show lookups were skipped", reached, asked)
	}
}

// TestFastAccountEqualsTraceAccount compares the fast path with
// TraceAccount over the store on random chains with swaps in both leg
// orders, self-transfers, mints, burns, fees, ERC-721 transfers,
// overdrafts and amounts past 2^64 and 2^128, under every account model,
// with hop bounds, time ranges and minimum amounts, from one to several
// seeds with and without amounts, two traces in three with random exit
// services (every Exits option; seeds at services). It also checks that
// the cases the fast path must reproduce (swaps, held receipts, gap
// credits, stopped taint, exits stopped and not, with SkipRemaining,
// seeds at services) actually occur.
func TestFastAccountEqualsTraceAccount(t *testing.T) {
	var swaps, stopped, traces, fails int
	var ec exitCount
	for seed := range uint64(12) {
		r := rand.New(rand.NewPCG(seed, 7))
		s := openStore(t)
		const blocks = 80
		addrs := randomMixedChain(t, r, s, blocks)
		snap, err := NewAccountSnapshot(s, chain.Ethereum)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range []Model{FIFO, Haircut, Poison} {
			for k := range 12 {
				seeds := randomAccountSeeds(r, addrs, blocks, 1+k%5)
				for i := range seeds {
					if r.IntN(8) == 0 { // after the chain's last block
						seeds[i].FromBlock = blocks + uint64(r.IntN(3))
					}
				}
				b := Bounds{MaxHops: r.IntN(6)}
				if r.IntN(3) == 0 {
					b.Until, b.HasUntil = uint64(r.IntN(blocks+10)), true
				}
				if r.IntN(4) == 0 {
					b.MinAmount.SetUint64(uint64(r.IntN(300)))
				}
				if r.IntN(3) != 0 {
					b.Exits = randomExits(r, addrs)
				}
				want, werr := TraceAccount(s, chain.Ethereum, m, b, seeds)
				checkFast(t, snap, m, b, seeds, want, werr)
				traces++
				if werr != nil {
					fails++
					continue
				}
				swaps += len(want.Swaps)
				stopped += len(want.Stopped)
				ec.add(b.Exits, want, seeds)
				if m != Poison {
					checkConserved(t, want)
				}
			}
		}
	}
	swapAddrs := []chain.Address{eth(1), eth(2), eth(3), eth(4), eth(5), eth(6), eth(0x50), eth(0x51)}
	for g := range 40 { // the swap graphs of the exit tests, with services and without
		rng := rand.New(rand.NewPCG(uint64(g), 99))
		c := randomSwapChain(t, rng)
		snap, err := NewAccountSnapshot(c.s, chain.Ethereum)
		if err != nil {
			t.Fatal(err)
		}
		seeds := []AccountSeed{{Address: eth(byte(1 + rng.IntN(6))), FromBlock: uint64(1 + rng.IntN(3))}}
		if rng.IntN(2) == 0 {
			seeds = append(seeds, AccountSeed{Address: eth(byte(0x50 + rng.IntN(2))), FromBlock: uint64(rng.IntN(5)), Asset: chain.NativeAsset, Amount: uint256.NewInt(uint64(rng.IntN(100)))})
		}
		for _, m := range []Model{FIFO, Haircut, Poison} {
			for _, withExits := range []bool{false, true} {
				b := Bounds{MaxHops: rng.IntN(4)}
				if withExits {
					b.Exits = randomExits(rng, swapAddrs)
				}
				want, werr := TraceAccount(c.s, chain.Ethereum, m, b, seeds)
				checkFast(t, snap, m, b, seeds, want, werr)
				traces++
				if werr != nil {
					fails++
					continue
				}
				swaps += len(want.Swaps)
				ec.add(b.Exits, want, seeds)
				if m != Poison {
					checkConserved(t, want)
				}
			}
		}
	}
	t.Logf("%d traces (%d refused by both), %d swaps, %d stopped holdings", traces, fails, swaps, stopped)
	if swaps == 0 || stopped == 0 || fails == traces {
		t.Fatalf("the random traces exercise too little: %d swaps, %d stopped holdings, %d of %d traces refused", swaps, stopped, fails, traces)
	}
	ec.check(t)
}

// randomMixedChain is randomAccountChain with more transfers per
// transaction among fewer assets' holders, so that tainted addresses pay
// one asset and receive another in one transaction (swaps, in either
// order), and with amounts past 2^128.
func randomMixedChain(t *testing.T, r *rand.Rand, s interface {
	ApplyBlock(*chain.Block) error
}, blocks int) []chain.Address {
	t.Helper()
	addrs := make([]chain.Address, 10)
	for i := range addrs {
		addrs[i] = chainAddr(2000 + i)
	}
	assets := []chain.Asset{chain.NativeAsset, {Kind: chain.ERC20, Contract: addrs[0]}, {Kind: chain.ERC20, Contract: addrs[1]}}
	nft := chain.Asset{Kind: chain.ERC721, Contract: addrs[2]}
	kinds := []chain.Kind{chain.KindNative, chain.KindToken, chain.KindToken, chain.KindInternal, chain.KindFee, chain.KindBurn}
	var parent chain.Hash
	for h := range blocks {
		b := &chain.Block{Chain: chain.Ethereum, Height: uint64(h), Hash: txHashN("sblk", h), Parent: parent, Time: int64(1000 + 12*h)}
		for txi := range uint32(1 + r.IntN(3)) {
			tx := chain.Tx{Hash: txHashN(fmt.Sprintf("stx-%d", h), int(txi)), Index: txi, Success: true}
			b.Txs = append(b.Txs, tx)
			n := 1 + r.IntN(5)
			trader, venue := addrs[r.IntN(len(addrs))], addrs[r.IntN(len(addrs))]
			for seq := range uint32(n) {
				tr := chain.Transfer{Block: uint64(h), TxIndex: txi, Seq: seq, TxHash: tx.Hash, Kind: kinds[r.IntN(len(kinds))],
					From: addrs[r.IntN(len(addrs))], To: addrs[r.IntN(len(addrs))], Asset: assets[r.IntN(len(assets))]}
				switch r.IntN(3) { // a swap's legs between trader and venue, in either order
				case 0:
					tr.From, tr.To = trader, venue
				case 1:
					tr.From, tr.To = venue, trader
				}
				tr.Amount.SetUint64(uint64(r.IntN(1000)))
				switch k := r.IntN(24); {
				case k == 0:
					tr.From = chain.Address{}
				case k == 1:
					tr.To = chain.Address{}
				case k == 2:
					tr.Asset, tr.TokenID, tr.Kind = nft, uint256.NewInt(uint64(r.IntN(5))), chain.KindToken
					tr.Amount.SetOne()
				case k == 3:
					tr.Amount.SetUint64(0)
				case k == 4:
					tr.To = tr.From
				}
				switch r.IntN(10) {
				case 0:
					tr.Amount.Lsh(&tr.Amount, 100) // past 64 bits
				case 1:
					tr.Amount.Lsh(&tr.Amount, 150) // past 128 bits
				}
				b.Transfers = append(b.Transfers, tr)
			}
		}
		if r.IntN(3) == 0 {
			tr := chain.Transfer{Block: uint64(h), TxIndex: chain.BlockLevel, Kind: chain.KindWithdrawal, To: addrs[r.IntN(len(addrs))], Asset: chain.NativeAsset}
			tr.Amount.SetUint64(uint64(r.IntN(5000)))
			b.Transfers = append(b.Transfers, tr)
			if r.IntN(2) == 0 {
				tr.Seq, tr.To, tr.Kind = 1, addrs[r.IntN(len(addrs))], chain.KindCoinbase
				b.Transfers = append(b.Transfers, tr)
			}
		}
		if err := s.ApplyBlock(b); err != nil {
			t.Fatalf("block %d: %v", h, err)
		}
		parent = b.Hash
	}
	return addrs
}

func chainAddr(n int) chain.Address {
	var b [20]byte
	b[0], b[18], b[19] = 0xfa, byte(n>>8), byte(n)
	return chain.EVMAddress(b)
}

// checkFastUTXO is checkFast for UTXO traces.
func checkFastUTXO(t *testing.T, snap *UTXOSnapshot, m Model, b Bounds, seeds []UTXOSeed, want *Result, werr error) {
	t.Helper()
	fr, ferr := snap.FastTrace(m, b, seeds, FastOptions{})
	got, gerr := snap.Trace(chain.Bitcoin, m, b, seeds)
	checkFastResult(t, "TraceUTXO", m, b, seeds, want, werr, fr, ferr, got, gerr)
}

// TestFastUTXOEqualsTraceUTXO compares the UTXO fast path with TraceUTXO
// over the store on small random chains (OP_RETURN outputs, fees, several
// tainted inputs per transaction, seeds that the trace itself reaches,
// duplicate and bad seeds), under every model with hop, time and amount
// bounds, two traces in three with random exit services (every Exits
// option; seeds at services). It fails unless exits stopped and not, with
// taint remaining and with an issuer, occur.
func TestFastUTXOEqualsTraceUTXO(t *testing.T) {
	var flows, burns, fails, traces int
	var exitTraces, stoppedExits, goneOn, remaining, issuer int
	addrs := make([]chain.Address, 6)
	for i := range addrs {
		addrs[i] = btc(fmt.Sprint("a", i))
	}
	for g := range 40 {
		rng := rand.New(rand.NewPCG(uint64(g), 31))
		c, outs := randomUTXOChain(t, rng)
		snap, err := NewUTXOSnapshot(c.s, chain.Bitcoin)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range []Model{FIFO, Haircut, TIHO, Poison} {
			for range 4 {
				var seeds []UTXOSeed
				for _, k := range rng.Perm(len(outs))[:1+rng.IntN(4)] {
					seeds = append(seeds, UTXOSeed{Outpoint: outs[k].op, Amount: rng.Int64N(outs[k].value + 1)})
				}
				switch rng.IntN(12) {
				case 0:
					seeds = append(seeds, seeds[0])
				case 1:
					seeds[0].Vout = 7
				case 2:
					seeds[0].Amount = -1
				}
				b := Bounds{MaxHops: rng.IntN(5), MinAmount: *uint256.NewInt(uint64(rng.IntN(3) * 50))}
				if rng.IntN(2) == 0 {
					b.Until, b.HasUntil = uint64(rng.IntN(9)), true
				}
				if rng.IntN(3) != 0 {
					b.Exits = randomExits(rng, addrs)
				}
				want, werr := TraceUTXO(c.s, chain.Bitcoin, m, b, seeds)
				checkFastUTXO(t, snap, m, b, seeds, want, werr)
				traces++
				if werr != nil {
					fails++
					continue
				}
				if b.Exits != nil {
					exitTraces++
				}
				for _, e := range want.Exits {
					if e.Stopped {
						stoppedExits++
					} else {
						goneOn++
					}
					if !e.Remaining.IsZero() {
						remaining++
					}
					if e.Issuer != "" {
						issuer++
					}
				}
				flows += len(want.Flows)
				for _, f := range want.Flows {
					if f.Kind == chain.KindBurn {
						burns++
					}
				}
			}
		}
	}
	t.Logf("%d traces (%d refused by both), %d flows, %d burns", traces, fails, flows, burns)
	t.Logf("%d traces with services: %d stopped exits, %d not stopped, %d with taint remaining, %d with an issuer", exitTraces, stoppedExits, goneOn, remaining, issuer)
	if flows < 100 || burns == 0 || fails == 0 || stoppedExits == 0 || goneOn == 0 || remaining == 0 || issuer == 0 {
		t.Fatalf("the random traces exercise too little: %d flows, %d burns, %d refused; exits: %d stopped, %d not, %d with taint remaining, %d with an issuer",
			flows, burns, fails, stoppedExits, goneOn, remaining, issuer)
	}
}

// TestAccountSnapshotFile writes snapshots of random chains to a file and
// reads them back: every query and every fast trace gives what the
// original gives; a truncated or foreign file is refused.
func TestAccountSnapshotFile(t *testing.T) {
	for seed := range uint64(4) {
		r := rand.New(rand.NewPCG(seed, 17))
		s := openStore(t)
		const blocks = 60
		addrs := randomMixedChain(t, r, s, blocks)
		snap, err := NewAccountSnapshot(s, chain.Ethereum)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		n, err := snap.WriteTo(&buf)
		if err != nil || n != int64(buf.Len()) {
			t.Fatalf("WriteTo: %d bytes of %d, %v", n, buf.Len(), err)
		}
		file := buf.Bytes()
		back, err := ReadAccountSnapshot(bytes.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		if back.Cursor() != snap.Cursor() || back.Chain() != chain.Ethereum {
			t.Fatalf("read back cursor %d chain %v, want %d", back.Cursor(), back.Chain(), snap.Cursor())
		}
		for range 30 {
			a := addrs[r.IntN(len(addrs))]
			q := store.Query{Chain: chain.Ethereum, FromBlock: uint64(r.IntN(blocks)), Address: &a}
			if r.IntN(3) == 0 {
				q.Address = nil
			}
			if want, got := collect(t, snap, q), collect(t, back, q); !reflect.DeepEqual(want, got) {
				t.Fatalf("seed %d query %+v: the snapshot read back gives %d rows, the original %d (or they differ)", seed, q, len(got), len(want))
			}
		}
		for _, m := range []Model{FIFO, Haircut, Poison} {
			for k := range 6 {
				seeds := randomAccountSeeds(r, addrs, blocks, 1+k%3)
				b := Bounds{MaxHops: r.IntN(5)}
				want, werr := TraceAccount(s, chain.Ethereum, m, b, seeds)
				checkFast(t, back, m, b, seeds, want, werr)
			}
		}
		for _, bad := range [][]byte{file[:len(file)/2], file[:len(file)-1], append([]byte("not a snapshot"), file[14:]...)} {
			if _, err := ReadAccountSnapshot(bytes.NewReader(bad)); err == nil {
				t.Fatalf("seed %d: a damaged file of %d bytes was read", seed, len(bad))
			}
		}
	}
}

// TestFastTraceStops checks that FastOptions.Stop ends a fast trace with
// ErrStopped and the counts of what it did, on both chain models.
func TestFastTraceStops(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	s := openStore(t)
	addrs := randomMixedChain(t, r, s, 40)
	snap, err := NewAccountSnapshot(s, chain.Ethereum)
	if err != nil {
		t.Fatal(err)
	}
	seeds := []AccountSeed{{Address: addrs[0]}, {Address: addrs[1]}}
	polls := 0
	fr, err := snap.FastTrace(Poison, Bounds{}, seeds, FastOptions{Stop: func() bool { polls++; return true }})
	if !errors.Is(err, ErrStopped) || IsNotFast(err) || fr == nil || fr.Scanned == 0 || polls != 1 {
		t.Fatalf("account trace stopped at the first poll: %v, %+v, %d polls", err, fr, polls)
	}
	if _, err := snap.FastTrace(Poison, Bounds{}, seeds, FastOptions{Stop: func() bool { return false }}); err != nil {
		t.Fatalf("a stop that never fires: %v", err)
	}
	c, outs := randomUTXOChain(t, rand.New(rand.NewPCG(1, 31)))
	us, err := NewUTXOSnapshot(c.s, chain.Bitcoin)
	if err != nil {
		t.Fatal(err)
	}
	var useeds []UTXOSeed
	for _, o := range outs[:6] {
		useeds = append(useeds, UTXOSeed{Outpoint: o.op})
	}
	if fr, err := us.FastTrace(Poison, Bounds{}, useeds, FastOptions{Stop: func() bool { return true }}); !errors.Is(err, ErrStopped) || fr == nil {
		t.Fatalf("UTXO trace stopped at the first poll: %v", err)
	}
	if _, err := us.FastTrace(Poison, Bounds{}, useeds, FastOptions{Stop: func() bool { return false }}); err != nil {
		t.Fatalf("a stop that never fires: %v", err)
	}
}

// TestFastAccountOverflow: a bogus token whose receipts take a balance
// past 2^256 makes the general tracer fail; the fast path declines and
// Trace fails the same way, whether the overflow is met replaying a short
// history or while the snapshot checkpoints a long one.
func TestFastAccountOverflow(t *testing.T) {
	for _, n := range []int{2, 40} { // 40 transfers: past the checkpoint spacing
		s := openStore(t)
		a, b := chainAddr(1), chainAddr(2)
		token := chain.Asset{Kind: chain.ERC20, Contract: chainAddr(9)}
		var parent chain.Hash
		for h := range n + 1 {
			blk := &chain.Block{Chain: chain.Ethereum, Height: uint64(h), Hash: txHashN("ofb", h), Parent: parent, Time: int64(h)}
			tx := chain.Tx{Hash: txHashN("oft", h), Index: 0, Success: true}
			blk.Txs = []chain.Tx{tx}
			tr := chain.Transfer{Block: uint64(h), TxHash: tx.Hash, Kind: chain.KindToken, To: a, Asset: token}
			tr.Amount.Lsh(uint256.NewInt(1), 250)
			if h >= n-2 {
				tr.Amount.Lsh(uint256.NewInt(1), 255) // the last two receipts overflow the balance
			}
			if h == n {
				tr.From, tr.To, tr.Asset = a, b, chain.NativeAsset // a payment after: the trace starts here
				tr.Amount.SetUint64(1)
			}
			blk.Transfers = []chain.Transfer{tr}
			if err := s.ApplyBlock(blk); err != nil {
				t.Fatal(err)
			}
			parent = blk.Hash
		}
		snap, err := NewAccountSnapshot(s, chain.Ethereum)
		if err != nil {
			t.Fatal(err)
		}
		seeds := []AccountSeed{{Address: a, FromBlock: uint64(n)}}
		want, werr := TraceAccount(s, chain.Ethereum, Haircut, Bounds{}, seeds)
		if !errors.Is(werr, ErrOverflow) {
			t.Fatalf("%d transfers: the general tracer gives %v, want an overflow", n, werr)
		}
		checkFast(t, snap, Haircut, Bounds{}, seeds, want, werr)
	}
}
