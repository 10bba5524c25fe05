package labels

import (
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/chainhound/chainhound/internal/intel"
	"github.com/chainhound/chainhound/internal/intel/addrcheck"
)

// Explorer is one Etherscan-family site whose label pages the export
// scraped.
type Explorer struct {
	Dir     string    // directory name in the export: data/<Dir>/{accounts,tokens}/<label>.csv
	Chain   string    // CAIP-2 id
	Site    string    // base URL; label pages are <Site>/accounts/label/<slug> and /tokens/label/<slug>
	Scraped time.Time // "Last scraped" in the export's README
}

// Explorers lists the sites of brianleect/etherscan-labels @ 923aba7 and
// the chains they index.
func Explorers() []Explorer {
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }
	return []Explorer{
		{"etherscan", addrcheck.Ethereum, "https://etherscan.io", d(2023, 6, 18)},
		{"bscscan", addrcheck.BNBSmartChain, "https://bscscan.com", d(2023, 3, 26)},
		{"polygonscan", addrcheck.Polygon, "https://polygonscan.com", d(2023, 3, 26)},
		{"optimism", addrcheck.Optimism, "https://optimistic.etherscan.io", d(2023, 3, 29)},
		{"arbiscan", addrcheck.ArbitrumOne, "https://arbiscan.io", d(2023, 3, 26)},
		{"ftmscan", addrcheck.Fantom, "https://ftmscan.com", d(2023, 3, 26)},
		{"avalanche", addrcheck.AvalancheC, "https://snowtrace.io", d(2023, 3, 26)},
	}
}

// explorerOf finds the explorer a file belongs to from the directories in
// its path (…/<explorer>/accounts/<label>.csv).
func explorerOf(path string) (Explorer, bool) {
	parts := strings.Split(filepath.ToSlash(filepath.Clean(path)), "/")
	for i := len(parts) - 1; i >= 0; i-- {
		for _, e := range Explorers() {
			if parts[i] == e.Dir {
				return e, true
			}
		}
	}
	return Explorer{}, false
}

// ImportEtherscan reads the label CSV files under path (the export's data
// directory, one explorer's directory, or one file). Each row of
// accounts/<slug>.csv or tokens/<slug>.csv becomes a tag: the name tag (or
// token name) as label, the slug mapped to a concept (see explorerConcept)
// and kept raw in Fields["explorer_label"]. The export's JSON files repeat
// the CSV files and its combined/ files merge them, so both are skipped.
func ImportEtherscan(path string, emit Emit) (Stats, error) {
	var total Stats
	err := walkCSV(path, func(file string) error {
		if filepath.Base(filepath.Dir(file)) == "combined" {
			return nil
		}
		e, ok := explorerOf(file)
		if !ok {
			return fmt.Errorf("%s: cannot tell the explorer (want …/<explorer>/accounts|tokens/<label>.csv with explorer one of etherscan, bscscan, polygonscan, optimism, arbiscan, ftmscan, avalanche)", file)
		}
		st, err := parseFile(file, func(r io.Reader, name string) (Stats, error) {
			return ReadEtherscan(r, name, e, emit)
		})
		total.add(st)
		return err
	})
	return total, err
}

// notAnAddress reports the address cells the scraper copied from the
// page that hold no address: the text of an empty table ("There are no
// matching entries", "No matching records found"), and "genesis", which
// explorers show for allocations made in the genesis block. The "Sum of N
// Accounts" total rows have an empty address cell.
func notAnAddress(cell string) bool {
	switch cell {
	case "", "There are no matching entries", "No matching records found", "genesis":
		return true
	}
	return false
}

// ReadEtherscan parses one label file of explorer e; name is the file's
// path, which gives the label slug and the kind (accounts or tokens).
func ReadEtherscan(r io.Reader, name string, e Explorer, emit Emit) (Stats, error) {
	slug := strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	kind := filepath.Base(filepath.Dir(name)) // accounts or tokens
	if kind != "accounts" && kind != "tokens" {
		kind = "accounts"
	}
	rr := newRowReader(r, name)
	header, err := rr.next()
	if err == io.EOF {
		return Stats{}, nil
	}
	if err != nil {
		return Stats{}, err
	}
	col := columns(header)
	addrCol, ok := col["Address"]
	if !ok {
		addrCol, ok = col["Contract Address"]
	}
	if !ok {
		return Stats{}, rr.errorf("header has no Address or Contract Address column: %q", header)
	}
	nameCol, hasName := col["Name Tag"]
	if !hasName {
		nameCol, hasName = col["Token Name"]
	}
	return rr.rows(emit, func(rec []string) ([]intel.Tag, bool, error) {
		addr := strings.TrimSpace(field(rec, addrCol, true))
		if notAnAddress(addr) {
			return nil, true, nil
		}
		tag, err := explorerTag(rr, e, kind, slug, addr, strings.TrimSpace(field(rec, nameCol, hasName)))
		return []intel.Tag{tag}, false, err
	})
}

func explorerTag(rr *rowReader, e Explorer, kind, slug, addr, label string) (intel.Tag, error) {
	fields := map[string]string{
		"explorer":       e.Dir,
		"explorer_label": slug,
		"explorer_kind":  strings.TrimSuffix(kind, "s"), // account or token
		"dataset":        "brianleect/etherscan-labels@923aba72c7e2d0682f7ae6194b6140bd90668dc9",
	}
	subj, err := rr.subject(e.Chain, addr, fields)
	if err != nil {
		return intel.Tag{}, err
	}
	if label == "" {
		// Some pages list addresses without a name tag; the label page is
		// then all that is known.
		label = e.Dir + " label " + slug
	}
	return intel.Tag{
		Subject:    subj,
		Label:      label,
		Category:   explorerConcept(slug),
		Confidence: ExplorerConfidence,
		Source:     e.Site + "/" + kind + "/label/" + slug,
		SourceDate: e.Scraped,
		Fields:     fields,
	}, nil
}

// walkCSV calls fn on path if it is a file, else on every *.csv file
// below it in lexical order.
func walkCSV(path string, fn func(string) error) error {
	return filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || (p != path && !strings.EqualFold(filepath.Ext(p), ".csv")) {
			return nil
		}
		return fn(p)
	})
}
