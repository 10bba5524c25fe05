package labels

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/chainhound/chainhound/internal/intel"
	"github.com/chainhound/chainhound/internal/intel/addrcheck"
)

// CSVHeader is the header line chainhound's own label CSV must start with.
const CSVHeader = "chain,address,label,category,confidence,source,date"

// ReadCSV parses chainhound's own label CSV, for analysts' and partners'
// lists that have no format of their own. RFC 4180 CSV (UTF-8, quotes
// around fields with commas), the header line CSVHeader, then one tag per
// line:
//
//	chain       CAIP-2 id, e.g. eip155:1 or bip122:000000000019d6689c085ae165831e93 (required)
//	address     in any form the chain accepts; stored canonical (required)
//	label       what the address is, e.g. "Binance 14" (required)
//	category    a GraphSense concept id (exchange, mixing_service, scam…) or empty
//	confidence  a GraphSense confidence level id (forensic, service_data…) or empty
//	source      URL or document the attribution comes from (required)
//	date        when the source said it, YYYY-MM-DD, or empty
//
// For example:
//
//	chain,address,label,category,confidence,source,date
//	eip155:1,0x098B716B8Aaf21512996dC57EB0615e2383E2f96,Lazarus Group,perpetrator,authority_data,https://ofac.treasury.gov/,2022-04-14
//
// A wrong field is an error naming file (name) and line.
func ReadCSV(r io.Reader, name string, emit Emit) (Stats, error) {
	rr := newRowReader(r, name)
	header, err := rr.next()
	if err == io.EOF {
		return Stats{}, fmt.Errorf("%s: empty file, want the header %q", name, CSVHeader)
	}
	if err != nil {
		return Stats{}, err
	}
	if got := strings.TrimPrefix(strings.Join(header, ","), "\ufeff"); got != CSVHeader {
		return Stats{}, rr.errorf("header %q, want %q", got, CSVHeader)
	}
	return rr.rows(emit, func(rec []string) ([]intel.Tag, bool, error) {
		tag, err := csvTag(rr, rec)
		return []intel.Tag{tag}, false, err
	})
}

func csvTag(rr *rowReader, rec []string) (intel.Tag, error) {
	if len(rec) != 7 {
		return intel.Tag{}, rr.errorf("%d fields, want 7 (%s)", len(rec), CSVHeader)
	}
	for i := range rec {
		rec[i] = strings.TrimSpace(rec[i])
	}
	chain, addr, label, category, conf, source, date := rec[0], rec[1], rec[2], rec[3], rec[4], rec[5], rec[6]
	switch {
	case !addrcheck.Known(chain):
		return intel.Tag{}, rr.errorf("chain %q: %v (want a CAIP-2 id such as eip155:1)", chain, addrcheck.ErrUnknownChain)
	case label == "":
		return intel.Tag{}, rr.errorf("empty label")
	case source == "":
		return intel.Tag{}, rr.errorf("empty source")
	case category != "" && !isConcept(category):
		return intel.Tag{}, rr.errorf("category %q is not a GraphSense concept id", category)
	case conf != "" && !isConfidence(conf):
		return intel.Tag{}, rr.errorf("confidence %q is not a GraphSense confidence level", conf)
	}
	tag := intel.Tag{Label: label, Category: category, Confidence: intel.Confidence(conf), Source: source, Fields: map[string]string{}}
	if date != "" {
		d, err := time.Parse(time.DateOnly, date)
		if err != nil {
			return intel.Tag{}, rr.errorf("date %q: want YYYY-MM-DD", date)
		}
		tag.SourceDate = d
	}
	subj, err := rr.subject(chain, addr, tag.Fields)
	if err != nil {
		return intel.Tag{}, err
	}
	tag.Subject = subj
	if len(tag.Fields) == 0 {
		tag.Fields = nil
	}
	return tag, nil
}

// ImportCSVFiles reads chainhound CSV label files: path itself, or every
// *.csv file below it.
func ImportCSVFiles(path string, emit Emit) (Stats, error) {
	var total Stats
	err := walkCSV(path, func(file string) error {
		st, err := parseFile(file, func(r io.Reader, name string) (Stats, error) {
			return ReadCSV(r, name, emit)
		})
		total.add(st)
		return err
	})
	return total, err
}
