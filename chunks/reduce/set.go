package reduce

import (
	"fmt"
	"math"
	"slices"
)

// Set holds the partial states of several reducers over the pixels of a tile,
// for one output bin.
type Set struct {
	reducers []Reducer
	minCount int
	pixels   int
	has      state

	count         []uint32
	sum           []float64
	shift, s1, s2 []float64 // moments as shifted sums: Σ(x−shift), Σ(x−shift)²
	min, max      []float64
	firstT        []int64
	firstV        []float64
	lastT         []int64
	lastV         []float64
	vals32        []float32 // step-major values (NaN kept) when every input was float32
	vals64        []float64 // step-major values once any input was float64
	steps         int       // timesteps accumulated, valid or not
	sortScratch   []float64 // Finalize's per-pixel buffers, not part of the state
}

// NewSet returns empty partial states for reducers over pixels pixels.
// minCount is the least number of valid values a pixel needs for a non-NaN
// result (DefaultMinCount is 1; 0 is xarray's default).
func NewSet(pixels int, reducers []Reducer, minCount int) (*Set, error) {
	if pixels < 0 {
		return nil, fmt.Errorf("reduce: %d pixels: %w", pixels, ErrBadParameter)
	}
	if minCount < 0 {
		return nil, fmt.Errorf("reduce: min_count=%d is negative: %w", minCount, ErrBadParameter)
	}
	s := &Set{reducers: slices.Clone(reducers), minCount: minCount, pixels: pixels}
	for _, r := range reducers {
		if err := r.Validate(); err != nil {
			return nil, err
		}
		s.has |= r.needs()
	}
	s.has |= stCount
	s.alloc()
	s.Reset()
	return s, nil
}

func (s *Set) alloc() {
	p := s.pixels
	s.count = make([]uint32, p)
	if s.has&stSum != 0 {
		s.sum = make([]float64, p)
	}
	if s.has&stMoments != 0 {
		s.shift = make([]float64, p)
		s.s1 = make([]float64, p)
		s.s2 = make([]float64, p)
	}
	if s.has&stMin != 0 {
		s.min = make([]float64, p)
	}
	if s.has&stMax != 0 {
		s.max = make([]float64, p)
	}
	if s.has&stFirst != 0 {
		s.firstT = make([]int64, p)
		s.firstV = make([]float64, p)
	}
	if s.has&stLast != 0 {
		s.lastT = make([]int64, p)
		s.lastV = make([]float64, p)
	}
}

// Reset empties the states, keeping their memory, so a Set can be reused.
func (s *Set) Reset() {
	clear(s.count)
	clear(s.sum)
	clear(s.shift)
	clear(s.s1)
	clear(s.s2)
	fill(s.min, math.Inf(1))
	fill(s.max, math.Inf(-1))
	fill(s.firstT, math.MaxInt64)
	fill(s.firstV, math.NaN())
	fill(s.lastT, math.MinInt64)
	fill(s.lastV, math.NaN())
	s.vals32 = s.vals32[:0]
	s.vals64 = s.vals64[:0]
	s.steps = 0
}

func fill[T any](x []T, v T) {
	for i := range x {
		x[i] = v
	}
}

// Kinds names the partial-state kinds the Set keeps, "count+sum+moments":
// two Sets can merge, and an encoded state can be decoded into a Set, only
// when their kinds are equal, so memo keys should include it.
func (s *Set) Kinds() string { return s.has.String() }

// Reserve makes room for steps more timesteps of values (median, quantile)
// so that accumulating a bin of known length copies nothing; it does
// nothing when no reducer keeps values.
func (s *Set) Reserve(steps int) {
	if s.has&stValues == 0 || steps <= 0 {
		return
	}
	if len(s.vals64) > 0 {
		s.vals64 = slices.Grow(s.vals64, steps*s.pixels)
	} else {
		s.vals32 = slices.Grow(s.vals32, steps*s.pixels)
	}
}

// MemoryBytes estimates the memory the Set holds, for memory budgets.
func (s *Set) MemoryBytes() int {
	n := 4*cap(s.count) + 4*cap(s.vals32)
	for _, a := range [][]float64{s.sum, s.shift, s.s1, s.s2, s.min, s.max, s.firstV, s.lastV, s.vals64, s.sortScratch} {
		n += 8 * cap(a)
	}
	return n + 8*(cap(s.firstT)+cap(s.lastT))
}

// Pixels returns the number of pixels per timestep.
func (s *Set) Pixels() int { return s.pixels }

// Reducers returns the reducers, in the order Finalize writes them.
func (s *Set) Reducers() []Reducer { return slices.Clone(s.reducers) }

// Count returns the number of valid values per pixel so far (not a copy).
func (s *Set) Count() []uint32 { return s.count }

// Accumulate32 folds in len(values)/Pixels() consecutive timesteps, laid out
// step-major (values[j*Pixels()+p] is pixel p of timestep step+j); step is
// the time index of the first one, used by first and last.
func (s *Set) Accumulate32(values []float32, step int) error { return accumulate(s, values, step) }

// Accumulate64 is Accumulate32 for float64 values.
func (s *Set) Accumulate64(values []float64, step int) error { return accumulate(s, values, step) }

func accumulate[T float32 | float64](s *Set, values []T, step int) error {
	p := s.pixels
	if p == 0 {
		return nil
	}
	if len(values)%p != 0 {
		return fmt.Errorf("reduce: %d values is not a whole number of %d-pixel timesteps: %w", len(values), p, ErrBadParameter)
	}
	steps := len(values) / p
	// Pixels still without a first value earlier than this call; once none
	// is left, later timesteps cannot change any first value.
	firstPending := 0
	if s.has&stFirst != 0 {
		firstPending = pendingFirsts(s.firstT, int64(step))
	}
	for j := 0; j < steps; j++ {
		slab := values[j*p : (j+1)*p]
		t := int64(step + j)
		if s.has&stMoments != 0 {
			momentsSlab(s.count, s.shift, s.s1, s.s2, slab) // before counting: it sees first values
		}
		if s.has&stSum != 0 {
			countSumSlab(s.count, s.sum, slab)
		} else {
			countSlab(s.count, slab)
		}
		switch s.has & (stMin | stMax) {
		case stMin | stMax:
			minMaxSlab(s.min, s.max, slab)
		case stMin:
			minSlab(s.min, slab)
		case stMax:
			maxSlab(s.max, slab)
		}
		if firstPending > 0 {
			firstPending -= firstSlab(s.firstT, s.firstV, slab, t)
		}
		if s.has&stLast != 0 {
			lastSlab(s.lastT, s.lastV, slab, t)
		}
	}
	if s.has&stValues != 0 {
		s.appendValues(values, steps)
	}
	s.steps += steps
	return nil
}

func countSlab[T float32 | float64](count []uint32, slab []T) {
	count = count[:len(slab)]
	for i, v := range slab {
		if v == v {
			count[i]++
		}
	}
}

func countSumSlab[T float32 | float64](count []uint32, sum []float64, slab []T) {
	count, sum = count[:len(slab)], sum[:len(slab)]
	for i, v := range slab {
		if v == v {
			count[i]++
			sum[i] += float64(v)
		}
	}
}

// momentsSlab accumulates shifted sums, the shift being the pixel's first
// valid value: no division per value, and since the shift is one of the
// values, (mean−shift)² ≤ n·var keeps S2 − S1²/n accurate to about n·ε.
func momentsSlab[T float32 | float64](count []uint32, shift, s1, s2 []float64, slab []T) {
	count, shift, s1, s2 = count[:len(slab)], shift[:len(slab)], s1[:len(slab)], s2[:len(slab)]
	for i, v := range slab {
		if v == v {
			x := float64(v)
			if count[i] == 0 {
				shift[i] = x
			}
			d := x - shift[i]
			s1[i] += d
			s2[i] += d * d
		}
	}
}

// moments returns the mean and M2 = Σ(x−mean)² of pixel i.
func (s *Set) moments(i int) (mean, m2 float64) {
	n := float64(s.count[i])
	if n == 0 {
		return 0, 0
	}
	mean = s.shift[i] + s.s1[i]/n
	m2 = s.s2[i] - s.s1[i]*s.s1[i]/n
	if m2 < 0 {
		m2 = 0
	}
	return mean, m2
}

// setMoments rebases pixel i on its mean: shift = mean, S1 = 0, S2 = M2.
func (s *Set) setMoments(i int, mean, m2 float64) {
	s.shift[i], s.s1[i], s.s2[i] = mean, 0, m2
}

func minSlab[T float32 | float64](mn []float64, slab []T) {
	mn = mn[:len(slab)]
	for i, v := range slab {
		if x := float64(v); x < mn[i] {
			mn[i] = x
		}
	}
}

func maxSlab[T float32 | float64](mx []float64, slab []T) {
	mx = mx[:len(slab)]
	for i, v := range slab {
		if x := float64(v); x > mx[i] {
			mx[i] = x
		}
	}
}

func minMaxSlab[T float32 | float64](mn, mx []float64, slab []T) {
	mn, mx = mn[:len(slab)], mx[:len(slab)]
	for i, v := range slab {
		x := float64(v)
		if x < mn[i] {
			mn[i] = x
		}
		if x > mx[i] {
			mx[i] = x
		}
	}
}

// firstSlab sets the first values at time t and returns how many pixels it
// changed. Within one Accumulate call (t increasing) a pixel changes at most
// once, so the count tells when no pending pixel is left.
func firstSlab[T float32 | float64](ft []int64, fv []float64, slab []T, t int64) int {
	ft, fv = ft[:len(slab)], fv[:len(slab)]
	n := 0
	for i, v := range slab {
		if v == v && t < ft[i] {
			ft[i], fv[i] = t, float64(v)
			n++
		}
	}
	return n
}

// pendingFirsts counts pixels whose first value could still change at time
// t0 or later: unset, or set from a later time.
func pendingFirsts(ft []int64, t0 int64) int {
	n := 0
	for _, t := range ft {
		if t >= t0 {
			n++
		}
	}
	return n
}

func lastSlab[T float32 | float64](lt []int64, lv []float64, slab []T, t int64) {
	lt, lv = lt[:len(slab)], lv[:len(slab)]
	for i, v := range slab {
		if v == v && t > lt[i] {
			lt[i], lv[i] = t, float64(v)
		}
	}
}

func (s *Set) appendValues(values any, steps int) {
	switch v := values.(type) {
	case []float32:
		if len(s.vals64) > 0 {
			for _, x := range v {
				s.vals64 = append(s.vals64, float64(x))
			}
		} else {
			s.vals32 = append(s.vals32, v...)
		}
	case []float64:
		s.promoteValues()
		s.vals64 = append(s.vals64, v...)
	}
}

// promoteValues moves float32 values to the float64 storage. Values are a
// multiset per pixel, so whole timesteps may sit in any order.
func (s *Set) promoteValues() {
	for _, x := range s.vals32 {
		s.vals64 = append(s.vals64, float64(x))
	}
	s.vals32 = s.vals32[:0]
}

// Merge folds other's states into s. Both must have the same pixels and
// state kinds; other is unchanged. The result does not depend on the order
// of merges.
func (s *Set) Merge(other *Set) error {
	if other.pixels != s.pixels || other.has != s.has {
		return fmt.Errorf("reduce: merge %d pixels/states %#x into %d pixels/states %#x: %w", other.pixels, other.has, s.pixels, s.has, ErrMismatch)
	}
	if s.has&stMoments != 0 {
		// Chan et al.: M2 = M2a + M2b + δ²·na·nb/(na+nb).
		for i, nb := range other.count {
			if nb == 0 {
				continue
			}
			mb, m2b := other.moments(i)
			na := s.count[i]
			if na == 0 {
				s.setMoments(i, mb, m2b)
				continue
			}
			ma, m2a := s.moments(i)
			fa, fb := float64(na), float64(nb)
			n := fa + fb
			d := mb - ma
			s.setMoments(i, ma+d*fb/n, m2a+m2b+d*d*fa*fb/n)
		}
	}
	for i, c := range other.count {
		s.count[i] += c
	}
	for i, v := range other.sum {
		s.sum[i] += v
	}
	for i, v := range other.min {
		if v < s.min[i] {
			s.min[i] = v
		}
	}
	for i, v := range other.max {
		if v > s.max[i] {
			s.max[i] = v
		}
	}
	for i, t := range other.firstT {
		if t < s.firstT[i] {
			s.firstT[i], s.firstV[i] = t, other.firstV[i]
		}
	}
	for i, t := range other.lastT {
		if t > s.lastT[i] {
			s.lastT[i], s.lastV[i] = t, other.lastV[i]
		}
	}
	if s.has&stValues != 0 {
		if len(other.vals64) > 0 || len(s.vals64) > 0 {
			s.promoteValues()
			s.vals64 = append(s.vals64, other.vals64...)
			for _, x := range other.vals32 {
				s.vals64 = append(s.vals64, float64(x))
			}
		} else {
			s.vals32 = append(s.vals32, other.vals32...)
		}
	}
	s.steps += other.steps
	return nil
}

// Finalize32 writes one result per reducer, in the order given to NewSet,
// into dst[k] (each of Pixels() length).
func (s *Set) Finalize32(dst [][]float32) error { return finalize(s, dst) }

// Finalize64 is Finalize32 with float64 results.
func (s *Set) Finalize64(dst [][]float64) error { return finalize(s, dst) }

func finalize[T float32 | float64](s *Set, dst [][]T) error {
	if len(dst) != len(s.reducers) {
		return fmt.Errorf("reduce: %d outputs for %d reducers: %w", len(dst), len(s.reducers), ErrBadParameter)
	}
	for k, d := range dst {
		if len(d) != s.pixels {
			return fmt.Errorf("reduce: output %d (%s) holds %d pixels, want %d: %w", k, s.reducers[k], len(d), s.pixels, ErrBadParameter)
		}
	}
	nan := T(math.NaN())
	mc := uint32(s.minCount)
	valueReducers := false
	for k, r := range s.reducers {
		out := dst[k]
		switch r.Op {
		case Count:
			for i, c := range s.count {
				out[i] = T(c)
			}
		case Sum:
			for i, c := range s.count {
				if c < mc || s.steps == 0 {
					out[i] = nan
				} else {
					out[i] = T(s.sum[i])
				}
			}
		case Mean:
			for i, c := range s.count {
				if c < mc || c == 0 {
					out[i] = nan
				} else {
					out[i] = T(s.sum[i] / float64(c))
				}
			}
		case Min, Max, First, Last:
			src := s.min
			switch r.Op {
			case Max:
				src = s.max
			case First:
				src = s.firstV
			case Last:
				src = s.lastV
			}
			for i, c := range s.count {
				if c < mc || c == 0 {
					out[i] = nan
				} else {
					out[i] = T(src[i])
				}
			}
		case Var, Std:
			for i, c := range s.count {
				dof := float64(c) - float64(r.DDOF)
				if c < mc || dof <= 0 {
					out[i] = nan
					continue
				}
				_, m2 := s.moments(i)
				v := m2 / dof
				if r.Op == Std {
					v = math.Sqrt(v)
				}
				out[i] = T(v)
			}
		case Median, Quantile:
			valueReducers = true
		}
	}
	if valueReducers {
		finalizeValues(s, dst, nan, mc)
	}
	return nil
}

// finalizeValues sorts each pixel's valid values once and answers every
// median and quantile reducer from them. Pixels are gathered in blocks so
// that each step-major row is read one cache line at a time.
func finalizeValues[T float32 | float64](s *Set, dst [][]T, nan T, mc uint32) {
	p, steps := s.pixels, s.steps
	const block = 32
	if cap(s.sortScratch) < block*steps {
		s.sortScratch = make([]float64, block*steps)
	}
	buf := s.sortScratch[:block*steps]
	var lens [block]int
	for i0 := 0; i0 < p; i0 += block {
		nb := min(block, p-i0)
		lens = [block]int{}
		for j := 0; j < steps; j++ {
			if len(s.vals64) > 0 {
				gatherRow(buf, &lens, s.vals64[j*p+i0:j*p+i0+nb], steps)
			} else {
				gatherRow(buf, &lens, s.vals32[j*p+i0:j*p+i0+nb], steps)
			}
		}
		for b := 0; b < nb; b++ {
			x := buf[b*steps : b*steps+lens[b]]
			n, i := len(x), i0+b
			for k, r := range s.reducers {
				if r.Op != Median && r.Op != Quantile {
					continue
				}
				switch {
				case n == 0 || uint32(n) < mc:
					dst[k][i] = nan
				case r.Op == Quantile:
					dst[k][i] = T(quantile(x, r.Q))
				case n%2 == 1:
					dst[k][i] = T(orderStat(x, n/2))
				default:
					lo := orderStat(x, n/2-1)
					dst[k][i] = T((lo + minOf(x[n/2:])) / 2)
				}
			}
		}
	}
}

func gatherRow[T float32 | float64](buf []float64, lens *[32]int, row []T, steps int) {
	for b, v := range row {
		if v == v {
			buf[b*steps+lens[b]] = float64(v)
			lens[b]++
		}
	}
}

// quantile is numpy's "linear" quantile (Hyndman & Fan type 7) of the
// NaN-free x, which it reorders. It interpolates as numpy's _lerp does (from
// the upper neighbour when the weight is at least 0.5), so results agree to
// the last bit.
func quantile(x []float64, q float64) float64 {
	n := len(x)
	vi := float64(n-1) * q
	lo := math.Floor(vi)
	g := vi - lo
	i := int(lo)
	a := orderStat(x, i)
	b := a
	if i+1 < n {
		b = minOf(x[i+1:]) // after orderStat, x[i+1:] holds the larger values
	}
	d := b - a
	if g >= 0.5 {
		return b - d*(1-g)
	}
	return a + d*g
}

func minOf(x []float64) float64 {
	m := x[0]
	for _, v := range x[1:] {
		if v < m {
			m = v
		}
	}
	return m
}

// orderStat returns the k-th smallest (0-based) of the NaN-free x, leaving
// x partitioned around it: x[:k] ≤ x[k] ≤ x[k+1:] (quickselect, median of
// three pivots, insertion sort for short ranges).
func orderStat(x []float64, k int) float64 {
	lo, hi := 0, len(x)-1
	for hi-lo > 16 {
		mid := lo + (hi-lo)/2
		if x[mid] < x[lo] {
			x[mid], x[lo] = x[lo], x[mid]
		}
		if x[hi] < x[lo] {
			x[hi], x[lo] = x[lo], x[hi]
		}
		if x[hi] < x[mid] {
			x[hi], x[mid] = x[mid], x[hi]
		}
		p := x[mid]
		i, j := lo, hi
		for i <= j {
			for x[i] < p {
				i++
			}
			for x[j] > p {
				j--
			}
			if i <= j {
				x[i], x[j] = x[j], x[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return x[k]
		}
	}
	for i := lo + 1; i <= hi; i++ {
		for j := i; j > lo && x[j] < x[j-1]; j-- {
			x[j], x[j-1] = x[j-1], x[j]
		}
	}
	return x[k]
}
