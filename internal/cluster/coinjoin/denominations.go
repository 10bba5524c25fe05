package coinjoin

import "sync"

// WabiSabi's standard output denominations (Wasabi 2 client, as listed by
// Dumplings' CreateWasabi2Denominations): powers of 2, powers of 3, twice
// the powers of 3, and the 1-2-5 series of powers of 10, from 5,000 to
// 134,375,000,000 satoshis, plus those two bounds.
const (
	wabiSabiMinDenom = 5_000
	wabiSabiMaxDenom = 134_375_000_000
)

var wabiSabiDenoms = sync.OnceValue(func() map[int64]struct{} {
	m := map[int64]struct{}{wabiSabiMinDenom: {}, wabiSabiMaxDenom: {}}
	add := func(base, mul int64) {
		for p := int64(1); p*mul <= wabiSabiMaxDenom; p *= base {
			if d := p * mul; d >= wabiSabiMinDenom {
				m[d] = struct{}{}
			}
		}
	}
	add(2, 1)
	add(3, 1)
	add(3, 2)
	add(10, 1)
	add(10, 2)
	add(10, 5)
	return m
})

// IsWabiSabiDenomination reports whether v satoshis is a standard WabiSabi
// output value.
func IsWabiSabiDenomination(v int64) bool {
	_, ok := wabiSabiDenoms()[v]
	return ok
}
