// Package intel is chainhound's attribution store: who is behind an address
// or a transaction, according to whom, how sure, and since and until when.
// Tags come from sources in their own formats (OFAC's SDN list, GraphSense
// TagPacks and ActorPacks, explorers' label files); the parsers live in the
// sub-packages (sdn, tagpack, labels) and produce the types below, which the
// store keeps with their provenance.
package intel

import "time"

// Confidence is a TagPack confidence level id (GraphSense's confidence
// taxonomy), e.g. "authority_data" for a government list. Level orders
// them: higher is surer.
type Confidence string

// Subject is what a tag is about: an account (CAIP-10, e.g.
// "eip155:1:0x098b716b8aaf21512996dc57eb0615e2383e2f96" or
// "bip122:000000000019d6689c085ae165831e93:1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2")
// or a transaction (CAIP-2 chain, "/tx/", hash). Addresses inside are in
// their chain's canonical form (lower-case hex on EVM chains, bech32 lower
// case, base58 as is), so equal subjects compare equal as strings.
type Subject string

// Tag attributes a subject. Every field but the subject, label and source
// may be empty.
type Tag struct {
	Subject  Subject
	Label    string   // e.g. "Lazarus Group", "binance deposit"
	Category string   // GraphSense concept id, e.g. "exchange", "mixing_service", "sanction"
	Concepts []string // further concept ids
	Actor    string   // actor id (ActorPack id, or "ofac-sdn:<uid>" for an SDN party)
	// Confidence is a TagPack level id; Source says where the tag comes
	// from (URL or document) and SourceDate when that source said it.
	Confidence Confidence
	Source     string
	SourceDate time.Time
	// ValidFrom and ValidTo bound when the tag holds; zero means open. A
	// delisted sanctions entry gets ValidTo = the date of the first list
	// without it.
	ValidFrom, ValidTo time.Time
	// Fields keeps what a format carries beyond the above (TagPack
	// context, SDN program list...), as text.
	Fields map[string]string
	// Origin is the store source the tag was imported under ("ofac-sdn",
	// "tagpack:exchange-wallets-huobi.yaml"...); the store sets it.
	Origin string
}

// Listed reports whether the tag holds at time t (zero t: now, that is,
// its validity is not closed).
func (t *Tag) Listed(at time.Time) bool {
	if at.IsZero() {
		return t.ValidTo.IsZero()
	}
	return (t.ValidFrom.IsZero() || !at.Before(t.ValidFrom)) && (t.ValidTo.IsZero() || at.Before(t.ValidTo))
}

// Actors returns every actor the tag names: a list may name one address
// for several parties, and the tag then holds the first in Actor and all
// of them in Fields["actors"].
func (t *Tag) Actors() []string { return splitList(joinDistinct(t.Actor, t.Fields["actors"])) }

// Actor is a real-world party tags point at: an exchange, a mixer, a
// sanctioned group.
type Actor struct {
	ID            string // "ofac-sdn:27307", or an ActorPack id such as "binance"
	Label         string
	Aliases       []string
	Categories    []string // concept ids
	Jurisdictions []string // ISO 3166-1 alpha-2 codes
	URI           string
	// Sanctions holds the SDN details of a sanctioned party.
	Sanctions *Sanctioned
	Fields    map[string]string
}

// Sanctioned is what OFAC's SDN list says of a party.
type Sanctioned struct {
	UID       int      // SDN entry number (Lazarus Group: 27307)
	PartyType string   // Individual, Entity, Vessel, Aircraft
	Names     []string // primary name first, then aliases
	Programs  []string // e.g. DPRK3, CYBER2
	// Relations are the list's relationships to other parties, e.g.
	// {Type: "Providing support to", UID: 27307, Name: "LAZARUS GROUP"}.
	Relations []Relation
	// Birthdates are the listed dates of birth of an individual, each
	// "YYYY-MM-DD", "YYYY" (the year only) or "FROM/TO" (a range of such
	// dates), in the list's order.
	Birthdates []string `json:",omitempty"`
	// Nationalities are the listed nationality and citizenship countries,
	// as ISO 3166-1 alpha-2 codes where the list gives the country (else
	// the list's text).
	Nationalities []string `json:",omitempty"`
}

// Relation links a sanctioned party to another.
type Relation struct {
	Type string
	UID  int
	Name string
}
