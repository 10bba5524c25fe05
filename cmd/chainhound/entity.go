package main

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/cluster"
	"github.com/chainhound/chainhound/internal/intel"
	"github.com/chainhound/chainhound/internal/ledger"
	"github.com/chainhound/chainhound/internal/store"
)

type entityTagOut struct {
	Address    string `json:"address"`
	Label      string `json:"label"`
	Category   string `json:"category,omitempty"`
	Source     string `json:"source,omitempty"`
	Confidence string `json:"confidence,omitempty"`
	Inherited  bool   `json:"inherited"` // the tag is on another member than the address asked about
	Defining   bool   `json:"cluster_defining"`
}

type entityMemberOut struct {
	ID      uint64 `json:"id"`
	Address string `json:"address"`
}

type entityOut struct {
	Entity     uint64            `json:"entity"`
	Chain      string            `json:"chain,omitempty"` // CAIP-2 of the clustered chain
	Query      string            `json:"query"`
	Members    uint64            `json:"members"`
	Summarized uint64            `json:"members_summarized"` // first/last seen, totals and tags cover this many members
	FirstSeen  *seenJSON         `json:"first_seen,omitempty"`
	LastSeen   *seenJSON         `json:"last_seen,omitempty"`
	Received   string            `json:"total_received"` // in unit, summed over members (transfers between members count too)
	Sent       string            `json:"total_sent"`
	Unit       string            `json:"unit"`            // sat or wei
	Label      string            `json:"label,omitempty"` // the one name its cluster-defining tags give it
	Labels     []cluster.Label   `json:"labels"`          // every such name, over all members
	Conflict   bool              `json:"label_conflict"`  // two or more names: reported, not resolved
	Tags       []entityTagOut    `json:"tags"`
	Listing    []entityMemberOut `json:"member_listing"`
	NextAfter  uint64            `json:"next_after,omitempty"` // pass as --after for the next page
}

func entityCommand() command {
	c := command{
		name:    "entity",
		summary: "show the entity of an address or an entity id (Bitcoin: co-spend and change; Ethereum: deposit reuse): members, label and conflicts, tags (inherited or not), first/last seen, totals",
		usage:   "ADDR|ID [--chain btc|eth] [--output table|json] [--limit N] [--after ID] [--summarize N]",
		example: "chainhound entity 1HxbaBMF2jXBVnagoHvaA6rLxmaYL8gb8T --output json\nchainhound entity 1234 --limit 50 --after 98765\nchainhound entity 0x28C6c06298d514Db089934071355E5743bf21d60",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		output := fs.String("output", "table", "table or json")
		limit := fs.Int("limit", 100, "members to list")
		after := fs.Uint64("after", 0, "list members with an id above this (paging: the previous page's next_after)")
		summarize := fs.Int("summarize", 10000, "members whose transfers and tags are read for first/last seen, totals and tags")
		chainName := fs.String("chain", "", "btc or eth (default: eth for a 0x address, else btc)")
		pos, err := parse(fs, args)
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return usagef("want exactly one address or entity id, got %d arguments", len(pos))
		}
		if err := checkOutput(*output, "table", "json"); err != nil {
			return err
		}
		if *limit < 0 || *summarize < 0 {
			return usagef("--limit and --summarize must not be negative")
		}
		st, err := openReadStore(*data)
		if err != nil {
			return err
		}
		defer st.Close()
		cc := chain.Bitcoin
		if strings.HasPrefix(pos[0], "0x") {
			cc = chain.Ethereum
		}
		if *chainName != "" {
			if cc, err = parseClusterChain(*chainName); err != nil {
				return err
			}
		}
		db, err := openClusterReadOf(*data, cc)
		if err != nil {
			return err
		}
		defer db.Close()
		var tags *intel.Store
		if _, err := os.Stat(intelDir(*data)); err == nil {
			if tags, err = openIntel(*data, true); err != nil {
				return err
			}
			defer tags.Close()
		}
		out, err := describeEntity(st, db, tags, pos[0], *limit, *after, *summarize)
		if err != nil {
			return err
		}

		if *output == "json" {
			return writeJSON(e, out)
		}
		return printEntity(e, out)
	}
	return c
}

// resolveEntity reads ADDR|ID: digits only is an address id (its entity
// is shown), anything else an address of chain c.
func resolveEntity(st *store.DB, cl *cluster.Clusterer, c chain.Chain, q string) (entity, asked uint64, err error) {
	if n, perr := strconv.ParseUint(q, 10, 64); perr == nil && len(q) < 20 {
		if _, err := st.Address(n); err != nil || n == 0 {
			return 0, 0, fmt.Errorf("entity %s: no such address id in the store", q)
		}
		return cl.EntityOf(n), 0, nil
	}
	a := chain.Address{Chain: c, Raw: q}
	if c == chain.Ethereum {
		if a, err = chain.ParseEVMAddress(q); err != nil {
			return 0, 0, fmt.Errorf("address %s: %w", q, err)
		}
	}
	id, ok, err := st.AddressID(a)
	if err != nil {
		return 0, 0, err
	}
	if !ok {
		return 0, 0, fmt.Errorf("address %s: not in the store (never seen on %s)", q, c)
	}
	return cl.EntityOf(id), id, nil
}

// describeEntity is what `chainhound entity` and GET /v1/entities/{id}
// show; tags, if not nil, is the attribution store the members' tags come
// from.
func describeEntity(st *store.DB, db *cluster.DB, tags *intel.Store, q string, limit int, after uint64, summarize int) (entityOut, error) {
	cl := db.Clusterer()
	ent, asked, err := resolveEntity(st, cl, db.Chain(), q)
	if err != nil {
		return entityOut{}, err
	}
	out := entityOut{Entity: ent, Query: q, Tags: []entityTagOut{}, Listing: []entityMemberOut{}, Labels: []cluster.Label{}, Unit: "sat"}
	if db.Chain() == chain.Ethereum {
		out.Unit = "wei"
	}
	ids, total := cl.Members(ent, after, limit)
	out.Members = total
	for _, id := range ids {
		out.Listing = append(out.Listing, entityMemberOut{id, storeAddress(st, id)})
	}
	if uint64(len(ids)) == uint64(limit) && limit > 0 {
		if rest, _ := cl.Members(ent, ids[len(ids)-1], 1); len(rest) > 0 {
			out.NextAfter = ids[len(ids)-1]
		}
	}
	sum, _ := cl.Members(ent, 0, summarize)
	out.Summarized = uint64(len(sum))
	caip2 := ""
	if net, ok, _ := st.Network(db.Chain()); ok {
		caip2 = net.CAIP2
	}
	out.Chain = caip2
	recv, sent := new(big.Int), new(big.Int)
	for _, id := range sum {
		a, err := st.Address(id)
		if err != nil {
			return out, err
		}
		acc, err := ledger.Summarize(st, a)
		if err != nil {
			return out, err
		}
		if acc.Found {
			if out.FirstSeen == nil || acc.First.Block < out.FirstSeen.Block {
				out.FirstSeen = &seenJSON{acc.First.Block, isoTime(acc.First.Time)}
			}
			if out.LastSeen == nil || acc.Last.Block > out.LastSeen.Block {
				out.LastSeen = &seenJSON{acc.Last.Block, isoTime(acc.Last.Time)}
			}
		}
		for _, b := range acc.Balances {
			if b.Asset == chain.NativeAsset {
				recv.Add(recv, b.Received)
				sent.Add(sent, b.Sent)
			}
		}
		if tags == nil || caip2 == "" {
			continue
		}
		ts, err := tags.Tags(intel.Account(caip2, a.String()), false)
		if err != nil {
			return out, err
		}
		for _, t := range ts {
			out.Tags = append(out.Tags, entityTagOut{Address: a.String(), Label: t.Label, Category: t.Category, Source: t.Origin,
				Confidence: string(t.Confidence), Inherited: id != asked, Defining: clusterDefining(&t)})
		}
	}
	out.Received, out.Sent = recv.String(), sent.String()
	labels, err := entityLabels(tags, st, db.Chain(), cl)
	if err != nil {
		return out, err
	}
	out.Labels = labels[out.Entity]
	if out.Labels == nil {
		out.Labels = []cluster.Label{}
	}
	out.Conflict = len(out.Labels) > 1
	if len(out.Labels) == 1 {
		out.Label = out.Labels[0].Name
	}
	return out, nil
}

func printEntity(e *env, out entityOut) error {
	fmt.Fprintf(e.stdout, "entity        %d (%s)\nmembers       %d\n", out.Entity, out.Query, out.Members)
	if out.FirstSeen != nil {
		fmt.Fprintf(e.stdout, "first seen    block %d  %s\nlast seen     block %d  %s\n", out.FirstSeen.Block, out.FirstSeen.Time, out.LastSeen.Block, out.LastSeen.Time)
	}
	fmt.Fprintf(e.stdout, "received      %s %s\nsent          %s %s\n", out.Received, out.Unit, out.Sent, out.Unit)
	switch {
	case out.Conflict:
		fmt.Fprintln(e.stdout, "label         CONFLICT: its cluster-defining tags name it")
		for _, l := range out.Labels {
			fmt.Fprintf(e.stdout, "                %s (%s)\n", l.Name, strings.Join(l.Addresses, ", "))
		}
	case out.Label != "":
		fmt.Fprintf(e.stdout, "label         %s\n", out.Label)
	}
	if out.Summarized < out.Members {
		fmt.Fprintf(e.stdout, "(seen, totals and tags over the first %d members; raise --summarize for all)\n", out.Summarized)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	if len(out.Tags) > 0 {
		fmt.Fprintln(tw, "\nTAG\tCATEGORY\tADDRESS\tINHERITED\tDEFINING\tSOURCE")
		for _, t := range out.Tags {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%v\t%s\n", t.Label, t.Category, t.Address, t.Inherited, t.Defining, t.Source)
		}
	}
	fmt.Fprintln(tw, "\nID\tMEMBER")
	for _, m := range out.Listing {
		fmt.Fprintf(tw, "%d\t%s\n", m.ID, m.Address)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if out.NextAfter != 0 {
		fmt.Fprintf(e.stdout, "more: --after %d\n", out.NextAfter)
	}
	return nil
}
