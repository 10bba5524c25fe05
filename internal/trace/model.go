// Package trace holds chainhound's taint models: how much of the value
// leaving a transaction (UTXO chains) or an address (account chains) is
// tainted, given how much tainted value went in. The models are pure
// arithmetic over exact integers; the traversal of the value-flow graph that
// feeds them lives elsewhere. docs/trace.md defines every model exactly,
// with the worked examples the golden tests check.
package trace

import "fmt"

// Model names a taint model.
type Model uint8

// The taint models of issue 12. TIHO exists for UTXO transactions only: an
// account's outgoing transfers are one at a time, so "highest output first"
// has nothing to choose between.
const (
	FIFO    Model = 1 // first in, first out: taint follows the base units in order
	Haircut Model = 2 // every unit out carries the tainted share of the units in
	TIHO    Model = 3 // taint in, highest out: the largest outputs take the taint first
	Poison  Model = 4 // anything touched by taint is tainted in full
)

var modelNames = [...]string{FIFO: "fifo", Haircut: "haircut", TIHO: "tiho", Poison: "poison"}

// String returns the model's name as given to --model.
func (m Model) String() string {
	if int(m) < len(modelNames) && modelNames[m] != "" {
		return modelNames[m]
	}
	return fmt.Sprintf("model(%d)", uint8(m))
}

// ParseModel reads a model name as given to --model.
func ParseModel(s string) (Model, error) {
	for m, n := range modelNames {
		if n != "" && n == s {
			return Model(m), nil
		}
	}
	return 0, fmt.Errorf("unknown taint model %q (want fifo, haircut, tiho or poison)", s)
}
