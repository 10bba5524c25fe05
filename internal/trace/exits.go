package trace

import (
	"cmp"
	"slices"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/holiman/uint256"
)

// Service is what attribution says of an address: a venue taint can leave
// the chain's reach through (an exchange, a bridge, a mixer, an OTC desk).
type Service struct {
	Name     string // "Binance 14"
	Actor    string // "binance"
	Category string // a GraphSense concept id: exchange, defi_bridge, mixing_service…
	Source   string // who said so
	// CanFreeze says the venue can freeze what arrives (a custodial
	// exchange, a cooperating bridge or OTC desk).
	CanFreeze bool
}

// Services attributes addresses. A trace with Services records an exit
// wherever taint reaches an attributed address.
type Services interface {
	Service(a chain.Address) (Service, bool)
}

// ServiceLister is a Services that can list every address it attributes
// on a chain. A trace reaches far more addresses than there are services;
// given the list, the account fast path asks Services only about the
// addresses on it and takes every other for no service. A list may hold
// addresses that are not services, never miss one that is. ok false: it
// cannot list this chain (Services is asked about every address).
type ServiceLister interface {
	ServiceAddresses(c chain.Chain) (addrs []chain.Address, ok bool)
}

// Exits is the exit policy of a trace.
type Exits struct {
	Services Services
	// Stop says whether taint reaching a service of this category stops
	// there (nil: it stops at every service). Taint that stops is counted
	// in Result.Exits; taint that goes on is followed as anywhere else and
	// the exit is recorded all the same.
	Stop func(category string) bool
	// Freezable says whether an asset's issuer can freeze it wherever it
	// sits (a stablecoin with a blacklist), and who that is.
	Freezable func(a chain.Asset) (issuer string, ok bool)
	// SkipRemaining, on account chains, leaves a service the trace stops
	// at unread: taint reaching it is counted as an exit all the same, but
	// its history is not replayed, so Exit.Remaining stays zero. Replaying
	// an exchange's history is most of a trace's work on a busy chain;
	// screening, which needs only what arrived, skips it.
	SkipRemaining bool
}

func (x *Exits) service(a chain.Address) (Service, bool, bool) {
	if x == nil || x.Services == nil || a.None() {
		return Service{}, false, false
	}
	s, ok := x.Services.Service(a)
	if !ok {
		return Service{}, false, false
	}
	return s, true, x.Stop == nil || x.Stop(s.Category)
}

// Exit is taint reaching an attributed service: how much arrived there in
// one asset, when it first did, and how much of it is still there at the
// end of the trace's range (the latest indexed block, or Bounds.Until).
type Exit struct {
	Service Service
	Address chain.Address
	Asset   chain.Asset
	// Amount is the taint that arrived.
	Amount uint256.Int
	// Followed is the part of Amount the trace did not stop there: all of
	// it where the trace goes on past the service; what arrived after a
	// seed named a service the trace had stopped at; and what the service
	// was paid in a swap it answered in another asset in the same
	// transaction (the taint goes on in the bought asset, as SwappedOut).
	// Only the rest, Amount - Followed, counts in conservation.
	Followed uint256.Int
	// Remaining is the taint the address still holds at the end, under the
	// trace's model.
	Remaining uint256.Int
	// First arrival.
	Block   uint64
	TxIndex uint32
	Tx      chain.Hash
	Hop     int
	// Stopped: the trace did not follow taint beyond the service (some of
	// it, where Followed is not zero). Only what stopped counts in
	// conservation: Seeded == Frontier + Stopped + Fees + Burns + the
	// Amount - Followed of every exit (+ swaps, per asset); that is the
	// Amount of every stopped exit where nothing stopped there was
	// followed as well.
	Stopped bool
	// Issuer names who can freeze the asset wherever it sits ("" if nobody
	// is known to).
	Issuer string
}

// Freezable reports whether the venue or the asset's issuer can freeze the
// taint at this exit.
func (e *Exit) Freezable() bool { return e.Service.CanFreeze || e.Issuer != "" }

type exitKey struct {
	addr  chain.Address
	asset chain.Asset
}

// exit adds taint arriving at the service at addr by flow f (forward, addr
// is f.To; backward, the service paid it: f.From).
func (t *tally) exit(s Service, stopped bool, addr chain.Address, f *Flow, x *Exits) *Exit {
	if t.exits == nil {
		t.exits = map[exitKey]*Exit{}
	}
	k := exitKey{addr, f.Asset}
	e := t.exits[k]
	if e == nil {
		e = &Exit{Service: s, Address: addr, Asset: f.Asset, Block: f.Block, TxIndex: f.TxIndex, Tx: f.Tx, Hop: f.Hop, Stopped: stopped}
		if x != nil && x.Freezable != nil {
			e.Issuer, _ = x.Freezable(f.Asset)
		}
		t.exits[k] = e
	}
	e.Amount.Add(&e.Amount, &f.Amount)
	if !stopped {
		e.Followed.Add(&e.Followed, &f.Amount)
	}
	e.Hop = min(e.Hop, f.Hop)
	e.Stopped = e.Stopped || stopped
	return e
}

func exitList(m map[exitKey]*Exit) []Exit {
	out := make([]Exit, 0, len(m))
	for _, e := range m {
		out = append(out, *e)
	}
	slices.SortFunc(out, func(x, y Exit) int {
		return cmp.Or(compareAsset(x.Asset, y.Asset), y.Amount.Cmp(&x.Amount), cmp.Compare(x.Address.Raw, y.Address.Raw))
	})
	return out
}
