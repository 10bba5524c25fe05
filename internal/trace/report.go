package trace

import (
	"time"

	"github.com/chainhound/chainhound/internal/chain"
)

// Report is a trace's result as written out (JSON, tables, CSV, DOT):
// addresses, assets and chains as CAIP identifiers, amounts as base-unit
// integers in strings, times in RFC 3339.
type Report struct {
	Chain       string           `json:"chain"` // CAIP-2
	Model       string           `json:"model"`
	Direction   string           `json:"direction"`
	Seeds       []ReportSeed     `json:"seeds"`
	Bounds      ReportBounds     `json:"bounds"`
	LatestBlock uint64           `json:"latest_block"`
	Seeded      []ReportAmount   `json:"seeded"`
	Exits       []ReportExit     `json:"exits"`
	Frontier    []ReportHold     `json:"frontier"`
	Stopped     []ReportHold     `json:"stopped"`
	Fees        []ReportAmount   `json:"fees"`
	Burns       []ReportAmount   `json:"burns"`
	Minted      []ReportAmount   `json:"minted"`
	Swaps       []ReportSwap     `json:"swaps"`
	SwappedOut  []ReportAmount   `json:"swapped_out"`
	SwappedIn   []ReportAmount   `json:"swapped_in"`
	CrossChain  []ReportCrossing `json:"cross_chain"`
	Reach       []int            `json:"reach"`
	Flows       []ReportFlow     `json:"flows"`
	Stats       ReportStats      `json:"stats"`
}

// ReportSeed is one seed as given and as resolved.
type ReportSeed struct {
	Seed   string `json:"seed"`
	Kind   string `json:"kind"` // address, output or transaction
	Asset  string `json:"asset,omitempty"`
	Amount string `json:"amount,omitempty"` // "" for an Amount-less seed
	Block  uint64 `json:"from_block"`
}

// ReportBounds are the trace's bounds.
type ReportBounds struct {
	MaxHops    int      `json:"max_hops"`
	UntilBlock *uint64  `json:"until_block,omitempty"`
	MinAmount  string   `json:"min_amount"`
	StopAt     []string `json:"stop_at"`
}

// ReportAmount is a total in one asset.
type ReportAmount struct {
	Asset  string `json:"asset"`
	Amount string `json:"amount"`
}

// ReportExit is one exit: a service taint reached.
type ReportExit struct {
	Service    string `json:"service"`
	Actor      string `json:"actor,omitempty"`
	Category   string `json:"category"`
	Source     string `json:"source,omitempty"`
	Address    string `json:"address"`
	Account    string `json:"account"` // CAIP-10
	Asset      string `json:"asset"`
	Amount     string `json:"amount"`
	FirstBlock uint64 `json:"first_block"`
	FirstTime  string `json:"first_time"`
	FirstTx    string `json:"first_tx"`
	Hop        int    `json:"hop"`
	Stopped    bool   `json:"stopped"`
	// Followed, at a stopped exit, is the part of amount the trace
	// followed on all the same (paid in a swap, or arriving after a seed
	// named the service); omitted where none was. An exit not stopped was
	// followed in full.
	Followed    string   `json:"followed,omitempty"`
	Freezable   bool     `json:"freezable"`
	FreezableBy []string `json:"freezable_by"`
	Remaining   string   `json:"remaining"`
}

// ReportHold is taint at rest at an address.
type ReportHold struct {
	Address string `json:"address"`
	Asset   string `json:"asset"`
	Amount  string `json:"amount"`
	Hop     int    `json:"hop"`
	Bound   string `json:"bound,omitempty"`
	// FreezableBy names the issuer that can freeze the asset wherever it
	// sits (the policy's freezable_assets), if any.
	FreezableBy string `json:"freezable_by,omitempty"`
}

// ReportFlow is one movement of taint.
type ReportFlow struct {
	Hop    int    `json:"hop"`
	Block  uint64 `json:"block"`
	Time   string `json:"time"`
	Tx     string `json:"tx"`
	Seq    uint32 `json:"seq"`
	From   string `json:"from"`
	To     string `json:"to"`
	Asset  string `json:"asset"`
	Kind   string `json:"kind"`
	Amount string `json:"amount"`
	Swap   bool   `json:"swap,omitempty"` // a swap's payment: the taint went on in the bought asset
}

// ReportCrossing is taint leaving through a bridge deposit, where the
// bridge paid it out, and the trace continued from the payout.
type ReportCrossing struct {
	Protocol      string  `json:"protocol"`
	DepositTx     string  `json:"deposit_tx"`
	Vault         string  `json:"vault"`
	DepositAsset  string  `json:"deposit_asset"`
	DepositAmount string  `json:"deposit_amount"`
	Tainted       string  `json:"tainted"`
	Memo          string  `json:"memo"`
	DestChain     string  `json:"dest_chain"` // CAIP-2, or THORChain's chain name when not indexed
	DestAddress   string  `json:"dest_address,omitempty"`
	PayoutTx      string  `json:"payout_tx,omitempty"`
	PayoutIndex   uint32  `json:"payout_index"`
	PayoutAsset   string  `json:"payout_asset,omitempty"`
	PayoutAmount  string  `json:"payout_amount,omitempty"`
	Seed          string  `json:"seed"` // the payout's tainted share, where the trace continues
	Confidence    float64 `json:"confidence"`
	Why           string  `json:"why"`
	Trace         *Report `json:"trace,omitempty"`
}

// ReportSwap is a tainted payment converted into another asset.
type ReportSwap struct {
	Address      string `json:"address"`
	Venue        string `json:"venue"`
	Block        uint64 `json:"block"`
	Tx           string `json:"tx"`
	Sold         string `json:"sold"`
	SoldAmount   string `json:"sold_amount"`
	SoldTaint    string `json:"sold_taint"`
	Bought       string `json:"bought"`
	BoughtAmount string `json:"bought_amount"`
}

// ReportStats say how big the trace was and how long it took.
type ReportStats struct {
	Flows     int     `json:"flows"`
	Addresses int     `json:"addresses"`
	Exits     int     `json:"exits"`
	Seconds   float64 `json:"seconds"`
}

// NewReport renders r. blockTime gives a block's time (0 if unknown).
func NewReport(c chain.Chain, caip2 string, m Model, direction string, seeds []ReportSeed, b Bounds, stopAt []string,
	latest uint64, r *Result, blockTime func(uint64) int64, took time.Duration) Report {
	rep := Report{
		Chain: caip2, Model: m.String(), Direction: direction, Seeds: seeds, LatestBlock: latest,
		Bounds: ReportBounds{MaxHops: b.MaxHops, MinAmount: b.MinAmount.Dec(), StopAt: stopAt},
		Reach:  r.Reach,
		Stats:  ReportStats{Flows: len(r.Flows), Exits: len(r.Exits), Seconds: took.Seconds()},
	}
	if rep.Bounds.StopAt == nil {
		rep.Bounds.StopAt = []string{}
	}
	if b.HasUntil {
		u := b.Until
		rep.Bounds.UntilBlock = &u
	}
	for _, n := range r.Reach {
		rep.Stats.Addresses += n
	}
	if rep.Reach == nil {
		rep.Reach = []int{}
	}
	times := map[uint64]string{}
	at := func(h uint64) string {
		s, ok := times[h]
		if !ok {
			if t := blockTime(h); t != 0 {
				s = time.Unix(t, 0).UTC().Format(time.RFC3339)
			}
			times[h] = s
		}
		return s
	}
	amounts := func(as []AssetAmount) []ReportAmount {
		out := []ReportAmount{}
		for _, a := range as {
			out = append(out, ReportAmount{a.Asset.CAIP19(caip2), a.Amount.Dec()})
		}
		return out
	}
	holds := func(hs []Holding) []ReportHold {
		out := []ReportHold{}
		for _, h := range hs {
			rh := ReportHold{Address: h.Address.String(), Asset: h.Asset.CAIP19(caip2), Amount: h.Amount.Dec(), Hop: h.Hop}
			if h.Stop != 0 {
				rh.Bound = h.Stop.String()
			}
			if b.Exits != nil && b.Exits.Freezable != nil {
				rh.FreezableBy, _ = b.Exits.Freezable(h.Asset)
			}
			out = append(out, rh)
		}
		return out
	}
	rep.Seeded, rep.Fees, rep.Burns, rep.Minted = amounts(r.Seeded), amounts(r.Fees), amounts(r.Burns), amounts(r.Minted)
	rep.SwappedOut, rep.SwappedIn = amounts(r.SwappedOut), amounts(r.SwappedIn)
	rep.Swaps = []ReportSwap{}
	for _, w := range r.Swaps {
		rep.Swaps = append(rep.Swaps, ReportSwap{Address: w.Address.String(), Venue: w.Venue.String(), Block: w.Block, Tx: c.FormatHash(w.Tx),
			Sold: w.Sold.CAIP19(caip2), SoldAmount: w.SoldAmount.Dec(), SoldTaint: w.SoldTaint.Dec(), Bought: w.Bought.CAIP19(caip2), BoughtAmount: w.BoughtAmount.Dec()})
	}
	rep.Frontier, rep.Stopped = holds(r.Frontier), holds(r.Stopped)
	rep.Exits, rep.CrossChain = []ReportExit{}, []ReportCrossing{}
	for _, e := range r.Exits {
		x := ReportExit{
			Service: e.Service.Name, Actor: e.Service.Actor, Category: e.Service.Category, Source: e.Service.Source,
			Address: e.Address.String(), Account: e.Address.CAIP10(caip2), Asset: e.Asset.CAIP19(caip2),
			Amount: e.Amount.Dec(), FirstBlock: e.Block, FirstTime: at(e.Block), FirstTx: c.FormatHash(e.Tx),
			Hop: e.Hop, Stopped: e.Stopped, Freezable: e.Freezable(), FreezableBy: []string{}, Remaining: e.Remaining.Dec(),
		}
		if e.Stopped && !e.Followed.IsZero() {
			x.Followed = e.Followed.Dec()
		}
		if e.Service.CanFreeze {
			x.FreezableBy = append(x.FreezableBy, "venue: "+e.Service.Name)
		}
		if e.Issuer != "" {
			x.FreezableBy = append(x.FreezableBy, "issuer: "+e.Issuer)
		}
		rep.Exits = append(rep.Exits, x)
	}
	rep.Flows = make([]ReportFlow, 0, len(r.Flows))
	for _, f := range r.Flows {
		rep.Flows = append(rep.Flows, ReportFlow{
			Hop: f.Hop, Block: f.Block, Time: at(f.Block), Tx: c.FormatHash(f.Tx), Seq: f.Seq,
			From: f.From.String(), To: f.To.String(), Asset: f.Asset.CAIP19(caip2), Kind: f.Kind.String(), Amount: f.Amount.Dec(), Swap: f.Swap,
		})
	}
	return rep
}
