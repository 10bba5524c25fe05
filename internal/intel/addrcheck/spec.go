package addrcheck

import (
	"fmt"
	"strings"
)

// spec says how one non-EVM chain writes addresses. A chain may accept
// several encodings (Bitcoin: base58check and bech32); normalize tries the
// one the address's shape calls for.
type spec struct {
	// base58check version prefixes (one or two bytes) and the payload
	// length after them; empty means the chain has no base58check form.
	versions   [][]byte
	payloadLen int
	alphabet   string // base58 alphabet: Bitcoin's unless XRP's

	segwitHRP  string // bech32/bech32m segwit human-readable part ("bc")
	bech32HRP  string // plain bech32 of a 20-byte hash (Cosmos SDK chains)
	cashPrefix string // cashaddr prefix ("bitcoincash")
	// cashLegacy makes base58check the canonical form of a chain that also
	// accepts cashaddr (BSV): a cashaddr is re-encoded, so both forms of
	// one key compare equal. Without it, cashaddr is canonical (BCH).
	cashLegacy bool

	raw32  bool // plain base58 of 32 bytes (Solana public keys)
	monero bool // Monero's block base58 with a Keccak checksum
}

// specFor returns the address rules of chain. Version bytes come from each
// chain's src/chainparams.cpp (base58Prefixes PUBKEY_ADDRESS and
// SCRIPT_ADDRESS) or, for Tron and XRP, their developer documentation.
func specFor(chain string) (spec, bool) {
	p2 := func(a, b byte) [][]byte { return [][]byte{{a}, {b}} }
	switch chain {
	case Bitcoin:
		return spec{versions: p2(0x00, 0x05), payloadLen: 20, alphabet: btcAlphabet, segwitHRP: "bc"}, true
	case BitcoinSV:
		// BSV kept Bitcoin Cash's cashaddr for a while after the 2018
		// split, and exchanges still publish BSV wallets in it.
		return spec{versions: p2(0x00, 0x05), payloadLen: 20, alphabet: btcAlphabet, cashPrefix: "bitcoincash", cashLegacy: true}, true
	case BitcoinTestnet:
		return spec{versions: p2(0x6f, 0xc4), payloadLen: 20, alphabet: btcAlphabet, segwitHRP: "tb"}, true
	case BitcoinCash:
		return spec{versions: p2(0x00, 0x05), payloadLen: 20, alphabet: btcAlphabet, cashPrefix: "bitcoincash"}, true
	case Litecoin:
		// 0x05 is Litecoin's old P2SH prefix ("3..."), still accepted by
		// Litecoin Core and still found in lists.
		return spec{versions: [][]byte{{0x30}, {0x32}, {0x05}}, payloadLen: 20, alphabet: btcAlphabet, segwitHRP: "ltc"}, true
	case BitcoinGold:
		return spec{versions: p2(0x26, 0x17), payloadLen: 20, alphabet: btcAlphabet, segwitHRP: "btg"}, true
	case Dogecoin:
		return spec{versions: p2(0x1e, 0x16), payloadLen: 20, alphabet: btcAlphabet}, true
	case Dash:
		return spec{versions: p2(0x4c, 0x10), payloadLen: 20, alphabet: btcAlphabet}, true
	case Verge:
		return spec{versions: p2(0x1e, 0x21), payloadLen: 20, alphabet: btcAlphabet}, true
	case Zcash:
		// Transparent addresses only: t1 (P2PKH) and t3 (P2SH). Shielded
		// addresses have no public owner to tag.
		return spec{versions: [][]byte{{0x1c, 0xb8}, {0x1c, 0xbd}}, payloadLen: 20, alphabet: btcAlphabet}, true
	case Tron:
		return spec{versions: [][]byte{{0x41}}, payloadLen: 20, alphabet: btcAlphabet}, true
	case XRPL:
		return spec{versions: [][]byte{{0x00}}, payloadLen: 20, alphabet: xrpAlphabet}, true
	case Solana:
		return spec{raw32: true}, true
	case Monero:
		return spec{monero: true}, true
	case BNBBeaconChain:
		return spec{bech32HRP: "bnb"}, true
	}
	return spec{}, false
}

// normalize picks the encoding by the address's shape: a bech32 separator
// after a known prefix, a cashaddr prefix or charset, else base58.
func (s spec) normalize(a string) (string, error) {
	lower := strings.ToLower(a)
	switch {
	case s.monero:
		return a, checkMonero(a)
	case s.raw32:
		return a, checkRaw32(a)
	case s.segwitHRP != "" && strings.HasPrefix(lower, s.segwitHRP+"1"):
		return lower, checkSegwit(a, s.segwitHRP)
	case s.bech32HRP != "":
		return lower, checkBech32Hash(a, s.bech32HRP)
	case s.cashPrefix != "" && looksCashaddr(lower, s.cashPrefix):
		body, p, err := normalizeCashaddr(lower, s.cashPrefix)
		if err != nil || !s.cashLegacy {
			return body, err
		}
		return encodeBase58Check(append(append([]byte{}, s.versions[p.version]...), p.hash...), s.alphabet), nil
	}
	payload, err := s.checkBase58(a)
	if err != nil {
		return "", err
	}
	if s.cashPrefix != "" && !s.cashLegacy {
		// One key, one subject: legacy BCH addresses become cashaddr.
		return encodeCashaddr(s.cashPrefix, payload.version, payload.hash), nil
	}
	return a, nil
}

// legacyPayload is a decoded base58check address.
type legacyPayload struct {
	version int // index into spec.versions: 0 pay-to-key-hash, 1 pay-to-script-hash
	hash    []byte
}

func (s spec) checkBase58(a string) (legacyPayload, error) {
	if len(s.versions) == 0 {
		return legacyPayload{}, fmt.Errorf("not in this chain's address format: %w", ErrPrefix)
	}
	b, err := decodeBase58Check(a, s.alphabet)
	if err != nil {
		return legacyPayload{}, err
	}
	vlen := len(s.versions[0])
	if len(b) != vlen+s.payloadLen {
		return legacyPayload{}, fmt.Errorf("%d bytes after decoding, want %d: %w", len(b), vlen+s.payloadLen, ErrLength)
	}
	for i, v := range s.versions {
		if string(b[:vlen]) == string(v) {
			return legacyPayload{version: i, hash: b[vlen:]}, nil
		}
	}
	return legacyPayload{}, fmt.Errorf("version byte %x is not one of this chain's %x: %w", b[:vlen], s.versions, ErrPrefix)
}
