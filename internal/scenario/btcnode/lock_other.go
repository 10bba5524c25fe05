//go:build !unix

package btcnode

import "context"

// lockFile is a no-op where flock is unavailable: concurrent builds then
// both compile, and the atomic rename in buildBtcd keeps the result whole.
func lockFile(context.Context, string) (func(), error) { return func() {}, nil }
