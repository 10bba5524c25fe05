package trace

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/holiman/uint256"
)

func eth(i byte) chain.Address {
	var b [20]byte
	b[19] = i
	return chain.EVMAddress(b)
}

// Addresses of the account-chain cases.
var (
	faucet = eth(0xf0)
	miner  = eth(0xee)
	thief  = eth(1)
	acctB  = eth(2)
	acctC  = eth(3)
	acctA  = eth(4)
	acctD  = eth(5)
	acctE  = eth(6)
)

// xfer is one transfer of a test block; transfers with the same tx share
// a transaction, in the order given.
type xfer struct {
	tx       int
	from, to chain.Address
	amount   uint64
	kind     chain.Kind
	asset    chain.Asset
}

// ethChain applies Ethereum-like blocks of transfers to a real store.
type ethChain struct {
	utxoChain
}

func newEthChain(t *testing.T) *ethChain { return &ethChain{utxoChain{t: t, s: openStore(t)}} }

func (c *ethChain) block(xs ...xfer) { c.t.Helper(); c.blockMemos(nil, xs...) }

// blockMemos applies a block of transfers that also carries bridge memos.
func (c *ethChain) blockMemos(memos []chain.Memo, xs ...xfer) {
	c.t.Helper()
	c.height++
	b := &chain.Block{Chain: chain.Ethereum, Height: c.height, Hash: txHash(fmt.Sprintf("eth-%d", c.height)), Parent: c.parent, Time: int64(c.height)}
	seq := uint32(0)
	for _, x := range xs {
		if n := len(b.Txs); n == 0 || b.Txs[n-1].Index != uint32(x.tx) {
			b.Txs = append(b.Txs, chain.Tx{Hash: txHash(fmt.Sprintf("eth-%d-%d", c.height, x.tx)), Index: uint32(x.tx), Success: true})
			seq = 0
		}
		if x.kind == 0 {
			x.kind = chain.KindNative
		}
		tx := b.Txs[len(b.Txs)-1]
		b.Transfers = append(b.Transfers, chain.Transfer{Block: c.height, TxIndex: tx.Index, Seq: seq, TxHash: tx.Hash,
			Kind: x.kind, From: x.from, To: x.to, Asset: x.asset, Amount: *uint256.NewInt(x.amount)})
		seq++
	}
	b.Memos = memos
	if err := c.s.ApplyBlock(b); err != nil {
		c.t.Fatalf("block %d: %v", c.height, err)
	}
	c.parent = b.Hash
}

// splitCycle: the faucet funds the thief (101), B (50) and C (40); the
// thief splits to A 30 (paying a fee of 1), B 50, C 20; B sends 60 to D; C
// sends 30 back to the thief, who sends 5 back to C and 0 to E.
func splitCycle(t *testing.T) *ethChain {
	c := newEthChain(t)
	c.block(xfer{tx: 0, from: faucet, to: thief, amount: 101}, xfer{tx: 1, from: faucet, to: acctB, amount: 50}, xfer{tx: 2, from: faucet, to: acctC, amount: 40})
	c.block(xfer{tx: 0, from: thief, to: acctA, amount: 30}, xfer{tx: 0, from: thief, to: miner, amount: 1, kind: chain.KindFee},
		xfer{tx: 1, from: thief, to: acctB, amount: 50}, xfer{tx: 2, from: thief, to: acctC, amount: 20})
	c.block(xfer{tx: 0, from: acctB, to: acctD, amount: 60})
	c.block(xfer{tx: 0, from: acctC, to: thief, amount: 30})
	c.block(xfer{tx: 0, from: thief, to: acctC, amount: 5}, xfer{tx: 1, from: thief, to: acctE, amount: 0})
	return c
}

func TestTraceAccountSplitCycle(t *testing.T) {
	c := splitCycle(t)
	seed := []AccountSeed{{Address: thief, FromBlock: 2, Amount: uint256.NewInt(101)}}
	for _, tc := range []struct {
		m              Model
		b              Bounds
		frontier, stop string
		reach          []int
	}{
		// FIFO: B's queue is [50 clean, 50 tainted], so D gets 10; C's is
		// [40 clean, 20 tainted], so the 30 back to the thief is clean.
		{m: FIFO, frontier: "[a2=40 a3=20 a4=30 a5=10]", stop: "[]", reach: []int{1, 3, 1}},
		// Haircut: D gets 60·50/100 = 30; the thief gets back 30·20/60 =
		// 10 and returns 5·10/30 = 1.67 → 2 to C, keeping 8.
		{m: Haircut, frontier: "[a1=8 a2=20 a3=12 a4=30 a5=30]", stop: "[]", reach: []int{1, 3, 1}},
		{m: Poison, frontier: "[a1=25 a2=40 a3=35 a4=30 a5=60]", stop: "[]", reach: []int{1, 3, 1}},
		{m: FIFO, b: Bounds{MaxHops: 1}, frontier: "[a2=40 a3=20 a4=30]", stop: "[a5=10/max-hops]", reach: []int{1, 3}},
		{m: FIFO, b: Bounds{MinAmount: *uint256.NewInt(25)}, frontier: "[a2=40 a4=30]", stop: "[a3=20/min-amount a5=10/min-amount]", reach: []int{1, 3, 1}},
		{m: Haircut, b: Bounds{Until: 3, HasUntil: true}, frontier: "[a2=20 a3=20 a4=30 a5=30]", stop: "[]", reach: []int{1, 3, 1}},
	} {
		t.Run(fmt.Sprintf("%s/%+v", tc.m, tc.b), func(t *testing.T) {
			r, err := TraceAccount(c.s, chain.Ethereum, tc.m, tc.b, seed)
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(r.Frontier); got != tc.frontier {
				t.Errorf("frontier %s, want %s", got, tc.frontier)
			}
			if got := summary(r.Stopped); got != tc.stop {
				t.Errorf("stopped %s, want %s", got, tc.stop)
			}
			if got := total(r.Fees); got != "[1]" {
				t.Errorf("fees %s, want [1]", got)
			}
			if !slices.Equal(r.Reach, tc.reach) {
				t.Errorf("reach %v, want %v", r.Reach, tc.reach)
			}
			if tc.m != Poison {
				checkConserved(t, r)
			}
		})
	}
}

// TestTraceAccountSeedAll: seeding the thief from block 1 without an
// amount taints all it receives: the faucet's 101 and, later, C's 30 (which
// FIFO alone would have found clean), of which it returns 5 to C. The
// zero-value transfer to E taints nothing.
func TestTraceAccountSeedAll(t *testing.T) {
	c := splitCycle(t)
	r, err := TraceAccount(c.s, chain.Ethereum, FIFO, Bounds{}, []AccountSeed{{Address: thief, FromBlock: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(r.Frontier) + total(r.Seeded); got != "[a1=25 a2=40 a3=25 a4=30 a5=10][131]" {
		t.Fatalf("frontier and seeded %s", got)
	}
	if i := slices.IndexFunc(r.Flows, func(f Flow) bool { return f.To == acctE }); i >= 0 {
		t.Fatalf("zero-value transfer made a flow: %+v", r.Flows[i])
	}
	// Flows: A, fee, B, C, D, then the 5 back to C.
	if len(r.Flows) != 6 || r.Flows[4].To != acctD || r.Flows[4].Hop != 2 || r.Flows[1].Kind != chain.KindFee || r.Flows[5].Hop != 1 {
		t.Fatalf("flows %+v", r.Flows)
	}
	checkConserved(t, r)
}

// TestTraceAccountPingPong: A and B send the same 10 back and forth six
// times; each transfer is applied once (by the sender), the trace ends,
// and the taint ends back at A.
func TestTraceAccountPingPong(t *testing.T) {
	c := newEthChain(t)
	c.block(xfer{from: faucet, to: acctA, amount: 10})
	for i := range 6 {
		from, to := acctA, acctB
		if i%2 == 1 {
			from, to = to, from
		}
		c.block(xfer{from: from, to: to, amount: 10})
	}
	for _, m := range []Model{FIFO, Haircut, Poison} {
		r, err := TraceAccount(c.s, chain.Ethereum, m, Bounds{}, []AccountSeed{{Address: acctA, FromBlock: 1}})
		if err != nil {
			t.Fatal(err)
		}
		if got := summary(r.Frontier); got != "[a4=10]" || len(r.Flows) != 6 || !slices.Equal(r.Reach, []int{1, 1}) {
			t.Fatalf("%s: frontier %s, %d flows, reach %v", m, got, len(r.Flows), r.Reach)
		}
	}
}

func TestTraceAccountBadSeeds(t *testing.T) {
	c := splitCycle(t)
	for _, tc := range []struct {
		seeds []AccountSeed
		m     Model
		b     Bounds
	}{
		{seeds: []AccountSeed{{Address: thief, FromBlock: 2, Amount: uint256.NewInt(102)}}, m: FIFO},
		{seeds: []AccountSeed{{Address: thief, FromBlock: 1}, {Address: thief, FromBlock: 2}}, m: FIFO},
		{seeds: []AccountSeed{{Address: thief, FromBlock: 4}}, m: FIFO, b: Bounds{Until: 3, HasUntil: true}},
		{seeds: []AccountSeed{{Address: thief, FromBlock: 1}}, m: TIHO},
		{seeds: []AccountSeed{{Address: eth(0x77), FromBlock: 1}}, m: FIFO}, // never seen
	} {
		if _, err := TraceAccount(c.s, chain.Ethereum, tc.m, tc.b, tc.seeds); err == nil {
			t.Errorf("seeds %+v under %s with %+v: no error", tc.seeds, tc.m, tc.b)
		}
	}
}

// TestTraceAccountConservesOnRandomGraphs: random small account chains
// (fixed seeds) in two assets, with fees, burns, zero-value and self
// transfers and cycles; random seeds and bounds. FIFO and haircut
// conserve taint per asset exactly, and every transfer they taint, poison
// taints too.
func TestTraceAccountConservesOnRandomGraphs(t *testing.T) {
	flows := 0
	for g := range 20 {
		rng := rand.New(rand.NewPCG(uint64(g), 21))
		c, held := randomEthChain(t, rng)
		var seeds []AccountSeed
		for _, k := range rng.Perm(6)[:1+rng.IntN(2)] {
			s := AccountSeed{Address: eth(byte(k + 1)), FromBlock: uint64(2 + rng.IntN(3))}
			if bal := held[s.FromBlock-2][k]; rng.IntN(2) == 0 && bal > 0 {
				s.Amount = uint256.NewInt(rng.Uint64N(bal + 1))
			}
			seeds = append(seeds, s)
		}
		b := Bounds{MaxHops: rng.IntN(4), MinAmount: *uint256.NewInt(uint64(rng.IntN(2) * 20))}
		if rng.IntN(2) == 0 {
			b.Until, b.HasUntil = uint64(3+rng.IntN(6)), true
		}
		poison, err := TraceAccount(c.s, chain.Ethereum, Poison, b, seeds)
		if err != nil {
			t.Fatalf("graph %d poison: %v", g, err)
		}
		for _, m := range []Model{FIFO, Haircut} {
			r, err := TraceAccount(c.s, chain.Ethereum, m, b, seeds)
			if err != nil {
				t.Fatalf("graph %d %s: %v", g, m, err)
			}
			checkConserved(t, r)
			flows += len(r.Flows)
			for _, f := range r.Flows {
				if !slices.ContainsFunc(poison.Flows, func(p Flow) bool { return p.Tx == f.Tx && p.Seq == f.Seq }) {
					t.Fatalf("graph %d: %s taints %s/%d, poison does not", g, m, f.Tx, f.Seq)
				}
			}
		}
	}
	if flows < 100 {
		t.Errorf("only %d flows over all graphs: the graphs exercise little", flows)
	}
}

// randomEthChain builds 10 blocks over addresses 1-6 in ETH and one token:
// the faucet funds them in block 1, then each block has 2 to 7
// transactions sending up to the sender's balance (sometimes all of it, 0,
// to itself, or to no address as a burn), some paying a fee to the miner.
// It returns, per block, the native balances at its end (index 0: block 1).
func randomEthChain(t *testing.T, rng *rand.Rand) (*ethChain, [][6]uint64) {
	c := newEthChain(t)
	token := chain.Asset{Kind: chain.ERC20, Contract: eth(0xaa)}
	bal := map[chain.Asset]*[6]uint64{chain.NativeAsset: {}, token: {}}
	var fund []xfer
	for k := range 6 {
		for i, a := range []chain.Asset{chain.NativeAsset, token} {
			v := 50 + rng.Uint64N(200)
			fund = append(fund, xfer{tx: 2*k + i, from: faucet, to: eth(byte(k + 1)), amount: v, asset: a})
			bal[a][k] += v
		}
	}
	c.block(fund...)
	held := [][6]uint64{*bal[chain.NativeAsset]}
	for range 9 {
		var xs []xfer
		for tx := range 2 + rng.IntN(6) {
			xs = append(xs, randomXfer(rng, tx, bal, token)...)
		}
		c.block(xs...)
		held = append(held, *bal[chain.NativeAsset])
	}
	return c, held
}

func randomXfer(rng *rand.Rand, tx int, bal map[chain.Asset]*[6]uint64, token chain.Asset) []xfer {
	asset := chain.NativeAsset
	if rng.IntN(3) == 0 {
		asset = token
	}
	from, to := rng.IntN(6), rng.IntN(6)
	b := bal[asset]
	amount := rng.Uint64N(b[from] + 1)
	if rng.IntN(4) == 0 {
		amount = b[from]
	}
	x := xfer{tx: tx, from: eth(byte(from + 1)), to: eth(byte(to + 1)), amount: amount, asset: asset}
	b[from] -= amount
	switch rng.IntN(8) {
	case 0:
		x.to = chain.Address{}
		x.kind = chain.KindBurn
	default:
		b[to] += amount
	}
	xs := []xfer{x}
	if n := &bal[chain.NativeAsset][from]; *n > 0 && rng.IntN(3) == 0 {
		fee := rng.Uint64N(*n/4 + 1)
		*n -= fee
		xs = append(xs, xfer{tx: tx, from: eth(byte(from + 1)), to: miner, amount: fee, kind: chain.KindFee})
	}
	return xs
}
