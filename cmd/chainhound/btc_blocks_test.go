package main

import (
	"compress/bzip2"
	binenc "encoding/binary"
	"encoding/json"
	"github.com/chainhound/chainhound/internal/chain"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// mainnetBlocksDir writes mainnet blocks 0..255 from btcd's test data, in
// Bitcoin Core's blk framing, as a blocks/ directory.
func mainnetBlocksDir(t *testing.T) string {
	t.Helper()
	read := func(rel string) []byte {
		f, err := os.Open(filepath.Join("..", "..", "..", "shared", "data", "btcd-testdata", rel))
		if os.IsNotExist(err) {
			t.Skip("../shared/data/btcd-testdata absent: Bitcoin blocks-dir test skipped")
		}
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		b, err := io.ReadAll(bzip2.NewReader(f))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	first := read("blockchain/testdata/blk_0_to_4.dat.bz2")
	genesis := first[:8+binenc.LittleEndian.Uint32(first[4:8])]
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "blk00000.dat"), append(genesis, read("database/testdata/blocks1-256.bz2")...), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestBitcoinBlocksDir ingests real mainnet blocks 0..255 from a blocks/
// directory and checks chain facts: every coinbase claims at most subsidy
// plus fees, and block 170's transaction (the first that is not a
// coinbase) sends 10 BTC of block 9's coinbase to Hal Finney with 40 BTC of
// change, its input resolved to the output it spends.
func TestBitcoinBlocksDir(t *testing.T) {
	blocks := mainnetBlocksDir(t)
	dir := t.TempDir()
	mustCLI(t, "ingest", "btc", "--blocks-dir", blocks, "--data", dir)
	rows := readCSV(t, mustCLI(t, "export", "transfers", "--data", dir))
	coinbase, fees := map[string]int64{}, map[string]int64{}
	var tx170 []string
	for _, r := range rows {
		if r[0] != "bip122:000000000019d6689c085ae165831e93" {
			t.Fatalf("chain column %q, want mainnet's CAIP-2 id", r[0])
		}
		v, _ := strconv.ParseInt(r[8], 10, 64)
		switch r[4] {
		case "coinbase":
			coinbase[r[1]] += v
		case "fee":
			fees[r[1]] += v
		}
		if r[2] == "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16" {
			tx170 = append(tx170, strings.Join(r[4:9], " "))
		}
	}
	if len(coinbase) != 256 { // btcd's test data holds mainnet blocks 0..255
		t.Fatalf("%d blocks with a coinbase, want 256", len(coinbase))
	}
	for b, v := range coinbase {
		if v > 50e8+fees[b] {
			t.Errorf("block %s: coinbase %d exceeds subsidy plus fees %d", b, v, fees[b])
		}
	}
	want := []string{
		"native 12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S 1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3 native 1000000000",
		"native 12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S 12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S native 4000000000",
	}
	if strings.Join(tx170, "\n") != strings.Join(want, "\n") {
		t.Errorf("block 170's transaction:\n%s\nwant\n%s", strings.Join(tx170, "\n"), strings.Join(want, "\n"))
	}
	var tx struct {
		Block  uint64 `json:"block"`
		Inputs []struct {
			PrevTx    string `json:"prev_tx"`
			PrevIndex uint32 `json:"prev_index"`
			Address   string `json:"address"`
			Value     int64  `json:"value"`
		} `json:"inputs"`
	}
	out := mustCLI(t, "tx", "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16", "--data", dir, "--output", "json")
	if err := json.Unmarshal([]byte(out), &tx); err != nil {
		t.Fatal(err)
	}
	if tx.Block != 170 || len(tx.Inputs) != 1 || tx.Inputs[0].PrevTx != "0437cd7f8525ceed2324359c2d0ba26006d92d856a9c20fa0241106ee5a597c9" ||
		tx.Inputs[0].Address != "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S" || tx.Inputs[0].Value != 50e8 {
		t.Errorf("tx 170 inputs: %s", out)
	}
	// Block 9's coinbase paid to a public key (P2PK): the key finds the
	// same record as its P2PKH address.
	byKey := mustCLI(t, "address", "0411db93e1dcdb8a016b49840f8c53bc1eb68a382e97b1482ecad7b148a6909a5cb2e0eaddfb84ccf9744464f82e160bfa9b8b64f9d4c03f999b8643f656b412a3", "--data", dir, "--output", "json")
	byAddr := mustCLI(t, "address", "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S", "--data", dir, "--output", "json")
	if byKey != byAddr || !strings.Contains(byKey, `"found": true`) {
		t.Errorf("address by public key:\n%s\nby its P2PKH address:\n%s", byKey, byAddr)
	}
}

// TestBitcoinBadInput: wrong network, a corrupt blk file and an input whose
// output the store lacks each fail with an error naming what and where.
func TestBitcoinBadInput(t *testing.T) {
	blocks := mainnetBlocksDir(t)
	dir := filepath.Join(t.TempDir(), "data")
	if _, errs, code := cli(t, "ingest", "btc", "--blocks-dir", blocks, "--network", "testnet3", "--data", dir); code != 1 || !containsAll(errs, "blk00000.dat", "mainnet") {
		t.Errorf("wrong network: exit %d\n%s", code, errs)
	}
	// Cut the file inside block 100's frame.
	raw, _ := os.ReadFile(filepath.Join(blocks, "blk00000.dat"))
	cut := t.TempDir()
	os.WriteFile(filepath.Join(cut, "blk00000.dat"), raw[:len(raw)/2+3], 0o644)
	if _, errs, code := cli(t, "ingest", "btc", "--blocks-dir", cut, "--data", dir); code != 1 || !containsAll(errs, "blk00000.dat", "offset") {
		t.Errorf("truncated blk file: exit %d\n%s", code, errs)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("a refused ingest created the store (%v)", err)
	}
	// Starting at block 100 without the earlier outputs (block 170 spends
	// one): refused before anything is stored.
	_, errs, code := cli(t, "ingest", "btc", "--blocks-dir", blocks, "--from", "100", "--data", dir)
	if code != 1 || !containsAll(errs, "ingest from block 100", "blocks/ directory cannot supply", "ingest from block 0", "-txindex") {
		t.Errorf("start above genesis: exit %d\n%s", code, errs)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("a refused ingest created the store (%v)", err)
	}
	// Once the store holds blocks, --from below its tip resumes after it.
	mustCLI(t, "ingest", "btc", "--blocks-dir", blocks, "--to", "150", "--data", dir)
	mustCLI(t, "ingest", "btc", "--blocks-dir", blocks, "--from", "100", "--data", dir)
	if got := cursorOf(t, dir, chain.Bitcoin); got != 255 {
		t.Errorf("cursor %d after resuming, want 255", got)
	}
}
