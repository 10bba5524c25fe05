//go:build unix

package bench

import "syscall"

// cpuSeconds is the CPU time (user and system) the process has used: on a
// machine shared with other work it tells what a run cost, where wall time
// tells also how much of the machine it got.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}
