//go:build !linux

package btcnode

import "os/exec"

// bindToParent does nothing where the kernel offers no parent-death
// signal; Close still stops the node.
func bindToParent(*exec.Cmd) {}
