package main

import (
	"strings"
	"testing"
)

// --from with the exact time of a block: the block at that time is
// skipped (blockArg takes the last block at or before the time, plus one).
// A holds 100 at the start of block 2 (time 2000) and pays it out in block
// 2; seeding its 100 from 1970-01-01T00:33:20Z (= 2000) should work like
// --from 2.
func TestRegressFromExactTime(t *testing.T) {
	dir := exitCase(t, "native")
	r := traceJSON(t, "--seed", a20(2), "--amount", "100", "--from", "2", "--data", dir)
	t.Logf("--from 2: seeded %+v flows %d", r.Seeded, len(r.Flows))
	_, errs, code := cli(t, "trace", "--data", dir, "--seed", a20(2), "--amount", "100", "--from", "1970-01-01T00:33:20Z")
	if code != 0 {
		t.Errorf("--from the time of block 2: exit %d, %s", code, strings.TrimSpace(errs))
	}
}

// A transaction seed that pays one recipient twice (two edges of one tx).
func TestRegressTxSeedSameRecipientTwice(t *testing.T) {
	dir := t.TempDir()
	tx := "0x" + strings.Repeat("ab", 32)
	edges := writeFile(t, dir, "e.csv", "source,target,amount,time,tx\n"+
		a20(1)+","+a20(2)+",100,1000,"+tx+"\n"+a20(1)+","+a20(2)+",50,1000,"+tx+"\n"+a20(2)+","+a20(3)+",120,2000,\n")
	mustCLI(t, "ingest", "edges", edges, "--chain", "eip155:1", "--data", dir)
	out, errs, code := cli(t, "trace", "--data", dir, "--seed", tx)
	if code != 0 {
		t.Errorf("tx seed paying one address twice: exit %d, %s", code, strings.TrimSpace(errs))
	}
	_ = out
}
