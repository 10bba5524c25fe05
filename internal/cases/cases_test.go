package cases

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func sample() *Case {
	return &Case{Name: "Bybit", Notes: "first look",
		Nodes: []Node{{ID: "eip155:1:0x8a8ba90166e3b41bbc44c89655ff70314321c41c", Kind: "address", Label: "theft", X: 1.5, Y: -2},
			{ID: "eip155:1:0xa110a4faeeac2236d292b97ed799ad64fec68e92", Kind: "address", Category: "exchange", X: 100, Y: 40, Exit: "freezable", Tainted: "980"}},
		Edges:       []Edge{{From: "eip155:1:0x8a8ba90166e3b41bbc44c89655ff70314321c41c", To: "eip155:1:0xa110a4faeeac2236d292b97ed799ad64fec68e92", Asset: "native", Amount: "1000", Count: 2, Taint: "980"}},
		Annotations: []Annotation{{X: 3, Y: 4, Text: "deposit"}},
		Exits:       []Exit{{Account: "eip155:1:0xa110a4faeeac2236d292b97ed799ad64fec68e92", Service: "Exchange", Category: "exchange", Asset: "native", Amount: "980", Freezable: true}},
		View:        View{Zoom: 1}}
}

// TestStoreRoundTrip saves, lists, reopens, updates, duplicates and
// deletes a case, and checks what comes back is what went in.
func TestStoreRoundTrip(t *testing.T) {
	s := Open(filepath.Join(t.TempDir(), "cases"))
	if l, err := s.List(); err != nil || len(l) != 0 {
		t.Fatalf("empty store lists %v, %v", l, err)
	}
	c, err := s.Create(sample())
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, c) {
		t.Fatalf("reopened\n%+v\nwant\n%+v", got, c)
	}
	c2 := *got
	c2.Nodes = append([]Node(nil), got.Nodes...)
	c2.Nodes[0].X, c2.Notes = 7, "second look"
	up, err := s.Update(c.ID, &c2)
	if err != nil {
		t.Fatal(err)
	}
	if up.Created != c.Created || up.Nodes[0].X != 7 {
		t.Errorf("update: %+v", up)
	}
	dup, err := s.Duplicate(c.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if dup.ID == c.ID || dup.Name != "Copy of Bybit" || dup.Nodes[0].X != 7 {
		t.Errorf("duplicate: %+v", dup)
	}
	// A torn temporary file left by a crash is not a case.
	os.WriteFile(filepath.Join(s.dir, ".case-123.tmp"), []byte(`{"name":`), 0o644)
	l, err := s.List()
	if err != nil || len(l) != 2 {
		t.Fatalf("list: %v, %v", l, err)
	}
	if err := s.Delete(c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(c.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted case: %v", err)
	}
	if _, err := s.Update(c.ID, sample()); !errors.Is(err, ErrNotFound) {
		t.Errorf("update of a deleted case: %v", err)
	}
	if _, err := s.Get("../../etc/passwd"); !errors.Is(err, ErrNotFound) {
		t.Errorf("path id: %v", err)
	}
}

func TestDecodeRefuses(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"name":"x","nodes":[{"id":"a","kind":"address"},{"id":"a","kind":"address"}]}`, "twice"},
		{`{"name":"x","edges":[{"from":"a","to":"b","asset":"native","amount":"1"}]}`, "must be nodes"},
		{`{"name":"x","nodes":[{"id":"a","kind":"planet"}]}`, "kind"},
		{`{"name":"x","colour":"red"}`, "colour"},
		{`{"name":""}`, "name"},
		{`{"name":"x","version":2}`, "version"},
		{`{"name":"x","nodes":[{"id":"a","kind":"address","tainted":"-1"}]}`, "tainted"},
		{`{"name":"x","exits":[{"amount":"1.5"}]}`, "exits[0]"},
		{`{"name":"x"} {}`, "more than one"},
		{`[]`, "case"},
	} {
		_, err := Decode([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.in, err, tc.want)
		}
	}
}

// FuzzDecode: whatever is imported, Decode either refuses it or returns a
// case that passes Check and survives a JSON round trip unchanged.
func FuzzDecode(f *testing.F) {
	b, _ := json.Marshal(sample())
	f.Add(b)
	f.Add([]byte(`{"name":"x"}`))
	f.Add([]byte(`{"name":"x","nodes":[{"id":"a","kind":"entity","members":["b"]}],"view":{"zoom":1e400}}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := Decode(in)
		if err != nil {
			return
		}
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		c2, err := Decode(out)
		if err != nil {
			t.Fatalf("re-decode of %s: %v", out, err)
		}
		if !reflect.DeepEqual(c, c2) {
			t.Fatalf("round trip changed the case:\n%+v\n%+v", c, c2)
		}
	})
}

// TestUpdateIfConcurrent: analysts who opened the same version save at
// once; exactly one save lands, the others are told the case changed,
// and the case on disk is whole and the one that landed.
func TestUpdateIfConcurrent(t *testing.T) {
	s := Open(filepath.Join(t.TempDir(), "cases"))
	frozen := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return frozen } // a coarse clock: versions must still differ
	c, err := s.Create(sample())
	if err != nil {
		t.Fatal(err)
	}
	const n = 16
	var wg sync.WaitGroup
	landed := make(chan *Case, n)
	conflicts := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := sample()
			mine.Notes = fmt.Sprintf("analyst %d", i)
			got, err := s.UpdateIf(c.ID, mine, c.Updated)
			switch {
			case err == nil:
				landed <- got
			case errors.Is(err, ErrConflict):
				conflicts <- err
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	close(landed)
	close(conflicts)
	if len(landed) != 1 || len(conflicts) != n-1 {
		t.Fatalf("%d saves landed and %d conflicted, want 1 and %d", len(landed), len(conflicts), n-1)
	}
	won := <-landed
	if won.Updated == c.Updated {
		t.Errorf("the save kept the version %s it replaced", c.Updated)
	}
	got, err := s.Get(c.ID)
	if err != nil || got.Notes != won.Notes || got.Updated != won.Updated {
		t.Errorf("on disk %+v, %v; want the save that landed (%s, %s)", got, err, won.Notes, won.Updated)
	}
	var ce *ConflictError
	if err := <-conflicts; !errors.As(err, &ce) || ce.Updated != won.Updated {
		t.Errorf("conflict %v: want it to name the version saved, %s", err, won.Updated)
	}
	// Without a version, a save overwrites whatever is there.
	if _, err := s.UpdateIf(c.ID, sample(), ""); err != nil {
		t.Errorf("unconditional update: %v", err)
	}
	if _, err := s.UpdateIf(c.ID, sample(), won.Updated); !errors.Is(err, ErrConflict) {
		t.Errorf("update on a version since replaced: %v", err)
	}
}
