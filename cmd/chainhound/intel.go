package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/chainhound/chainhound/internal/intel"
	"github.com/chainhound/chainhound/internal/intel/addrcheck"
	"github.com/chainhound/chainhound/internal/intel/tagpack"
)

// intelDir is where the intelligence store lives: beside the chain index,
// in the same --data directory.
func intelDir(data string) string { return filepath.Join(data, "intel") }

func openIntel(data string, readOnly bool) (*intel.Store, error) {
	dir := intelDir(data)
	if readOnly {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("no intelligence store at %s (import something first: chainhound intel import ...)", dir)
		}
	}
	return intel.Open(dir, readOnly)
}

// tagOut is the JSON shape of one tag in lookups.
type tagOut struct {
	Subject    string            `json:"subject"`
	Status     string            `json:"status"` // listed or delisted
	Label      string            `json:"label"`
	Category   string            `json:"category,omitempty"`
	Concepts   []string          `json:"concepts,omitempty"`
	Actor      string            `json:"actor,omitempty"`
	ActorName  string            `json:"actor_name,omitempty"`
	Programs   []string          `json:"programs,omitempty"`
	Confidence string            `json:"confidence,omitempty"`
	Source     string            `json:"source"`
	SourceDate string            `json:"source_date,omitempty"`
	ValidFrom  string            `json:"valid_from,omitempty"`
	ValidTo    string            `json:"valid_to,omitempty"`
	Origin     string            `json:"origin"`
	ImportFile string            `json:"import_file,omitempty"`
	Fields     map[string]string `json:"fields,omitempty"`
}

// lookupOut is the result for one queried address.
type lookupOut struct {
	Query    string   `json:"query"`
	Subjects []string `json:"subjects"`
	Status   string   `json:"status"` // listed, delisted (only history) or none
	Tags     []tagOut `json:"tags"`
}

func dateOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

func intelLookupCommand() command {
	c := command{
		name:    "intel lookup",
		summary: "what the intelligence store says of addresses: tags with source, confidence, dates and status",
		usage:   "ADDR... [--history] [--output table|json|jsonl]",
		example: "chainhound intel lookup 0x098B716B8Aaf21512996dC57EB0615e2383E2f96 --output json\n" +
			"chainhound intel lookup eip155:1:0x8589427373d6d84e98730d7795d8f6f8731fda16 --history",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		history := fs.Bool("history", false, "also tags that no longer hold (delisted addresses, with their dates)")
		output := fs.String("output", "table", "table, json or jsonl (one result per line)")
		pos, err := parse(fs, args)
		if err != nil {
			return err
		}
		if len(pos) == 0 {
			return usagef("give at least one address (bare, or CAIP-10 such as eip155:1:0x…)")
		}
		if err := checkOutput(*output, "table", "json", "jsonl"); err != nil {
			return err
		}
		st, err := openIntel(*data, true)
		if err != nil {
			return err
		}
		defer st.Close()
		res := make([]lookupOut, 0, len(pos))
		for _, q := range pos {
			r, err := lookupOne(e, st, q, *history)
			if err != nil {
				return err
			}
			res = append(res, r)
		}
		switch *output {
		case "json":
			return writeJSON(e, res)
		case "jsonl":
			enc := json.NewEncoder(e.stdout)
			for _, r := range res {
				if err := enc.Encode(r); err != nil {
					return err
				}
			}
			return nil
		}
		return printLookups(e, res)
	}
	return c
}

// querySubjects turns a lookup argument into the subjects to read: a
// CAIP-10 account, validated and written as the store keys it, or every
// subject of a bare address in any chain's canonical form. An EIP-55
// checksum that does not match is logged, not refused.
func querySubjects(e *env, st *intel.Store, q string) ([]intel.Subject, error) {
	if strings.Count(q, ":") >= 2 {
		chainID, addr := intel.ChainOf(intel.Subject(q)), intel.AddressOf(intel.Subject(q))
		if !addrcheck.Known(chainID) {
			return []intel.Subject{intel.Subject(q)}, nil
		}
		acct, warn, err := addrcheck.CAIP10(chainID, addr)
		if err != nil {
			return nil, usageError{err.Error()}
		}
		if warn != "" {
			e.log.Warn(warn, "query", q)
		}
		return []intel.Subject{intel.Subject(acct)}, nil
	}
	forms := map[string]bool{q: true}
	valid := false
	for _, c := range addrcheck.Chains() {
		canon, warn, err := addrcheck.Normalize(c, q)
		if err != nil {
			continue
		}
		valid = true
		if warn != "" && !forms[canon] {
			e.log.Warn(warn, "query", q)
		}
		forms[canon] = true
	}
	if !valid {
		e.log.Warn("not a valid address on any chain chainhound knows; looked up as written", "query", q)
	}
	var out []intel.Subject
	for f := range forms {
		subs, err := st.SubjectsOf(f)
		if err != nil {
			return nil, err
		}
		out = append(out, subs...)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func lookupOne(e *env, st *intel.Store, q string, history bool) (lookupOut, error) {
	out := lookupOut{Query: q, Subjects: []string{}, Status: "none", Tags: []tagOut{}}
	subjects, err := querySubjects(e, st, q)
	if err != nil {
		return out, err
	}
	c := lookupCache{actors: map[string]intel.Actor{}, imports: map[string]string{}}
	for _, sub := range subjects {
		tags, err := st.Tags(sub, true)
		if err != nil {
			return out, err
		}
		if len(tags) > 0 {
			out.Subjects = append(out.Subjects, string(sub))
		}
		for _, t := range tags {
			listed := t.Listed(time.Time{})
			if listed {
				out.Status = "listed"
			} else if out.Status == "none" {
				out.Status = "delisted"
			}
			if !listed && !history {
				continue
			}
			to, err := tagJSON(st, t, &c)
			if err != nil {
				return out, err
			}
			out.Tags = append(out.Tags, to)
		}
	}
	return out, nil
}

// lookupCache keeps the actors and import files a lookup has read, since
// many tags name the same ones.
type lookupCache struct {
	actors  map[string]intel.Actor
	imports map[string]string // origin -> file of its last import
}

func tagJSON(st *intel.Store, t intel.Tag, c *lookupCache) (tagOut, error) {
	o := tagOut{Subject: string(t.Subject), Status: "listed", Label: t.Label, Category: t.Category, Concepts: t.Concepts,
		Actor: t.Actor, Confidence: string(t.Confidence), Source: t.Source, SourceDate: dateOrEmpty(t.SourceDate),
		ValidFrom: dateOrEmpty(t.ValidFrom), ValidTo: dateOrEmpty(t.ValidTo), Origin: t.Origin, Fields: t.Fields}
	if !t.Listed(time.Time{}) {
		o.Status = "delisted"
	}
	if t.Actor != "" {
		a, ok := c.actors[t.Actor]
		if !ok {
			var err error
			if a, _, err = st.Actor(t.Actor); err != nil {
				return o, err
			}
			c.actors[t.Actor] = a
		}
		o.ActorName = a.Label
		if a.Sanctions != nil {
			o.Programs = a.Sanctions.Programs
		}
	}
	file, ok := c.imports[t.Origin]
	if !ok {
		rec, _, err := st.LastImport(t.Origin)
		if err != nil {
			return o, err
		}
		file = rec.File
		c.imports[t.Origin] = file
	}
	o.ImportFile = file
	return o, nil
}

func printLookups(e *env, res []lookupOut) error {
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	for i, r := range res {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s\t%s\n", r.Query, strings.ToUpper(r.Status))
		if len(r.Tags) == 0 {
			continue
		}
		fmt.Fprintln(w, "STATUS\tLABEL\tCATEGORY\tACTOR\tCONFIDENCE\tSOURCE\tDATE\tVALID")
		for _, t := range r.Tags {
			actor := t.Actor
			if t.ActorName != "" {
				actor = t.ActorName + " (" + t.Actor + ")"
			}
			if len(t.Programs) > 0 {
				actor += " " + strings.Join(t.Programs, ",")
			}
			valid := t.ValidFrom + ".." + t.ValidTo
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.Status, t.Label, t.Category, actor, t.Confidence, t.Source, t.SourceDate, valid)
		}
	}
	return w.Flush()
}

func intelActorCommand() command {
	c := command{
		name:    "intel actor",
		summary: "an actor: names, aliases, jurisdictions, sanctions programs and relationships, and its tagged addresses",
		usage:   "ID [--output table|json]",
		example: "chainhound intel actor ofac-sdn:27307",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		output := fs.String("output", "table", "table or json")
		pos, err := parse(fs, args)
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return usagef("want exactly one actor id, got %d arguments", len(pos))
		}
		st, err := openIntel(*data, true)
		if err != nil {
			return err
		}
		defer st.Close()
		a, ok, err := st.Actor(pos[0])
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("actor %q is not in the intelligence store at %s", pos[0], st.Dir())
		}
		var subjects []string
		err = st.EachTag(func(t intel.Tag) error {
			if t.Listed(time.Time{}) && slices.Contains(t.Actors(), a.ID) {
				subjects = append(subjects, string(t.Subject))
			}
			return nil
		})
		if err != nil {
			return err
		}
		sort.Strings(subjects)
		if *output == "json" {
			return writeJSON(e, struct {
				intel.Actor
				Addresses []string `json:"addresses"`
			}{a, subjects})
		}
		w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(w, "actor\t%s\nlabel\t%s\n", a.ID, a.Label)
		if len(a.Aliases) > 0 {
			fmt.Fprintf(w, "aliases\t%s\n", strings.Join(a.Aliases, "; "))
		}
		if s := a.Sanctions; s != nil {
			fmt.Fprintf(w, "sdn uid\t%d (%s)\nnames\t%s\nprograms\t%s\n", s.UID, s.PartyType, strings.Join(s.Names, "; "), strings.Join(s.Programs, ", "))
			for _, r := range s.Relations {
				fmt.Fprintf(w, "relation\t%s %s (%d)\n", r.Type, r.Name, r.UID)
			}
		}
		fmt.Fprintf(w, "addresses\t%d\n", len(subjects))
		for _, s := range subjects {
			fmt.Fprintf(w, "\t%s\n", s)
		}
		return w.Flush()
	}
	return c
}

func intelStatsCommand() command {
	c := command{
		name:    "intel stats",
		summary: "what the intelligence store holds: each source's last import, tags listed and delisted, actors",
		usage:   "[--output table|json]",
		example: "chainhound intel stats",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		output := fs.String("output", "table", "table or json")
		if err := noArgs(fs, args); err != nil {
			return err
		}
		st, err := openIntel(*data, true)
		if err != nil {
			return err
		}
		defer st.Close()
		type sourceStats struct {
			intel.ImportRecord
			Listed   int `json:"listed"`
			Delisted int `json:"delisted"`
		}
		bySource := map[string]*sourceStats{}
		recs, err := st.Imports()
		if err != nil {
			return err
		}
		for _, r := range recs {
			bySource[r.Source] = &sourceStats{ImportRecord: r}
		}
		err = st.EachTag(func(t intel.Tag) error {
			s := bySource[t.Origin]
			if s == nil {
				s = &sourceStats{ImportRecord: intel.ImportRecord{Source: t.Origin}}
				bySource[t.Origin] = s
			}
			if t.Listed(time.Time{}) {
				s.Listed++
			} else {
				s.Delisted++
			}
			return nil
		})
		if err != nil {
			return err
		}
		actors := 0
		if err := st.EachActor(func(intel.Actor) error { actors++; return nil }); err != nil {
			return err
		}
		names := make([]string, 0, len(bySource))
		for n := range bySource {
			names = append(names, n)
		}
		sort.Strings(names)
		if *output == "json" {
			out := struct {
				Sources []*sourceStats `json:"sources"`
				Actors  int            `json:"actors"`
			}{Actors: actors}
			for _, n := range names {
				out.Sources = append(out.Sources, bySource[n])
			}
			return writeJSON(e, out)
		}
		w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "SOURCE\tKIND\tDATE\tLISTED\tDELISTED\tFILE")
		for _, n := range names {
			s := bySource[n]
			fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%d\t%s\n", n, s.Kind, dateOrEmpty(s.Date), s.Listed, s.Delisted, s.File)
		}
		fmt.Fprintf(w, "\nactors\t%d\n", actors)
		return w.Flush()
	}
	return c
}

func intelExportTagpackCommand() command {
	c := command{
		name:    "intel export tagpack",
		summary: "write one source's tags as a GraphSense TagPack (YAML), e.g. to share them or to edit and re-import",
		usage:   "--source SOURCE [--out FILE] [--title T] [--creator C]",
		example: "chainhound intel export tagpack --source tagpack:tornado_cash.yaml --out tornado_cash.yaml\n" +
			"chainhound intel stats   # lists the sources",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		source := fs.String("source", "", "the source to export (see intel stats)")
		out := fs.String("out", "", "file to write (default: standard output)")
		title := fs.String("title", "", "the pack's title (default: the source)")
		creator := fs.String("creator", "chainhound", "the pack's creator")
		if err := noArgs(fs, args); err != nil {
			return err
		}
		if *source == "" {
			return usagef("give --source (chainhound intel stats lists them)")
		}
		st, err := openIntel(*data, true)
		if err != nil {
			return err
		}
		defer st.Close()
		tags, err := st.SourceTags(*source)
		if err != nil {
			return err
		}
		if len(tags) == 0 {
			return fmt.Errorf("no tags from source %q in %s (chainhound intel stats lists the sources)", *source, st.Dir())
		}
		meta := tagpack.Meta{Title: *title, Creator: *creator, Description: "exported by chainhound from source " + *source}
		if meta.Title == "" {
			meta.Title = *source
		}
		w := e.stdout
		var f *os.File
		if *out != "" {
			if f, err = os.Create(*out); err != nil {
				return err
			}
			w = f
		}
		if err := tagpack.NewChecker().Encode(w, meta, tags); err != nil {
			if f != nil {
				f.Close()
				os.Remove(*out)
			}
			return fmt.Errorf("source %s: %w", *source, err)
		}
		if f != nil {
			if err := f.Close(); err != nil {
				return err
			}
			e.log.Info("wrote TagPack", "file", *out, "tags", len(tags))
		}
		return nil
	}
	return c
}
