package heist

import (
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
	// Flagged exits are the report's exits (service and asset) with a
	// non-zero amount; Precision is the share of them that are true exits.
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
	type key struct{ addr, asset string }
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
		s.Flagged++
		v, _ := new(big.Int).SetString(x.Amount, 10)
		sym := "ETH"
		if as, ok := t.AssetByCAIP(x.Asset); ok {
			sym = as.Symbol
		}
		flaggedV.Add(flaggedV, t.Value(sym, v))
		if truthExits[k] {
			s.FlaggedTrue++
			for _, l := range s.Locations {
				if l.Kind == "exit" && l.Address == k.addr && l.Asset == sym {
					flaggedHit.Add(flaggedHit, t.Value(sym, minBig(v, &l.Amount.Int)))
				}
			}
		} else {
			s.FalseExits = append(s.FalseExits, x.Service+" "+x.Address+" "+x.Asset)
		}
	}
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
