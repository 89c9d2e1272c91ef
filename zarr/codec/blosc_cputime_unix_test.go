//go:build unix

package codec

import "syscall"

// processCPUSeconds is the user+system CPU time of this process, which
// BenchmarkDecode reports beside wall time: on a shared machine it is the
// steadier measure of a decoder's cost.
func processCPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
