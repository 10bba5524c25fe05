// Package guard checks Safe multisig transactions before anyone signs them,
// without trusting the wallet's front end: it recomputes the EIP-712
// hashes (package safe), decodes what the transaction does (package
// calldata), judges it against official Safe deployments (package
// deployments), an attribution screener and a large-transaction policy,
// optionally simulates it on a node and reports the storage it writes, and
// reviews the posture of a Safe (Audit). Findings carry a severity so a
// pipeline can gate on them.
package guard

import (
	"fmt"
	"sort"
	"strings"
)

// Severity orders findings; a --fail-on threshold compares against it.
type Severity int

// Severities, least first.
const (
	Info Severity = iota
	Warning
	Medium
	High
	Critical
)

var severityNames = []string{"info", "warning", "medium", "high", "critical"}

func (s Severity) String() string {
	if int(s) < len(severityNames) {
		return severityNames[s]
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	*s = v
	return err
}

// ParseSeverity reads "critical", "high", "medium", "warning" or "info".
func ParseSeverity(name string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(n, strings.TrimSpace(name)) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("severity %q: want one of %s", name, strings.Join(severityNames, ", "))
}

// Finding is one thing worth a signer's attention.
type Finding struct {
	Severity Severity `json:"severity"`
	// Code is a stable identifier, e.g. "delegatecall-unknown".
	Code    string `json:"code"`
	Message string `json:"message"`
	// Where locates the call in the decoded tree: "tx", "tx/1", "tx/1/0".
	Where string `json:"where,omitempty"`
	// Source names where an attribution came from (screening findings).
	Source string `json:"source,omitempty"`
}

// Max is the highest severity among fs, and false when fs is empty.
func Max(fs []Finding) (Severity, bool) {
	if len(fs) == 0 {
		return 0, false
	}
	m := fs[0].Severity
	for _, f := range fs[1:] {
		m = max(m, f.Severity)
	}
	return m, true
}

// sortFindings puts the most severe first, keeping discovery order within
// a severity.
func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Severity > fs[j].Severity })
}

func sortWrites(ws []StorageWrite) {
	sort.Slice(ws, func(i, j int) bool { return ws[i].Slot.Big().Cmp(ws[j].Slot.Big()) < 0 })
}
