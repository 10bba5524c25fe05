package trace

import (
	"math/rand/v2"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/holiman/uint256"
)

// randomSwapChain: addresses 1-6 and two pools (0x50, 0x51) in ETH and a
// token; transfers, fees, burns, and swaps (pay one asset to a pool, get
// the other back in the same tx, in either order).
func randomSwapChain(t *testing.T, rng *rand.Rand) *ethChain {
	c := newEthChain(t)
	token := chain.Asset{Kind: chain.ERC20, Contract: eth(0xaa)}
	assets := []chain.Asset{chain.NativeAsset, token}
	addrs := []chain.Address{eth(1), eth(2), eth(3), eth(4), eth(5), eth(6), eth(0x50), eth(0x51)}
	bal := map[chain.Address]map[chain.Asset]uint64{}
	for _, a := range addrs {
		bal[a] = map[chain.Asset]uint64{}
	}
	var fund []xfer
	for k, a := range addrs {
		for i, as := range assets {
			v := 50 + rng.Uint64N(200)
			if k >= 6 {
				v *= 20
			}
			fund = append(fund, xfer{tx: 2*k + i, from: faucet, to: a, amount: v, asset: as})
			bal[a][as] += v
		}
	}
	c.block(fund...)
	for range 9 {
		var xs []xfer
		for tx := range 2 + rng.IntN(6) {
			from := addrs[rng.IntN(len(addrs))]
			as := assets[rng.IntN(2)]
			amt := rng.Uint64N(bal[from][as] + 1)
			switch rng.IntN(4) {
			case 0: // swap
				pool := addrs[6+rng.IntN(2)]
				other := assets[0]
				if as == other {
					other = assets[1]
				}
				if pool == from {
					continue
				}
				back := rng.Uint64N(bal[pool][other] + 1)
				pay := xfer{tx: tx, from: from, to: pool, amount: amt, asset: as}
				get := xfer{tx: tx, from: pool, to: from, amount: back, asset: other}
				bal[from][as] -= amt
				bal[pool][as] += amt
				bal[pool][other] -= back
				bal[from][other] += back
				xs = append(xs, pay, get)
			default:
				to := addrs[rng.IntN(len(addrs))]
				x := xfer{tx: tx, from: from, to: to, amount: amt, asset: as}
				bal[from][as] -= amt
				if rng.IntN(8) == 0 {
					x.to, x.kind = chain.Address{}, chain.KindBurn
				} else {
					bal[to][as] += amt
				}
				xs = append(xs, x)
			}
			if n := bal[from][chain.NativeAsset]; n > 0 && rng.IntN(3) == 0 {
				fee := rng.Uint64N(n/4 + 1)
				bal[from][chain.NativeAsset] -= fee
				xs = append(xs, xfer{tx: tx, from: from, to: miner, amount: fee, kind: chain.KindFee})
			}
		}
		for i := range xs {
			if xs[i].asset == token && xs[i].kind == 0 {
				xs[i].kind = chain.KindToken
			}
		}
		c.block(xs...)
	}
	return c
}

// randomServices makes services of some of the random chains' addresses
// (1-6 and the pools 0x50, 0x51): at least least of them, up to two more,
// each of one of cats.
func randomServices(rng *rand.Rand, least int, cats ...string) services {
	ex := services{}
	for _, k := range rng.Perm(8)[:least+rng.IntN(3)] {
		a := eth(byte(k + 1))
		if k >= 6 {
			a = eth(byte(0x50 + k - 6))
		}
		cat := cats[0]
		if len(cats) > 1 {
			cat = cats[rng.IntN(len(cats))]
		}
		ex[a] = Service{Category: cat}
	}
	return ex
}

func TestRegressRandomSwapsExits(t *testing.T) {
	fails := 0
	for g := range 60 {
		rng := rand.New(rand.NewPCG(uint64(g), 99))
		c := randomSwapChain(t, rng)
		ex := randomServices(rng, 0, "exchange", "defi_bridge")
		x := &Exits{Services: ex, Stop: func(c string) bool { return c == "exchange" }}
		seed := AccountSeed{Address: eth(byte(1 + rng.IntN(6))), FromBlock: uint64(1 + rng.IntN(3))}
		if _, isExit := ex[seed.Address]; isExit {
			continue
		}
		b := Bounds{Exits: x, MaxHops: rng.IntN(4)}
		for _, m := range []Model{FIFO, Haircut} {
			r, err := TraceAccount(c.s, chain.Ethereum, m, b, []AccountSeed{seed})
			if err != nil {
				t.Errorf("graph %d %s: %v", g, m, err)
				fails++
				continue
			}
			want := map[chain.Asset]*uint256.Int{}
			for _, sw := range r.Swaps {
				v := new(uint256.Int).Mul(&sw.BoughtAmount, &sw.SoldTaint)
				v.Div(v, &sw.SoldAmount)
				addTo(want, sw.Bought, v)
			}
			// A bought leg takes the swap's share of the taint, less what its
			// sender (a tainted venue) already carried into it.
			for _, in := range r.SwappedIn {
				if w := want[in.Asset]; w == nil || in.Amount.Gt(w) {
					t.Errorf("graph %d %s: swapped in %s of %v, the swaps listed give at most %v", g, m, in.Amount.Dec(), in.Asset, w)
				}
			}
			ok := t.Run("", func(t *testing.T) { checkConserved(t, r) })
			if !ok {
				t.Errorf("graph %d %s: not conserved; swaps %d out %s in %s", g, m, len(r.Swaps), total(r.SwappedOut), total(r.SwappedIn))
			}
		}
	}
}
