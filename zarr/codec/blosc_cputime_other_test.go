//go:build !unix

package codec

// processCPUSeconds is not measured off unix; BenchmarkDecode then omits
// its cpu-MB/s metric.
func processCPUSeconds() float64 { return 0 }
