package intel

import "strings"

// Account returns the subject of an address on a chain: its CAIP-10
// account id. addr must already be in its chain's canonical form.
func Account(caip2, addr string) Subject { return Subject(caip2 + ":" + addr) }

// Transaction returns the subject of a transaction on a chain.
func Transaction(caip2, hash string) Subject { return Subject(caip2 + "/tx/" + hash) }

// AddressOf returns the address part of an account subject, "" for a
// transaction subject. CAIP-10 is namespace:reference:address, and neither
// namespace nor reference holds a colon.
func AddressOf(s Subject) string {
	if strings.Contains(string(s), "/tx/") {
		return ""
	}
	parts := strings.SplitN(string(s), ":", 3)
	if len(parts) != 3 {
		return ""
	}
	return parts[2]
}

// ChainOf returns the CAIP-2 chain id of a subject.
func ChainOf(s Subject) string {
	if i := strings.Index(string(s), "/tx/"); i >= 0 {
		return string(s[:i])
	}
	parts := strings.SplitN(string(s), ":", 3)
	if len(parts) != 3 {
		return ""
	}
	return parts[0] + ":" + parts[1]
}
