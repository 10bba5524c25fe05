package trace

import (
	"reflect"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
)

// The fast path looked for a receipt's swap legs among the receipts held
// behind every transfer of the transaction touching the recipient, not
// only behind the recipient's own payments. X (followed) holds R's payment
// h of A behind its own payment b of B to R. R becomes followed in the
// same transaction, then receives j of C from U, not followed: TraceAccount
// looks in R's stream for a later payment of R of another asset, finds
// none (h is in X's stream) and credits j. The fast path took h, listed
// behind b, for R's payment and held j behind it, where j was lost; R's
// balance of C then differed, and so did the haircut of its later payment.
func TestRegressFastHeldBehindOthersPayment(t *testing.T) {
	c := newEthChain(t)
	A := chain.Asset{Kind: chain.ERC20, Contract: eth(0xa1)}
	B := chain.Asset{Kind: chain.ERC20, Contract: eth(0xa2)}
	C := chain.Asset{Kind: chain.ERC20, Contract: eth(0xa3)}
	X, S, R, U, Y := eth(0x11), eth(0x12), eth(0x13), eth(0x14), eth(0x15)
	c.block(xfer{tx: 0, from: faucet, to: R, amount: 10, asset: A, kind: chain.KindToken},
		xfer{tx: 1, from: faucet, to: X, amount: 5, asset: B, kind: chain.KindToken},
		xfer{tx: 2, from: faucet, to: S, amount: 50},
		xfer{tx: 3, from: faucet, to: U, amount: 7, asset: C, kind: chain.KindToken})
	c.block(xfer{tx: 0, from: R, to: X, amount: 10, asset: A, kind: chain.KindToken}, // h
		xfer{tx: 0, from: S, to: R, amount: 50},                                 // R becomes followed
		xfer{tx: 0, from: U, to: R, amount: 7, asset: C, kind: chain.KindToken}, // j
		xfer{tx: 0, from: X, to: R, amount: 5, asset: B, kind: chain.KindToken}) // b
	c.block(xfer{tx: 0, from: S, to: R, amount: 7, asset: C, kind: chain.KindToken})
	c.block(xfer{tx: 0, from: R, to: Y, amount: 7, asset: C, kind: chain.KindToken})
	snap, err := NewAccountSnapshot(c.s, chain.Ethereum)
	if err != nil {
		t.Fatal(err)
	}
	seeds := []AccountSeed{{Address: X, FromBlock: 1}, {Address: S, FromBlock: 1}}
	for _, m := range []Model{FIFO, Haircut, Poison} {
		want, err := TraceAccount(c.s, chain.Ethereum, m, Bounds{}, seeds)
		if err != nil {
			t.Fatal(err)
		}
		fr, err := snap.FastTrace(m, Bounds{}, seeds, FastOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := fr.Result(); !reflect.DeepEqual(want, got) {
			t.Errorf("%s: %s", m, diffResults(want, got))
		}
	}
}
