package tagpack

import (
	"bytes"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/chainhound/chainhound/internal/intel"
)

// TestRoundTripRealPacks encodes every real pack's tags and decodes them
// again: the tags must come back identical.
func TestRoundTripRealPacks(t *testing.T) {
	files, err := Files(filepath.Join(sharedDir(t, "graphsense-tagpacks"), "packs"))
	if err != nil {
		t.Fatal(err)
	}
	c := NewChecker()
	total := 0
	for _, f := range files {
		r, err := c.ImportFile(f, SkipInvalidTags)
		if err != nil {
			continue // TestRealPacksImport reports these
		}
		back := roundTrip(t, c, r.Meta, r.Tags, f.Path)
		if len(back) != len(r.Tags) {
			t.Errorf("%s: %d tags back, want %d", f.Path, len(back), len(r.Tags))
			continue
		}
		for i := range back {
			if !reflect.DeepEqual(back[i], r.Tags[i]) {
				t.Errorf("%s: tag %d changed:\n got %#v\nwant %#v", f.Path, i, back[i], r.Tags[i])
				break
			}
		}
		total += len(back)
	}
	t.Logf("%d tags survived export -> parse unchanged", total)
}

func roundTrip(t *testing.T, c *Checker, meta Meta, tags []intel.Tag, name string) []intel.Tag {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Encode(&buf, meta, tags); err != nil {
		t.Fatalf("%s: encode: %v", name, err)
	}
	tp, err := Decode(buf.Bytes(), name+" (exported)", nil)
	if err != nil {
		t.Fatalf("%v", err)
	}
	if err := c.Validate(tp); err != nil {
		t.Fatalf("exported pack invalid: %v", err)
	}
	back, _, err := c.Convert(tp)
	if err != nil {
		t.Fatalf("exported pack: %v", err)
	}
	return back
}

// TestActorPackRealRoundTrip imports the public ActorPack and checks an
// export -> parse round trip.
func TestActorPackRealRoundTrip(t *testing.T) {
	path := filepath.Join(sharedDir(t, "graphsense-tagpacks"), "actors", "graphsense.actorpack.yaml")
	c := NewChecker()
	ap, err := ReadActorFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ValidateActors(ap); err != nil {
		t.Fatal(err)
	}
	actors, err := c.ConvertActors(ap)
	if err != nil {
		t.Fatal(err)
	}
	if len(actors) != 3813 {
		t.Errorf("%d actors, want 3813", len(actors))
	}
	var buf bytes.Buffer
	if err := c.EncodeActors(&buf, ap.Meta(), actors); err != nil {
		t.Fatal(err)
	}
	ap2, err := DecodeActors(buf.Bytes(), "exported")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ValidateActors(ap2); err != nil {
		t.Fatal(err)
	}
	back, err := c.ConvertActors(ap2)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, actors) {
		for i := range actors {
			if !reflect.DeepEqual(back[i], actors[i]) {
				t.Fatalf("actor %d changed:\n got %#v\nwant %#v", i, back[i], actors[i])
			}
		}
	}
	t.Logf("%d actors imported and round-tripped", len(actors))
}
