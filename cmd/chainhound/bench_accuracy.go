package main

import (
	"context"
	"fmt"
	"math/big"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/chainhound/chainhound/internal/scenario/heist"
	"github.com/chainhound/chainhound/internal/trace"
)

func benchAccuracyCommand() command {
	c := command{
		name:    "bench accuracy",
		summary: "play a scenario with known ground truth on the in-process node and measure the trace's exits: recall of stolen value located, precision of flagged exits, share freezable",
		usage:   "--scenario NAME [--seed N] [--runs N] [--model fifo,haircut,poison] [--max-hops N] [--no-benign] [--output table|json]",
		example: "chainhound bench accuracy --scenario bybit\n" +
			"chainhound bench accuracy --scenario peel-chain --runs 5 --model haircut --output json",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		name := fs.String("scenario", "", "scenario with a theft: bybit or peel-chain")
		seed := fs.Int64("seed", 1, "seed of the first run")
		runs := fs.Int("runs", 1, "runs, with seeds --seed, --seed+1, ...")
		models := fs.String("model", "fifo,haircut,poison", "taint models to score, comma-separated (account-chain models: fifo, haircut, poison)")
		maxHops := fs.Int("max-hops", 0, "hop bound of the traces (0: none)")
		noBenign := fs.Bool("no-benign", false, "play the theft without the ordinary users' traffic")
		output := fs.String("output", "table", "table or json")
		if err := noArgs(fs, args); err != nil {
			return err
		}
		if err := checkOutput(*output, "table", "json"); err != nil {
			return err
		}
		if *name == "" {
			return usagef("--scenario is required: bybit or peel-chain")
		}
		if !slices.Contains(heist.Scenarios, *name) || *name == "benign" {
			return usagef("--scenario %q: want bybit or peel-chain (benign has no theft to score)", *name)
		}
		if *maxHops < 0 {
			return usagef("--max-hops %d: want 0 (no limit) or more", *maxHops)
		}
		if *runs <= 0 {
			return usagef("--runs %d: want 1 or more", *runs)
		}
		var ms []trace.Model
		for _, s := range strings.Split(*models, ",") {
			m, err := trace.ParseModel(strings.TrimSpace(s))
			if err != nil || m == trace.TIHO {
				return usagef("--model %q: want fifo, haircut or poison, comma-separated (tiho is for UTXO chains)", s)
			}
			ms = append(ms, m)
		}
		type row struct {
			Scenario     string      `json:"scenario"`
			MaxHops      int         `json:"max_hops"`
			Seed         int64       `json:"seed"`
			Benign       bool        `json:"benign"`
			BenignFactor float64     `json:"benign_factor"` // benign value over stolen value
			Blocks       uint64      `json:"blocks"`
			TraceMS      int64       `json:"trace_ms"`
			Score        heist.Score `json:"score"`
		}
		var rows []row
		for r := range *runs {
			s := *seed + int64(r)
			data, cleanup, err := demoDataDir("")
			if err != nil {
				return err
			}
			d, err := runDemo(ctx, e, demoOptions{scenario: *name, seed: s, noBenign: *noBenign, data: data})
			if err != nil {
				cleanup()
				return err
			}
			factor := 0.0
			if d.truth.IllicitValue.Sign() > 0 {
				f, _ := new(big.Rat).SetFrac(&d.truth.BenignValue.Int, &d.truth.IllicitValue.Int).Float64()
				factor = f
			}
			for _, m := range ms {
				start := time.Now()
				rep, err := d.trace(ctx, e, m, *maxHops)
				if err != nil {
					d.p.Close()
					cleanup()
					return err
				}
				rows = append(rows, row{Scenario: *name, MaxHops: *maxHops, Seed: s, Benign: !*noBenign, BenignFactor: factor, Blocks: d.truth.LastBlock + 1,
					TraceMS: time.Since(start).Milliseconds(), Score: d.truth.Score(rep, d.freezableAsset)})
			}
			d.p.Close()
			cleanup()
		}
		if *output == "json" {
			return writeJSON(e, map[string]any{"machine": fmt.Sprintf("%s/%s, %d cores", runtime.GOOS, runtime.GOARCH, runtime.NumCPU()), "go": runtime.Version(), "runs": rows})
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SCENARIO\tMAX HOPS\tSEED\tBENIGN/STOLEN\tMODEL\tRECALL\tPRECISION\tVALUE PRECISION\tFREEZABLE (TRUTH)\tFLAGGED\tFALSE\tMISSED\tTRACE")
		for _, r := range rows {
			sc := r.Score
			fmt.Fprintf(tw, "%s\t%d\t%d\t%.1fx\t%s\t%.2f%%\t%.2f%%\t%.2f%%\t%.2f%% (%.2f%%)\t%d\t%d\t%d\t%dms\n", r.Scenario, r.MaxHops, r.Seed, r.BenignFactor, sc.Model,
				100*sc.Recall, 100*sc.Precision, 100*sc.ValuePrecision, 100*sc.FreezableShare, 100*sc.TruthFreezableShare, sc.Flagged, len(sc.FalseExits), len(sc.MissedExits), r.TraceMS)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, r := range rows {
			for _, x := range r.Score.FalseExits {
				fmt.Fprintf(e.stdout, "seed %d %s: false exit %s\n", r.Seed, r.Score.Model, x)
			}
			for _, x := range r.Score.MissedExits {
				fmt.Fprintf(e.stdout, "seed %d %s: missed exit %s\n", r.Seed, r.Score.Model, x)
			}
		}
		return nil
	}
	return c
}
