//go:build linux

package btcnode

import (
	"os/exec"
	"syscall"
)

// bindToParent makes the kernel kill btcd when the test process dies, so a
// test binary killed by a timeout does not leave nodes running.
func bindToParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
