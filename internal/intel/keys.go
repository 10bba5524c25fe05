package intel

import "strings"

// Key layout of the intelligence store (its own Pebble database in the
// intel/ folder of the data directory, beside the chain index: attribution
// changes on its own schedule, and an import must not wait for an ingest).
// Strings in keys are separated by 0x00, which no subject, source or label
// contains (Normalize refuses it).
//
//	prefix key                                   value                 why
//	'M'    M name                                schema version        store-wide singletons
//	'T'    T subject 0 source 0 label 0 from     tag (JSON)            a subject's tags, found with one prefix scan; "from" is the
//	                                                                   tag's ValidFrom (RFC 3339 date) so that a relisted address
//	                                                                   keeps its earlier interval as history
//	'S'    S source 0 subject 0 label 0 from     empty                 the tags of one source, to replace a re-imported pack or
//	                                                                   close what a newer list no longer holds
//	'R'    R address 0 subject                   empty                 bare address (no chain) -> subjects, so a lookup without a
//	                                                                   chain finds an EVM address listed on several chains
//	'A'    A actor id                            actor (JSON)          actors with aliases, jurisdictions, SDN details
//	'I'    I source                              import record (JSON)  what each source's last import was: file, date, hash, counts
//
// A source is one logical publisher-and-list ("ofac-sdn", "tagpack:<pack
// file>", "labels:etherscan:<file>"). Re-importing a source replaces its
// tags, except for list sources (sanctions lists), whose tags keep history:
// a newer list closes the validity of what it no longer names.
const (
	pMeta   = 'M'
	pTag    = 'T'
	pSource = 'S'
	pRaw    = 'R'
	pActor  = 'A'
	pImport = 'I'
)

// schemaVersion is bumped whenever the layout above changes incompatibly.
const schemaVersion = "1"

const sep = "\x00"

func tagKey(subject Subject, source, label, from string) []byte {
	return []byte(string(pTag) + string(subject) + sep + source + sep + label + sep + from)
}

func subjectPrefix(subject Subject) []byte { return []byte(string(pTag) + string(subject) + sep) }

func sourceKey(source string, subject Subject, label, from string) []byte {
	return []byte(string(pSource) + source + sep + string(subject) + sep + label + sep + from)
}

func sourcePrefix(source string) []byte { return []byte(string(pSource) + source + sep) }

func rawKey(addr string, subject Subject) []byte {
	return []byte(string(pRaw) + addr + sep + string(subject))
}

func rawPrefix(addr string) []byte { return []byte(string(pRaw) + addr + sep) }

func actorKey(id string) []byte { return []byte(string(pActor) + id) }

func importKey(source string) []byte { return []byte(string(pImport) + source) }

// splitSourceKey reads an S key back into its parts.
func splitSourceKey(k []byte) (source string, subject Subject, label, from string, ok bool) {
	parts := strings.Split(string(k[1:]), sep)
	if len(parts) != 4 {
		return "", "", "", "", false
	}
	return parts[0], Subject(parts[1]), parts[2], parts[3], true
}

// prefixEnd returns the smallest key greater than every key with prefix p.
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}
