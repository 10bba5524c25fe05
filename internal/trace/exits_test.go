package trace

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/holiman/uint256"
)

// services is a fixed attribution for tests.
type services map[chain.Address]Service

func (s services) Service(a chain.Address) (Service, bool) {
	v, ok := s[a]
	return v, ok
}

func exitPolicy(s services, stop bool) *Exits {
	return &Exits{Services: s, Stop: func(string) bool { return stop }}
}

// exitSummary renders exits as "addr=amount,remaining[/stopped]".
func exitSummary(es []Exit) string {
	var out []string
	for _, e := range es {
		name := e.Address.Raw
		if e.Address.Chain == chain.Ethereum {
			name = fmt.Sprintf("a%d", name[19])
		}
		s := fmt.Sprintf("%s=%s,%s@%d/h%d", name, e.Amount.Dec(), e.Remaining.Dec(), e.Block, e.Hop)
		if e.Stopped {
			s += "/stopped"
		}
		out = append(out, s)
	}
	return fmt.Sprint(out)
}

// TestTraceAccountExits: in the split-and-cycle case B is an exchange.
// Stopping there, D is never reached; B received 50 tainted and, having
// paid 60 to D out of [50 clean, 50 tainted] (FIFO) or at half taint
// (haircut), still holds 40 or 20 of it. Going on, D is reached as
// without exits and the exit is recorded all the same.
func TestTraceAccountExits(t *testing.T) {
	c := splitCycle(t)
	seed := []AccountSeed{{Address: thief, FromBlock: 2, Amount: uint256.NewInt(101)}}
	ex := services{acctB: {Name: "Exchange B", Category: "exchange", CanFreeze: true}}
	for _, tc := range []struct {
		m              Model
		stop           bool
		frontier, exit string
	}{
		{m: FIFO, stop: true, frontier: "[a3=20 a4=30]", exit: "[a2=50,40@2/h1/stopped]"},
		{m: Haircut, stop: true, frontier: "[a1=8 a3=12 a4=30]", exit: "[a2=50,20@2/h1/stopped]"},
		{m: FIFO, stop: false, frontier: "[a2=40 a3=20 a4=30 a5=10]", exit: "[a2=50,40@2/h1]"},
		{m: Poison, stop: true, frontier: "[a1=25 a3=35 a4=30]", exit: "[a2=50,40@2/h1/stopped]"},
	} {
		t.Run(fmt.Sprintf("%s/stop=%v", tc.m, tc.stop), func(t *testing.T) {
			r, err := TraceAccount(c.s, chain.Ethereum, tc.m, Bounds{Exits: exitPolicy(ex, tc.stop)}, seed)
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(r.Frontier); got != tc.frontier {
				t.Errorf("frontier %s, want %s", got, tc.frontier)
			}
			if got := exitSummary(r.Exits); got != tc.exit {
				t.Errorf("exits %s, want %s", got, tc.exit)
			}
			if !r.Exits[0].Freezable() || r.Exits[0].Service.Name != "Exchange B" {
				t.Errorf("exit %+v: want the venue named and freezable", r.Exits[0])
			}
			if tc.m != Poison {
				checkConserved(t, r)
			}
		})
	}
}

// TestTraceUTXOExits: in the merge-and-peel case A2 is an exchange. FIFO
// brings it 20 tainted satoshis, which it spends on: stopped there, E and
// A3 are never reached and nothing remains; D's unspent output, also a
// service, keeps its 10 as remaining.
func TestTraceUTXOExits(t *testing.T) {
	c := mergePeel(t)
	ex := services{btc("A2"): {Name: "X", Category: "exchange"}, btc("D"): {Name: "Y", Category: "mixing_service"}}
	x := &Exits{Services: ex, Stop: func(c string) bool { return c == "exchange" },
		Freezable: func(chain.Asset) (string, bool) { return "", false }}
	r, err := TraceUTXO(c.s, chain.Bitcoin, FIFO, Bounds{Exits: x}, []UTXOSeed{{Outpoint: outpt("c1", 0)}})
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(r.Frontier); got != "[B=25 D=10]" {
		t.Errorf("frontier %s", got)
	}
	if got := exitSummary(r.Exits); got != "[A2=20,0@3/h2/stopped D=10,10@3/h2]" {
		t.Errorf("exits %s", got)
	}
	if r.Exits[0].Freezable() {
		t.Errorf("exit %+v: nobody can freeze it", r.Exits[0])
	}
	checkConserved(t, r)
}

// TestTraceExitsConserveOnRandomGraphs: the random graphs of the
// conservation tests with one or two addresses as services, stopping or
// not: FIFO and haircut still conserve taint exactly, counting what
// stopped at exits, and a remaining amount never exceeds what arrived.
func TestTraceExitsConserveOnRandomGraphs(t *testing.T) {
	exits := 0
	for g := range 20 {
		rng := rand.New(rand.NewPCG(uint64(g), 77))
		c, _ := randomEthChain(t, rng)
		ex := services{}
		for _, k := range rng.Perm(6)[:1+rng.IntN(2)] {
			ex[eth(byte(k+1))] = Service{Category: []string{"exchange", "defi_bridge"}[rng.IntN(2)]}
		}
		x := &Exits{Services: ex, Stop: func(c string) bool { return c == "exchange" }}
		seeds := []AccountSeed{{Address: eth(byte(1 + rng.IntN(6))), FromBlock: uint64(1 + rng.IntN(3))}}
		if _, isExit := ex[seeds[0].Address]; isExit {
			continue
		}
		for _, m := range []Model{FIFO, Haircut} {
			r, err := TraceAccount(c.s, chain.Ethereum, m, Bounds{Exits: x}, seeds)
			if err != nil {
				t.Fatalf("graph %d %s: %v", g, m, err)
			}
			checkConserved(t, r)
			for _, e := range r.Exits {
				exits++
				if e.Remaining.Gt(&e.Amount) && e.Stopped {
					t.Fatalf("graph %d %s: exit %+v holds more than arrived", g, m, e)
				}
			}
		}
	}
	if exits < 10 {
		t.Errorf("only %d exits over all graphs", exits)
	}
}

// TestPaths: in the split-and-cycle case under haircut, the thief reaches
// D only through B (50 in, 30 of it on to D): one path, 30 wide. C gets
// two payments from the thief: 20 in block 2, and 2 of taint in the 5 of
// block 5; C -> thief -> C would repeat C and is no path.
func TestPaths(t *testing.T) {
	c := splitCycle(t)
	r, err := TraceAccount(c.s, chain.Ethereum, Haircut, Bounds{}, []AccountSeed{{Address: thief, FromBlock: 2, Amount: uint256.NewInt(101)}})
	if err != nil {
		t.Fatal(err)
	}
	ps, complete := Paths(r, thief, acctD, 5)
	if !complete || len(ps) != 1 || ps[0].Value.Uint64() != 30 || len(ps[0].Flows) != 2 || ps[0].Flows[0].To != acctB || ps[0].Flows[1].To != acctD {
		t.Fatalf("paths to D: %+v", ps)
	}
	ps, _ = Paths(r, thief, acctC, 5)
	if len(ps) != 2 || ps[0].Value.Uint64() != 20 || len(ps[0].Flows) != 1 || ps[1].Value.Uint64() != 2 {
		t.Fatalf("paths to C: %+v", ps)
	}
	if ps, _ := Paths(r, thief, eth(0x77), 5); len(ps) != 0 {
		t.Fatalf("paths to an address never reached: %+v", ps)
	}
}

// TestTraceAccountSwap: the thief holds 100 ETH, 50 of it tainted, and
// swaps 40 ETH for 80 TOK at a pool in one transaction, then pays A 50
// TOK and B 30 ETH. Haircut: the 40 ETH carry 20 of taint, so the 80 TOK
// carry 40; A gets 25 of them and B 15 of the ETH taint. FIFO: the 40 ETH
// are all tainted, so are the 80 TOK; A gets 50, B the last 10 tainted
// ETH. The pool is never tainted.
func TestTraceAccountSwap(t *testing.T) {
	c := newEthChain(t)
	tok := chain.Asset{Kind: chain.ERC20, Contract: eth(0xaa)}
	pool := eth(0x50)
	c.block(xfer{tx: 0, from: faucet, to: thief, amount: 100}, xfer{tx: 1, from: faucet, to: pool, amount: 1000, kind: chain.KindToken, asset: tok})
	c.block(xfer{tx: 0, from: thief, to: pool, amount: 40}, xfer{tx: 0, from: pool, to: thief, amount: 80, kind: chain.KindToken, asset: tok})
	c.block(xfer{tx: 0, from: thief, to: acctA, amount: 50, kind: chain.KindToken, asset: tok}, xfer{tx: 1, from: thief, to: acctB, amount: 30})
	seed := []AccountSeed{{Address: thief, FromBlock: 2, Amount: uint256.NewInt(50)}}
	for _, tc := range []struct {
		m                  Model
		frontier, out, in_ string
	}{
		{Haircut, "[a1=15 a1=15 a2=15 a4=25]", "[20]", "[40]"},
		{FIFO, "[a1=30 a2=10 a4=50]", "[40]", "[80]"},
	} {
		r, err := TraceAccount(c.s, chain.Ethereum, tc.m, Bounds{}, seed)
		if err != nil {
			t.Fatal(err)
		}
		if got := summary(r.Frontier); got != tc.frontier {
			t.Errorf("%s: frontier %s, want %s", tc.m, got, tc.frontier)
		}
		if got := total(r.SwappedOut) + total(r.SwappedIn); got != tc.out+tc.in_ {
			t.Errorf("%s: swapped out/in %s, want %s%s", tc.m, got, tc.out, tc.in_)
		}
		if len(r.Swaps) != 1 || r.Swaps[0].Venue != pool || r.Swaps[0].Bought != tok || len(r.Flows) < 3 || !r.Flows[0].Swap {
			t.Errorf("%s: swaps %+v flows %+v", tc.m, r.Swaps, r.Flows)
		}
		for _, h := range r.Frontier {
			if h.Address == pool {
				t.Errorf("%s: the pool is tainted", tc.m)
			}
		}
		checkConserved(t, r)
	}
}

// SkipRemaining leaves stopped services unread: the same flows and exits
// (Remaining aside), and conservation holds, on random chains with
// services; the services are not followed either way.
func TestSkipRemainingChangesOnlyRemaining(t *testing.T) {
	compared := 0
	for g := range 40 {
		rng := rand.New(rand.NewPCG(uint64(g), 31))
		c := randomSwapChain(t, rng)
		ex := randomServices(rng, 1, "exchange")
		seed := AccountSeed{Address: eth(byte(1 + rng.IntN(6))), FromBlock: 1}
		if _, isExit := ex[seed.Address]; isExit {
			continue
		}
		b := Bounds{MaxHops: rng.IntN(4), Exits: &Exits{Services: ex}}
		full, err := TraceAccount(c.s, chain.Ethereum, Haircut, b, []AccountSeed{seed})
		if err != nil {
			t.Fatal(err)
		}
		b.Exits = &Exits{Services: ex, SkipRemaining: true}
		skip, err := TraceAccount(c.s, chain.Ethereum, Haircut, b, []AccountSeed{seed})
		if err != nil {
			t.Fatal(err)
		}
		checkConserved(t, skip)
		for i := range full.Exits {
			full.Exits[i].Remaining = uint256.Int{}
		}
		if !reflect.DeepEqual(full.Flows, skip.Flows) || !reflect.DeepEqual(full.Exits, skip.Exits) {
			t.Fatalf("graph %d: skipping the services' replay changed the flows or exits:\n%s\n%s", g, exitSummary(full.Exits), exitSummary(skip.Exits))
		}
		compared += len(skip.Exits)
	}
	if compared == 0 {
		t.Fatal("no exit reached: the test compares nothing")
	}
}
