package main

import (
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"sort"
	"strings"

	"github.com/chainhound/chainhound/internal/cases"
	"github.com/chainhound/chainhound/internal/trace"
)

// demoCaseMaxNodes bounds the case the demo saves: the workspace draws a
// trace of that many addresses comfortably.
const demoCaseMaxNodes = 1500

// saveTraceCase stores the trace report at tracePath as a workspace case
// under data and returns its id, so the URL the demo prints opens the
// workspace on the trace it printed: its tainted flows laid out by hop,
// its exits marked, the freezable ones apart.
func saveTraceCase(data, tracePath, name string) (string, error) {
	b, err := os.ReadFile(tracePath)
	if err != nil {
		return "", err
	}
	var rep trace.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return "", fmt.Errorf("%s: %w", tracePath, err)
	}
	c := traceCase(&rep, name)
	saved, err := cases.Open(casesDir(data)).Create(c)
	if err != nil {
		return "", err
	}
	return saved.ID, nil
}

// traceCase lays a trace report out as a case, as the workspace's trace
// overlay does: one column per hop, a tall column wrapped into several.
func traceCase(rep *trace.Report, name string) *cases.Case {
	acct := func(a string) string {
		if strings.Count(a, ":") >= 2 {
			return a
		}
		return rep.Chain + ":" + a
	}
	type key struct{ from, to, asset string }
	taint := map[key]*big.Int{}
	count := map[key]int{}
	var order []key
	hop := map[string]int{}
	recv := map[string]*big.Int{}
	var ids []string
	see := func(id string, h int) {
		old, ok := hop[id]
		if !ok {
			ids = append(ids, id)
		}
		if !ok || h < old {
			hop[id] = h
		}
	}
	drawn := 0
	for _, f := range rep.Flows {
		// Fees and burns go to the block's fee recipient or nowhere, not
		// to a counterparty: as the workspace's overlay, leave them off.
		if f.Kind == "fee" || f.Kind == "burn" || f.To == "" {
			continue
		}
		drawn++
		a, b := acct(f.From), acct(f.To)
		if _, ok := hop[a]; !ok {
			see(a, f.Hop-1)
		}
		see(b, f.Hop)
		k := key{a, b, f.Asset}
		v, ok := new(big.Int).SetString(f.Amount, 10)
		if !ok {
			continue
		}
		if taint[k] == nil {
			taint[k] = new(big.Int)
			order = append(order, k)
		}
		taint[k].Add(taint[k], v)
		count[k]++
		if recv[b] == nil {
			recv[b] = new(big.Int)
		}
		recv[b].Add(recv[b], v)
	}
	if len(ids) > demoCaseMaxNodes {
		ids = ids[:demoCaseMaxNodes]
	}
	c := &cases.Case{Version: cases.Version, Name: name, View: cases.View{Zoom: 1},
		Notes: fmt.Sprintf("%s trace (%s) from %s: %d tainted flows over %d addresses.", rep.Model, rep.Direction, seedList(rep), drawn, len(hop))}
	exits := map[string]trace.ReportExit{}
	for _, x := range rep.Exits {
		if prev, ok := exits[x.Account]; !ok || !prev.Freezable {
			exits[x.Account] = x // freezable if any of its exits (assets) is
		}
		c.Exits = append(c.Exits, cases.Exit{Account: x.Account, Service: x.Service, Category: x.Category, Asset: x.Asset,
			Amount: x.Amount, Freezable: x.Freezable, FreezableBy: x.FreezableBy})
	}
	cols := map[int][]string{}
	for _, id := range ids {
		cols[hop[id]] = append(cols[hop[id]], id)
	}
	hops := make([]int, 0, len(cols))
	for h := range cols {
		hops = append(hops, h)
	}
	sort.Ints(hops)
	x0 := 0.0
	for _, h := range hops {
		col := cols[h]
		sort.SliceStable(col, func(i, j int) bool {
			a, b := recv[col[i]], recv[col[j]]
			if a == nil || b == nil {
				return a != nil
			}
			if d := a.Cmp(b); d != 0 {
				return d > 0
			}
			return col[i] < col[j]
		})
		rows := max(12, isqrtCeil(2*len(col)))
		for i, id := range col {
			r, sub := i%rows, i/rows
			in := min(rows, len(col)-sub*rows)
			n := cases.Node{ID: id, Kind: "address", X: x0 + float64(sub*150), Y: float64(r)*40 - float64(in-1)*20}
			if v := recv[id]; v != nil {
				n.Tainted = v.String()
			}
			if x, ok := exits[id]; ok {
				n.Label, n.Category, n.Exit = x.Service, x.Category, "exit"
				if x.Freezable {
					n.Exit = "freezable"
				}
			}
			c.Nodes = append(c.Nodes, n)
		}
		x0 += float64((len(col)+rows-1)/rows-1)*150 + 280
	}
	c.View = fitView(c.Nodes, 980, 600)
	kept := map[string]bool{}
	for _, n := range c.Nodes {
		kept[n.ID] = true
	}
	for _, k := range order {
		if kept[k.from] && kept[k.to] {
			v := taint[k].String()
			c.Edges = append(c.Edges, cases.Edge{From: k.from, To: k.to, Asset: k.asset, Amount: v, Taint: v, Count: count[k]})
		}
	}
	return c
}

// fitView centres the nodes in a canvas of w by h pixels, as the
// workspace's Fit does.
func fitView(nodes []cases.Node, w, h float64) cases.View {
	if len(nodes) == 0 {
		return cases.View{Zoom: 1}
	}
	x0, y0, x1, y1 := nodes[0].X, nodes[0].Y, nodes[0].X, nodes[0].Y
	for _, n := range nodes {
		x0, y0, x1, y1 = min(x0, n.X), min(y0, n.Y), max(x1, n.X), max(y1, n.Y)
	}
	zoom := min(2, w/(x1-x0+160), h/(y1-y0+160))
	return cases.View{X: (x0 + x1) / 2, Y: (y0 + y1) / 2, Zoom: float64(int(zoom*1000)) / 1000}
}

func isqrtCeil(n int) int {
	r := 0
	for r*r < n {
		r++
	}
	return r
}

func seedList(rep *trace.Report) string {
	var s []string
	for _, sd := range rep.Seeds {
		s = append(s, sd.Seed)
	}
	if len(s) > 3 {
		return strings.Join(s[:3], ", ") + fmt.Sprintf(" and %d more", len(s)-3)
	}
	return strings.Join(s, ", ")
}
