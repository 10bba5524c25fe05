package tagpack

import (
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/chainhound/chainhound/internal/intel"
)

// Encode writes tags as one TagPack: meta as its header and each tag with
// all its fields, so that Decode, Validate and Convert give back the same
// tags. A tag needs a label and a source; a Fields entry that the
// TagPack format has no field for is refused rather than lost.
func (c *Checker) Encode(w io.Writer, meta Meta, tags []intel.Tag) error {
	list := &yaml.Node{Kind: yaml.SequenceNode}
	for i, t := range tags {
		n, err := c.tagNode(t)
		if err != nil {
			return fmt.Errorf("encode tag %d (%s): %w", i, t.Subject, err)
		}
		list.Content = append(list.Content, n)
	}
	return writeDoc(w, header(meta, "tags", list))
}

// isTagFieldKey reports whether k is one of the Fields keys Convert fills
// and Encode writes back.
func isTagFieldKey(k string) bool {
	switch k {
	case "abuse", "context", "currency", "is_cluster_definer", "network", "tag_type":
		return true
	}
	return false
}

func (c *Checker) tagNode(t intel.Tag) (*yaml.Node, error) {
	for k := range t.Fields {
		if !isTagFieldKey(k) {
			return nil, fmt.Errorf("field %s has no TagPack equivalent", k)
		}
	}
	if t.Label == "" || t.Source == "" {
		return nil, fmt.Errorf("a TagPack tag needs a label and a source")
	}
	subj := string(t.Subject)
	chainID, key, value := intel.ChainOf(t.Subject), "address", intel.AddressOf(t.Subject)
	if i := strings.Index(subj, "/tx/"); i >= 0 {
		key, value = "tx_hash", subj[i+len("/tx/"):]
	}
	if chainID == "" || value == "" {
		return nil, fmt.Errorf("subject %q is neither a CAIP-10 account nor a transaction", subj)
	}
	network := t.Fields["network"]
	if network == "" {
		network = c.codeOf(chainID)
	}
	if network == "" {
		return nil, fmt.Errorf("no TagPack currency code for chain %s", chainID)
	}
	currency := t.Fields["currency"]
	if currency == "" {
		currency = network
	}
	m := &yaml.Node{Kind: yaml.MappingNode}
	add := func(k, v string) {
		if v != "" {
			m.Content = append(m.Content, str(k), str(v))
		}
	}
	add(key, unescapeCAIP10(value))
	add("label", t.Label)
	add("source", t.Source)
	add("currency", currency)
	if network != currency {
		add("network", network)
	}
	add("confidence", string(t.Confidence))
	add("category", t.Category)
	add("actor", t.Actor)
	for _, k := range []string{"abuse", "context", "tag_type"} {
		add(k, t.Fields[k])
	}
	if b, ok := t.Fields["is_cluster_definer"]; ok {
		m.Content = append(m.Content, str("is_cluster_definer"), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: b})
	}
	if t.Concepts != nil {
		m.Content = append(m.Content, str("concepts"), strList(t.Concepts))
	}
	if !t.SourceDate.IsZero() {
		m.Content = append(m.Content, str("lastmod"), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!timestamp", Value: formatTime(t.SourceDate)})
	}
	return m, nil
}

// codeOf returns the currency code Encode writes for a chain: the table's,
// or the reference of a "tagpack:" fallback chain.
func (c *Checker) codeOf(chainID string) string {
	if ch, ok := c.byCAIP2[chainID]; ok {
		return ch.code
	}
	if ref, ok := strings.CutPrefix(chainID, "tagpack:"); ok {
		return ref
	}
	return ""
}

// EncodeActors writes actors as one ActorPack. Every actor needs a
// lastmod: its Fields["lastmod"], else meta.Lastmod.
func (c *Checker) EncodeActors(w io.Writer, meta Meta, actors []intel.Actor) error {
	list := &yaml.Node{Kind: yaml.SequenceNode}
	for i, a := range actors {
		for k := range a.Fields {
			if k != "context" && k != "lastmod" {
				return fmt.Errorf("encode actor %d (%s): field %s has no ActorPack equivalent", i, a.ID, k)
			}
		}
		lastmod := a.Fields["lastmod"]
		if lastmod == "" && !meta.Lastmod.IsZero() {
			lastmod = formatTime(meta.Lastmod)
		}
		if lastmod == "" {
			return fmt.Errorf("encode actor %d (%s): no lastmod", i, a.ID)
		}
		m := &yaml.Node{Kind: yaml.MappingNode}
		m.Content = append(m.Content, str("id"), str(a.ID), str("label"), str(a.Label), str("uri"), str(a.URI),
			str("lastmod"), str(lastmod), str("categories"), strList(a.Categories))
		if a.Jurisdictions != nil {
			m.Content = append(m.Content, str("jurisdictions"), strList(a.Jurisdictions))
		}
		if a.Aliases != nil {
			m.Content = append(m.Content, str("aliases"), strList(a.Aliases))
		}
		if ctx, ok := a.Fields["context"]; ok {
			m.Content = append(m.Content, str("context"), str(ctx))
		}
		list.Content = append(list.Content, m)
	}
	return writeDoc(w, header(meta, "actors", list))
}

func header(meta Meta, key string, list *yaml.Node) *yaml.Node {
	h := &yaml.Node{Kind: yaml.MappingNode}
	h.Content = append(h.Content, str("title"), str(meta.Title), str("creator"), str(meta.Creator))
	if meta.Description != "" {
		h.Content = append(h.Content, str("description"), str(meta.Description))
	}
	return &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode, Content: append(h.Content, str(key), list)}}}
}

// str makes a string node; the explicit tag makes yaml.v3 quote text that
// would otherwise read back as a number, date or boolean.
func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func strList(items []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, it := range items {
		n.Content = append(n.Content, str(it))
	}
	return n
}

func writeDoc(w io.Writer, doc *yaml.Node) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write pack: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("write pack: %w", err)
	}
	return nil
}
