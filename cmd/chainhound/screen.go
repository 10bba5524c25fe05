package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/cluster"
	"github.com/chainhound/chainhound/internal/intel"
	"github.com/chainhound/chainhound/internal/risk"
	"github.com/chainhound/chainhound/internal/store"
)

// riskDir is where the exposure store lives, beside the chain store.
func riskDir(data string) string { return filepath.Join(data, "risk") }

// riskEnv is what screening opens: the chain store (read-only), the
// attribution store, the exposure store and the policy.
type riskEnv struct {
	st  *store.DB
	ist *intel.Store // nil without an attribution store
	ix  *intel.Index
	db  *risk.DB
	cls map[chain.Chain]*cluster.DB // the clusterings there are (DATA/cluster, DATA/cluster-eth)
	pol risk.Policy
}

func (r *riskEnv) Close() {
	for _, cl := range r.cls {
		cl.Close()
	}
	if r.db != nil {
		r.db.Close()
	}
	if r.ist != nil {
		r.ist.Close()
	}
	if r.st != nil {
		r.st.Close()
	}
}

// openRisk opens what screening needs in data, with the policy file (or
// the defaults).
func openRisk(e *env, data, policyFile string, cacheMB int) (*riskEnv, error) {
	r := &riskEnv{pol: risk.DefaultPolicy()}
	if policyFile != "" {
		p, err := risk.LoadPolicy(policyFile)
		if err != nil {
			return nil, err
		}
		r.pol = p
	}
	var err error
	if r.st, err = openReadStoreCache(data, cacheMB); err != nil {
		return nil, err
	}
	if _, serr := os.Stat(intelDir(data)); serr == nil {
		if r.ist, err = openIntel(data, true); err != nil {
			r.Close()
			return nil, err
		}
		if r.ix, err = intel.Load(r.ist); err != nil {
			r.Close()
			return nil, err
		}
	} else {
		e.log.Warn("no attribution store: nothing is attributed, every address screens none (import lists with chainhound intel import ...)", "dir", intelDir(data))
		r.ix = intel.NewIndex()
	}
	if r.db, err = risk.Open(riskDir(data), false); err != nil {
		r.Close()
		return nil, err
	}
	if r.cls, err = openClusterings(data, r.st); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// openClusterings opens, read-only, the clustering of each chain the
// store holds that has one: the exposure store gives their entities
// figures, and screens lift tags to them.
func openClusterings(data string, st *store.DB) (map[chain.Chain]*cluster.DB, error) {
	out := map[chain.Chain]*cluster.DB{}
	for _, c := range []chain.Chain{chain.Bitcoin, chain.Ethereum} {
		if _, err := os.Stat(clusterDirOf(data, c)); err != nil {
			continue
		}
		if _, ok, err := st.Network(c); err != nil || !ok {
			if err != nil {
				return out, err
			}
			continue
		}
		cl, err := openClusterReadOf(data, c)
		if err != nil {
			for _, o := range out {
				o.Close()
			}
			return nil, err
		}
		out[c] = cl
	}
	return out, nil
}

func (r *riskEnv) inputs(e *env) risk.Inputs {
	return risk.Inputs{Store: r.st, Intel: r.ist, Index: r.ix, Policy: r.pol, Log: e.log, Clusters: r.cls}
}

// chainArg turns --chain (a CAIP-2 id, or a short name such as eth) into
// the CAIP-2 id the store binds it to.
func chainArg(st *store.DB, v string) (string, error) {
	if v == "" || strings.Contains(v, ":") {
		return v, nil
	}
	c, err := chain.ParseChain(v)
	if err != nil {
		return "", usageError{err.Error()}
	}
	n, ok, err := st.Network(c)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("--chain %s: the store at %s holds no %s data", v, st.Dir(), c)
	}
	return n.CAIP2, nil
}

func screenCommand() command {
	c := command{
		name:    "screen",
		summary: "screen addresses for direct and indirect exposure to sanctions, stolen funds, mixers and other risk categories, with the paths that explain it",
		usage:   "ADDR... [--chain C] [--direction in|out|both] [--max-hops N] [--fail-on severe|high|medium|low] [--policy FILE] [--output table|json]",
		example: "chainhound screen 0x098B716B8Aaf21512996dC57EB0615e2383E2f96 --fail-on high\n" +
			"chainhound screen eip155:1:0x47666fab8bd0ac7003bce3f5c3585383f09486e2 --direction both --output json",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		chainFlag := fs.String("chain", "", "chain of plain addresses: a CAIP-2 id (eip155:1) or eth/btc (default: the store's only chain); CAIP-10 ids carry their own")
		direction := fs.String("direction", "in", "in (funds received, from exposure kept up to date), out (where its funds went: a trace at screen time) or both")
		maxHops := fs.Int("max-hops", 0, "hops of indirect exposure (default and most: the policy's max_hops)")
		failOn := fs.String("fail-on", "", "exit with code 3 when a result reaches this severity: severe, high, medium or low")
		policyFile := fs.String("policy", "", "screening policy YAML (categories, thresholds, hops, decay); see chainhound risk policy")
		noUpdate := fs.Bool("no-update", false, "screen from the exposure store as it is, without first taking in blocks and tags that arrived since (results say how far behind)")
		output := fs.String("output", "table", "table or json")
		addrs, err := parse(fs, args)
		if err != nil {
			return err
		}
		if len(addrs) == 0 {
			return usagef("no address to screen (give one or more ADDR, or CAIP-10 ids)")
		}
		if err := checkOutput(*output, "table", "json"); err != nil {
			return err
		}
		if *direction != "in" && *direction != "out" && *direction != "both" {
			return usagef("--direction %q: want in, out or both", *direction)
		}
		var fail risk.Severity
		if *failOn != "" {
			if fail, err = risk.ParseSeverity(*failOn); err != nil || fail == risk.None {
				return usagef("--fail-on %q: want severe, high, medium or low", *failOn)
			}
		}
		r, err := openRisk(e, *data, *policyFile, 0)
		if err != nil {
			return err
		}
		defer r.Close()
		if *maxHops < 0 || *maxHops > r.pol.MaxHops {
			return usagef("--max-hops %d: want 1 to %d (the policy's max_hops; 0 for all)", *maxHops, r.pol.MaxHops)
		}
		def, err := chainArg(r.st, *chainFlag)
		if err != nil {
			return err
		}
		if !*noUpdate {
			if _, err := r.db.Update(ctx, r.inputs(e)); err != nil {
				return err
			}
		}
		s, err := risk.NewScreener(r.db, r.st, r.ix, r.ist, r.pol)
		if err != nil {
			return err
		}
		if err := liftToEntities(s, r.st, r.cls, r.ist); err != nil {
			return err
		}
		var results []*risk.Result
		worst := risk.None
		for _, a := range addrs {
			res, err := s.Screen(a, def, risk.Options{Direction: *direction, MaxHops: *maxHops})
			if err != nil {
				var ae *risk.AddressError
				var ce *risk.UnknownChainError
				if errors.As(err, &ae) || errors.As(err, &ce) {
					return usageError{err.Error()}
				}
				return fmt.Errorf("screen %s: %w", a, err)
			}
			results = append(results, res)
			worst = max(worst, res.Severity)
		}
		if *output == "json" {
			if err := writeJSON(e, map[string]any{"results": results}); err != nil {
				return err
			}
		} else if err := printScreen(e, results); err != nil {
			return err
		}
		if fail != risk.None && worst >= fail {
			return policyError{fmt.Sprintf("a %s result reached --fail-on %s", worst, fail)}
		}
		return nil
	}
	return c
}

func printScreen(e *env, results []*risk.Result) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tSEVERITY\tSCORE\tREASON")
	for _, r := range results {
		reason := "-"
		if len(r.Reasons) > 0 {
			reason = r.Reasons[0]
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", r.Account, r.Severity, r.Score, reason)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range results {
		if len(r.Direct)+len(r.Indirect) == 0 && (r.Entity == nil || len(r.Entity.Indirect) == 0) {
			continue
		}
		fmt.Fprintf(e.stdout, "\n%s  %s\n", r.Account, strings.ToUpper(r.Severity.String()))
		for _, h := range r.Direct {
			fmt.Fprintf(e.stdout, "  direct    %-20s %-7s %s (%s; %s", h.Category, h.Severity, h.Label, h.TagCategory, h.Origin)
			if h.ListDate != "" {
				fmt.Fprintf(e.stdout, ", list of %s", h.ListDate)
			}
			fmt.Fprintln(e.stdout, ")")
		}
		for _, x := range r.Indirect {
			fmt.Fprintf(e.stdout, "  %-9s %-20s %-7s %.4g%% (effective %.4g%%), first at hop %d\n", "indirect", x.Category, x.Severity, 100*x.Share, 100*x.EffectiveShare, x.Hops)
			for _, a := range x.Amounts {
				fmt.Fprintf(e.stdout, "            %s of %s %s\n", a.Amount, a.Total, a.Asset)
			}
			for _, s := range x.Path {
				fmt.Fprintf(e.stdout, "            hop %d  %s -> %s  %s %s  block %d tx %s\n", s.Hop, s.From, s.To, s.Amount, s.Asset, s.Block, s.Tx)
			}
		}
		if en := r.Entity; en != nil {
			graded := ""
			if !en.Graded {
				graded = "; reported, not graded"
			}
			fmt.Fprintf(e.stdout, "  entity    %d: %d addresses (%s, clustering at block %d%s)\n", en.ID, en.Members, en.Clustering, en.ClusteredBlock, graded)
			for _, x := range en.Indirect {
				fmt.Fprintf(e.stdout, "  %-9s %-20s %-7s %.4g%% (effective %.4g%%) of what the entity received from outside, first at hop %d\n", "entity", x.Category, x.Severity, 100*x.Share, 100*x.EffectiveShare, x.Hops)
				for _, a := range x.Amounts {
					fmt.Fprintf(e.stdout, "            %s of %s %s\n", a.Amount, a.Total, a.Asset)
				}
				fmt.Fprintf(e.stdout, "            %s\n", x.Explanation)
				for _, s := range x.Path {
					fmt.Fprintf(e.stdout, "            hop %d  %s -> %s  %s %s  block %d tx %s\n", s.Hop, s.From, s.To, s.Amount, s.Asset, s.Block, s.Tx)
				}
			}
		}
		f := r.Freshness
		fmt.Fprintf(e.stdout, "  exposure at block %d of %d indexed", f.ExposureBlock, f.IndexedBlock)
		if f.Stale {
			fmt.Fprintf(e.stdout, " (STALE: %d blocks behind)", f.BehindBlocks)
		}
		fmt.Fprintln(e.stdout)
	}
	return nil
}

func riskUpdateCommand(rebuild bool) command {
	c := command{
		name:    "risk update",
		summary: "bring the exposure store (DATA/risk) up to the chain store and the tags: traces continue over new blocks; categories whose tags changed are traced again",
		usage:   "[--policy FILE] [--output table|json]",
		example: "chainhound risk update --data ./chdata",
	}
	if rebuild {
		c.name = "risk rebuild"
		c.summary = "compute the exposure store (DATA/risk) again from the whole chain store and the tags"
		c.example = "chainhound risk rebuild --data ./chdata"
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		policyFile := fs.String("policy", "", "screening policy YAML (hops and categories decide what is kept)")
		cacheMB := fs.Int("cache-mb", 1024, "block cache of the chain store in MiB: the traces read busy addresses' histories at random")
		output := fs.String("output", "table", "table or json")
		if err := noArgs(fs, args); err != nil {
			return err
		}
		if err := checkOutput(*output, "table", "json"); err != nil {
			return err
		}
		if *cacheMB < 0 {
			return usagef("--cache-mb %d: want 0 (the store's default) or more", *cacheMB)
		}
		r, err := openRisk(e, *data, *policyFile, *cacheMB)
		if err != nil {
			return err
		}
		defer r.Close()
		var rep *risk.UpdateReport
		if rebuild {
			rep, err = r.db.Rebuild(ctx, r.inputs(e))
		} else {
			rep, err = r.db.Update(ctx, r.inputs(e))
		}
		if err != nil {
			return err
		}
		if *output == "json" {
			return writeJSON(e, rep)
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CHAIN\tFROM\tTO\tREBUILT\tFLOWS\tEXPOSED\tMS\tNOTE")
		for _, cu := range rep.Chains {
			note := cu.Reason
			if len(cu.Retraced) > 0 {
				note = strings.TrimPrefix(note+"; traced anew: "+strings.Join(cu.Retraced, ","), "; ")
			}
			if en := cu.Entities; en != nil {
				note = strings.TrimPrefix(fmt.Sprintf("%s; entities (%s) %s to block %d: %d merges, %d computed whole, %d entities", note, en.Clustering, en.How, en.Block, en.Merges, en.Recomputed, en.Entities), "; ")
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%v\t%d\t%d\t%d\t%s\n", cu.CAIP2, cu.From, cu.To, cu.Rebuilt, cu.Flows, cu.Exposed, cu.DurationMS, note)
		}
		return tw.Flush()
	}
	return c
}

func riskPolicyCommand() command {
	c := command{
		name:    "risk policy",
		summary: "print the screening policy: the documented defaults, or a policy file read over them",
		usage:   "[--policy FILE]",
		example: "chainhound risk policy > policy.yaml",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		policyFile := fs.String("policy", "", "policy file to check and print as it applies")
		if err := noArgs(fs, args); err != nil {
			return err
		}
		if *policyFile == "" {
			_, err := e.stdout.Write(risk.DefaultYAML())
			return err
		}
		p, err := risk.LoadPolicy(*policyFile)
		if err != nil {
			return err
		}
		return writeJSON(e, p)
	}
	return c
}

// clusterEntities resolves addresses to their entity through the
// store's address ids and the chain's clustering: co-spend in
// DATA/cluster (Bitcoin), deposit reuse in DATA/cluster-eth (Ethereum).
type clusterEntities struct {
	st  *store.DB
	cls map[string]*cluster.DB // by the store's CAIP-2 id of the chain
	mu  sync.Mutex             // the union-find compresses paths as it reads: one reader at a time
}

func (c *clusterEntities) EntityOf(caip2 string, a chain.Address) (uint64, bool) {
	cl := c.cls[caip2]
	if cl == nil || a.Chain != cl.Chain() {
		return 0, false
	}
	id, ok, err := c.st.AddressID(a)
	if err != nil || !ok {
		return 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return cl.Clusterer().EntityOf(id), true
}

// liftToEntities makes the screener include tags on the screened
// address's entity, and say when the entity figures lag the
// clusterings, for the chains the store holds that have one.
func liftToEntities(s *risk.Screener, st *store.DB, cls map[chain.Chain]*cluster.DB, ist *intel.Store) error {
	if err := s.SetClusterings(cls); err != nil {
		return err
	}
	byCAIP2 := map[string]*cluster.DB{}
	for c, cl := range cls {
		net, ok, err := st.Network(c)
		if err != nil {
			return err
		}
		if ok {
			byCAIP2[net.CAIP2] = cl
		}
	}
	if len(byCAIP2) == 0 {
		return nil
	}
	return s.SetEntities(&clusterEntities{st: st, cls: byCAIP2}, ist)
}
