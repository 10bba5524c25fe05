package labels

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chainhound/chainhound/internal/intel"
)

func readCSV(s string) ([]intel.Tag, error) {
	var tags []intel.Tag
	_, err := ReadCSV(strings.NewReader(s), "list.csv", func(t intel.Tag) error {
		tags = append(tags, t)
		return nil
	})
	return tags, err
}

func TestCSVRoundTripOfAValidFile(t *testing.T) {
	tags, err := readCSV(CSVHeader + "\n" +
		"eip155:1,0x098B716B8Aaf21512996dC57EB0615e2383E2f96,Lazarus Group,perpetrator,authority_data,https://ofac.treasury.gov/,2022-04-14\n" +
		`bip122:000000000019d6689c085ae165831e93,BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4,"Exchange, hot wallet",hot_wallet,,case 17,` + "\n" +
		"eip155:1,0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD,typo,,,notes,\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []intel.Tag{
		{Subject: "eip155:1:0x098b716b8aaf21512996dc57eb0615e2383e2f96", Label: "Lazarus Group", Category: "perpetrator",
			Confidence: "authority_data", Source: "https://ofac.treasury.gov/", SourceDate: time.Date(2022, 4, 14, 0, 0, 0, 0, time.UTC)},
		{Subject: "bip122:000000000019d6689c085ae165831e93:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", Label: "Exchange, hot wallet",
			Category: "hot_wallet", Source: "case 17"},
	}
	if len(tags) != 3 {
		t.Fatalf("%d tags, want 3", len(tags))
	}
	for i, w := range want {
		if fmt.Sprint(tags[i]) != fmt.Sprint(w) {
			t.Errorf("tag %d:\n got %+v\nwant %+v", i, tags[i], w)
		}
	}
	if !strings.Contains(tags[2].Fields["address_warning"], "EIP-55") {
		t.Errorf("bad checksum not kept as a warning: %+v", tags[2])
	}
}

// Bad input is an error that names the file and line.
func TestCSVBadInput(t *testing.T) {
	ok := "eip155:1,0x098b716b8aaf21512996dc57eb0615e2383e2f96,L,,,s,\n"
	for _, c := range []struct{ name, body, want string }{
		{"broken quote", ok + `eip155:1,0x098b716b8aaf21512996dc57eb0615e2383e2f96,"Laz"arus,,,s,` + "\n", "list.csv:3:"},
		{"unterminated quote", ok + ok + `eip155:1,"0x098b,L,,,s,` + "\n", "list.csv:4:"},
		{"bad address", ok + "eip155:1,0x098b716b8aaf21512996dc57eb0615e2383e2f9,L,,,s,\n", "list.csv:3: eip155:1 address"},
		{"address of another chain", "bip122:000000000019d6689c085ae165831e93,TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7,L,,,s,\n", "list.csv:2:"},
		{"unknown chain", "eth,0x098b716b8aaf21512996dc57eb0615e2383e2f96,L,,,s,\n", `list.csv:2: chain "eth"`},
		{"unknown category", "eip155:1,0x098b716b8aaf21512996dc57eb0615e2383e2f96,L,mixer,,s,\n", `list.csv:2: category "mixer"`},
		{"unknown confidence", "eip155:1,0x098b716b8aaf21512996dc57eb0615e2383e2f96,L,,high,s,\n", `list.csv:2: confidence "high"`},
		{"bad date", "eip155:1,0x098b716b8aaf21512996dc57eb0615e2383e2f96,L,,,s,14/04/2022\n", `list.csv:2: date`},
		{"missing source", "eip155:1,0x098b716b8aaf21512996dc57eb0615e2383e2f96,L,,,,\n", "list.csv:2: empty source"},
		{"short row", "eip155:1,0x098b716b8aaf21512996dc57eb0615e2383e2f96,L\n", "list.csv:2: 3 fields"},
	} {
		_, err := readCSV(CSVHeader + "\n" + c.body)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.name, err, c.want)
		}
	}
	if _, err := readCSV("address,label\n"); err == nil || !strings.Contains(err.Error(), "list.csv:1: header") {
		t.Errorf("wrong header: %v", err)
	}
}

func TestEmitErrorStops(t *testing.T) {
	stop := errors.New("store full")
	_, err := ReadCSV(strings.NewReader(CSVHeader+"\neip155:1,0x098b716b8aaf21512996dc57eb0615e2383e2f96,L,,,s,\n"), "x.csv",
		func(intel.Tag) error { return stop })
	if !errors.Is(err, stop) || !strings.Contains(err.Error(), "x.csv:2") {
		t.Errorf("error %v", err)
	}
}

func TestExplorerAndFortaBadInput(t *testing.T) {
	e := Explorers()[0]
	_, err := ReadEtherscan(strings.NewReader(",Address,Name Tag\n0,0xnothex,Foo\n"), "data/etherscan/accounts/x.csv", e, func(intel.Tag) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "data/etherscan/accounts/x.csv:2:") {
		t.Errorf("etherscan bad address: %v", err)
	}
	_, err = ReadForta(strings.NewReader("address,etherscan_tag\n0x1,x\n"), "labels/1/p.csv", "eip155:1", func(intel.Tag) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "labels/1/p.csv:2:") {
		t.Errorf("forta bad address: %v", err)
	}
	_, err = ReadForta(strings.NewReader("address\n"), "p.csv", "chain:x", func(intel.Tag) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "p.csv") {
		t.Errorf("forta unknown chain: %v", err)
	}
	if _, err := ImportEtherscan("csv_test.go", func(intel.Tag) error { return nil }); err == nil {
		t.Error("a file outside an explorer directory was accepted")
	}
}

// FuzzReadCSV: any input either parses into tags that carry the fields
// the format requires, or fails with an error naming the file.
func FuzzReadCSV(f *testing.F) {
	f.Add(CSVHeader + "\neip155:1,0x098B716B8Aaf21512996dC57EB0615e2383E2f96,Lazarus Group,perpetrator,authority_data,https://ofac.treasury.gov/,2022-04-14\n")
	f.Fuzz(func(t *testing.T, s string) {
		st, err := ReadCSV(strings.NewReader(s), "f.csv", func(tag intel.Tag) error {
			if tag.Subject == "" || tag.Label == "" || tag.Source == "" {
				t.Fatalf("incomplete tag %+v", tag)
			}
			return nil
		})
		if err != nil && !strings.HasPrefix(err.Error(), "f.csv") {
			t.Fatalf("error without the file name: %v", err)
		}
		if st.Tags > st.Rows {
			t.Fatalf("%d tags from %d rows", st.Tags, st.Rows)
		}
	})
}
