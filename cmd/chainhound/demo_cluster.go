package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/trace"
)

// demoClusters is what Ethereum clustering (deposit-address reuse) says of
// the addresses the trace reached.
type demoClusters struct {
	Sweeps uint64 `json:"deposit_sweeps"` // sweeps of a deposit address found on the whole chain
	Merges uint64 `json:"deposit_merges"` // links of their depositors
	// Entities are the entities of two or more addresses among those the
	// trace reached: wallets an exchange knows as one customer.
	Entities []demoEntity `json:"entities"`
}

// demoEntity is one entity that holds addresses the trace reached.
type demoEntity struct {
	Entity  uint64   `json:"entity"`
	Members uint64   `json:"members"`
	Traced  []string `json:"traced"` // its members the trace reached, sorted
	// Deposits are the exchange deposit addresses the traced members paid
	// stolen funds into (per the trace's flows), sorted.
	Deposits []string `json:"deposits"`
}

// clusters reads the Ethereum clustering the demo built for the addresses
// the trace reached.
func (d *demo) clusters(rep *trace.Report) (*demoClusters, error) {
	st, err := openReadStore(d.data)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	db, err := openClusterReadOf(d.data, chain.Ethereum)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	cl := db.Clusterer()
	res := &demoClusters{Sweeps: cl.Counts.DepositForwards, Merges: cl.Counts.DepositMerges, Entities: []demoEntity{}}
	exchange := map[string]bool{}
	for _, x := range rep.Exits {
		if x.Category == "exchange" {
			exchange[x.Address] = true
		}
	}
	// A deposit address is where the trace went on to an exchange's
	// labelled address.
	deposit := map[string]bool{}
	for _, f := range rep.Flows {
		if exchange[f.To] {
			deposit[f.From] = true
		}
	}
	var reached []string
	paid := map[string][]string{}
	for _, f := range rep.Flows {
		for _, a := range []string{f.From, f.To} {
			if !slices.Contains(reached, a) {
				reached = append(reached, a)
			}
		}
		if deposit[f.To] && !slices.Contains(paid[f.From], f.To) {
			paid[f.From] = append(paid[f.From], f.To)
		}
	}
	slices.Sort(reached)
	byEntity := map[uint64]*demoEntity{}
	var order []uint64
	for _, a := range reached {
		addr, err := chain.ParseEVMAddress(a)
		if err != nil {
			continue // not an account (a trace of this chain has none other)
		}
		id, ok, err := st.AddressID(addr)
		if err != nil {
			return nil, fmt.Errorf("address %s: %w", a, err)
		}
		if !ok {
			continue
		}
		e := cl.EntityOf(id)
		_, n := cl.Members(e, 0, 0)
		if n < 2 {
			continue
		}
		de := byEntity[e]
		if de == nil {
			de = &demoEntity{Entity: e, Members: n, Deposits: []string{}}
			byEntity[e] = de
			order = append(order, e)
		}
		de.Traced = append(de.Traced, a)
		for _, dep := range paid[a] {
			if !slices.Contains(de.Deposits, dep) {
				de.Deposits = append(de.Deposits, dep)
			}
		}
	}
	slices.Sort(order)
	for _, e := range order {
		slices.Sort(byEntity[e].Deposits)
		res.Entities = append(res.Entities, *byEntity[e])
	}
	return res, nil
}

// printClusters says which of the addresses the trace reached clustering
// links, and through which deposit addresses.
func printClusters(w io.Writer, c *demoClusters) {
	fmt.Fprintf(w, "\nClustering (Ethereum deposit-address reuse): %d deposit sweeps found on the chain, %d links of their depositors.\n", c.Sweeps, c.Merges)
	if len(c.Entities) == 0 {
		fmt.Fprintln(w, "None of the addresses the trace reached shares an entity with another address.")
		return
	}
	n := 0
	for _, e := range c.Entities {
		n += len(e.Traced)
	}
	fmt.Fprintf(w, "%d of the addresses the trace reached are %d exchange customers (the wallets that paid one deposit address):\n", n, len(c.Entities))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ENTITY\tMEMBERS\tDEPOSIT ADDRESS\tTRACED WALLETS")
	for _, e := range c.Entities {
		var ws []string
		for _, a := range e.Traced {
			ws = append(ws, short(a))
		}
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\n", e.Entity, e.Members, strings.Join(e.Deposits, " "), strings.Join(ws, " "))
	}
	tw.Flush()
}
