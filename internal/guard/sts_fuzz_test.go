package guard

import (
	"context"
	"encoding/json"
	"math/big"
	"testing"

	"github.com/chainhound/chainhound/internal/guard/calldata"
	"github.com/chainhound/chainhound/internal/guard/deployments"
)

// FuzzParseSTS feeds arbitrary bytes to the Transaction Service parser and
// checks whatever it accepts through the whole checker: nothing may panic,
// and accepted transactions must have the invariants the checker relies on.
func FuzzParseSTS(f *testing.F) {
	one, _ := json.Marshal(stsJSON(f, v111, implant, 0, calldata.Transfer(receiver, big.NewInt(0)), 1, 71, false))
	f.Add(one)
	f.Add([]byte(`{"count":1,"results":[` + string(one) + `]}`))
	f.Add([]byte(`[` + string(one) + `,` + string(one) + `]`))
	f.Add([]byte(`{"safe":"0x1Db92e2EeBC8E0c075a02BeA49a2935BcD2dFCF4","to":"0x1Db92e2EeBC8E0c075a02BeA49a2935BcD2dFCF4","value":1,"operation":0,"nonce":"0x10","data":"0x8d80ff0a"}`))
	c := &Checker{Known: deployments.Official()}
	f.Fuzz(func(t *testing.T, b []byte) {
		txs, err := ParseSTS(b)
		if err != nil {
			return
		}
		for i := range txs {
			tx := &txs[i]
			if tx.Value == nil || tx.Nonce == nil || tx.SafeTxGas == nil || tx.BaseGas == nil || tx.GasPrice == nil || tx.Operation > 1 {
				t.Fatalf("accepted an incomplete transaction: %+v", tx)
			}
			if _, err := c.Check(context.Background(), tx, mainnet, VersionChoice{v111, "flag"}); err != nil {
				t.Fatalf("accepted transaction cannot be checked: %v", err)
			}
		}
	})
}
