package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/chainhound/chainhound/internal/intel"
	"github.com/chainhound/chainhound/internal/risk"
	"github.com/chainhound/chainhound/internal/vet"
	"github.com/chainhound/chainhound/internal/vet/names"
)

// vetDir is where the vet store lives, beside the chain store.
func vetDir(data string) string { return filepath.Join(data, "vet") }

// openVet loads the configuration and the key and opens the vet store.
func openVet(data, configFile string, readOnly bool) (vet.Config, *vet.Keyer, *vet.Store, error) {
	cfg, err := vet.LoadConfig(configFile)
	if err != nil {
		return cfg, nil, nil, err
	}
	key, err := vet.LoadKey(cfg)
	if err != nil {
		return cfg, nil, nil, err
	}
	k, err := vet.NewKeyer(key)
	if err != nil {
		return cfg, nil, nil, err
	}
	st, err := vet.Open(vetDir(data), readOnly, k.Fingerprint())
	return cfg, k, st, err
}

func vetImportCommand() command {
	c := command{
		name:    "vet import",
		summary: "import candidate and staff records (JSON or CSV) into the vet store: names in clear, private identifiers as keyed hashes; the whole file or nothing",
		usage:   "FILE [--format json|csv] [--config FILE] [--output table|json]",
		example: "CHAINHOUND_VET_KEY=$(cat /secure/vet.key) chainhound vet import applicants.csv --data ./chdata",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		format := fs.String("format", "", "json or csv (default: from the file name's extension)")
		configFile := fs.String("config", "", "vet configuration YAML (key_file, thresholds, linking, indicators); see docs/vet.md")
		output := fs.String("output", "table", "table or json")
		pos, err := parse(fs, args)
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return usagef("want one FILE of candidate records")
		}
		if err := checkOutput(*output, "table", "json"); err != nil {
			return err
		}
		file := pos[0]
		if *format == "" {
			switch strings.ToLower(filepath.Ext(file)) {
			case ".json":
				*format = "json"
			case ".csv":
				*format = "csv"
			default:
				return usagef("%s: cannot tell json from csv by its name: give --format", file)
			}
		}
		if *format != "json" && *format != "csv" {
			return usagef("--format %q: want json or csv", *format)
		}
		cfg, k, st, err := openVet(*data, *configFile, false)
		if err != nil {
			return err
		}
		defer st.Close()
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		var cands []vet.Candidate
		if *format == "json" {
			cands, err = vet.DecodeJSON(f)
		} else {
			cands, err = vet.DecodeCSV(f)
		}
		if err != nil {
			return fmt.Errorf("%s: %w (nothing imported)", file, err)
		}
		now := time.Now()
		recs := make([]vet.Record, len(cands))
		for i := range cands {
			recs[i] = vet.NewRecord(&cands[i], k, cfg, filepath.Base(file), now)
		}
		imp, err := st.Import(recs, filepath.Base(file), now)
		if err != nil {
			return err
		}
		e.log.Info("vet import", "file", filepath.Base(file), "records", imp.Records, "new", imp.New, "replaced", imp.Replaced)
		if *output == "json" {
			return writeJSON(e, imp)
		}
		fmt.Fprintf(e.stdout, "imported %d records from %s (%d new, %d replaced), import #%d\n", imp.Records, file, imp.New, imp.Replaced, imp.Seq)
		return nil
	}
	return c
}

// vetEnv is what vet screening opens: the vet store's records, the SDN
// list from the attribution store, and the risk engine for wallets.
type vetEnv struct {
	cfg  vet.Config
	scr  *vet.Screener
	risk *riskEnv // nil without a chain store
}

func (v *vetEnv) Close() {
	if v.risk != nil {
		v.risk.Close()
	}
}

// openVetScreen loads everything screening needs. A missing list or
// chain store is logged and reported per check, not fatal: the checks
// that can run, run.
func openVetScreen(ctx context.Context, e *env, data, configFile, policyFile string) (*vetEnv, error) {
	cfg, _, st, err := openVet(data, configFile, true)
	if err != nil {
		return nil, err
	}
	recs, err := st.Records()
	st.Close()
	if err != nil {
		return nil, err
	}
	v := &vetEnv{cfg: cfg}
	ix, list, err := sanctionsIndex(e, data)
	if err != nil {
		return nil, err
	}
	var screenWallet vet.WalletScreen
	if r, err := openRisk(e, data, policyFile, 0); err != nil {
		e.log.Warn("payout wallets not screened: no chain store to screen them in", "err", err)
	} else {
		v.risk = r
		if _, err := r.db.Update(ctx, r.inputs(e)); err != nil {
			v.Close()
			return nil, err
		}
		s, err := risk.NewScreener(r.db, r.st, r.ix, r.ist, r.pol)
		if err != nil {
			v.Close()
			return nil, err
		}
		if err := liftToEntities(s, r.st, r.cls, r.ist); err != nil {
			v.Close()
			return nil, err
		}
		screenWallet = func(addr string) (*risk.Result, error) {
			return s.Screen(addr, "", risk.Options{Direction: cfg.Wallets.Direction})
		}
	}
	v.scr = vet.NewScreener(cfg, ix, list, screenWallet, recs)
	return v, nil
}

// sanctionsIndex indexes the SDN individuals and entities of the
// attribution store; nil when none are imported.
func sanctionsIndex(e *env, data string) (*names.Index, vet.ListInfo, error) {
	if _, err := os.Stat(intelDir(data)); err != nil {
		e.log.Warn("names not screened: no attribution store (chainhound intel import sdn FILE)", "dir", intelDir(data))
		return nil, vet.ListInfo{}, nil
	}
	ist, err := openIntel(data, true)
	if err != nil {
		return nil, vet.ListInfo{}, err
	}
	defer ist.Close()
	var actors []intel.Actor
	if err := ist.EachActor(func(a intel.Actor) error {
		if a.Sanctions != nil {
			actors = append(actors, a)
		}
		return nil
	}); err != nil {
		return nil, vet.ListInfo{}, err
	}
	entries := names.FromActors(actors)
	if len(entries) == 0 {
		e.log.Warn("names not screened: the attribution store holds no SDN parties (chainhound intel import sdn FILE)")
		return nil, vet.ListInfo{}, nil
	}
	ix := names.NewIndex(entries)
	list := vet.ListInfo{Source: "OFAC SDN list", Entries: len(entries), Names: ix.Len()}
	if rec, ok, err := ist.LastImport("ofac-sdn"); err == nil && ok {
		list.Source = fmt.Sprintf("OFAC SDN list of %s", rec.Date.Format(time.DateOnly))
	}
	return ix, list, nil
}

func vetScreenCommand() command {
	c := command{
		name:    "vet screen",
		summary: "screen candidates: names against the SDN list, payout wallets through the risk engine, identity links to other candidates and staff, configured indicators",
		usage:   "[ID...] [--output table|json|html] [--dir DIR] [--fail-on severe|high|medium|low] [--config FILE] [--policy FILE]",
		example: "chainhound vet screen --data ./chdata\n" +
			"chainhound vet screen cand-0042 --output html > cand-0042.html\n" +
			"chainhound vet screen --output html --dir ./hiring-file",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		output := fs.String("output", "table", "table, json or html (one self-contained page per candidate)")
		dir := fs.String("dir", "", "with --output html: write one ID.html per candidate into this directory")
		failOn := fs.String("fail-on", "", "exit with code 3 when a candidate reaches this severity: severe, high, medium or low")
		configFile := fs.String("config", "", "vet configuration YAML; see docs/vet.md")
		policyFile := fs.String("policy", "", "screening policy YAML for payout wallets (see chainhound risk policy)")
		ids, err := parse(fs, args)
		if err != nil {
			return err
		}
		if err := checkOutput(*output, "table", "json", "html"); err != nil {
			return err
		}
		if *dir != "" && *output != "html" {
			return usagef("--dir goes with --output html")
		}
		var fail risk.Severity
		if *failOn != "" {
			if fail, err = risk.ParseSeverity(*failOn); err != nil || fail == risk.None {
				return usagef("--fail-on %q: want severe, high, medium or low", *failOn)
			}
		}
		v, err := openVetScreen(ctx, e, *data, *configFile, *policyFile)
		if err != nil {
			return err
		}
		defer v.Close()
		if len(ids) == 0 {
			ids = v.scr.IDs("candidate")
		}
		if *output == "html" && *dir == "" && len(ids) != 1 {
			return usagef("--output html writes one page: give one ID, or --dir for one page per candidate")
		}
		now := time.Now()
		var reps []*vet.Report
		worst := risk.None
		for _, id := range ids {
			rep, err := v.scr.Screen(id, now)
			if err != nil {
				var ue *vet.UnknownIDError
				if errors.As(err, &ue) {
					return usageError{err.Error()}
				}
				return err
			}
			reps = append(reps, rep)
			worst = max(worst, rep.Severity)
		}
		switch {
		case *output == "json":
			err = writeJSON(e, map[string]any{"reports": reps})
		case *output == "html" && *dir != "":
			err = writeHTMLReports(e, *dir, reps)
		case *output == "html":
			err = vet.WriteHTML(e.stdout, reps[0])
		default:
			err = printVetScreen(e, reps)
		}
		if err != nil {
			return err
		}
		if fail != risk.None && worst >= fail {
			return policyError{fmt.Sprintf("a %s candidate reached --fail-on %s", worst, fail)}
		}
		return nil
	}
	return c
}

func writeHTMLReports(e *env, dir string, reps []*vet.Report) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, r := range reps {
		name := filepath.Join(dir, strings.NewReplacer("/", "_", ":", "_").Replace(r.ID)+".html")
		f, err := os.OpenFile(name, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		if err := vet.WriteHTML(f, r); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stdout, "wrote %d reports to %s\n", len(reps), dir)
	return nil
}

func printVetScreen(e *env, reps []*vet.Report) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSEVERITY\tFINDINGS\tTOP FINDING")
	for _, r := range reps {
		top := "-"
		if len(r.Findings) > 0 {
			top = r.Findings[0].Summary
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", r.ID, r.Names[0], r.Severity, len(r.Findings), top)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range reps {
		if len(r.Findings) < 2 {
			continue
		}
		fmt.Fprintf(e.stdout, "\n%s  %s\n", r.ID, strings.ToUpper(r.Severity.String()))
		for _, f := range r.Findings {
			fmt.Fprintf(e.stdout, "  %-7s %-17s %s\n", f.Severity, f.Check, f.Summary)
		}
	}
	return nil
}

func vetLinksCommand() command {
	c := command{
		name:    "vet links",
		summary: "show the cluster of identities linked to a candidate or staff member and every attribute they share",
		usage:   "ID [--output table|json] [--config FILE]",
		example: "chainhound vet links cand-0042 --data ./chdata",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		output := fs.String("output", "table", "table or json")
		configFile := fs.String("config", "", "vet configuration YAML (linking rules); see docs/vet.md")
		pos, err := parse(fs, args)
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return usagef("want one ID")
		}
		if err := checkOutput(*output, "table", "json"); err != nil {
			return err
		}
		cfg, _, st, err := openVet(*data, *configFile, true)
		if err != nil {
			return err
		}
		recs, err := st.Records()
		st.Close()
		if err != nil {
			return err
		}
		cl, ok := vet.Link(recs, cfg.Linking).ClusterOf(pos[0])
		if !ok {
			return usageError{(&vet.UnknownIDError{ID: pos[0]}).Error()}
		}
		if *output == "json" {
			return writeJSON(e, map[string]any{"id": pos[0], "cluster": cl})
		}
		fmt.Fprintf(e.stdout, "%s: cluster of %d records claiming %d different people\n\n", pos[0], len(cl.Members), cl.Persons)
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tKIND\tNAMES\tBORN\tLOCATION")
		for _, m := range cl.Members {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.ID, m.Kind, strings.Join(m.Names, "; "), dash(m.Birthdate), dash(m.Location))
		}
		tw.Flush()
		if len(cl.Shared) == 0 {
			return nil
		}
		fmt.Fprintln(e.stdout)
		tw = tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SHARED\tHINT\tHASH\tRECORDS")
		for _, s := range cl.Shared {
			hint := s.Hint
			if s.Similarity > 0 {
				hint += fmt.Sprintf(" (similarity %.2f)", s.Similarity)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Kind, dash(hint), dash(s.Hash), strings.Join(s.Members, ", "))
		}
		return tw.Flush()
	}
	return c
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func vetConfigCommand() command {
	c := command{
		name:    "vet config",
		summary: "print the vet configuration: the documented defaults, or a configuration file read over them",
		usage:   "[--config FILE]",
		example: "chainhound vet config > vet.yaml",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		configFile := fs.String("config", "", "configuration file to check and print as it applies")
		if err := noArgs(fs, args); err != nil {
			return err
		}
		if *configFile == "" {
			_, err := e.stdout.Write(vet.DefaultYAML())
			return err
		}
		cfg, err := vet.LoadConfig(*configFile)
		if err != nil {
			return err
		}
		return writeJSON(e, cfg)
	}
	return c
}
