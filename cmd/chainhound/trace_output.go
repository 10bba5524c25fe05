package main

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/chainhound/chainhound/internal/trace"
	"github.com/holiman/uint256"
)

func writeTrace(e *env, format string, rep *trace.Report) error {
	switch format {
	case "json":
		return writeJSON(e, rep)
	case "csv":
		return writeTraceCSV(e, rep)
	case "dot":
		return writeTraceDOT(e, rep)
	}
	return printTrace(e, rep)
}

// traceFlowColumns are the CSV columns of --output csv: one row per flow.
var traceFlowColumns = []string{"hop", "block", "time", "tx", "seq", "from", "to", "asset", "kind", "amount"}

func writeTraceCSV(e *env, rep *trace.Report) error {
	w := csv.NewWriter(e.stdout)
	w.Write(traceFlowColumns)
	for _, f := range rep.Flows {
		w.Write([]string{strconv.Itoa(f.Hop), strconv.FormatUint(f.Block, 10), f.Time, f.Tx, strconv.FormatUint(uint64(f.Seq), 10),
			f.From, f.To, f.Asset, f.Kind, f.Amount})
	}
	w.Flush()
	return w.Error()
}

// writeTraceDOT writes the flows as a Graphviz digraph: one edge per
// sender, recipient and asset with the summed taint; seeds are boxes,
// exits are filled (red where they can freeze), fees and burns are sinks.
func writeTraceDOT(e *env, rep *trace.Report) error {
	bw := bufio.NewWriter(e.stdout)
	type edge struct{ from, to, asset string }
	sums := map[edge]*uint256.Int{}
	var order []edge
	for _, f := range rep.Flows {
		to := f.To
		if to == "" {
			to = f.Kind
		}
		k := edge{f.From, to, f.Asset}
		if sums[k] == nil {
			sums[k] = new(uint256.Int)
			order = append(order, k)
		}
		v, _ := uint256.FromDecimal(f.Amount)
		sums[k].Add(sums[k], v)
	}
	fmt.Fprintf(bw, "digraph trace {\n  rankdir=LR;\n  node [shape=ellipse, fontsize=10];\n  label=%q;\n", fmt.Sprintf("%s %s trace, %s", rep.Chain, rep.Model, rep.Direction))
	seeds := map[string]bool{}
	for _, s := range rep.Seeds {
		addr, _, _ := strings.Cut(s.Seed, " → ")
		seeds[addr] = true
	}
	for _, f := range rep.Flows {
		if f.Hop == 1 {
			seeds[f.From] = true
		}
	}
	names := make([]string, 0, len(seeds))
	for s := range seeds {
		names = append(names, s)
	}
	sort.Strings(names)
	for _, s := range names {
		fmt.Fprintf(bw, "  %q [shape=box, style=bold];\n", s)
	}
	for _, x := range rep.Exits {
		color := "orange"
		if x.Freezable {
			color = "tomato"
		}
		fmt.Fprintf(bw, "  %q [style=filled, fillcolor=%s, label=%q];\n", x.Address, color, x.Service+"\n"+x.Category+"\n"+x.Address)
	}
	for _, k := range order {
		fmt.Fprintf(bw, "  %q -> %q [label=%q];\n", k.from, k.to, sums[k].Dec()+" "+shortAsset(k.asset))
	}
	fmt.Fprintln(bw, "}")
	return bw.Flush()
}

func shortAsset(a string) string {
	if i := strings.LastIndex(a, ":"); i >= 0 && a != "native" {
		return a[i+1:]
	}
	return a
}

func printTrace(e *env, rep *trace.Report) error {
	w := e.stdout
	fmt.Fprintf(w, "%s trace on %s, model %s, max hops %d, latest block %d: %d flows, %d addresses, %d exits in %.2fs\n",
		rep.Direction, rep.Chain, rep.Model, rep.Bounds.MaxHops, rep.LatestBlock, rep.Stats.Flows, rep.Stats.Addresses, rep.Stats.Exits, rep.Stats.Seconds)
	for _, s := range rep.Seeded {
		fmt.Fprintf(w, "seeded        %s %s\n", s.Amount, s.Asset)
	}
	fmt.Fprintf(w, "reach by hop  %v\n", rep.Reach)
	for _, s := range rep.Fees {
		fmt.Fprintf(w, "fees          %s %s\n", s.Amount, s.Asset)
	}
	for _, s := range rep.Burns {
		fmt.Fprintf(w, "burned        %s %s\n", s.Amount, s.Asset)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(rep.Exits) == 0 {
		fmt.Fprintln(tw, "EXITS\tnone reached (import attribution with chainhound intel import, or raise --max-hops)")
	} else {
		fmt.Fprintln(tw, "EXIT\tCATEGORY\tADDRESS\tASSET\tTAINTED\tREMAINING\tFIRST BLOCK\tFIRST TIME\tHOP\tFREEZE\tSTOPPED")
		for _, x := range rep.Exits {
			freeze := "-"
			if x.Freezable {
				freeze = strings.Join(x.FreezableBy, "; ")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%d\t%s\t%v\n", orDash(x.Service), x.Category, x.Address, x.Asset, x.Amount, x.Remaining,
				x.FirstBlock, orDash(x.FirstTime), x.Hop, freeze, x.Stopped)
		}
	}
	tw.Flush()
	fmt.Fprintln(w)
	if len(rep.CrossChain) > 0 {
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "BRIDGE\tDEPOSIT TX\tTAINTED\tMEMO\tPAID ON\tPAYOUT\tSEEDED THERE\tCONFIDENCE\tEXITS THERE")
		for _, x := range rep.CrossChain {
			payout, exits := "-", "-"
			if x.PayoutTx != "" {
				payout = fmt.Sprintf("%s:%d → %s", x.PayoutTx, x.PayoutIndex, x.PayoutAmount)
			}
			if x.Trace != nil {
				exits = fmt.Sprint(len(x.Trace.Exits))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s %s\t%s\t%s\t%s\t%s\t%.2f\t%s\n", x.Protocol, x.DepositTx, x.Tainted, x.DepositAsset, x.Memo, orDash(x.DestChain), payout, x.Seed, x.Confidence, exits)
		}
		tw.Flush()
		fmt.Fprintln(w)
	}
	hs := append([]trace.ReportHold{}, rep.Frontier...)
	sort.SliceStable(hs, func(i, j int) bool {
		a, _ := uint256.FromDecimal(hs[i].Amount)
		b, _ := uint256.FromDecimal(hs[j].Amount)
		return a.Gt(b)
	})
	const top = 20
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "FRONTIER (%d holdings, largest %d)\tASSET\tTAINTED\tHOP\n", len(hs), min(top, len(hs)))
	for _, h := range hs[:min(top, len(hs))] {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", h.Address, h.Asset, h.Amount, h.Hop)
	}
	if len(rep.Stopped) > 0 {
		fmt.Fprintf(tw, "\nSTOPPED BY A BOUND (%d)\tASSET\tTAINTED\tHOP\tBOUND\n", len(rep.Stopped))
		for _, h := range rep.Stopped[:min(top, len(rep.Stopped))] {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", h.Address, h.Asset, h.Amount, h.Hop, h.Bound)
		}
	}
	return tw.Flush()
}
