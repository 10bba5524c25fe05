package loadgen

import (
	"math/bits"
	"time"
)

// Histogram counts durations in log-linear buckets, as HdrHistogram does:
// 64 linear sub-buckets per power of two, so a reported quantile is within
// 1/64 (1.6%) of the true one, in a fixed 18 KiB whatever the number of
// samples. Values up to about 18 minutes are kept apart; longer ones count as
// the largest. The zero value is ready to use; it is not safe for
// concurrent use (give each worker its own and Merge them).
type Histogram struct {
	counts [nBuckets]uint64
	n      uint64
	sum    time.Duration
	min    time.Duration
	max    time.Duration
}

const (
	subBits  = 6
	sub      = 1 << subBits // sub-buckets per power of two
	linear   = 2 * sub      // values below are counted exactly, one bucket each
	maxShift = 33           // 128 << 33 ns: about 18 minutes
	nBuckets = linear + maxShift*sub
)

// bucket is v's bucket: v itself below linear, else the top subBits+1 bits
// of v and its magnitude.
func bucket(v uint64) int {
	if v < linear {
		return int(v)
	}
	shift := bits.Len64(v) - (subBits + 1)
	if shift > maxShift {
		return nBuckets - 1
	}
	return linear + (shift-1)*sub + int(v>>shift) - sub
}

// upper is the largest value bucket i holds.
func upper(i int) uint64 {
	if i < linear {
		return uint64(i)
	}
	shift := (i-linear)/sub + 1
	m := uint64((i-linear)%sub + sub)
	return (m+1)<<shift - 1
}

// Record counts one duration (negative ones as zero).
func (h *Histogram) Record(d time.Duration) {
	d = max(d, 0)
	h.counts[bucket(uint64(d))]++
	if h.n == 0 || d < h.min {
		h.min = d
	}
	h.max = max(h.max, d)
	h.n++
	h.sum += d
}

// Merge adds o's counts to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.n += o.n
	h.sum += o.sum
}

// Count is the number of recorded durations.
func (h *Histogram) Count() uint64 { return h.n }

// Quantile returns the q-quantile (0 < q <= 1): the smallest bucket bound
// at or below which a fraction q of the durations lie, never above the
// largest recorded. Zero without samples.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.5)
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		if seen += c; seen >= rank {
			return min(max(time.Duration(upper(i)), h.min), h.max)
		}
	}
	return h.max
}

// Summary is a histogram's usual figures.
type Summary struct {
	Count uint64        `json:"count"`
	Mean  time.Duration `json:"mean_ns"`
	P50   time.Duration `json:"p50_ns"`
	P90   time.Duration `json:"p90_ns"`
	P99   time.Duration `json:"p99_ns"`
	P999  time.Duration `json:"p999_ns"`
	Max   time.Duration `json:"max_ns"`
}

// Summary returns the count, mean, p50, p90, p99, p99.9 and maximum.
func (h *Histogram) Summary() Summary {
	s := Summary{Count: h.n, P50: h.Quantile(0.5), P90: h.Quantile(0.9), P99: h.Quantile(0.99), P999: h.Quantile(0.999), Max: h.max}
	if h.n > 0 {
		s.Mean = h.sum / time.Duration(h.n)
	}
	return s
}
