package sdn

import (
	"errors"
	"github.com/chainhound/chainhound/internal/intel/addrcheck"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// miniXML is a small SDN Advanced XML document with one party; %s stands
// for its digital-currency features.
const miniXML = `<?xml version="1.0" encoding="utf-8"?>
<Sanctions xmlns="https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ADVANCED_XML">
  <DateOfIssue><Year>2025</Year><Month>11</Month><Day>19</Day></DateOfIssue>
  <ReferenceValueSets>
    <FeatureTypeValues>
      <FeatureType ID="345">Digital Currency Address - ETH</FeatureType>
      <FeatureType ID="344">Digital Currency Address - XBT</FeatureType>
      <FeatureType ID="999">Digital Currency Address - FOO</FeatureType>
    </FeatureTypeValues>
    <PartySubTypeValues><PartySubType ID="3" PartyTypeID="2">Unknown</PartySubType></PartySubTypeValues>
    <PartyTypeValues><PartyType ID="2">Entity</PartyType></PartyTypeValues>
    <SanctionsTypeValues><SanctionsType ID="1">Program</SanctionsType></SanctionsTypeValues>
  </ReferenceValueSets>
  <DistinctParties>
    <DistinctParty FixedRef="27307">
      <Profile ID="27307" PartySubTypeID="3">
        <Identity ID="1" Primary="true">
          <Alias Primary="true"><DocumentedName><DocumentedNamePart><NamePartValue>Lazarus Group</NamePartValue></DocumentedNamePart></DocumentedName></Alias>
        </Identity>
%s
      </Profile>
    </DistinctParty>
  </DistinctParties>
  <SanctionsEntries>
    <SanctionsEntry ID="1" ProfileID="27307"><SanctionsMeasure SanctionsTypeID="1"><Comment>DPRK3</Comment></SanctionsMeasure></SanctionsEntry>
  </SanctionsEntries>
</Sanctions>
`

func feature(typeID, addr string) string {
	return `        <Feature ID="1" FeatureTypeID="` + typeID + `"><FeatureVersion><VersionDetail>` + addr + `</VersionDetail></FeatureVersion></Feature>`
}

func mini(features ...string) string {
	return strings.Replace(miniXML, "%s", strings.Join(features, "\n"), 1)
}

func TestMiniXML(t *testing.T) {
	l, err := ParseAdvanced(strings.NewReader(mini(feature("345", "0x098B716B8Aaf21512996dC57EB0615e2383E2f96"))), "mini.xml", Options{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Tags) != 1 || l.Tags[0].Subject != "eip155:1:0x098b716b8aaf21512996dc57eb0615e2383e2f96" ||
		l.Tags[0].Fields["programs"] != "DPRK3" || l.Actors[0].Sanctions.PartyType != "Entity" {
		t.Errorf("%+v %+v", l.Tags, l.Actors)
	}
}

// wantErr checks that err is an *Error naming file and a line, and that
// its text contains each of want.
func wantErr(t *testing.T, err error, file string, want ...string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want *sdn.Error", err, err)
	}
	if e.File != file || (e.Line == 0 && e.Offset < 0) {
		t.Errorf("error %q does not name file %s and a position", err, file)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
}

func TestBadXML(t *testing.T) {
	good := mini(feature("345", "0x098b716b8aaf21512996dc57eb0615e2383e2f96"))
	for name, c := range map[string]struct {
		doc  string
		want []string
	}{
		"malformed":      {strings.Replace(good, "</Alias>", "</Alas>", 1), []string{"mini.xml:18:", "Alas"}},
		"truncated":      {good[:len(good)/2], []string{"unexpected EOF"}},
		"not SDN":        {"<html></html>", []string{"<Sanctions>"}},
		"no date":        {strings.Replace(good, "<Year>2025</Year><Month>11</Month><Day>19</Day>", "<Year>2025</Year><Month>13</Month><Day>1</Day>", 1), []string{"not a date"}},
		"undefined type": {mini(feature("12345", "x")), []string{"FeatureType ID \"12345\""}},
		"empty address":  {mini(feature("345", " ")), []string{"without an address"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseAdvanced(strings.NewReader(c.doc), "mini.xml", Options{})
			wantErr(t, err, "mini.xml", c.want...)
		})
	}
}

// An address not of its asset's form and an unknown asset code are kept
// with a warning naming file and line (an address valid on another chain
// on that chain), and are errors under Strict.
func TestWrongFormAndUnknownAsset(t *testing.T) {
	for name, c := range map[string]struct {
		feature, subject, want string
	}{
		"wrong form":    {feature("344", "TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq"), "tron:728126428:TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq", "it is a tron:728126428 address"},
		"bad checksum":  {feature("344", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3"), "bip122:000000000019d6689c085ae165831e93:1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3", "bad checksum"},
		"unknown asset": {feature("999", "foo123"), "ofac-sdn:FOO:foo123", "unknown asset code FOO"},
		"bad EIP-55":    {feature("345", "0x098B716B8Aaf21512996dC57EB0615e2383E2f97"), "eip155:1:0x098b716b8aaf21512996dc57eb0615e2383e2f97", "EIP-55"},
	} {
		t.Run(name, func(t *testing.T) {
			doc := mini(c.feature)
			l, err := ParseAdvanced(strings.NewReader(doc), "mini.xml", Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(l.Warnings) != 1 || len(l.Tags) != 1 || string(l.Tags[0].Subject) != c.subject || l.Tags[0].Fields["warning"] == "" {
				t.Fatalf("warnings %v tags %+v", l.Warnings, l.Tags)
			}
			wantErr(t, l.Warnings[0], "mini.xml", "mini.xml:20:", c.want)
			_, err = ParseAdvanced(strings.NewReader(doc), "mini.xml", Options{Strict: true})
			wantErr(t, err, "mini.xml", "mini.xml:20:", c.want)
		})
	}
}

// TestAddressInAnotherEncoding: bytes outside printable ASCII (a Latin-1
// or UTF-16 file) are an error naming file and position, never a subject.
func TestAddressInAnotherEncoding(t *testing.T) {
	doc := mini(feature("345", "0x\u00e9abc"))
	_, err := ParseAdvanced(strings.NewReader(doc), "mini.xml", Options{})
	wantErr(t, err, "mini.xml", "mini.xml:20:", "not an address")
}

func TestTruncatedBzip2(t *testing.T) {
	src := dataPath(t, "ofac-brave/sdn_advanced.xml.bz2")
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	head := make([]byte, 200_000)
	if _, err := io.ReadFull(f, head); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cut.xml.bz2")
	if err := os.WriteFile(path, head, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := ReadFile(path, time.Time{}, Options{})
	if l != nil {
		t.Errorf("partial result %d tags", len(l.Tags))
	}
	wantErr(t, err, path, "unexpected EOF")
	t.Log(err)
}

func TestBadLegacyCSV(t *testing.T) {
	date := time.Date(2024, 5, 3, 0, 0, 0, 0, time.UTC)
	row := `27307,"LAZARUS GROUP",-0- ,"DPRK3",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"Digital Currency Address - ETH %s."` + "\r\n"
	ok := strings.Replace(row, "%s", "0x098B716B8Aaf21512996dC57EB0615e2383E2f96", 1)
	for name, c := range map[string]struct {
		doc    string
		strict bool
		want   []string
	}{
		"broken quote": {`36,"AEROCARIBBEAN AIRLINES,-0- ,"CUBA",-0-` + "\r\n" + ok, false, []string{"sdn.csv:1:", "quote"}},
		"columns":      {"36,\"X\",-0-\r\n", false, []string{"sdn.csv:1:", "3 columns"}},
		"ent_num":      {strings.Replace(ok, "27307", "x", 1), false, []string{"ent_num"}},
		"wrong form":   {strings.Replace(row, "%s", "0x12", 1), true, []string{"sdn.csv:1:", "not of a form ETH"}},
		"empty":        {"", false, []string{"no SDN entries"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseLegacyCSV(strings.NewReader(c.doc), "sdn.csv", date, Options{Strict: c.strict})
			wantErr(t, err, "sdn.csv", c.want...)
		})
	}
	l, err := ParseLegacyCSV(strings.NewReader(ok+"\x1a"), "sdn.csv", date, Options{Strict: true})
	if err != nil || len(l.Tags) != 1 {
		t.Fatalf("%v %+v", err, l)
	}
}

func TestBadAddressList(t *testing.T) {
	date := time.Date(2025, 11, 19, 0, 0, 0, 0, time.UTC)
	_, err := ParseAddressList(strings.NewReader("0x098b716b8aaf21512996dc57eb0615e2383e2f96\n\n0xnothex\n"), "l.txt", "ETH", false, date, Options{Strict: true})
	wantErr(t, err, "l.txt", "l.txt:3:1", "not of a form ETH")
	_, err = ParseAddressList(strings.NewReader(`["0x098b716b8aaf21512996dc57eb0615e2383e2f96", 7]`), "l.json", "ETH", true, date, Options{})
	wantErr(t, err, "l.json", "byte ", "want an address string")
}

// TestPlaceAmbiguous: an address filed under the wrong asset moves only
// when exactly one chain takes it; one that several chains take (a 1…
// address is Bitcoin, Bitcoin Cash and BSV alike) stays as written.
func TestPlaceAmbiguous(t *testing.T) {
	p, err := Place("XMR", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2")
	if err != nil {
		t.Fatal(err)
	}
	if p.Chain != addrcheck.SDNAssetChains("XMR")[0] || p.Problem == "" {
		t.Fatalf("ambiguous address placed on %s (%q)", p.Chain, p.Problem)
	}
	p, err = Place("XBT", "TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq")
	if err != nil || p.Chain != addrcheck.Tron {
		t.Fatalf("Tron address under XBT: %+v %v", p, err)
	}
}
