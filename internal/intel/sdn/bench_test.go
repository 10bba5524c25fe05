package sdn

import (
	"compress/bzip2"
	"io"
	"os"
	"testing"
	"time"
)

// BenchmarkReadAdvancedBz2 parses the full 2025-11-19 SDN Advanced XML
// (121 MB, 18,367 parties) from its bzip2 file, as an import would.
func BenchmarkReadAdvancedBz2(b *testing.B) {
	path := dataPath(b, "ofac-brave/sdn_advanced.xml.bz2")
	for b.Loop() {
		l, err := ReadFile(path, time.Time{}, Options{})
		if err != nil || len(l.Tags) != 761 {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseAdvancedPlain parses the same document already
// decompressed (to a temporary file), to separate XML parsing from bzip2.
func BenchmarkParseAdvancedPlain(b *testing.B) {
	src, err := os.Open(dataPath(b, "ofac-brave/sdn_advanced.xml.bz2"))
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	tmp, err := os.CreateTemp(b.TempDir(), "sdn-*.xml")
	if err != nil {
		b.Fatal(err)
	}
	n, err := io.Copy(tmp, bzip2.NewReader(src))
	if err != nil {
		b.Fatal(err)
	}
	tmp.Close()
	b.SetBytes(n)
	b.ResetTimer()
	for b.Loop() {
		l, err := ReadFile(tmp.Name(), time.Time{}, Options{})
		if err != nil || len(l.Tags) != 761 {
			b.Fatal(err)
		}
	}
}
