//go:build !amd64 || purego

package codec

// The unshuffle*Vector helpers have no vector form off amd64 (or with
// -tags purego): the portable word-level loops in shuffle.go do all the
// work.

func unshuffle4Vector(dst, s0, s1, s2, s3 []byte) int { return 0 }

func unshuffle2Vector(dst, s0, s1 []byte) int { return 0 }

func unshuffle8Vector(dst, src []byte, n int) int { return 0 }
