package btcnode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// BtcdModule and BtcdVersion name the btcd release the harness builds.
// btcd's node is a main package, so it cannot be linked into the test
// binary; EnsureBinary compiles it from the Go module proxy instead.
const (
	BtcdModule  = "github.com/btcsuite/btcd"
	BtcdVersion = "v0.26.2"
)

// BinaryEnv names an environment variable that, when set, points at a btcd
// executable to use instead of building one (for machines without access to
// a module proxy).
const BinaryEnv = "CHAINHOUND_BTCD"

// ErrNoBinary reports that no btcd executable is available: BinaryEnv
// points nowhere and building from the module proxy failed. Tests skip on
// it rather than fail, since it says nothing about the code under test.
var ErrNoBinary = errors.New("btcnode: no btcd binary")

// EnsureBinary returns the path of a btcd executable of BtcdVersion. It
// honours BinaryEnv; otherwise it builds btcd once per machine into the user
// cache directory (<cache>/chainhound/btcd/<version>-<os>-<arch>/btcd) and
// reuses it afterwards. The first build downloads btcd's modules and
// compiles it: about 30 s on two cores with cold Go caches, about 10 s
// with warm ones; later calls only stat the file.
//
// Concurrent callers, also in other processes, are serialised by a file
// lock, so two test packages starting together build once.
func EnsureBinary(ctx context.Context) (string, error) {
	if p := os.Getenv(BinaryEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%w: %s=%s: %w", ErrNoBinary, BinaryEnv, p, err)
		}
		return p, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("%w: user cache dir: %w", ErrNoBinary, err)
	}
	dir := filepath.Join(cache, "chainhound", "btcd", fmt.Sprintf("%s-%s-%s", BtcdVersion, runtime.GOOS, runtime.GOARCH))
	bin := filepath.Join(dir, "btcd"+exeSuffix())
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("%w: %w", ErrNoBinary, err)
	}
	unlock, err := lockFile(ctx, filepath.Join(dir, "build.lock"))
	if err != nil {
		return "", fmt.Errorf("%w: lock build dir: %w", ErrNoBinary, err)
	}
	defer unlock()
	// Another process may have finished the build while we waited.
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := buildBtcd(ctx, dir, bin); err != nil {
		return "", fmt.Errorf("%w: %w", ErrNoBinary, err)
	}
	return bin, nil
}

// buildBtcd runs `go install module@version` with GOBIN set to a scratch
// directory inside dir, then renames the result into place, so a reader
// never sees a half-written executable.
func buildBtcd(ctx context.Context, dir, bin string) error {
	goTool, err := goCommand()
	if err != nil {
		return err
	}
	scratch, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)

	cmd := exec.CommandContext(ctx, goTool, "install", BtcdModule+"@"+BtcdVersion)
	// Run outside any module so the caller's go.mod and go.work play no
	// part; CGO is off because btcd needs none and a static binary does
	// not depend on the host's C toolchain.
	cmd.Dir = scratch
	cmd.Env = append(os.Environ(), "GOBIN="+scratch, "GOWORK=off", "GOFLAGS=-buildvcs=false", "CGO_ENABLED=0")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go install %s@%s: %w\n%s", BtcdModule, BtcdVersion, err, strings.TrimSpace(out.String()))
	}
	if err := os.Rename(filepath.Join(scratch, "btcd"+exeSuffix()), bin); err != nil {
		return fmt.Errorf("install built btcd: %w", err)
	}
	return nil
}

// goCommand finds the go tool: the one on PATH, else the one of the
// toolchain that built this binary (go test runs tests with it).
func goCommand() (string, error) {
	if p, err := exec.LookPath("go"); err == nil {
		return p, nil
	}
	if root := runtime.GOROOT(); root != "" { //nolint:staticcheck // fallback only
		p := filepath.Join(root, "bin", "go"+exeSuffix())
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("go tool not found on PATH")
}

func exeSuffix() string {
	if runtime.GOOS == "windows" {
		return ".exe"
	}
	return ""
}
