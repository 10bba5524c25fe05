package main

import (
	"strings"
	"testing"
)

// TestTraceBadInputs: each mistake in a trace command line is a clear
// message and the right exit code (2 for the command line, 1 for what
// the store or files say).
func TestTraceBadInputs(t *testing.T) {
	dir := exitCase(t, "native")
	sf := writeFile(t, dir, "seeds.txt", a20(1)+",abc\n")
	sf0 := writeFile(t, dir, "seeds0.txt", a20(1)+",0\n")
	usdt := "eip155:1/erc20:0xdac17f958d2ee523a2206206994597c13d831ec7"
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--seed-file", "/nonexistent"}, 1, "no such file"},
		{[]string{"--seed-file", sf}, 1, "seeds.txt:1: amount \"abc\""},
		{[]string{"--seed-file", sf0}, 1, "seeds0.txt:1: amount \"0\""},
		{[]string{"--seed", "0x00000000000000000000000000000000000000zz"}, 2, "not an Ethereum address"},
		{[]string{"--seed", ""}, 2, "is not an address"},
		{[]string{"--seed", "abcd:1"}, 2, "not an output TXID:VOUT"},
		{[]string{"--seed", a20(1), "--at", "garbage", "--direction", "backward"}, 2, "--at \"garbage\""},
		{[]string{"--seed", a20(1), "--from", "garbage"}, 2, "--from \"garbage\""},
		{[]string{"--seed", a20(1), "--from", "99"}, 2, "after the latest stored eth block 4"},
		{[]string{"--seed", a20(1), "--at", "99", "--direction", "backward"}, 2, "after the latest stored eth block 4"},
		{[]string{"--seed", a20(1), "--from", "2", "--direction", "backward"}, 2, "--from applies to forward traces"},
		{[]string{"--seed", a20(1), "--at", "2"}, 2, "--at applies to backward traces"},
		{[]string{"--seed", a20(2), "--at", "1", "--direction", "backward", "--amount", "1000"}, 1, "holds 100 of native at the end of block 1"},
		{[]string{"--seed", a20(1), "--asset", "garbage"}, 2, "asset \"garbage\""},
		{[]string{"--seed", a20(1), "--policy", "/nonexistent"}, 1, "no such file"},
		{[]string{"--seed", a20(1), "--min-amount", "-1"}, 2, "--min-amount"},
		{[]string{"--seed", a20(1), "--stop-at", "exchange,,"}, 2, "an empty category"},
		{[]string{"--seed", a20(1), "--direction", "sideways"}, 2, "want forward or backward"},
		{[]string{"--seed", a20(1), "extra"}, 2, "unexpected argument"},
		{[]string{"--seed", strings.Repeat("ab", 32) + ":99999999999"}, 1, "holds no btc data"},
		{[]string{"--seed", a20(2), "--amount", "5", "--asset", usdt}, 1, "holds 0 of erc20:0xdac17f958d2ee523a2206206994597c13d831ec7"},
	} {
		_, errs, code := cli(t, append([]string{"trace", "--data", dir}, tc.args...)...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("trace %q: exit %d (want %d), stderr %q (want %q)", tc.args, code, tc.code, errs, tc.want)
		}
	}
	// An upper-case 0X prefix is an address like any other.
	if _, errs, code := cli(t, "trace", "--data", dir, "--seed", "0X0000000000000000000000000000000000000001"); code != 0 {
		t.Errorf("0X address: exit %d %s", code, errs)
	}
}
