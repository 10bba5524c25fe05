package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/chainhound/chainhound/internal/intel"
	"github.com/chainhound/chainhound/internal/intel/labels"
	"github.com/chainhound/chainhound/internal/intel/sdn"
	"github.com/chainhound/chainhound/internal/intel/tagpack"
)

// sdnSource is the one logical source every form of OFAC's SDN list is
// recorded under (the XML, the legacy CSV, the per-asset lists), so that a
// newer list of any form supersedes an older one of any other.
const sdnSource = "ofac-sdn"

// fileSHA256 hashes a file, or the files of a directory in name order.
func fileSHA256(path string) (string, error) {
	h := sha256.New()
	add := func(p string) error {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(h, f)
		return err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if !fi.IsDir() {
		err = add(path)
	} else {
		var names []string
		names, err = filepath.Glob(filepath.Join(path, "*"))
		for _, n := range names {
			if st, e := os.Stat(n); e == nil && !st.IsDir() && err == nil {
				err = add(n)
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)), err
}

var dateInName = regexp.MustCompile(`\d{4}-\d{2}-\d{2}`)

// listDate is --date, else a YYYY-MM-DD in the file's name.
func listDate(flagValue, path string) (time.Time, error) {
	s := flagValue
	if s == "" {
		s = dateInName.FindString(filepath.Base(path))
	}
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return t, usagef("--date %q: want YYYY-MM-DD", s)
	}
	return t, nil
}

// applyImport stores one import and prints what it changed.
func applyImport(e *env, data string, imp intel.Import) error {
	st, err := openIntel(data, false)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := st.Apply(imp)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, importLine(imp, res))
	return nil
}

func importLine(imp intel.Import, res intel.ImportResult) string {
	return fmt.Sprintf("%s\t%s\t%s: %d tags (%d added, %d updated, %d unchanged, %d delisted, %d removed), %d actors",
		imp.Source, dateOrEmpty(imp.Date), imp.File, len(imp.Tags), res.Added, res.Updated, res.Unchanged, res.Closed, res.Removed, res.Actors)
}

// packName names a pack's source: its path below the imported directory
// (the TagPack tool's dated layouts repeat file names in several folders),
// or its file name when a single file is imported.
func packName(root, file string) string {
	if rel, err := filepath.Rel(root, file); err == nil && rel != "." && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return filepath.Base(file)
}

func intelImportSDNCommand() command {
	c := command{
		name:    "intel import sdn",
		summary: "import OFAC's SDN list (sdn_advanced.xml, plain or .bz2, or the legacy sdn.csv): parties, programs, relationships, addresses",
		usage:   "FILE [--date YYYY-MM-DD] [--strict]",
		example: "chainhound intel import sdn sdn_advanced.xml.bz2\nchainhound intel import sdn sdn.csv --date 2024-05-03",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		dateFlag := fs.String("date", "", "the list's date for the legacy CSV, which carries none (default: a YYYY-MM-DD in the file name); the XML's own date wins")
		strict := fs.Bool("strict", false, "refuse the list over any doubtful entry (an address not of its asset's form, an unknown asset) instead of keeping it with a warning")
		pos, err := parse(fs, args)
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return usagef("want one SDN file, got %d arguments", len(pos))
		}
		date, err := listDate(*dateFlag, pos[0])
		if err != nil {
			return err
		}
		list, err := sdn.ReadFile(pos[0], date, sdn.Options{Strict: *strict})
		if err != nil {
			return err
		}
		if list.Date.IsZero() {
			return usagef("%s carries no date: give --date YYYY-MM-DD", pos[0])
		}
		return importSDNList(e, *data, pos[0], "sdn", list, nil)
	}
	return c
}

// importSDNList stores a list under the SDN source. assets, when given,
// limits what the list can delist to the assets it holds: a directory with
// some assets' lists says nothing of the others.
func importSDNList(e *env, data, path, kind string, list *sdn.List, assets []string) error {
	for _, w := range list.Warnings {
		e.log.Warn("kept a doubtful entry", "where", w.Error())
	}
	sum, err := fileSHA256(path)
	if err != nil {
		return err
	}
	return applyImport(e, data, intel.Import{Source: sdnSource, List: true, Date: list.Date, Assets: assets, Kind: kind, File: path, SHA256: sum, Tags: list.Tags, Actors: list.Actors})
}

// listFileAssets returns the assets whose lists the directory holds
// (sanctioned_addresses_<ASSET>.txt or .json), also empty ones: an empty
// list says its asset has no sanctioned address left.
func listFileAssets(dir string) ([]string, error) {
	names, err := filepath.Glob(filepath.Join(dir, "sanctioned_addresses_*"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range names {
		base := filepath.Base(n)
		ext := filepath.Ext(base)
		if ext != ".txt" && ext != ".json" {
			continue
		}
		if a := strings.TrimSuffix(strings.TrimPrefix(base, "sanctioned_addresses_"), ext); a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no sanctioned_addresses_<ASSET>.txt or .json files", dir)
	}
	return out, nil
}

func intelImportSDNListsCommand() command {
	c := command{
		name:    "intel import sdn-lists",
		summary: "import the per-asset OFAC address lists (sanctioned_addresses_<ASSET>.txt) as the same SDN source",
		usage:   "DIR --date YYYY-MM-DD [--strict]",
		example: "chainhound intel import sdn-lists ./ofac-lists --date 2025-03-04",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		dateFlag := fs.String("date", "", "the lists' date (required: the files carry none)")
		strict := fs.Bool("strict", false, "refuse the lists over any doubtful address")
		pos, err := parse(fs, args)
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return usagef("want one directory, got %d arguments", len(pos))
		}
		if *dateFlag == "" {
			return usagef("--date YYYY-MM-DD is required: the lists carry no date")
		}
		date, err := listDate(*dateFlag, pos[0])
		if err != nil {
			return err
		}
		list, err := sdn.ReadAddressLists(pos[0], date, sdn.Options{Strict: *strict})
		if err != nil {
			return err
		}
		assets, err := listFileAssets(pos[0])
		if err != nil {
			return err
		}
		return importSDNList(e, *data, pos[0], "sdn-lists", list, assets)
	}
	return c
}

func intelImportTagpackCommand() command {
	c := command{
		name:    "intel import tagpack",
		summary: "import GraphSense TagPacks (a file, or every pack under a directory), validated against the TagPack schema and taxonomies",
		usage:   "FILE|DIR",
		example: "chainhound intel import tagpack ./graphsense-tagpacks/packs",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		strict := fs.Bool("strict", false, "refuse a pack with any tag whose address is invalid for its chain, or with a concept id the embedded taxonomy does not know (default: leave such tags out, and take newer concept ids as written; each reported with file, tag and field)")
		pos, err := parse(fs, args)
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return usagef("want one file or directory, got %d arguments", len(pos))
		}
		policy := tagpack.SkipInvalidTags
		if *strict {
			policy = tagpack.AllOrNothing
		}
		files, err := tagpack.Files(pos[0])
		if err != nil {
			return err
		}
		if len(files) == 0 {
			return fmt.Errorf("%s: no TagPack files (*.yaml)", pos[0])
		}
		chk := tagpack.NewChecker()
		if !*strict {
			chk.AcceptNewConcepts()
		}
		// Two passes keep memory to one pack at a time: the first reads and
		// checks every pack, so that a bad one leaves the store as it was;
		// the second reads each again and stores it. Once storing has begun
		// it runs to the end, also when interrupted, so that the directory
		// lands whole; only a disk failure, or a pack changed between the
		// passes (its hash tells), can stop it half-way, and running the
		// import again then completes it.
		sums := map[string]string{}
		for _, f := range files {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			r, err := chk.ImportFile(f, policy)
			if err != nil {
				return err
			}
			for _, w := range r.Warnings {
				e.log.Warn("tagpack", "warning", w.String())
			}
			for _, p := range r.Rejected {
				e.log.Warn("left out a tag with an invalid address", "where", p.String())
			}
			if err := intel.CheckImport(&intel.Import{Source: "tagpack:" + packName(pos[0], r.File), File: r.File, Tags: r.Tags}); err != nil {
				return err
			}
			if sums[f.Path], err = fileSHA256(f.Path); err != nil {
				return err
			}
		}
		st, err := openIntel(*data, false)
		if err != nil {
			return err
		}
		defer st.Close()
		for i, f := range files {
			sum, err := fileSHA256(f.Path)
			if err != nil {
				return err
			}
			if sum != sums[f.Path] {
				return fmt.Errorf("%s changed while the directory was being imported (%d of %d packs stored): import it again", f.Path, i, len(files))
			}
			r, err := chk.ImportFile(f, policy)
			if err != nil {
				return err
			}
			imp := intel.Import{Source: "tagpack:" + packName(pos[0], r.File), Kind: "tagpack", File: r.File, SHA256: sum, Tags: r.Tags}
			res, err := st.Apply(imp)
			if err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, importLine(imp, res))
		}
		return nil
	}
	return c
}

func intelImportActorpackCommand() command {
	c := command{
		name:    "intel import actorpack",
		summary: "import a GraphSense ActorPack: actors with aliases, categories and jurisdictions",
		usage:   "FILE",
		example: "chainhound intel import actorpack ./graphsense-tagpacks/actors/graphsense.actorpack.yaml",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		pos, err := parse(fs, args)
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return usagef("want one ActorPack file, got %d arguments", len(pos))
		}
		ap, err := tagpack.ReadActorFile(pos[0])
		if err != nil {
			return err
		}
		chk := tagpack.NewChecker()
		if err := chk.ValidateActors(ap); err != nil {
			return err
		}
		actors, err := chk.ConvertActors(ap)
		if err != nil {
			return err
		}
		sum, err := fileSHA256(pos[0])
		if err != nil {
			return err
		}
		return applyImport(e, *data, intel.Import{Source: "actorpack:" + filepath.Base(pos[0]), Kind: "actorpack", File: pos[0], SHA256: sum, Actors: actors})
	}
	return c
}

func intelImportLabelsCommand() command {
	c := command{
		name:    "intel import labels",
		summary: "import explorers' label files: the Etherscan-family export, Forta's labelled datasets, or chainhound's CSV",
		usage:   "--format etherscan|forta|csv FILE|DIR",
		example: "chainhound intel import labels --format etherscan ./etherscan-labels/data/etherscan\n" +
			"chainhound intel import labels --format csv my-labels.csv   # header: " + labels.CSVHeader,
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		format := fs.String("format", "", "etherscan, forta or csv")
		pos, err := parse(fs, args)
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return usagef("want one file or directory, got %d arguments", len(pos))
		}
		switch *format {
		case "etherscan", "forta", "csv":
		default:
			return usagef("--format %q: want etherscan, forta or csv", *format)
		}
		var tags []intel.Tag
		stats, err := labels.Import(*format, pos[0], func(t intel.Tag) error {
			tags = append(tags, t)
			return nil
		})
		if err != nil {
			return err
		}
		if stats.Skipped > 0 {
			e.log.Info("skipped rows without an address", "rows", stats.Skipped)
		}
		sum, err := fileSHA256(pos[0])
		if err != nil {
			return err
		}
		abs, _ := filepath.Abs(pos[0])
		return applyImport(e, *data, intel.Import{Source: "labels:" + *format + ":" + filepath.Base(abs), Kind: "labels-" + *format, File: pos[0], SHA256: sum, Tags: tags})
	}
	return c
}
