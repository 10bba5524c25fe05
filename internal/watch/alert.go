package watch

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/chainhound/chainhound/internal/chain"
)

// Alert statuses.
const (
	StatusOpen         = "open"
	StatusAcknowledged = "acknowledged"
	StatusResolved     = "resolved"
)

// Alert is one rule hit. Its id is a hash of what makes the hit itself
// (rule, case, chain, transaction and the rule's own key), so the same
// hit found again, after a restart or a reorganisation, is the same
// alert: stored once, delivered once.
type Alert struct {
	ID        string   `json:"id"`
	Rule      string   `json:"rule"`
	Severity  Severity `json:"severity"`
	Chain     string   `json:"chain"` // CAIP-2
	Block     uint64   `json:"block"`
	BlockTime int64    `json:"block_time"`
	Tx        string   `json:"tx,omitempty"`
	Addresses []string `json:"addresses"`
	Amounts   []Amt    `json:"amounts,omitempty"`
	Case      string   `json:"case,omitempty"`
	// Category is the exit's category (exchange, mixing_service,
	// defi_bridge, freezable_token…), for exit alerts.
	Category    string `json:"category,omitempty"`
	Explanation string `json:"explanation"`
	// Group joins alerts about the same thing (rule, case and the
	// address the rule is about) so that a fan-out over many blocks reads
	// as one story.
	Group string `json:"group"`
	// Count is how many times the hit was found (a fan-out that keeps
	// growing is found again on each block).
	Count     int    `json:"count"`
	LastBlock uint64 `json:"last_block"`
	// Orphaned says a reorganisation abandoned the block the alert was
	// raised in and the new branch has not raised it again (yet): its
	// transaction may never be final. Raised again, the alert moves to
	// its new block and the mark is cleared.
	Orphaned  bool   `json:"orphaned,omitempty"`
	Status    string `json:"status"`
	Note      string `json:"note,omitempty"`
	RaisedAt  string `json:"raised_at"`
	UpdatedAt string `json:"updated_at,omitempty"`
}

// Amt is an amount of one asset.
type Amt struct {
	Asset  string `json:"asset"` // native or CAIP-19
	Amount string `json:"amount"`
}

// alertID hashes the parts that make a hit.
func alertID(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:16])
}

func groupID(parts ...string) string { return alertID(append([]string{"group"}, parts...)...)[:16] }

// newAlert fills the common fields; key is the rule's own part of the id
// (the transaction and what in it, or for a fan-out its first payment).
func newAlert(rule string, sev Severity, caip2 string, c chain.Chain, block uint64, at int64, tx chain.Hash, caseName, groupAddr string, key ...string) Alert {
	txs := ""
	if tx != (chain.Hash{}) {
		txs = c.FormatHash(tx)
	}
	id := alertID(append([]string{rule, caseName, caip2}, key...)...)
	return Alert{ID: id, Rule: rule, Severity: sev, Chain: caip2, Block: block, BlockTime: at, Tx: txs, Case: caseName,
		Group: groupID(rule, caseName, caip2, groupAddr), Count: 1, LastBlock: block, Status: StatusOpen}
}
