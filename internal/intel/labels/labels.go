// Package labels turns explorers' label files into intel tags: the
// Etherscan-family label export (brianleect/etherscan-labels), Forta's
// labelled datasets of malicious and phishing addresses, and chainhound's
// own plain CSV (see ReadCSV). Every parser streams: it reads one row,
// hands one tag to the caller's Emit and forgets it, so memory stays
// bounded by the longest row whatever the file size.
//
// Addresses are normalised with addrcheck; an invalid one stops the import
// with an error naming the file and line, since a list with a broken row
// may be broken elsewhere too. An EIP-55 checksum mismatch is not an
// error: the tag keeps the warning in Fields["address_warning"].
package labels

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"github.com/chainhound/chainhound/internal/intel"
	"github.com/chainhound/chainhound/internal/intel/addrcheck"
)

// Emit receives each tag as it is parsed; an error it returns stops the
// parse and is returned wrapped.
type Emit func(intel.Tag) error

// Stats counts what an import read.
type Stats struct {
	Files int // files parsed
	Rows  int // data rows read (header lines not counted)
	Tags  int // tags emitted; a Forta contract row gives two (contract and deployer)
	// Skipped counts rows without an address: explorer pages' totals and
	// empty-table text that the scraper saved as rows.
	Skipped int
}

func (s *Stats) add(o Stats) {
	s.Files += o.Files
	s.Rows += o.Rows
	s.Tags += o.Tags
	s.Skipped += o.Skipped
}

// Import reads path (a file or a directory) in the given format,
// "etherscan", "forta" or "csv", for `chainhound intel import labels`.
func Import(format, path string, emit Emit) (Stats, error) {
	switch format {
	case "etherscan":
		return ImportEtherscan(path, emit)
	case "forta":
		return ImportForta(path, emit)
	case "csv":
		return ImportCSVFiles(path, emit)
	}
	return Stats{}, fmt.Errorf("label format %q: want etherscan, forta or csv", format)
}

// rowReader reads a CSV stream and knows where it is, for errors.
type rowReader struct {
	name string
	r    *csv.Reader
	line int // line of the last record read
}

func newRowReader(r io.Reader, name string) *rowReader {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // checked per format, with a clearer message
	cr.ReuseRecord = true
	return &rowReader{name: name, r: cr}
}

// next returns the next record, io.EOF at the end, or a parse error with
// file and line.
func (rr *rowReader) next() ([]string, error) {
	rec, err := rr.r.Read()
	if errors.Is(err, io.EOF) {
		return nil, io.EOF
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return nil, fmt.Errorf("%s:%d: %w", rr.name, pe.Line, pe.Err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rr.name, err)
	}
	rr.line, _ = rr.r.FieldPos(0)
	for i, f := range rec {
		if !utf8.ValidString(f) {
			_, col := rr.r.FieldPos(i)
			return nil, fmt.Errorf("%s:%d:%d: field %d is not UTF-8 text (convert the file to UTF-8)", rr.name, rr.line, col, i+1)
		}
	}
	return rec, nil
}

// rows reads every remaining row and emits the tags rowTags makes of it,
// counting rows, tags and the rows rowTags skips.
func (rr *rowReader) rows(emit Emit, rowTags func(rec []string) (tags []intel.Tag, skip bool, err error)) (Stats, error) {
	var st Stats
	for {
		rec, err := rr.next()
		if err == io.EOF {
			return st, nil
		}
		if err != nil {
			return st, err
		}
		st.Rows++
		tags, skip, err := rowTags(rec)
		if err != nil {
			return st, err
		}
		if skip {
			st.Skipped++
		}
		for _, t := range tags {
			if err := emit(t); err != nil {
				return st, fmt.Errorf("%s:%d: %w", rr.name, rr.line, err)
			}
			st.Tags++
		}
	}
}

// errorf formats an error at the current row.
func (rr *rowReader) errorf(format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", rr.name, rr.line, fmt.Sprintf(format, args...))
}

// subject normalises addr on chain into a CAIP-10 subject; a warning goes
// into fields.
func (rr *rowReader) subject(chain, addr string, fields map[string]string) (intel.Subject, error) {
	acct, warn, err := addrcheck.CAIP10(chain, addr)
	if err != nil {
		return "", fmt.Errorf("%s:%d: %w", rr.name, rr.line, err)
	}
	if warn != "" {
		fields["address_warning"] = warn
	}
	return intel.Subject(acct), nil
}

// columns maps header names to their index.
func columns(header []string) map[string]int {
	m := make(map[string]int, len(header))
	for i, h := range header {
		m[h] = i
	}
	return m
}

// field returns rec[i], or "" when the column is absent or the row short.
func field(rec []string, i int, ok bool) string {
	if !ok || i >= len(rec) {
		return ""
	}
	return rec[i]
}

// parseFile opens one file and runs parse on it.
func parseFile(path string, parse func(io.Reader, string) (Stats, error)) (Stats, error) {
	f, err := os.Open(path)
	if err != nil {
		return Stats{}, err
	}
	defer f.Close()
	st, err := parse(f, path)
	st.Files = 1
	return st, err
}
