package heist

import (
	"fmt"
	"math/big"
	"sort"

	"github.com/chainhound/chainhound/internal/trace"
)

// Score compares a forward trace from the theft with the ground truth.
type Score struct {
	Model string `json:"model"`
	// Locations pairs each place the truth puts stolen value with what the
	// trace found there.
	Locations []LocationScore `json:"locations"`
	// Recall is the share of the stolen value (at the scenario's prices)
	// that the trace located where it is: Σ min(found, true) / Σ true.
	Recall float64 `json:"recall"`
	// Flagged exits are the trace's arrivals of stolen value at a service:
	// each flow with a non-zero amount into the address of one of the
	// report's exits (a deposit into the mixer, the router or the OTC desk;
	// the sweep of a deposit address into the exchange's hot wallet).
	// Precision is the share of them the truth has (the same transaction
	// from the same sender; for the exchange, the sweep of a deposit
	// address the thief paid, in the block it was swept): an ordinary
	// user's deposit taken for the thief's is a false exit, though it
	// reaches a service the thief reached too. MissedExits are the truth's
	// exits (service and asset) the report lacks.
	Flagged        int      `json:"flagged_exits"`
	FlaggedTrue    int      `json:"flagged_true"`
	Precision      float64  `json:"precision"`
	FalseExits     []string `json:"false_exits"`
	MissedExits    []string `json:"missed_exits"`
	ValuePrecision float64  `json:"value_precision"` // Σ min(found, true) / Σ found over flagged exits
	// FreezableShare is the share of the stolen value the trace located
	// where it can be frozen (an exit whose venue can freeze, or a
	// holding in an asset whose issuer can); TruthFreezableShare is the
	// same share in the truth.
	FreezableShare      float64 `json:"freezable_share"`
	TruthFreezableShare float64 `json:"truth_freezable_share"`
	TruthValue          Amount  `json:"truth_value_wei"`
	LocatedValue        Amount  `json:"located_value_wei"`
}

// exitKey is an exit's service address and asset (CAIP-19).
type exitKey struct{ addr, asset string }

// LocationScore is one location of the truth and what the trace found.
type LocationScore struct {
	Location
	Found          Amount `json:"found"`
	FoundFreezable bool   `json:"found_freezable"`
}

// Score scores a trace report. freezableAsset says whether the trace's
// policy names an asset (CAIP-19, as the report writes it) freezable by its
// issuer; frontier holdings carry no such flag of their own.
func (t *Truth) Score(rep *trace.Report, freezableAsset func(caip19 string) bool) Score {
	s := Score{Model: rep.Model, Locations: []LocationScore{}, FalseExits: []string{}, MissedExits: []string{}}
	type key = exitKey
	exits := map[key]*trace.ReportExit{}
	for i := range rep.Exits {
		x := &rep.Exits[i]
		if a, ok := new(big.Int).SetString(x.Amount, 10); ok && a.Sign() > 0 {
			exits[key{x.Address, x.Asset}] = x
		}
	}
	holds := map[key]*big.Int{}
	for _, h := range rep.Frontier {
		a, _ := new(big.Int).SetString(h.Amount, 10)
		if a != nil {
			k := key{h.Address, h.Asset}
			if holds[k] == nil {
				holds[k] = new(big.Int)
			}
			holds[k].Add(holds[k], a)
		}
	}
	fees := new(big.Int)
	for _, f := range append(append([]trace.ReportAmount{}, rep.Fees...), rep.Burns...) {
		if f.Asset == "native" {
			a, _ := new(big.Int).SetString(f.Amount, 10)
			if a != nil {
				fees.Add(fees, a)
			}
		}
	}
	truthExits := map[key]bool{}
	total, located, frozen, truthFrozen := new(big.Int), new(big.Int), new(big.Int), new(big.Int)
	for _, l := range t.Locations {
		as, _ := t.Asset(l.Asset)
		k := key{l.Address, as.CAIP19}
		ls := LocationScore{Location: l}
		switch l.Kind {
		case "exit":
			truthExits[k] = true
			if x := exits[k]; x != nil {
				v, _ := new(big.Int).SetString(x.Amount, 10)
				ls.Found, ls.FoundFreezable = NewAmount(v), x.Freezable
			} else {
				s.MissedExits = append(s.MissedExits, l.Service+" "+l.Address+" "+l.Asset)
			}
		case "holding":
			if v := holds[k]; v != nil {
				ls.Found, ls.FoundFreezable = NewAmount(v), freezableAsset != nil && freezableAsset(as.CAIP19)
			}
		case "fees":
			ls.Found = NewAmount(fees)
		}
		truthV := t.Value(l.Asset, &l.Amount.Int)
		hit := t.Value(l.Asset, minBig(&ls.Found.Int, &l.Amount.Int))
		total.Add(total, truthV)
		located.Add(located, hit)
		if l.Freezable {
			truthFrozen.Add(truthFrozen, truthV)
		}
		if ls.FoundFreezable {
			frozen.Add(frozen, hit)
		}
		s.Locations = append(s.Locations, ls)
	}
	flaggedV, flaggedHit := new(big.Int), new(big.Int)
	keys := make([]key, 0, len(exits))
	for k := range exits {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].addr+keys[i].asset < keys[j].addr+keys[j].asset })
	for _, k := range keys {
		x := exits[k]
		v, _ := new(big.Int).SetString(x.Amount, 10)
		sym := "ETH"
		if as, ok := t.AssetByCAIP(x.Asset); ok {
			sym = as.Symbol
		}
		flaggedV.Add(flaggedV, t.Value(sym, v))
		if truthExits[k] {
			for _, l := range s.Locations {
				if l.Kind == "exit" && l.Address == k.addr && l.Asset == sym {
					flaggedHit.Add(flaggedHit, t.Value(sym, minBig(v, &l.Amount.Int)))
				}
			}
		}
	}
	t.scoreArrivals(rep, exits, &s)
	s.TruthValue, s.LocatedValue = NewAmount(total), NewAmount(located)
	s.Recall = ratio(located, total)
	s.Precision = 1
	if s.Flagged > 0 {
		s.Precision = float64(s.FlaggedTrue) / float64(s.Flagged)
	}
	s.ValuePrecision = ratio(flaggedHit, flaggedV)
	s.FreezableShare = ratio(frozen, total)
	s.TruthFreezableShare = ratio(truthFrozen, total)
	return s
}

// scoreArrivals counts the trace's arrivals at its exits and those the
// truth has (see Score.Flagged).
func (t *Truth) scoreArrivals(rep *trace.Report, exits map[exitKey]*trace.ReportExit, s *Score) {
	type arrival struct{ service, from, at string }
	truth := map[arrival]bool{}
	for _, e := range t.Exits {
		if e.Via != "" {
			truth[arrival{e.Address, e.Via, fmt.Sprintf("block %d", e.SweptBlock)}] = true
		} else {
			truth[arrival{e.Address, e.From, e.Tx}] = true
		}
	}
	for _, f := range rep.Flows {
		x := exits[exitKey{f.To, f.Asset}]
		if a, ok := new(big.Int).SetString(f.Amount, 10); x == nil || !ok || a.Sign() == 0 {
			continue
		}
		s.Flagged++
		if truth[arrival{f.To, f.From, f.Tx}] || truth[arrival{f.To, f.From, fmt.Sprintf("block %d", f.Block)}] {
			s.FlaggedTrue++
		} else {
			s.FalseExits = append(s.FalseExits, fmt.Sprintf("%s %s from %s in %s", x.Service, x.Address, f.From, f.Tx))
		}
	}
}

func minBig(a, b *big.Int) *big.Int {
	if a.Cmp(b) < 0 {
		return a
	}
	return b
}

func ratio(a, b *big.Int) float64 {
	if b.Sign() == 0 {
		return 1
	}
	f, _ := new(big.Rat).SetFrac(a, b).Float64()
	return f
}
