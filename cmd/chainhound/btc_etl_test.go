package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/chain"
)

// etlCase returns a bitcoin-etl recorded case directory of Bitcoin blocks
// 50,001-50,002.
func etlCase(t *testing.T, name string) string {
	t.Helper()
	return sharedPath(t, "bitcoin-etl-tests/tests/resources/test_export_blocks_job/bitcoin/"+name)
}

// TestBitcoinETLJSON loads bitcoin-etl exports with --etl-json: from an
// empty store (starting at the files' first block), resuming a store that
// ends just before the files' next block, and refusing broken files, a gap
// and inputs nobody can resolve, with the store left as it was.
func TestBitcoinETLJSON(t *testing.T) {
	src := filepath.Join(etlCase(t, "stream_50001_50002"), "expected_transactions.json")
	whole := t.TempDir()
	mustCLI(t, "ingest", "btc", "--etl-json", src, "--data", whole)
	ref := export(t, whole)
	if !containsAll(ref, "50001,7940cdde4d713e171849efc6bd89939185be270266c94e92369e3877ad89455a,0,native,1DoQeKfU3dYhN9bxMpFFcVUnufCPDqSPae,1HaHTfmvoUW6i6nhJf8jJs6tU4cHNmBQHQ,native,5000000000",
		"50002,5164dc2785549f9efe14eb1c54522ec1874a02b7eda164fde370c05412f037ad,0,coinbase,,1CvMvWyKJvfg6wQSGdHraoJ7NFu8KaTL1u") {
		t.Fatalf("export:\n%s", ref)
	}
	tx := mustCLI(t, "tx", "7940cdde4d713e171849efc6bd89939185be270266c94e92369e3877ad89455a", "--data", whole)
	if !containsAll(tx, "INPUT 1", "0dd0394c6240355f4e4b3c88028f678ed746cebee3b3e8509620733f018914c9:0", "1PZMgkF2x161qvfP7dhoWSEEU3SjnQE1m9") {
		t.Errorf("tx does not show the resolved inputs:\n%s", tx)
	}

	// Block 50,001 first, then the whole file: the second run resumes at 50,002.
	raw, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var first []string
	for _, l := range strings.SplitAfter(string(raw), "\n") {
		if strings.Contains(l, `"block_number": 50001`) {
			first = append(first, l)
		}
	}
	part := filepath.Join(t.TempDir(), "50001.json")
	os.WriteFile(part, []byte(strings.Join(first, "")), 0o644)
	resumed := t.TempDir()
	mustCLI(t, "ingest", "btc", "--etl-json", part, "--data", resumed)
	if got := cursorOf(t, resumed, chain.Bitcoin); got != 50001 {
		t.Fatalf("cursor %d after the first file", got)
	}
	before := export(t, resumed)

	broken := filepath.Join(t.TempDir(), "broken.json")
	os.WriteFile(broken, []byte(strings.Replace(string(raw), `"block_number": 50002`, `"block_number": 50002, "is_coinbase": "yes"`, 1)), 0o644)
	if _, errs, code := cli(t, "ingest", "btc", "--etl-json", broken, "--data", resumed); code != 1 || !containsAll(errs, "broken.json:4", "block 50002") {
		t.Errorf("broken file: exit %d\n%s", code, errs)
	}
	if export(t, resumed) != before {
		t.Error("a refused file changed the store")
	}
	mustCLI(t, "ingest", "btc", "--etl-json", src, "--data", resumed)
	mustCLI(t, "ingest", "btc", "--etl-json", src, "--data", resumed) // again: nothing to do
	if got := export(t, resumed); got != ref {
		t.Errorf("resumed export differs from a whole one:\n%s\nwant\n%s", got, ref)
	}

	// Every line is checked before anything is stored: a file broken in
	// its second block leaves an empty store without blocks.
	fresh := filepath.Join(t.TempDir(), "fresh")
	if _, errs, code := cli(t, "ingest", "btc", "--etl-json", broken, "--data", fresh); code != 1 || !containsAll(errs, "broken.json:4") {
		t.Errorf("broken file into an empty store: exit %d\n%s", code, errs)
	}
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Errorf("a refused file created the store (%v)", err)
	}

	// An export that disagrees with a stored block cannot roll it back:
	// files carry no proof of work.
	other := filepath.Join(t.TempDir(), "other.json")
	os.WriteFile(other, []byte(strings.ReplaceAll(string(raw), "000000001c920d495e1eeef2452b6d1c6c229a919b28196c103ecffebabee141", "000000001c920d495e1eeef2452b6d1c6c229a919b28196c103ecffebabee142")), 0o644)
	if _, errs, code := cli(t, "ingest", "btc", "--etl-json", other, "--data", whole); code != 1 || !containsAll(errs, "block 50001", "no headers or proof of work") {
		t.Errorf("disagreeing export: exit %d\n%s", code, errs)
	}
	if export(t, whole) != ref {
		t.Error("a disagreeing export changed the store")
	}

	// A store that ends before the files start would leave a gap.
	gapped := t.TempDir()
	mustCLI(t, "ingest", "btc", "--etl-json", part, "--data", gapped)
	later := filepath.Join(t.TempDir(), "later.json")
	os.WriteFile(later, []byte(strings.ReplaceAll(strings.Join(strings.SplitAfter(string(raw), "\n")[3:], ""), `"block_number": 50002`, `"block_number": 50003`)), 0o644)
	if _, errs, code := cli(t, "ingest", "btc", "--etl-json", later, "--data", gapped); code != 1 || !containsAll(errs, "ends at block 50001", "start at block 50003", "50002..50002 are missing") {
		t.Errorf("gap: exit %d\n%s", code, errs)
	}

	// Inputs the export did not resolve, and no node to ask.
	split := etlCase(t, "block_with_transactions")
	none := filepath.Join(t.TempDir(), "data")
	_, errs, code := cli(t, "ingest", "btc", "--etl-json", filepath.Join(split, "expected_transactions.json"), "--etl-json", filepath.Join(split, "expected_blocks.json"), "--data", none)
	if code != 1 || !containsAll(errs, "block 50001", "input 0", "does not hold", "--rpc") {
		t.Errorf("unresolved inputs: exit %d\n%s", code, errs)
	}

	for _, args := range [][]string{
		{"--etl-json", src, "--follow"},
		{"--etl-json", src, "--blocks-dir", "."},
	} {
		if _, errs, code := cli(t, append([]string{"ingest", "btc", "--data", t.TempDir()}, args...)...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage)\n%s", args, code, errs)
		}
	}
}
