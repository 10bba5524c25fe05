package tagpack

import (
	"fmt"
	"strings"
)

// Problem says what is wrong in a pack and where: the file, the entry
// (tag or actor, by index and subject) and the field. Validation and
// conversion return it as the error (wrapped in *Error) or, for what does
// not stop an import, as a warning.
type Problem struct {
	File    string
	Entry   string // "tag" or "actor"; "" for the pack's header
	Index   int    // entry index from 0; meaningless for the header
	Subject string // the tag's address or tx_hash, the actor's id
	Line    int
	Field   string
	Msg     string
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	switch {
	case p.Entry != "":
		fmt.Fprintf(&b, ": %s %d", p.Entry, p.Index)
		var in []string
		if p.Subject != "" {
			in = append(in, p.Subject)
		}
		if p.Line > 0 {
			in = append(in, fmt.Sprintf("line %d", p.Line))
		}
		if len(in) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(in, ", "))
		}
	case p.Line > 0:
		fmt.Fprintf(&b, ": header (line %d)", p.Line)
	default:
		b.WriteString(": header")
	}
	if p.Field != "" {
		fmt.Fprintf(&b, ": field %s", p.Field)
	}
	return b.String() + ": " + p.Msg
}

// Error is a Problem that makes a pack invalid.
type Error struct{ Problem }

func (e *Error) Error() string { return e.Problem.String() }

// Warnings are problems that do not stop an import, such as an EVM address
// whose capitalisation fails its EIP-55 checksum or a duplicate tag.
type Warnings []Problem
