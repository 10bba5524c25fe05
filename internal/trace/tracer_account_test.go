package trace

import (
	"fmt"
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

func (c *ethChain) block(xs ...xfer) {
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
