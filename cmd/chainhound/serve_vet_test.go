package main

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chainhound/chainhound/internal/vet"
)

// TestServeVet: concurrent vet requests all answer (the store is read once
// and shared, Pebble letting a process open it once at a time), and a
// record imported while serve runs is screened by the next request.
func TestServeVet(t *testing.T) {
	t.Setenv(vet.KeyEnv, "0123456789abcdef0123456789abcdef-test")
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	mustCLI(t, "vet", "import", writeFile(t, dir, "a.csv", "id,names,devices\nv1,Ann Lee,dev-1\nv2,Bo Yang,dev-2\n"), "--data", data)
	base, stop, stderr := startServe(t, "--data", data, "--no-auth")
	defer stop()
	post := func(body string) (int, string) {
		resp, err := http.Post(base+"/v1/vet/screen", "application/json", strings.NewReader(body))
		if err != nil {
			t.Error(err)
			return 0, ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code, b := post(`{"ids":["v1","v2"]}`); code != 200 {
				t.Errorf("concurrent request: %d %s", code, b)
			}
		}()
	}
	wg.Wait()
	mustCLI(t, "vet", "import", writeFile(t, dir, "b.csv", "id,names,devices\nv3,Cy Park,dev-1\n"), "--data", data)
	code, b := post(`{"ids":["v3"]}`)
	var vr vetScreenResponse
	if code != 200 || json.Unmarshal([]byte(b), &vr) != nil || vr.Reports[0].Cluster == nil || len(vr.Reports[0].Cluster.Members) != 2 {
		t.Fatalf("after an import: %d %s\n%s", code, b, stderr.String())
	}
}
