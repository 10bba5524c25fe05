package sdn

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// ListLabel is the label of a tag read from a per-asset list, which names
// no party.
const ListLabel = "OFAC SDN listed address"

// ReadAddressLists reads every sanctioned_addresses_<ASSET>.txt in dir, or
// the .json of an asset that has no .txt, as tags of the OFAC SDN source
// dated date, with no actor (the lists name no party). When both files of
// an asset exist they must hold the same addresses.
func ReadAddressLists(dir string, date time.Time, opt Options) (*List, error) {
	assets, err := listAssets(dir)
	if err != nil {
		return nil, err
	}
	if len(assets) == 0 {
		return nil, fmt.Errorf("sdn: %s: no sanctioned_addresses_<ASSET>.txt or .json", dir)
	}
	out := &List{Date: date}
	for _, asset := range assets {
		l, err := readAssetFiles(dir, asset, date, opt)
		if err != nil {
			return nil, err
		}
		out.Tags = append(out.Tags, l.Tags...)
		out.Warnings = append(out.Warnings, l.Warnings...)
	}
	return out, nil
}

// listAssets returns the asset codes of the lists in dir, sorted.
func listAssets(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("sdn: %w", err)
	}
	var assets []string
	for _, e := range ents {
		n := e.Name()
		rest, ok := strings.CutPrefix(n, "sanctioned_addresses_")
		ext := filepath.Ext(rest)
		if !ok || e.IsDir() || (ext != ".txt" && ext != ".json") {
			continue
		}
		assets = append(assets, strings.TrimSuffix(rest, ext))
	}
	slices.Sort(assets)
	return slices.Compact(assets), nil
}

func readAssetFiles(dir, asset string, date time.Time, opt Options) (*List, error) {
	base := filepath.Join(dir, "sanctioned_addresses_"+asset)
	txt, errT := readOneList(base+".txt", asset, date, opt)
	js, errJ := readOneList(base+".json", asset, date, opt)
	switch {
	case errT == nil && errJ == nil:
		if !slices.Equal(listAddresses(txt), listAddresses(js)) {
			return nil, fmt.Errorf("sdn: %s.txt and %s.json hold different addresses", base, base)
		}
		return txt, nil
	case errT == nil && os.IsNotExist(errJ):
		return txt, nil
	case errJ == nil && os.IsNotExist(errT):
		return js, nil
	case errT != nil && !os.IsNotExist(errT):
		return nil, errT
	}
	return nil, errJ
}

func listAddresses(l *List) []string {
	var out []string
	for _, t := range l.Tags {
		out = append(out, t.Fields["address"])
	}
	slices.Sort(out)
	return out
}

func readOneList(path, asset string, date time.Time, opt Options) (*List, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseAddressList(f, path, asset, strings.HasSuffix(path, ".json"), date, opt)
}

// ParseAddressList reads one per-asset list from r: one address per line
// (blank lines ignored), or with isJSON a JSON array of strings. name is
// used in errors.
func ParseAddressList(r io.Reader, name, asset string, isJSON bool, date time.Time, opt Options) (*List, error) {
	l := &List{Date: date}
	add := func(addr string, line int, off int64) error {
		pl, err := Place(asset, addr)
		if err != nil {
			return &Error{File: name, Line: line, Column: 1, Offset: off, Msg: "address", Err: err}
		}
		if pl.Problem != "" {
			if err := l.warn(opt, &Error{File: name, Line: line, Column: 1, Offset: off, Msg: pl.Problem}); err != nil {
				return err
			}
		}
		l.Tags = append(l.Tags, newTag(pl, asset, addr, ListLabel, "", "", date))
		return nil
	}
	if isJSON {
		return l, parseJSONList(r, name, add)
	}
	sc := bufio.NewScanner(r)
	var off int64
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s != "" {
			if err := add(s, line, off); err != nil {
				return nil, err
			}
		}
		off += int64(len(sc.Bytes())) + 1
	}
	if err := sc.Err(); err != nil {
		return nil, &Error{File: name, Offset: off, Msg: "read", Err: err}
	}
	return l, nil
}

func parseJSONList(r io.Reader, name string, add func(string, int, int64) error) error {
	d := json.NewDecoder(r)
	bad := func(err error, what string) error {
		return &Error{File: name, Offset: d.InputOffset(), Msg: what, Err: err}
	}
	if tok, err := d.Token(); err != nil || tok != json.Delim('[') {
		return bad(err, "want a JSON array of address strings")
	}
	for d.More() {
		off := d.InputOffset()
		var s string
		if err := d.Decode(&s); err != nil {
			return bad(err, "want an address string")
		}
		if err := add(strings.TrimSpace(s), 0, off); err != nil {
			return err
		}
	}
	if _, err := d.Token(); err != nil {
		return bad(err, "unterminated array")
	}
	if _, err := d.Token(); err != io.EOF {
		return bad(err, "data after the array")
	}
	return nil
}
