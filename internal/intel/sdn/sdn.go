// Package sdn reads OFAC's Specially Designated Nationals list in the forms
// OFAC and others publish it: the SDN Advanced XML (sdn_advanced.xml, plain
// or bzip2), the legacy sdn.csv, and the per-asset address lists that
// extractors such as 0xB10C's publish (sanctioned_addresses_<ASSET>.txt or
// .json). Each reader turns its input into intel.Actor and intel.Tag values
// (one tag per listed digital-currency address, on its CAIP-2 chain); it
// stores nothing. A reader returns either the whole list or an error that
// names the file and the position: never part of a list.
//
// The list has flaws of its own (an address filed under the wrong asset, a
// Monero "address" that is 64 hex digits). Refusing the whole list over one
// of them would leave a screening system on an older list, so by default
// such an address is kept, as listed, and reported in List.Warnings with
// its position; Options.Strict turns every warning into an error.
package sdn

import (
	"fmt"
	"strings"
	"time"

	"github.com/chainhound/chainhound/internal/intel"
	"github.com/chainhound/chainhound/internal/intel/addrcheck"
)

// Provenance written on every tag: the same for the XML, the legacy CSV and
// the per-asset lists, so that a store sees them as one source and a newer
// list of any form supersedes an older one.
const (
	SourceName = "OFAC SDN list"
	SourceURL  = "https://sanctionslistservice.ofac.treas.gov/"
	// Source is the Tag.Source value: name and URL.
	Source = SourceName + " " + SourceURL
	// Category is the GraphSense concept id for "appears on a sanction
	// list" (tagpack-schema concepts.yaml: sanction).
	Category = "sanction"
	// Confidence is the TagPack level for data from public authorities.
	Confidence intel.Confidence = "authority_data"
	// ActorPrefix starts the actor id of an SDN party: "ofac-sdn:27307".
	ActorPrefix = "ofac-sdn:"
)

// List is one parsed SDN publication.
type List struct {
	// Date is the publication date (DateOfIssue in the XML; given by the
	// caller for the legacy CSV and the per-asset lists, which carry none).
	Date time.Time
	// Actors holds every party of the list (not only those with addresses),
	// with Sanctions set, in the order of the file.
	Actors []intel.Actor
	// Tags holds one tag per digital-currency address feature, in the order
	// of the file; a party that lists one address twice gets two equal tags.
	Tags []intel.Tag
	// Warnings are problems that did not stop the parse (see the package
	// doc); empty under Options.Strict, where they are errors instead.
	Warnings []*Error
}

// Options tune the readers.
type Options struct {
	// Strict makes every warning (an address not of its asset's form, an
	// unknown asset code, a bad EIP-55 checksum, a truncated legacy remark)
	// an error.
	Strict bool
}

// Error is a problem in an input file, with where it is. Line and Column
// are 1-based; Offset is the byte offset in the decompressed input where
// known (-1 otherwise).
type Error struct {
	File         string
	Line, Column int
	Offset       int64
	Msg          string
	Err          error // the underlying error, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	if e.Offset >= 0 {
		fmt.Fprintf(&b, " (byte %d)", e.Offset)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// warn records w as a warning, or returns it as an error under Strict.
func (l *List) warn(opt Options, w *Error) error {
	if opt.Strict {
		return w
	}
	l.Warnings = append(l.Warnings, w)
	return nil
}

// Placement is where an address listed under an asset code lives.
type Placement struct {
	Chain   string        // CAIP-2 id
	Subject intel.Subject // CAIP-10 account: chain and canonical address
	// Problem is non-empty when the address is kept but suspicious: not of
	// any form the asset comes in, an unknown asset code, a bad EIP-55
	// checksum.
	Problem string
}

// Place maps an address listed under an OFAC asset code ("XBT", "USDT"...)
// to its chain and CAIP-10 subject. The chains each asset code can mean are
// addrcheck.SDNAssetChains, tried in order; the first whose address rules
// accept the address wins, and addrcheck.Normalize gives the canonical text
// of the subject, so the same address from a TagPack or a label file makes
// the same subject. An address no chain of its asset accepts goes, with a
// Problem, to the one chain where it is valid, else (valid on none, or on
// several) to the asset's first chain as written; an unknown asset code goes to the chain "ofac-sdn:<ASSET>".
// An empty address, or one with spaces, separators or bytes outside
// printable ASCII (another text encoding), is an error.
func Place(asset, address string) (Placement, error) {
	if address == "" || strings.ContainsAny(address, " \t\r\n;,") {
		return Placement{}, fmt.Errorf("%s address %q: empty or contains a separator", asset, address)
	}
	for _, c := range []byte(address) {
		if c < 0x21 || c > 0x7e { // every chain's addresses are printable ASCII
			return Placement{}, fmt.Errorf("%s address %q: not an address (a byte 0x%02x: another text encoding, or a broken file?)", asset, address, c)
		}
	}
	if !validAssetCode(asset) {
		return Placement{}, fmt.Errorf("asset code %q: want 1 to 16 letters or digits", asset)
	}
	chains := addrcheck.SDNAssetChains(asset)
	if chains == nil {
		chain := unknownAssetChain(asset)
		return Placement{Chain: chain, Subject: intel.Account(chain, address),
			Problem: fmt.Sprintf("unknown asset code %s: kept on chain %s", asset, chain)}, nil
	}
	var why []string
	for _, chain := range chains {
		canonical, warning, err := addrcheck.Normalize(chain, address)
		if err != nil {
			why = append(why, err.Error())
			continue
		}
		return Placement{Chain: chain, Subject: intel.Account(chain, canonical), Problem: warning}, nil
	}
	// Filed under the wrong asset: where exactly one chain takes the
	// address, it is an account of that chain (OFAC lists a Tron address
	// under XBT), and the same address from another source must make the
	// same subject. Where several do (a 1… address is valid on Bitcoin,
	// Bitcoin Cash and BSV), nothing says which: it stays as written.
	var valid []string
	var canonical string
	for _, c := range addrcheck.Chains() {
		if canon, _, err := addrcheck.Normalize(c, address); err == nil {
			valid, canonical = append(valid, c), canon
		}
	}
	if len(valid) == 1 {
		return Placement{Chain: valid[0], Subject: intel.Account(valid[0], canonical),
			Problem: fmt.Sprintf("%s address %s is not of a form %s comes in (%s); it is a %s address, and is kept there", asset, address, asset, strings.Join(why, "; "), valid[0])}, nil
	}
	return Placement{Chain: chains[0], Subject: intel.Account(chains[0], address),
		Problem: fmt.Sprintf("%s address %s is not of a form %s comes in (%s)%s",
			asset, address, asset, strings.Join(why, "; "), looksLike(address))}, nil
}

// looksLike names the assets whose form an address has, to help whoever
// reads a warning about an address filed under the wrong asset.
func looksLike(address string) string {
	var as []string
	for _, a := range []string{"XBT", "ETH", "TRX", "XMR", "SOL", "XRP"} {
		if _, _, _, err := addrcheck.NormalizeAny(addrcheck.SDNAssetChains(a), address); err == nil {
			as = append(as, a)
		}
	}
	if len(as) == 0 {
		return ""
	}
	return "; it has the form of " + strings.Join(as, ", ")
}

// unknownAssetChain is the CAIP-2 id given to an address listed under an
// asset code addrcheck.SDNAssetChains does not know: a namespace of
// chainhound's own (valid CAIP-2 syntax, registered nowhere) with the asset
// code as reference, so the tag is kept, cannot match a real chain by
// accident, and can be re-placed once the table learns the code.
func unknownAssetChain(asset string) string { return "ofac-sdn:" + asset }

func validAssetCode(s string) bool {
	if s == "" || len(s) > 16 {
		return false
	}
	for _, c := range s {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// newTag builds the tag for one listed address.
func newTag(p Placement, asset, address, label, actor, programs string, date time.Time) intel.Tag {
	f := map[string]string{"asset": asset, "address": address}
	if programs != "" {
		f["programs"] = programs
	}
	if p.Problem != "" {
		f["warning"] = p.Problem
	}
	return intel.Tag{
		Subject:    p.Subject,
		Label:      label,
		Category:   Category,
		Actor:      actor,
		Confidence: Confidence,
		Source:     Source,
		SourceDate: date,
		Fields:     f,
	}
}
