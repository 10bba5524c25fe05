package vet

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// maxRecords bounds one import file.
const maxRecords = 1_000_000

// DecodeJSON reads candidate records: a JSON array of records, or an
// object {"candidates": [...]}. Every record is validated; the first bad
// one fails the whole file with its record number (Row, 1-based) and
// field. Unknown fields are errors, so that a misspelt field is not
// silently dropped from screening.
func DecodeJSON(r io.Reader) ([]Candidate, error) {
	data, err := io.ReadAll(io.LimitReader(r, 1<<30))
	if err != nil {
		return nil, err
	}
	data = bytes.TrimSpace(data)
	var raw []json.RawMessage
	if len(data) > 0 && data[0] == '{' {
		var wrap struct {
			Candidates []json.RawMessage `json:"candidates"`
		}
		d := json.NewDecoder(bytes.NewReader(data))
		d.DisallowUnknownFields()
		if err := d.Decode(&wrap); err != nil {
			return nil, fmt.Errorf("want a JSON array of records or {\"candidates\": [...]}: %w", err)
		}
		raw = wrap.Candidates
	} else if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("want a JSON array of records or {\"candidates\": [...]}: %w", err)
	}
	if len(raw) > maxRecords {
		return nil, fmt.Errorf("%d records: at most %d per file", len(raw), maxRecords)
	}
	out := make([]Candidate, len(raw))
	for i, m := range raw {
		d := json.NewDecoder(bytes.NewReader(m))
		d.DisallowUnknownFields()
		if err := d.Decode(&out[i]); err != nil {
			return nil, jsonFieldError(i+1, m, err)
		}
		if err := out[i].Validate(i + 1); err != nil {
			return nil, err
		}
	}
	return out, checkUnique(out, func(i int) int { return i + 1 })
}

// jsonFieldError names the field of a JSON decoding error.
func jsonFieldError(row int, m json.RawMessage, err error) error {
	var id struct {
		ID any `json:"id"`
	}
	json.Unmarshal(m, &id)
	sid, _ := id.ID.(string)
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te):
		return &FieldError{Row: row, ID: sid, Field: te.Field, Msg: fmt.Sprintf("want %s, got JSON %s", te.Type, te.Value)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &FieldError{Row: row, ID: sid, Field: fieldName(f), Msg: "unknown field"}
	}
	var pe *time.ParseError
	if errors.As(err, &pe) {
		return &FieldError{Row: row, ID: sid, Field: "activity", Msg: "want RFC 3339 times"}
	}
	return &FieldError{Row: row, ID: sid, Field: "(record)", Msg: err.Error()}
}

// fieldName writes a field or column name from the input for an error:
// as it is when it is a plain name, quoted (and cut) otherwise, so that an
// empty or strange one is still visible.
func fieldName(s string) string {
	plain := s != "" && len(s) <= 40
	for _, r := range s {
		plain = plain && (r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	}
	if plain {
		return s
	}
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strconv.Quote(s)
}

func checkUnique(cs []Candidate, row func(int) int) error {
	seen := map[string]int{}
	for i, c := range cs {
		if j, ok := seen[c.ID]; ok {
			return &FieldError{Row: row(i), ID: c.ID, Field: "id", Msg: fmt.Sprintf("repeats the id of row %d", row(j))}
		}
		seen[c.ID] = i
	}
	return nil
}

// CSV columns: the JSON field names. List fields hold several values
// separated by ";"; an account is "NUMBER" or "NUMBER|PROVIDER|HOLDER".
var csvColumns = []string{"id", "kind", "names", "birthdate", "nationality", "location", "timezone",
	"emails", "phones", "addresses", "payout_wallets", "bank_accounts", "login_ips", "devices",
	"handles", "cv_text", "photo_hash", "references", "activity"}

// DecodeCSV reads candidate records from CSV with a header row naming
// columns of csvColumns (any subset with id and names, in any order). The
// first bad record fails the file with its line (Row) and column.
func DecodeCSV(r io.Reader) ([]Candidate, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 0
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("row 1: read the header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if !contains(csvColumns, h) {
			return nil, &FieldError{Row: 1, Field: fieldName(h), Msg: "unknown column (want " + strings.Join(csvColumns, ", ") + ")"}
		}
		if _, dup := col[h]; dup {
			return nil, &FieldError{Row: 1, Field: h, Msg: "column appears twice"}
		}
		col[h] = i
	}
	for _, need := range []string{"id", "names"} {
		if _, ok := col[need]; !ok {
			return nil, &FieldError{Row: 1, Field: need, Msg: "required column missing"}
		}
	}
	var out []Candidate
	var rows []int
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, &FieldError{Row: pe.Line, Field: columnName(header, pe.Column), Msg: pe.Err.Error()}
			}
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		if len(out) >= maxRecords {
			return nil, fmt.Errorf("more than %d records: at most %d per file", maxRecords, maxRecords)
		}
		c, err := csvRecord(rec, col, line)
		if err != nil {
			return nil, err
		}
		if err := c.Validate(line); err != nil {
			return nil, err
		}
		out = append(out, c)
		rows = append(rows, line)
	}
	return out, checkUnique(out, func(i int) int { return rows[i] })
}

func columnName(header []string, col int) string {
	if col >= 1 && col <= len(header) {
		return header[col-1]
	}
	return "(record)"
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func csvRecord(rec []string, col map[string]int, line int) (Candidate, error) {
	get := func(name string) string {
		if i, ok := col[name]; ok {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	list := func(name string) []string {
		var out []string
		for _, v := range strings.Split(get(name), ";") {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
		return out
	}
	accounts := func(name string) ([]Account, error) {
		var out []Account
		for i, v := range list(name) {
			parts := strings.Split(v, "|")
			if len(parts) > 3 {
				return nil, &FieldError{Row: line, ID: get("id"), Field: name, Msg: fmt.Sprintf("item %d: want NUMBER or NUMBER|PROVIDER|HOLDER", i+1)}
			}
			parts = append(parts, "", "")
			out = append(out, Account{Number: strings.TrimSpace(parts[0]), Provider: strings.TrimSpace(parts[1]), Holder: strings.TrimSpace(parts[2])})
		}
		return out, nil
	}
	c := Candidate{
		ID: get("id"), Kind: get("kind"), Names: list("names"), Birthdate: get("birthdate"),
		Nationality: list("nationality"), Location: get("location"), Timezone: get("timezone"),
		Emails: list("emails"), Phones: list("phones"), Addresses: list("addresses"),
		LoginIPs: list("login_ips"), Devices: list("devices"), Handles: list("handles"),
		CVText: get("cv_text"), PhotoHash: get("photo_hash"), References: list("references"),
	}
	var err error
	if c.PayoutWallets, err = accounts("payout_wallets"); err != nil {
		return c, err
	}
	if c.BankAccounts, err = accounts("bank_accounts"); err != nil {
		return c, err
	}
	for i, v := range list("activity") {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return c, &FieldError{Row: line, ID: c.ID, Field: "activity", Msg: fmt.Sprintf("item %d: want an RFC 3339 time", i+1)}
		}
		c.Activity = append(c.Activity, t)
	}
	return c, nil
}
