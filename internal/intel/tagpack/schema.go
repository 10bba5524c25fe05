package tagpack

// The field rules of the TagPack tool's tagpack_schema.yaml and
// actorpack_schema.yaml (graphsense-tagpack-tool a14a159), written as Go
// data. A header may also carry any body field (tag or actor): it is then
// the default for every entry that does not set it.

// FieldType is the type a schema field's value must have.
type FieldType int

// The schema types. JSONText is text that must parse as JSON (an
// ActorPack's context, which may also be written as a YAML mapping).
const (
	Text FieldType = iota
	Boolean
	Datetime
	List // of text
	JSONText
)

func (t FieldType) String() string {
	return [...]string{"text", "boolean", "datetime", "list", "json_text"}[t]
}

// Field is one schema rule: the field's type, whether it must be present
// (in the entry or its header), and the taxonomy its values come from.
type Field struct {
	Type      FieldType
	Mandatory bool
	Taxonomy  Taxonomy // "" for free text
}

// Schema is the rule set of one pack kind.
type Schema struct {
	Kind   string           // "TagPack" or "ActorPack", for messages
	List   string           // the header key holding the entries: "tags" or "actors"
	Entry  string           // what an entry is called in messages: "tag" or "actor"
	Header map[string]Field // header-only fields (the list key included)
	Body   map[string]Field // entry fields, also allowed in the header as defaults
}

// TagPackSchema returns the rules of tagpack_schema.yaml. network and
// currency are both mandatory there, but the tool fills either from the
// other, and no public pack writes network: the validator requires one of
// the two.
func TagPackSchema() Schema {
	return Schema{
		Kind: "TagPack", List: "tags", Entry: "tag",
		Header: map[string]Field{
			"title":       {Type: Text, Mandatory: true},
			"creator":     {Type: Text, Mandatory: true},
			"description": {Type: Text},
			"owner":       {Type: Text},
			"is_public":   {Type: Boolean},
			"tags":        {Type: List, Mandatory: true},
		},
		Body: map[string]Field{
			"label":              {Type: Text, Mandatory: true},
			"source":             {Type: Text, Mandatory: true},
			"currency":           {Type: Text, Mandatory: true},
			"network":            {Type: Text, Mandatory: true},
			"context":            {Type: Text},
			"confidence":         {Type: Text, Mandatory: true, Taxonomy: TaxConfidence},
			"is_cluster_definer": {Type: Boolean},
			"lastmod":            {Type: Datetime},
			"category":           {Type: Text, Taxonomy: TaxConcept},
			"abuse":              {Type: Text, Taxonomy: TaxConcept},
			"address":            {Type: Text},
			"tx_hash":            {Type: Text},
			"actor":              {Type: Text},
			"concepts":           {Type: List, Taxonomy: TaxConcept},
			"tag_type":           {Type: Text, Taxonomy: TaxTagType},
		},
	}
}

// ActorPackSchema returns the rules of actorpack_schema.yaml.
func ActorPackSchema() Schema {
	return Schema{
		Kind: "ActorPack", List: "actors", Entry: "actor",
		Header: map[string]Field{
			"title":       {Type: Text, Mandatory: true},
			"creator":     {Type: Text, Mandatory: true},
			"description": {Type: Text},
			"is_public":   {Type: Boolean},
			"actors":      {Type: List, Mandatory: true},
		},
		Body: map[string]Field{
			"id":            {Type: Text, Mandatory: true},
			"uri":           {Type: Text, Mandatory: true},
			"label":         {Type: Text, Mandatory: true},
			"lastmod":       {Type: Datetime, Mandatory: true},
			"categories":    {Type: List, Mandatory: true, Taxonomy: TaxConcept},
			"jurisdictions": {Type: List, Taxonomy: TaxCountry},
			"context":       {Type: JSONText},
			"aliases":       {Type: List},
		},
	}
}

// actorContextSchema types the known keys of an actor's context JSON;
// other keys are allowed (the tool's own test ActorPack uses them).
func actorContextSchema() map[string]FieldType {
	return map[string]FieldType{
		"uris": List, "refs": List, "images": List, "coingecko_ids": List,
		"defilama_ids": List, "twitter_handle": Text,
		"github_organisation": Text, "legal_name": Text,
	}
}
