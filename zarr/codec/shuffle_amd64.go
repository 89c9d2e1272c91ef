//go:build amd64 && !purego

package codec

// unshuffle4SSE2 is in shuffle_amd64.s.
//
//go:noescape
func unshuffle4SSE2(dst, s0, s1, s2, s3 *byte, n int)

// unshuffle4Vector interleaves the leading multiple of 16 elements with
// SSE2 and returns how many it did; unshuffle4 finishes the rest. The
// callers guarantee len(dst) == 4*len(s0) and equal stream lengths.
func unshuffle4Vector(dst, s0, s1, s2, s3 []byte) int {
	m := len(s0) &^ 15
	if m == 0 {
		return 0
	}
	_, _, _, _ = dst[4*m-1], s1[m-1], s2[m-1], s3[m-1]
	unshuffle4SSE2(&dst[0], &s0[0], &s1[0], &s2[0], &s3[0], m)
	return m
}

// unshuffle2SSE2 and unshuffle8SSE2 are in shuffle_amd64.s.
//
//go:noescape
func unshuffle2SSE2(dst, s0, s1 *byte, n int)

//go:noescape
func unshuffle8SSE2(dst, src *byte, stride, n int)

// unshuffle2Vector is unshuffle4Vector for two streams.
func unshuffle2Vector(dst, s0, s1 []byte) int {
	m := len(s0) &^ 15
	if m == 0 {
		return 0
	}
	_, _ = dst[2*m-1], s1[m-1]
	unshuffle2SSE2(&dst[0], &s0[0], &s1[0], m)
	return m
}

// unshuffle8Vector is unshuffle4Vector for the eight streams src[k*n:].
func unshuffle8Vector(dst, src []byte, n int) int {
	m := n &^ 15
	if m == 0 {
		return 0
	}
	_, _ = dst[8*m-1], src[7*n+m-1]
	unshuffle8SSE2(&dst[0], &src[0], n, m)
	return m
}
