package vet

import (
	"hash/fnv"
	"math"
	"strings"
)

// MinHash signatures of CV texts: minhashSize values, each the minimum of
// one keyed hash function over the text's word shingles; the share of
// equal values estimates the Jaccard similarity of the shingle sets.
// Locality-sensitive hashing over bands of lshRows values finds the pairs
// worth comparing without comparing all pairs.
const (
	minhashSize = 128
	shingleLen  = 3 // words
	lshRows     = 4 // 32 bands of 4: pairs from about 0.42 similarity collide
)

// Signature is the MinHash signature of text, or nil when the text has
// fewer than shingleLen words.
func (k *Keyer) Signature(text string) []uint64 {
	words := strings.Fields(normalizeText(text))
	if len(words) < shingleLen {
		return nil
	}
	sig := make([]uint64, minhashSize)
	for i := range sig {
		sig[i] = math.MaxUint64
	}
	seen := map[uint64]bool{}
	for i := 0; i+shingleLen <= len(words); i++ {
		h := fnv.New64a()
		for _, w := range words[i : i+shingleLen] {
			h.Write([]byte(w))
			h.Write([]byte{' '})
		}
		x := h.Sum64()
		if seen[x] {
			continue
		}
		seen[x] = true
		for j := range sig {
			if v := mix64(x ^ k.seeds[j]); v < sig[j] {
				sig[j] = v
			}
		}
	}
	return sig
}

// mix64 is the SplitMix64 finaliser: a bijection that scatters bits.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// Similarity estimates the Jaccard similarity of two signatures.
func Similarity(a, b []uint64) float64 {
	if len(a) != minhashSize || len(b) != minhashSize {
		return 0
	}
	n := 0
	for i := range a {
		if a[i] == b[i] {
			n++
		}
	}
	return float64(n) / minhashSize
}

// bandKeys are a signature's LSH bucket keys, one per band.
func bandKeys(sig []uint64) []uint64 {
	if len(sig) != minhashSize {
		return nil
	}
	out := make([]uint64, 0, minhashSize/lshRows)
	for b := 0; b < minhashSize; b += lshRows {
		h := uint64(b)
		for _, v := range sig[b : b+lshRows] {
			h = mix64(h ^ v)
		}
		out = append(out, h)
	}
	return out
}
