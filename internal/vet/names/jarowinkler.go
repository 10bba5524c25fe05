package names

// JaroWinkler is the Jaro-Winkler similarity of a and b (bytes), in [0, 1]:
// 1 for equal strings, with a bonus for a common prefix of up to four
// letters (scaling 0.1), as Winkler defined it.
func JaroWinkler(a, b string) float64 {
	if a == b {
		return 1
	}
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	window := len(b)/2 - 1
	if window < 0 {
		window = 0
	}
	var matchedA [64]bool
	var matchedB [64]bool
	if len(b) > 64 {
		return 0 // not a name token
	}
	m := 0
	for i := 0; i < len(a); i++ {
		lo, hi := max(0, i-window), min(len(b)-1, i+window)
		for j := lo; j <= hi; j++ {
			if !matchedB[j] && a[i] == b[j] {
				matchedA[i], matchedB[j] = true, true
				m++
				break
			}
		}
	}
	if m == 0 {
		return 0
	}
	t, j := 0, 0
	for i := 0; i < len(a); i++ {
		if !matchedA[i] {
			continue
		}
		for !matchedB[j] {
			j++
		}
		if a[i] != b[j] {
			t++
		}
		j++
	}
	fm := float64(m)
	jaro := (fm/float64(len(a)) + fm/float64(len(b)) + (fm-float64(t)/2)/fm) / 3
	prefix := 0
	for prefix < min(4, len(a)) && a[prefix] == b[prefix] {
		prefix++
	}
	return jaro + float64(prefix)*0.1*(1-jaro)
}
