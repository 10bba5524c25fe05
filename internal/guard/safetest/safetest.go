// Package safetest provides the real Safe contracts to tests: it fetches
// the Safe project's published npm packages into the user cache (pinned
// by the registry's SHA-1; no bytecode is committed), reads their
// artifacts, and deploys a Safe on an in-process node.
package safetest

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// Package is a published npm tarball of Safe contracts, pinned by the
// SHA-1 the registry publishes for it.
type Package struct {
	Name, Version, URL, SHA1, License string
}

// The Safe contracts come from the Safe project's own npm packages, fetched
// at test time into the user cache and checked against the registry's
// SHA-1 (the bytecode is not committed here).
var (
	Safe141 = Package{"@safe-global/safe-contracts", "1.4.1", "https://registry.npmjs.org/@safe-global/safe-contracts/-/safe-contracts-1.4.1.tgz", "82605342f3289dc6b99818f599a3409ec2cb3fdc", "LGPL-3.0"}
	// Older releases were published as @gnosis.pm/safe-contracts (GPL-3.0).
	GnosisReleases = []Package{
		{"@gnosis.pm/safe-contracts", "0.1.0", "https://registry.npmjs.org/@gnosis.pm/safe-contracts/-/safe-contracts-0.1.0.tgz", "47baf0bdb65e7c73732998301c9136f62d43d954", "GPL-3.0"},
		{"@gnosis.pm/safe-contracts", "1.0.0", "https://registry.npmjs.org/@gnosis.pm/safe-contracts/-/safe-contracts-1.0.0.tgz", "2b562b1e23a0da1047a9f38ef71a70f811e75dd9", "GPL-3.0"},
		{"@gnosis.pm/safe-contracts", "1.1.1", "https://registry.npmjs.org/@gnosis.pm/safe-contracts/-/safe-contracts-1.1.1.tgz", "d85bf2026a5405316bee623c0e6f193c3ace89cd", "GPL-3.0"},
		{"@gnosis.pm/safe-contracts", "1.2.0", "https://registry.npmjs.org/@gnosis.pm/safe-contracts/-/safe-contracts-1.2.0.tgz", "33e8332e09c19e8822fccb06c7d3eff806d091f6", "GPL-3.0"},
		{"@gnosis.pm/safe-contracts", "1.3.0", "https://registry.npmjs.org/@gnosis.pm/safe-contracts/-/safe-contracts-1.3.0.tgz", "316741a7690d8751a1f701538cfc9ec80866eedc", "GPL-3.0"},
	}
)

// Artifact is a Hardhat or Truffle artifact: ABI, creation and runtime bytecode.
type Artifact struct {
	ContractName     string          `json:"contractName"`
	ABI              json.RawMessage `json:"abi"`
	Bytecode         string          `json:"bytecode"`
	DeployedBytecode string          `json:"deployedBytecode"`
	ABIs             abi.ABI         `json:"-"`
}

// Code is the creation bytecode.
func (a *Artifact) Code() []byte { return hexutil.MustDecode(a.Bytecode) }

// Pack ABI-encodes a call of method.
func (a *Artifact) Pack(t testing.TB, method string, args ...any) []byte {
	t.Helper()
	b, err := a.ABIs.Pack(method, args...)
	if err != nil {
		t.Fatalf("%s.%s: %v", a.ContractName, method, err)
	}
	return b
}

// Safe141Artifacts returns the named contracts' artifacts of Safe 1.4.1.
func Safe141Artifacts(t testing.TB, names ...string) map[string]*Artifact {
	t.Helper()
	return Artifacts(t, Safe141, names...)
}

// Artifacts returns the named contracts' artifacts (Hardhat or
// Truffle layout) from a package.
func Artifacts(t testing.TB, pkg Package, names ...string) map[string]*Artifact {
	t.Helper()
	tgz := fetchTarball(t, pkg)
	f, err := os.Open(tgz)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string]*Artifact{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		base := path.Base(h.Name)
		if !strings.HasPrefix(h.Name, "package/build/") || strings.HasSuffix(base, ".dbg.json") || !want[strings.TrimSuffix(base, ".json")] {
			continue
		}
		a := &Artifact{}
		if err := json.NewDecoder(tr).Decode(a); err != nil {
			t.Fatalf("%s: %v", h.Name, err)
		}
		if out[a.ContractName] != nil {
			continue // Hardhat keeps interfaces of the same name elsewhere; the first wins
		}
		if a.ABIs, err = abi.JSON(strings.NewReader(string(a.ABI))); err != nil {
			t.Fatalf("%s: abi: %v", h.Name, err)
		}
		out[a.ContractName] = a
	}
	for _, n := range names {
		if out[n] == nil {
			t.Fatalf("artifact %s not in %s %s", n, pkg.Name, pkg.Version)
		}
	}
	return out
}

func fetchTarball(t testing.TB, pkg Package) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "chainhound", "npm")
	p := filepath.Join(dir, strings.NewReplacer("@", "", "/", "-").Replace(pkg.Name)+"-"+pkg.Version+".tgz")
	if b, err := os.ReadFile(p); err == nil && sha1Hex(b) == pkg.SHA1 {
		return p
	}
	client := &http.Client{Timeout: 2 * time.Minute}
	resp, err := client.Get(pkg.URL)
	if err != nil {
		t.Skipf("cannot fetch the Safe contracts from the npm registry (%v): the on-chain scenario needs them", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Skipf("npm registry: %s for %s", resp.Status, pkg.URL)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Skipf("npm registry: reading %s: %v", pkg.URL, err)
	}
	if got := sha1Hex(b); got != pkg.SHA1 {
		t.Fatalf("%s: SHA-1 %s, the registry publishes %s", pkg.URL, got, pkg.SHA1)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := fmt.Sprintf("%s.%d.tmp", p, os.Getpid())
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		t.Fatal(err)
	}
	return p
}

func sha1Hex(b []byte) string {
	s := sha1.Sum(b)
	return hex.EncodeToString(s[:])
}
