package btc

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// validTxs returns the transactions of Bitcoin Core's tx_valid.json that
// btcd's wire decodes, 28 of them with witness data.
func validTxs(t testing.TB) []*wire.MsgTx {
	t.Helper()
	raw, err := os.ReadFile(sharedData(t, "btcd-testdata/txscript/data/tx_valid.json"))
	if err != nil {
		t.Fatal(err)
	}
	var entries [][]json.RawMessage
	if err := json.Unmarshal(raw, &entries); err != nil {
		t.Fatal(err)
	}
	var out []*wire.MsgTx
	for _, e := range entries {
		var s string
		if len(e) < 3 || json.Unmarshal(e[1], &s) != nil {
			continue
		}
		b, err := hex.DecodeString(s)
		if err != nil {
			continue
		}
		var mtx wire.MsgTx
		if mtx.Deserialize(bytes.NewReader(b)) == nil && !isCoinbase(&mtx) {
			out = append(out, &mtx)
		}
	}
	return out
}

// TestDecodeWitnessTxs checks txid, wtxid, sizes and weight of segwit and
// legacy transactions against btcd's own computation (which re-serialises
// the transaction instead of hashing its bytes in place).
func TestDecodeWitnessTxs(t *testing.T) {
	txs := validTxs(t)
	raw := mineBlock(t, blockHash(regtestGenesis(t)), 0x207fffff, "segwit", txs...)
	b, err := DecodeBlock(raw, regtest(t))
	if err != nil {
		t.Fatal(err)
	}
	witness, stripped := 0, 80+wire.VarIntSerializeSize(uint64(len(txs)+1))
	for i, mtx := range txs {
		tx := &b.Txs[i+1]
		weight := 3*mtx.SerializeSizeStripped() + mtx.SerializeSize()
		if tx.Txid != mtx.TxHash() || tx.Wtxid != mtx.WitnessHash() || tx.Size != mtx.SerializeSize() ||
			tx.Weight != weight || tx.VSize != (weight+3)/4 || tx.Coinbase {
			t.Errorf("tx %d: %+v; btcd: txid %s wtxid %s size %d weight %d", i, tx, mtx.TxHash(), mtx.WitnessHash(), mtx.SerializeSize(), weight)
		}
		if mtx.HasWitness() {
			witness++
			if tx.Txid == tx.Wtxid || !equalWitness(tx.Inputs, mtx) {
				t.Errorf("tx %d: witness lost", i)
			}
		}
		stripped += mtx.SerializeSizeStripped()
	}
	stripped += b.Txs[0].Size
	if witness < 20 || b.StrippedSize != stripped || b.Weight != 3*stripped+len(raw) || b.Size != len(raw) {
		t.Fatalf("%d witness txs; block size %d stripped %d weight %d, want stripped %d", witness, b.Size, b.StrippedSize, b.Weight, stripped)
	}
}

func equalWitness(ins []Input, mtx *wire.MsgTx) bool {
	for i, in := range mtx.TxIn {
		if len(ins[i].Witness) != len(in.Witness) {
			return false
		}
		for j := range in.Witness {
			if !bytes.Equal(ins[i].Witness[j], in.Witness[j]) {
				return false
			}
		}
	}
	return true
}

func TestDecodeBlockFields(t *testing.T) {
	net := mainnet(t)
	blocks := mainnetBlocks(t)
	b, err := DecodeBlock(blocks[170], net)
	if err != nil {
		t.Fatal(err)
	}
	// Block 170: the first payment, 10 BTC from Satoshi to Hal Finney.
	pay := &b.Txs[1]
	if b.Height != -1 || b.Hash.String() != "00000000d1145790a8694403d4063f323d499e655c83426834d4ce2f8dd4a2ee" ||
		pay.Txid.String() != "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16" ||
		pay.Inputs[0].PrevTxid.String() != "0437cd7f8525ceed2324359c2d0ba26006d92d856a9c20fa0241106ee5a597c9" ||
		pay.Outputs[0].Value != 10e8 || pay.Outputs[0].Type != PubKey || pay.Outputs[1].Value != 40e8 {
		t.Fatalf("block 170: %s, tx %+v", b.Hash, pay)
	}
	cb := b.Txs[0].CoinbaseInput()
	if cb == nil || cb.PrevVout != 0xffffffff || cb.PrevTxid != (chainhash.Hash{}) || pay.CoinbaseInput() != nil {
		t.Fatalf("coinbase input %+v", cb)
	}
}

func TestDecodeBlockRejectsCorruption(t *testing.T) {
	net := regtest(t)
	gh := blockHash(regtestGenesis(t))
	good := mineBlock(t, gh, 0x207fffff, "x", validTxs(t)[:3]...)
	spend := wire.NewMsgTx(1)
	spend.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&chainhash.Hash{}, wire.MaxPrevOutIndex), []byte{1}, nil))
	spend.AddTxOut(wire.NewTxOut(1, []byte{opReturn}))
	neg := wire.NewMsgTx(1)
	neg.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&chainhash.Hash{1}, 0), nil, nil))
	neg.AddTxOut(wire.NewTxOut(-1, nil))
	cases := []struct {
		name string
		raw  []byte
		want string
	}{
		{"empty", nil, "shorter than a block header"},
		{"header only", good[:headerSize], "EOF"},
		{"truncated", good[:len(good)-1], "EOF"},
		{"trailing bytes", append(bytes.Clone(good), 0), "1 bytes after the last transaction"},
		{"flipped byte", flip(good, len(good)-10), "merkle root mismatch"},
		{"no coinbase", mineTxs(t, gh, 0x207fffff, validTxs(t)[:1]), "transaction 0 is not a coinbase"},
		{"second coinbase", mineBlock(t, gh, 0x207fffff, "z", spend), "transaction 1"},
		{"negative value", mineBlock(t, gh, 0x207fffff, "n", neg), "value -1 out of range"},
		{"no transactions", append(bytes.Clone(good[:headerSize]), 0), "no transactions"},
	}
	for _, c := range cases {
		_, err := DecodeBlock(c.raw, net)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
		if len(c.raw) >= headerSize && err != nil && !strings.Contains(err.Error(), blockHash(c.raw).String()) {
			t.Errorf("%s: error %q does not name the block", c.name, err)
		}
	}
}

func flip(b []byte, i int) []byte {
	b = bytes.Clone(b)
	b[i] ^= 0xff
	return b
}
