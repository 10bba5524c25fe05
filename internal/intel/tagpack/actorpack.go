package tagpack

import (
	"fmt"
	"os"

	"github.com/chainhound/chainhound/internal/intel"
)

// ActorPack is one parsed ActorPack file: real-world parties (exchanges,
// mixers, sanctioned groups) that tags point at by id.
type ActorPack struct{ Pack }

// DecodeActors parses an ActorPack document; file names it in errors. It
// does not validate.
func DecodeActors(data []byte, file string) (*ActorPack, error) {
	p, err := decodePack(data, file, "actors", nil)
	if err != nil {
		return nil, err
	}
	return &ActorPack{*p}, nil
}

// ReadActorFile reads and parses an ActorPack file.
func ReadActorFile(path string) (*ActorPack, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read actorpack: %w", err)
	}
	return DecodeActors(data, path)
}

func actorSubject(e Entry) string {
	if v, ok := e.Fields["id"]; ok {
		return "id " + v.Str
	}
	return ""
}

// ValidateActors checks the pack against the ActorPack schema: known
// fields, mandatory id, uri, label, lastmod (the header's counts) and
// categories, concept ids for categories, country codes for
// jurisdictions, a JSON object for context, and unique actor ids.
func (c *Checker) ValidateActors(ap *ActorPack) error {
	if err := c.validatePack(&ap.Pack, c.actors, actorSubject); err != nil {
		return err
	}
	seen := make(map[string]int, len(ap.Entries))
	for _, e := range ap.Entries {
		id := e.Fields["id"].Str
		if first, dup := seen[id]; dup {
			return &Error{Problem{File: ap.File, Entry: "actor", Index: e.Index, Subject: actorSubject(e), Line: e.Line, Field: "id",
				Msg: fmt.Sprintf("id already used by actor %d", first)}}
		}
		seen[id] = e.Index
	}
	return nil
}

// ConvertActors turns a validated pack's actors into the model. Context
// (JSON text; a YAML mapping is turned into JSON) and lastmod (as a date)
// go to Fields.
func (c *Checker) ConvertActors(ap *ActorPack) ([]intel.Actor, error) {
	out := make([]intel.Actor, 0, len(ap.Entries))
	for _, e := range ap.Entries {
		a := intel.Actor{ID: ap.str(e, "id"), Label: ap.str(e, "label"), URI: ap.str(e, "uri")}
		if v, ok := ap.get(e, "aliases"); ok {
			a.Aliases = v.List
		}
		if v, ok := ap.get(e, "categories"); ok {
			a.Categories = v.List
		}
		if v, ok := ap.get(e, "jurisdictions"); ok {
			a.Jurisdictions = v.List
		}
		if v, ok := ap.get(e, "context"); ok {
			a.Fields = setField(a.Fields, "context", v.Str)
		}
		if v, ok := ap.get(e, "lastmod"); ok {
			t, err := v.timeOf()
			if err != nil {
				return nil, &Error{Problem{File: ap.File, Entry: "actor", Index: e.Index, Subject: actorSubject(e), Line: v.Line, Field: "lastmod", Msg: err.Error()}}
			}
			a.Fields = setField(a.Fields, "lastmod", formatTime(t))
		}
		out = append(out, a)
	}
	return out, nil
}
