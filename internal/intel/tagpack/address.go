package tagpack

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// Addresses are checked and made canonical by addrcheck (see
// chain.normalize); what is left here is TagPack's own: transaction hashes
// and the escaping of addresses on chains nothing checks.

// normalizeTx checks a transaction hash: 64 hex digits on the chains whose
// hashes are that (0x-prefixed on EVM), lower-cased; as written elsewhere.
func (c chain) normalizeTx(h string) (string, error) {
	if !c.txHex {
		return escapeCAIP10(h), nil
	}
	body := h
	if strings.HasPrefix(c.caip2, "eip155:") {
		if !strings.HasPrefix(h, "0x") {
			return "", fmt.Errorf("transaction hash %q lacks 0x", h)
		}
		body = h[2:]
	}
	if len(body) != 64 || strings.Trim(strings.ToLower(body), "0123456789abcdef") != "" {
		return "", fmt.Errorf("transaction hash %q is not 64 hex digits", h)
	}
	return strings.ToLower(h), nil
}

// escapeCAIP10 percent-escapes what the CAIP-10 address part
// ([-.%a-zA-Z0-9]{1,128}) does not allow, so odd addresses written in
// packs (with spaces, notes or colons) still make a subject that splits
// cleanly; unescapeCAIP10 reverses it for export.
func escapeCAIP10(a string) string {
	var b strings.Builder
	for i := 0; i < len(a); i++ {
		ch := a[i]
		if ch == '-' || ch == '.' || ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' {
			b.WriteByte(ch)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", ch)
	}
	return b.String()
}

func unescapeCAIP10(a string) string {
	if !strings.Contains(a, "%") {
		return a
	}
	var b strings.Builder
	for i := 0; i < len(a); i++ {
		if a[i] == '%' && i+2 < len(a) {
			if x, err := hex.DecodeString(a[i+1 : i+3]); err == nil {
				b.Write(x)
				i += 2
				continue
			}
		}
		b.WriteByte(a[i])
	}
	return b.String()
}
