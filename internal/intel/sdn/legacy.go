package sdn

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chainhound/chainhound/internal/intel"
)

// Columns of the legacy sdn.csv, which has no header row.
const (
	colEntNum = iota
	colName
	colType
	colProgram
	colRemarks      = 11
	legacyColumns   = 12
	legacyNull      = "-0-"
	legacyRemarkCap = 1000 // OFAC cuts Remarks here and moves the rest to sdn_comments.csv
)

// ParseLegacyCSV reads OFAC's legacy sdn.csv (ent_num, SDN_Name, SDN_Type,
// Program, Title, Call_Sign, Vess_type, Tonnage, GRT, Vess_flag,
// Vess_owner, Remarks) from r; name is used in errors. The file carries no
// date, so the caller gives the list's date. Names and aliases (a.k.a.,
// f.k.a., n.k.a. in Remarks), party type, programs and the "Digital
// Currency Address - <ASSET> <address>" items of Remarks are read; the
// legacy form has no relationship ids, so Relations stay empty.
//
// OFAC cuts Remarks at 1000 characters (the rest goes to sdn_comments.csv,
// which this does not read): an address item cut short at the end of a
// Remarks field is skipped with a warning, never read as a wrong address.
func ParseLegacyCSV(r io.Reader, name string, date time.Time, opt Options) (*List, error) {
	if date.IsZero() {
		return nil, &Error{File: name, Offset: -1, Msg: "the legacy sdn.csv carries no date: the caller must give the list's date"}
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	l := &List{Date: date}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(name, cr, err)
		}
		if len(rec) == 1 && strings.Trim(rec[0], "\x1a \t") == "" {
			continue // DOS end-of-file mark (Ctrl-Z) that OFAC's file ends with
		}
		if err := parseLegacyRecord(l, name, cr, rec, opt); err != nil {
			return nil, err
		}
	}
	if len(l.Actors) == 0 {
		return nil, &Error{File: name, Offset: cr.InputOffset(), Msg: "no SDN entries: not a legacy sdn.csv"}
	}
	return l, nil
}

func csvError(name string, cr *csv.Reader, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &Error{File: name, Line: pe.Line, Column: pe.Column, Offset: cr.InputOffset(), Msg: "read CSV", Err: pe.Err}
	}
	return &Error{File: name, Offset: cr.InputOffset(), Msg: "read CSV", Err: err}
}

// legacyField returns a column as text: trimmed, "-0-" as empty, and
// bytes that are not UTF-8 read as Latin-1 (older files were Windows text).
func legacyField(rec []string, i int) string {
	s := strings.TrimSpace(rec[i])
	if s == legacyNull {
		return ""
	}
	if !utf8.ValidString(s) {
		rs := make([]rune, len(s))
		for j := 0; j < len(s); j++ {
			rs[j] = rune(s[j])
		}
		s = string(rs)
	}
	return s
}

func parseLegacyRecord(l *List, name string, cr *csv.Reader, rec []string, opt Options) error {
	line, _ := cr.FieldPos(0)
	bad := func(format string, args ...any) error {
		return &Error{File: name, Line: line, Column: 1, Offset: cr.InputOffset(), Msg: fmt.Sprintf(format, args...)}
	}
	if len(rec) != legacyColumns {
		return bad("%d columns, want %d", len(rec), legacyColumns)
	}
	uid, err := strconv.Atoi(legacyField(rec, colEntNum))
	if err != nil || uid <= 0 {
		return bad("ent_num %q is not a positive number", rec[colEntNum])
	}
	primary := legacyField(rec, colName)
	if primary == "" {
		return bad("entry %d has no name", uid)
	}
	remarks := legacyField(rec, colRemarks)
	items := remarkItems(remarks)
	names := append([]string{primary}, aliases(items)...)
	programs := legacyPrograms(legacyField(rec, colProgram))
	a := newActor(uid, legacyPartyType(legacyField(rec, colType)), dedupe(names), programs, nil)
	l.Actors = append(l.Actors, a)
	// A complete Remarks field ends with a full stop; one of the cap's
	// length (before trimming) without it overflowed into sdn_comments.csv,
	// and its last item is cut unless a separator follows it.
	overflow := len(rec[colRemarks]) >= legacyRemarkCap && !strings.HasSuffix(remarks, ".")
	cutLast := overflow && !strings.HasSuffix(remarks, ";")
	if overflow {
		l.Actors[len(l.Actors)-1].Fields = map[string]string{"remarks_cut": "rest in sdn_comments.csv"}
	}
	skipped, err := legacyAddresses(l, name, cr, a, items, cutLast, opt)
	if err != nil || !overflow {
		return err
	}
	line, col := cr.FieldPos(colRemarks)
	msg := fmt.Sprintf("entry %d: Remarks cut at %d characters; the rest, which may hold more addresses, is in sdn_comments.csv (not read)", uid, legacyRemarkCap)
	if skipped != "" {
		msg += fmt.Sprintf("; cut-off item %q skipped", skipped)
	}
	return l.warn(opt, &Error{File: name, Line: line, Column: col, Offset: cr.InputOffset(), Msg: msg})
}

func legacyPartyType(s string) string {
	switch strings.ToLower(s) {
	case "":
		return "Entity"
	case "individual":
		return "Individual"
	case "vessel":
		return "Vessel"
	case "aircraft":
		return "Aircraft"
	}
	return s
}

// legacyPrograms splits "IRAN] [SDGT] [IRGC" into its programs.
func legacyPrograms(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "] [") {
		if p = strings.Trim(p, "[] "); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// remarkItem is one "; "-separated item of Remarks and where it starts.
type remarkItem struct {
	text string
	at   int // byte index in Remarks
}

func remarkItems(remarks string) []remarkItem {
	var out []remarkItem
	at := 0
	for _, part := range strings.Split(remarks, ";") {
		lead := len(part) - len(strings.TrimLeft(part, " "))
		if t := strings.TrimSpace(part); t != "" {
			out = append(out, remarkItem{text: strings.TrimPrefix(t, "alt. "), at: at + lead})
		}
		at += len(part) + 1
	}
	return out
}

func aliases(items []remarkItem) []string {
	var out []string
	for _, it := range items {
		for _, p := range []string{"a.k.a. '", "f.k.a. '", "n.k.a. '"} {
			if rest, ok := strings.CutPrefix(it.text, p); ok {
				if n, _, closed := strings.Cut(rest, "'"); closed && n != "" {
					out = append(out, n)
				}
			}
		}
	}
	return out
}

// legacyAddresses tags every "Digital Currency Address - <ASSET> <addr>"
// item of a record's Remarks.
func legacyAddresses(l *List, name string, cr *csv.Reader, a intel.Actor, items []remarkItem, cutLast bool, opt Options) (skipped string, err error) {
	line, col := cr.FieldPos(colRemarks)
	programs := strings.Join(a.Sanctions.Programs, ";")
	for i, it := range items {
		rest, ok := strings.CutPrefix(it.text, dcaPrefix)
		if !ok {
			continue
		}
		pos := &Error{File: name, Line: line, Column: col + 1 + it.at, Offset: -1}
		asset, addr, _ := strings.Cut(rest, " ")
		addr = strings.TrimSuffix(strings.TrimSpace(addr), ".")
		if cutLast && i == len(items)-1 {
			return it.text, nil
		}
		pl, err := Place(asset, addr)
		if err != nil {
			pos.Msg, pos.Err = fmt.Sprintf("entry %d", a.Sanctions.UID), err
			return "", pos
		}
		if pl.Problem != "" {
			w := *pos
			w.Msg = fmt.Sprintf("entry %d: %s", a.Sanctions.UID, pl.Problem)
			if err := l.warn(opt, &w); err != nil {
				return "", err
			}
		}
		l.Tags = append(l.Tags, newTag(pl, asset, addr, a.Label, a.ID, programs, l.Date))
	}
	return "", nil
}
