package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/intel"
	"github.com/chainhound/chainhound/internal/store"
	"github.com/chainhound/chainhound/internal/trace"
)

func pathCommand() command {
	c := command{
		name:    "path",
		summary: "the paths that carried the most value from one address to another",
		usage:   "FROM TO [--max-hops N] [--model haircut|fifo|poison|tiho] [--top K] [--output table|json]",
		example: "chainhound path 0x47666fab8bd0ac7003bce3f5c3585383f09486e2 0x21032176b43d9f7e9410fb37290a78f4fed6044c --max-hops 3",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		maxHops := fs.Int("max-hops", 4, "longest path, in hops (1 to 12)")
		model := fs.String("model", "haircut", "taint model deciding how much of FROM's value each transfer carried")
		top := fs.Int("top", 5, "how many paths to list")
		stopAt := fs.String("stop-at", "", "exit categories paths do not pass through (default: the policy's stop_at; \"none\" passes through all)")
		output := fs.String("output", "table", "table or json")
		pos, err := parse(fs, args)
		if err != nil {
			return err
		}
		if len(pos) != 2 {
			return usagef("want FROM and TO addresses, got %d arguments", len(pos))
		}
		if *maxHops < 1 || *maxHops > 12 {
			return usagef("--max-hops %d: want 1 to 12", *maxHops)
		}
		if *top < 1 {
			return usagef("--top %d: want 1 or more", *top)
		}
		if err := checkOutput(*output, "table", "json"); err != nil {
			return err
		}
		m, err := trace.ParseModel(*model)
		if err != nil {
			return usageError{err.Error()}
		}
		policy := trace.DefaultPolicy()
		stops := policy.StopAt
		if *stopAt != "" {
			if stops, err = parseStopAt(*stopAt); err != nil {
				return err
			}
		}
		st, ix, err := openTraceStores(e, *data)
		if err != nil {
			return err
		}
		defer st.Close()
		out, err := runPath(e, st, ix, policy, pos[0], pos[1], *maxHops, *top, m, stops)
		if err != nil {
			return err
		}
		if *output == "json" {
			return writeJSON(e, out)
		}
		if len(out.Paths) == 0 {
			fmt.Fprintf(e.stdout, "no path from %s to %s within %d hops under %s\n", out.From, out.To, *maxHops, m)
			return nil
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PATH\tVALUE\tHOP\tFROM\tTO\tAMOUNT\tASSET\tBLOCK\tTX")
		for i, p := range out.Paths {
			for j, h := range p.Hops {
				rank, value := "", ""
				if j == 0 {
					rank, value = fmt.Sprint(i+1), p.Value
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%d\t%s\n", rank, value, j+1, h.From, h.To, h.Amount, h.Asset, h.Block, h.Tx)
			}
		}
		return tw.Flush()
	}
	return c
}

// runPath finds the widest paths from one address to another: the one
// code path of `chainhound path` and GET /v1/path.
func runPath(e *env, st *store.DB, ix *intel.Index, policy trace.Policy, fromArg, toArg string, maxHops, top int, m trace.Model, stops []string) (pathsOut, error) {
	for _, a := range []string{fromArg, toArg} {
		if reHash.MatchString(a) || reOutpoint.MatchString(a) {
			return pathsOut{}, usagef("%q is a transaction: path takes two addresses", a)
		}
	}
	tr := &tracer{st: st, e: e, specs: []seedSpec{{text: fromArg, where: "FROM"}}}
	if err := tr.resolveChain(); err != nil {
		return pathsOut{}, err
	}
	if c2, _ := seedChain(toArg); c2 != tr.c {
		return pathsOut{}, usagef("FROM is on %s, TO on %s: a path stays on one chain", tr.c, c2)
	}
	to, err := chain.ParseAddress(tr.c, toArg)
	if err != nil {
		return pathsOut{}, usageError{fmt.Sprintf("TO: %v", err)}
	}
	from, err := chain.ParseAddress(tr.c, fromArg)
	if err != nil {
		return pathsOut{}, usageError{fmt.Sprintf("FROM: %v", err)}
	}
	b := trace.Bounds{MaxHops: maxHops}
	if b.Exits, err = tr.exits(ix, policy, stops); err != nil {
		return pathsOut{}, err
	}
	res, _, err := tr.run(m, "forward", b)
	if err != nil {
		return pathsOut{}, err
	}
	paths, complete := trace.Paths(res, from, to, top)
	if !complete {
		e.log.Warn("the path search stopped at its step limit: the paths listed are the widest found, not necessarily the widest there are")
	}
	out := pathsOut{From: from.String(), To: to.String(), Chain: tr.caip2, Model: m.String(), MaxHops: maxHops, Complete: complete, Paths: []pathOut{}}
	for _, p := range paths {
		po := pathOut{Value: p.Value.Dec(), Hops: []pathHop{}}
		for _, f := range p.Flows {
			po.Hops = append(po.Hops, pathHop{From: f.From.String(), To: f.To.String(), Block: f.Block, Tx: tr.c.FormatHash(f.Tx),
				Asset: f.Asset.CAIP19(tr.caip2), Amount: f.Amount.Dec()})
		}
		out.Paths = append(out.Paths, po)
	}
	return out, nil
}

type pathsOut struct {
	From     string    `json:"from"`
	To       string    `json:"to"`
	Chain    string    `json:"chain"`
	Model    string    `json:"model"`
	MaxHops  int       `json:"max_hops"`
	Complete bool      `json:"complete"`
	Paths    []pathOut `json:"paths"`
}

type pathOut struct {
	Value string    `json:"value"` // the least amount along the path, in base units
	Hops  []pathHop `json:"hops"`
}

type pathHop struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Block  uint64 `json:"block"`
	Tx     string `json:"tx"`
	Asset  string `json:"asset"`
	Amount string `json:"amount"`
}
