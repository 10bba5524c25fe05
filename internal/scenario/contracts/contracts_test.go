package contracts_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainhound/chainhound/internal/guard/safetest"
	"github.com/chainhound/chainhound/internal/scenario/contracts"
)

// TestArtifacts: every committed artifact of ours names a source that is
// in src/ and the pinned compiler, and defines the contract it is named
// after; every contract the scenarios deploy is embedded.
func TestArtifacts(t *testing.T) {
	files, err := filepath.Glob("artifacts/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no artifacts: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var a struct {
			ContractName, Source, Compiler string
		}
		if err := json.Unmarshal(b, &a); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if a.ContractName+".json" != filepath.Base(f) || !strings.HasPrefix(a.Compiler, "solc 0.8.28+commit.7893614a") {
			t.Errorf("%s: contract %q, compiler %q", f, a.ContractName, a.Compiler)
		}
		src, err := os.ReadFile(a.Source)
		if err != nil {
			t.Errorf("%s: source: %v", f, err)
		} else if !bytes.Contains(src, []byte("contract "+a.ContractName+" ")) {
			t.Errorf("%s: %s defines no contract %s", f, a.Source, a.ContractName)
		}
	}
	for _, n := range []string{contracts.PlainToken, contracts.StableToken, contracts.StakedEther, contracts.Pool, contracts.Mixer,
		contracts.Router, contracts.Vault, contracts.Exchange, contracts.DepositAddress, contracts.OTCDesk, contracts.Trojan,
		contracts.Backdoor, contracts.Safe, contracts.SafeProxyFactory} {
		if _, err := contracts.Get(n); err != nil {
			t.Error(err)
		}
	}
	if _, err := contracts.Get("Nope"); err == nil {
		t.Error("Get of an unknown contract succeeded")
	}
}

// TestSafeArtifactsAreNPMs: the committed Safe 1.4.1 bytecode and ABI are
// the npm package's (fetched and SHA-1 checked by safetest; skipped
// offline).
func TestSafeArtifactsAreNPMs(t *testing.T) {
	npm := safetest.Safe141Artifacts(t, contracts.Safe, contracts.SafeProxyFactory)
	for _, n := range []string{contracts.Safe, contracts.SafeProxyFactory} {
		ours := contracts.Must(n)
		if !bytes.Equal(ours.Bytecode, npm[n].Code()) {
			t.Errorf("%s: committed bytecode differs from the npm package's", n)
		}
		if len(ours.ABI.Methods) != len(npm[n].ABIs.Methods) || len(ours.ABI.Events) != len(npm[n].ABIs.Events) {
			t.Errorf("%s: ABI differs from the npm package's", n)
		}
	}
}
