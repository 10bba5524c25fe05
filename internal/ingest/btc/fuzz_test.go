package btc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/btcsuite/btcd/wire/v2"
)

// Seeds live in testdata/fuzz/<Fuzz...>; these add the real blocks of
// ../shared/data when it is there.

func FuzzDecodeBlock(f *testing.F) {
	if _, err := os.Stat(filepath.Join("..", "..", "..", "..", "shared", "data", "btcd-testdata")); err == nil {
		blocks := mainnetBlocks(f)
		f.Add(blocks[0])
		f.Add(blocks[170])
		f.Add(blkBlocks(f, btcdTestdata(f, "blockchain/testdata/277647.dat.bz2"))[0])
		f.Add(mineBlock(f, blockHash(regtestGenesis(f)), 0x207fffff, "segwit", validTxs(f)[:12]...))
	}
	net := mainnet(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		data = fixMerkleRoot(data)
		b, err := DecodeBlock(data, net)
		if err != nil {
			return
		}
		// What decodes agrees with btcd's own view of the same bytes.
		var mb wire.MsgBlock
		if err := mb.Deserialize(bytes.NewReader(data)); err != nil {
			t.Fatalf("decoded what wire rejects: %v", err)
		}
		if b.Hash != mb.BlockHash() || b.Size != len(data) || b.Weight != 3*b.StrippedSize+b.Size || len(b.Txs) != len(mb.Transactions) {
			t.Fatalf("block fields %+v", b)
		}
		for i, mtx := range mb.Transactions {
			tx := &b.Txs[i]
			if tx.Txid != mtx.TxHash() || tx.Wtxid != mtx.WitnessHash() || tx.Size != mtx.SerializeSize() || tx.Coinbase != (i == 0) {
				t.Fatalf("tx %d: %+v", i, tx)
			}
			for j, o := range tx.Outputs {
				if typ, addr := ClassifyScript(mtx.TxOut[j].PkScript, net); o.Type != typ || o.Address != addr {
					t.Fatalf("tx %d output %d: %s %q, ClassifyScript says %s %q", i, j, o.Type, o.Address, typ, addr)
				}
			}
		}
	})
}

// fixMerkleRoot writes the right merkle root into data's header when wire
// can parse it, so that the fuzzer reaches past the merkle check.
func fixMerkleRoot(data []byte) []byte {
	var mb wire.MsgBlock
	if mb.Deserialize(bytes.NewReader(data)) != nil || len(mb.Transactions) == 0 {
		return data
	}
	txs := make([]Tx, len(mb.Transactions))
	for i, mtx := range mb.Transactions {
		txs[i].Txid = mtx.TxHash()
	}
	root := merkleRoot(txs)
	data = bytes.Clone(data)
	copy(data[36:68], root[:])
	return data
}

func FuzzClassifyScript(f *testing.F) {
	for _, s := range []string{
		"76a914b5cd7aaed869cd5ccb45868e8666e7e934a2373688ac",
		"a9148febbed40483661de6958d957412f82deed8e2f787",
		"0014751e76e8199196d454941c45d1b3a323f1433bd6",
		"512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
		"51024e73", "6a02abcd4c0301020351", "6002751e",
	} {
		f.Add(mustHex(f, s))
	}
	nets := []Network{mainnet(f), regtest(f)}
	f.Fuzz(func(t *testing.T, script []byte) {
		for _, net := range nets {
			typ, addr := ClassifyScript(script, net)
			if (addr == "") != (typ == NullData) {
				t.Fatalf("%x: %s with address %q", script, typ, addr)
			}
			switch typ {
			case MultiSig, NonStandard:
				if addr != scriptID(script) {
					t.Fatalf("%x: %s identifier %q", script, typ, addr)
				}
			case PubKey:
				if PubKeyOf(script) == nil {
					t.Fatalf("%x: pubkey without key", script)
				}
			}
			if _, _, ok := MultisigKeys(script); ok != (typ == MultiSig) {
				t.Fatalf("%x: %s, MultisigKeys %v", script, typ, ok)
			}
			if wt, wa, ok := btcdOracle(script, net); ok && (wt != typ || wa != addr) {
				t.Fatalf("%s %x: got %s %q, btcd says %s %q", net.Name, script, typ, addr, wt, wa)
			}
		}
		if len(script) > 0 {
			checkEncoders(t, script[1:min(len(script), 41)], script[0], script[0]%17)
		}
	})
}

func FuzzBlkReader(f *testing.F) {
	net := mainnet(f)
	g := serializeBlock(f, net.Params.GenesisBlock)
	f.Add(frame(net, g, g), uint64(0))
	f.Add(append(frame(net, g), make([]byte, 20)...), uint64(0x0102030405060708))
	f.Add(append(append(frame(net, g), 0, 0, 0), frame(net, g)...), uint64(0))
	f.Add(frame(testnet3(f), g), uint64(0))
	f.Fuzz(func(t *testing.T, data []byte, k uint64) {
		var key xorKey
		binary.LittleEndian.PutUint64(key[:], k)
		const name = "blk00042.dat"
		end := int64(-1)
		err := scanBlkFile(bytes.NewReader(data), int64(len(data)), name, net, key, func(r blkRecord) error {
			if r.Offset <= end || r.Size < headerSize || r.Size > maxRecordSize || r.Offset+int64(r.Size) > int64(len(data)) {
				t.Fatalf("record %+v after offset %d in %d bytes", r, end, len(data))
			}
			end = r.Offset + int64(r.Size) - 1
			return nil
		})
		var fe *FileError
		if err != nil && (!errors.As(err, &fe) || fe.File != name || fe.Offset < 0 || fe.Offset > int64(len(data))) {
			t.Fatalf("error %v does not locate the problem", err)
		}
	})
}

func FuzzParseResponse(f *testing.F) {
	f.Add([]byte(`{"result":"00ff","error":null,"id":1}`))
	f.Add([]byte(`{"result":"00ff","error":{"code":-5,"message":"x"},"id":1}`))
	f.Add([]byte(`{"result":{"chain":"main"},"error":null,"id":"1"}`))
	f.Fuzz(func(t *testing.T, body []byte) { checkParseResponse(t, body) })
}
