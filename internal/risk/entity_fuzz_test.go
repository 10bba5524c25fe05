package risk

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/cluster"
)

// The entity figures' binary values, read back from the store: any bytes
// decode or fail cleanly, and what decodes encodes back to the same.
func FuzzDecodeMember(f *testing.F) {
	f.Add(encodeMember(7, 9))
	f.Add(encodeMember(1<<40, 1<<33))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 1, 0x80})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, v []byte) {
		h, id, err := decodeMember(v)
		if err != nil {
			return
		}
		if h == 0 || id == 0 {
			t.Fatalf("%x decodes to handle %d id %d", v, h, id)
		}
		if h2, id2, err := decodeMember(encodeMember(h, id)); err != nil || h2 != h || id2 != id {
			t.Fatalf("%x: %d %d re-encoded gives %d %d %v", v, h, id, h2, id2, err)
		}
		p := membersPrefix("bip122:x", h)
		m, err := decodeMembersEntry(append(p, "addr"...), v[8:], len(p))
		if err == nil && (m.id != id || m.addr != "addr") {
			t.Fatalf("%x: members entry %+v", v, m)
		}
	})
}

func FuzzDecodeJournal(f *testing.F) {
	f.Add(encodeJournal(journalEntry{Hash: chain.Hash{1, 2}, Links: []cluster.Link{{A: 1, B: 2}, {A: 1 << 31, B: 5}}}))
	f.Add(encodeJournal(journalEntry{}))
	f.Add(append(make([]byte, 32), 0xff, 0xff, 0xff, 0xff, 0x0f))
	f.Fuzz(func(t *testing.T, v []byte) {
		e, err := decodeJournal(v)
		if err != nil {
			return
		}
		back, err := decodeJournal(encodeJournal(e))
		if err != nil || back.Hash != e.Hash || !reflect.DeepEqual(back.Links, e.Links) {
			t.Fatalf("%x: %+v re-encoded gives %+v %v", v, e, back, err)
		}
	})
}

// Amounts per hop as the JSON records keep them: decoded, they encode
// back to the same amounts (zero hops as "", all-zero assets left out).
func FuzzDecodeHops(f *testing.F) {
	f.Add([]byte(`[{"asset":"native","by_hop":["5","","7"]}]`))
	f.Add([]byte(`[{"asset":"a","by_hop":["0x10"]},{"asset":"b","by_hop":["-1"]}]`))
	f.Add([]byte(`[{"asset":"a","by_hop":["1","2","3","4"]}]`))
	f.Add([]byte(`[{"asset":"a","by_hop":["115792089237316195423570985008687907853269984665640564039457584007913129639936"]}]`))
	f.Fuzz(func(t *testing.T, v []byte) {
		var list []assetHops
		if json.Unmarshal(v, &list) != nil {
			return
		}
		h, err := decodeHops(list, 3)
		if err != nil {
			return
		}
		enc := h.encode()
		back, err := decodeHops(enc, 3)
		if err != nil || !reflect.DeepEqual(back.encode(), enc) {
			t.Fatalf("%s: %+v re-encoded gives %+v %v", v, enc, back.encode(), err)
		}
		for asset := range h {
			if a, b := h.total(asset), back.total(asset); !a.Eq(&b) {
				t.Fatalf("%s: %s total %s, re-read %s", v, asset, a.Dec(), b.Dec())
			}
		}
	})
}
