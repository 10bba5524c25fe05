package bench

import (
	"context"
	"testing"
)

// BenchmarkIngestEth reports end-to-end ingest throughput over synthetic
// mainnet-shaped blocks. Run with -cpu 1 for the one-core figure.
func BenchmarkIngestEth(b *testing.B) {
	var res IngestEthResult
	for b.Loop() {
		var err error
		res, err = IngestEth(context.Background(), IngestEthConfig{Blocks: 1000, Distinct: 32})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(res.BlocksPerSec(), "blocks/s")
	b.ReportMetric(res.TransfersPerSec(), "transfers/s")
	b.ReportMetric(res.DecodeBlocksPerSec(), "decode-blocks/s")
	b.ReportMetric(res.Ratio(), "e2e/decode")
	b.ReportMetric(float64(res.PeakRSSBytes)/(1<<20), "peak-MiB")
}

// TestIngestEthSmall runs the benchmark pipeline on a few blocks so that it
// cannot rot: the replayed chain must be ingested whole.
func TestIngestEthSmall(t *testing.T) {
	res, err := IngestEth(context.Background(), IngestEthConfig{Blocks: 40, Distinct: 8, TxsPerBlock: 20})
	if err != nil {
		t.Fatal(err)
	}
	if res.Blocks != 40 || res.Transfers < 40*20 {
		t.Fatalf("ingested %d blocks, %d transfers; want 40 blocks and at least one transfer per tx", res.Blocks, res.Transfers)
	}
}

// BenchmarkIngestBTC reports end-to-end Bitcoin ingest over synthetic
// mainnet-shaped blocks against bare wire deserialisation of the same bytes.
func BenchmarkIngestBTC(b *testing.B) {
	var res IngestBTCResult
	for b.Loop() {
		var err error
		if res, err = IngestBTC(context.Background(), IngestBTCConfig{Blocks: 120}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(res.Txs)/res.EndToEndSeconds, "txs/s")
	b.ReportMetric(res.Ratio(), "e2e/wire")
	b.ReportMetric(float64(res.PeakRSSBytes)/(1<<20), "peak-MiB")
}

// TestIngestBTCSmall keeps the Bitcoin benchmark pipeline from rotting: the
// synthetic chain must ingest whole, every input resolved.
func TestIngestBTCSmall(t *testing.T) {
	res, err := IngestBTC(context.Background(), IngestBTCConfig{Blocks: 20, TxsPerBlock: 200})
	if err != nil {
		t.Fatal(err)
	}
	if res.Blocks != 21 || res.Txs < 200 || res.Transfers < res.Txs {
		t.Fatalf("%d blocks, %d txs, %d transfers", res.Blocks, res.Txs, res.Transfers)
	}
}
