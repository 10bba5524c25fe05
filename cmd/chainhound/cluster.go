package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/chainhound/chainhound/internal/chain"
	"github.com/chainhound/chainhound/internal/cluster"
	"github.com/chainhound/chainhound/internal/cluster/coinjoin"
	"github.com/chainhound/chainhound/internal/cluster/unionfind"
	"github.com/chainhound/chainhound/internal/intel"
	"github.com/chainhound/chainhound/internal/progress"
	"github.com/chainhound/chainhound/internal/store"
)

// snapshotEvery is how many clustered blocks above the snapshot an update
// lets pile up before it writes a new one.
const snapshotEvery = 1000

func clusterDir(data string) string { return filepath.Join(data, "cluster") }

// clusterDirOf is the clustering of chain c: DATA/cluster for Bitcoin (as
// before there were others), DATA/cluster-eth for Ethereum.
func clusterDirOf(data string, c chain.Chain) string {
	if c == chain.Bitcoin {
		return clusterDir(data)
	}
	return filepath.Join(data, "cluster-"+c.String())
}

// clusterChainFlag is --chain of the cluster commands.
func clusterChainFlag(fs *cmdFlags) *string {
	return fs.String("chain", "btc", "btc (co-spend and change) or eth (deposit-address reuse)")
}

func parseClusterChain(s string) (chain.Chain, error) {
	c, err := chain.ParseChain(s)
	if err != nil {
		return 0, usagef("--chain: %v", err)
	}
	return c, nil
}

func clusterBuildCommand() command  { return clusterRunCommand("build") }
func clusterUpdateCommand() command { return clusterRunCommand("update") }

// clusterRunCommand is `cluster build` (from scratch) or `cluster update`
// (from the last clustered block to the store's cursor).
func clusterRunCommand(verb string) command {
	c := command{
		name:    "cluster " + verb,
		summary: "group Bitcoin addresses into entities by co-spending, CoinJoins left out, into DATA/cluster",
		usage:   "[--chain btc|eth] [--keep-coinjoins] [--config FILE]",
		example: "chainhound cluster " + verb + " --data ./chdata\nchainhound cluster " + verb + " --chain eth --data ./chdata",
	}
	if verb == "build" {
		c.summary = "cluster the store's transactions from scratch into DATA/cluster (Bitcoin: co-spend with CoinJoins left out, scored change; Ethereum: deposit-address reuse, into DATA/cluster-eth)"
	} else {
		c.summary = "cluster the blocks ingested since the last build or update, following reorgs"
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		chainName := clusterChainFlag(fs)
		keep := fs.Bool("keep-coinjoins", false, "link the inputs of CoinJoins too (GraphSense's clustering \"with coinjoin\"); fixed when a database is built")
		configFile := fs.String("config", "", "clustering configuration (YAML over the defaults that `cluster config` prints); fixed when a database is built")
		if err := noArgs(fs, args); err != nil {
			return err
		}
		cc, err := parseClusterChain(*chainName)
		if err != nil {
			return err
		}
		if cc != chain.Bitcoin && *keep {
			return usagef("--keep-coinjoins is for Bitcoin")
		}
		cfg := cluster.DefaultConfig()
		if *configFile != "" {
			var err error
			if cfg, err = cluster.LoadConfig(*configFile); err != nil {
				return err
			}
		}
		st, err := openReadStore(*data)
		if err != nil {
			return err
		}
		defer st.Close()
		if _, ok, err := st.Cursor(cc); err != nil || !ok {
			if err == nil {
				err = fmt.Errorf("the store at %s holds no %s blocks (ingest %s first)", *data, cc, *chainName)
			}
			return err
		}
		dir := clusterDirOf(*data, cc)
		if verb == "update" {
			// keep what the database was built with, unless told otherwise
			// (which Open then refuses)
			if _, err := os.Stat(dir); err == nil {
				ro, err := cluster.Open(dir, cc, cluster.Options{}, true)
				if err != nil {
					return err
				}
				*keep = *keep || ro.Options().KeepCoinJoins
				if *configFile == "" {
					cfg.Change, cfg.Deposit = ro.Options().Change, ro.Options().Deposit
				}
				ro.Close()
			}
		}
		var services map[uint32]string
		opts := cluster.Options{Deposit: cfg.Deposit}
		if cc == chain.Bitcoin {
			if services, err = serviceTags(*data, st); err != nil {
				return err
			}
			opts = cluster.Options{KeepCoinJoins: *keep, Services: services, Change: cfg.Change}
		}
		open := cluster.Open
		if verb == "build" {
			open = func(dir string, c chain.Chain, o cluster.Options, _ bool) (*cluster.DB, error) {
				return cluster.Create(dir, c, o)
			}
		}
		db, err := open(dir, cc, opts, false)
		if err != nil {
			return err
		}
		defer db.Close()
		rep := progress.New(e.stderr, e.log, "cluster "+verb, 10*time.Second)
		last := uint64(0)
		p := func(h, target uint64) {
			rep.Update(h, target, 1, int(db.Clusterer().Counts.Txs-last))
			last = db.Clusterer().Counts.Txs
		}
		start := time.Now()
		if verb == "build" {
			err = db.Build(ctx, st, p)
		} else {
			err = db.Update(ctx, st, p)
		}
		rep.Done()
		if err != nil {
			return err
		}
		// A snapshot after a build, and after updates once enough blocks
		// piled up above the last one, keeps opening fast.
		if verb == "build" || db.RecordsSinceSnapshot() >= snapshotEvery {
			if err := db.Snapshot(); err != nil {
				return fmt.Errorf("cluster snapshot: %w", err)
			}
		}
		for _, r := range db.Clusterer().Refusals {
			if r.Reason == "services" {
				e.log.Warn("merge refused: the entities belong to different services", "heuristic", r.Heuristic, "block", r.Height, "tx", r.Tx.String(), "services", r.Services)
			} else {
				e.log.Warn("merge refused: the entities are a cannot-link pair (a confident payment between them)", "heuristic", r.Heuristic, "block", r.Height, "tx", r.Tx.String())
			}
		}
		h, _, _ := db.Cursor()
		k := db.Clusterer().Counts
		if cc != chain.Bitcoin {
			fmt.Fprintf(e.stdout, "clustered %s to block %d in %.1fs: %d deposit sweeps found, %d merges of their depositors\n",
				cc, h, time.Since(start).Seconds(), k.DepositForwards, k.DepositMerges)
			return nil
		}
		fmt.Fprintf(e.stdout, "clustered to block %d in %.1fs: %d transactions, %d multi-input, %d merges, %d of them change, %d CoinJoins left unlinked, %d cannot-link pairs, %d merges refused (%d tagged service addresses)\n",
			h, time.Since(start).Seconds(), k.Txs, k.MultiInput, k.Merges, k.ChangeMerges, k.Skipped, k.CannotLinks, refusedTotal(k), len(services))
		return nil
	}
	return c
}

func openClusterRead(data string) (*cluster.DB, error) { return openClusterReadOf(data, chain.Bitcoin) }

func openClusterReadOf(data string, c chain.Chain) (*cluster.DB, error) {
	dir := clusterDirOf(data, c)
	if _, err := os.Stat(dir); err != nil {
		hint := "chainhound cluster build"
		if c != chain.Bitcoin {
			hint += " --chain " + c.String()
		}
		return nil, fmt.Errorf("no clustering at %s (run %s first)", dir, hint)
	}
	return cluster.Open(dir, c, cluster.Options{}, true)
}

func refusedTotal(k cluster.Counts) uint64 {
	return k.Refused + k.RefusedCannotLink + k.ChangeRefused + k.ChangeRefusedCannot
}

// refusedOut breaks merges_refused down by heuristic and reason.
type refusedOut struct {
	CospendServices   uint64 `json:"cospend_services"`
	CospendCannotLink uint64 `json:"cospend_cannot_link"`
	ChangeServices    uint64 `json:"change_services"`
	ChangeCannotLink  uint64 `json:"change_cannot_link"`
}

// fingerprintOut counts the transactions whose change waited for their
// outputs' spenders' wallet fingerprints.
type fingerprintOut struct {
	Deferred    uint64 `json:"transactions_waited"`
	Decided     uint64 `json:"decided"`
	AtWindowEnd uint64 `json:"decided_at_window_end"`
	ChangeFound uint64 `json:"change_found"`
	Waiting     int    `json:"waiting_now"`
	Window      int    `json:"window_blocks"`
}

type statsOut struct {
	Chain           string            `json:"chain"`
	Block           uint64            `json:"block"`
	KeepCoinJoins   bool              `json:"keep_coinjoins"`
	Transactions    uint64            `json:"transactions"`
	MultiInput      uint64            `json:"multi_input_transactions"`
	CoinJoins       map[string]uint64 `json:"transactions_by_kind"`
	Unlinked        uint64            `json:"coinjoins_left_unlinked"`
	Merges          uint64            `json:"merges"`
	ChangeEnabled   bool              `json:"change_detection"`
	ChangeFound     uint64            `json:"change_outputs_found"`
	ChangeMerges    uint64            `json:"change_merges"`
	CannotLinks     uint64            `json:"cannot_link_pairs"`
	Fingerprint     fingerprintOut    `json:"fingerprint_waits"`
	Refused         uint64            `json:"merges_refused"`
	RefusedBy       refusedOut        `json:"merges_refused_by"`
	Labelled        uint64            `json:"entities_labelled"`
	Conflicts       []conflictOut     `json:"tag_conflicts"`
	AddressIDs      uint64            `json:"address_ids_covered"`
	Entities        uint64            `json:"entities_of_two_or_more"`
	Clustered       uint64            `json:"addresses_in_those_entities"`
	Largest         uint64            `json:"largest_entity_members"`
	LargestID       uint64            `json:"largest_entity_id"`
	DepositSweeps   uint64            `json:"deposit_sweeps"`
	DepositMerges   uint64            `json:"deposit_merges"`
	ForestBytes     int64             `json:"union_find_bytes"`
	BytesPerAddress float64           `json:"union_find_bytes_per_address"`
}

func clusterStatsCommand() command {
	c := command{
		name:    "cluster stats",
		summary: "what the clustering holds: transactions seen, CoinJoins by kind, merges, entities and the largest",
		usage:   "[--chain btc|eth] [--output table|json]",
		example: "chainhound cluster stats --output json",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		data := dataFlag(fs)
		output := fs.String("output", "table", "table or json")
		chainName := clusterChainFlag(fs)
		if err := noArgs(fs, args); err != nil {
			return err
		}
		if err := checkOutput(*output, "table", "json"); err != nil {
			return err
		}
		cc, err := parseClusterChain(*chainName)
		if err != nil {
			return err
		}
		db, err := openClusterReadOf(*data, cc)
		if err != nil {
			return err
		}
		defer db.Close()
		h, _, _ := db.Cursor()
		k := db.Clusterer().Counts
		s := db.Clusterer().Summarize()
		out := statsOut{Chain: cc.String(), Block: h, DepositSweeps: k.DepositForwards, DepositMerges: k.DepositMerges, KeepCoinJoins: db.Options().KeepCoinJoins, Transactions: k.Txs, MultiInput: k.MultiInput,
			CoinJoins: map[string]uint64{}, Unlinked: k.Skipped, Merges: k.Merges, Refused: refusedTotal(k),
			RefusedBy:     refusedOut{k.Refused, k.RefusedCannotLink, k.ChangeRefused, k.ChangeRefusedCannot},
			ChangeEnabled: db.Options().Change.Enabled, ChangeFound: k.ChangeFound, ChangeMerges: k.ChangeMerges, CannotLinks: k.CannotLinks,
			Fingerprint: fingerprintOut{k.Deferred, k.DeferResolved, k.DeferLate, k.DeferChange, db.Clusterer().Pending(), db.Options().Change.FingerprintBlocks},
			AddressIDs:  s.IDs,
			Entities:    s.Entities, Clustered: s.Clustered, Largest: s.Largest, LargestID: s.LargestID,
			ForestBytes: s.ForestBytes, BytesPerAddress: s.BytesPerAddress}
		for kind := coinjoin.None + 1; kind <= coinjoin.WhirlpoolTx0; kind++ {
			out.CoinJoins[kind.String()] = k.CoinJoins[kind]
		}
		st, err := openReadStore(*data)
		if err != nil {
			return err
		}
		defer st.Close()
		var tags *intel.Store
		if _, err := os.Stat(intelDir(*data)); err == nil {
			if tags, err = openIntel(*data, true); err != nil {
				return err
			}
			defer tags.Close()
		}
		labels, err := entityLabels(tags, st, cc, db.Clusterer())
		if err != nil {
			return err
		}
		out.Conflicts = []conflictOut{}
		for _, ent := range slices.Sorted(maps.Keys(labels)) {
			out.Labelled++
			if l := labels[ent]; len(l) > 1 {
				out.Conflicts = append(out.Conflicts, conflictOut{Entity: ent, Labels: l})
			}
		}
		if *output == "json" {
			return writeJSON(e, out)
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "chain\t%s\n", out.Chain)
		fmt.Fprintf(tw, "clustered to block\t%d\n", out.Block)
		if cc != chain.Bitcoin {
			fmt.Fprintf(tw, "deposit sweeps found\t%d (%d merges of their depositors)\n", out.DepositSweeps, out.DepositMerges)
		}
		fmt.Fprintf(tw, "CoinJoins linked\t%v\n", out.KeepCoinJoins)
		fmt.Fprintf(tw, "transactions\t%d (%d with 2+ input addresses)\n", out.Transactions, out.MultiInput)
		for kind := coinjoin.None + 1; kind <= coinjoin.WhirlpoolTx0; kind++ {
			fmt.Fprintf(tw, "  %s\t%d\n", kind, k.CoinJoins[kind])
		}
		fmt.Fprintf(tw, "CoinJoins left unlinked\t%d\n", out.Unlinked)
		fmt.Fprintf(tw, "change detection\t%v: %d change outputs found, %d merged, %d cannot-link pairs\n", out.ChangeEnabled, out.ChangeFound, out.ChangeMerges, out.CannotLinks)
		if fp := out.Fingerprint; fp.Window > 0 {
			fmt.Fprintf(tw, "  fingerprint waits\t%d transactions waited for their outputs' spenders (up to %d blocks): %d decided (%d at the window's end), %d change found; %d waiting\n",
				fp.Deferred, fp.Window, fp.Decided, fp.AtWindowEnd, fp.ChangeFound, fp.Waiting)
		}
		fmt.Fprintf(tw, "merges\t%d\n", out.Merges)
		fmt.Fprintf(tw, "merges refused\t%d (co-spend: %d two services, %d cannot-link; change: %d two services, %d cannot-link)\n",
			out.Refused, out.RefusedBy.CospendServices, out.RefusedBy.CospendCannotLink, out.RefusedBy.ChangeServices, out.RefusedBy.ChangeCannotLink)
		fmt.Fprintf(tw, "entities of 2+ addresses\t%d (%d addresses)\n", out.Entities, out.Clustered)
		fmt.Fprintf(tw, "largest entity\t%d (%d addresses)\n", out.LargestID, out.Largest)
		fmt.Fprintf(tw, "union-find\t%d bytes, %.1f per address id\n", out.ForestBytes, out.BytesPerAddress)
		fmt.Fprintf(tw, "entities labelled\t%d by cluster-defining tags, %d with conflicting labels\n", out.Labelled, len(out.Conflicts))
		for _, c := range out.Conflicts {
			names := make([]string, len(c.Labels))
			for i, l := range c.Labels {
				names[i] = l.Name
			}
			fmt.Fprintf(tw, "  conflict\tentity %d: %s\n", c.Entity, strings.Join(names, " / "))
		}
		return tw.Flush()
	}
	return c
}

// serviceConcepts are GraphSense's `service` concept and every concept
// below it (graphsense-tagpack-tool, src/tagpack/db/concepts.yaml): the
// categories whose differently named tags must not end up in one entity.
var serviceConcepts = map[string]bool{
	"service": true, "atm": true, "defi": true, "defi_bridge": true, "defi_custody": true, "defi_dao": true,
	"defi_derivatives": true, "defi_dex": true, "defi_dex_pair": true, "defi_lending": true, "defi_staking": true,
	"defi_token": true, "escrow_wallet": true, "exchange": true, "faucet": true, "filesharing": true, "gambling": true,
	"hosting": true, "ico_wallet": true, "index": true, "market": true, "messaging_service": true, "mining_service": true,
	"mixing_service": true, "nameservice": true, "payment_processor": true, "search_engine": true, "shop": true,
	"vpn": true, "wallet_service": true,
}

// clusterDefining reports whether a tag names its address's entity: the
// TagPack's is_cluster_definer when it says, else a service category.
func clusterDefining(t *intel.Tag) bool {
	switch t.Fields["is_cluster_definer"] {
	case "true":
		return true
	case "false":
		return false
	}
	return serviceConcepts[t.Category]
}

// tagName is the name a tag gives an entity: its actor, else its label.
func tagName(t *intel.Tag) string {
	if t.Actor != "" {
		return t.Actor
	}
	return t.Label
}

// eachChainTag calls f with each tag in force on an address of chain c
// in the store, with the address and its id.
func eachChainTag(tags *intel.Store, st *store.DB, c chain.Chain, f func(t *intel.Tag, addr string, id uint64) error) error {
	net, ok, err := st.Network(c)
	if err != nil || !ok || net.CAIP2 == "" {
		return err
	}
	prefix := net.CAIP2 + ":"
	return tags.EachTag(func(t intel.Tag) error {
		subj := string(t.Subject)
		if !t.Listed(time.Time{}) || !strings.HasPrefix(subj, prefix) || len(subj) == len(prefix) {
			return nil
		}
		a := chain.Address{Chain: c, Raw: subj[len(prefix):]}
		if c == chain.Ethereum {
			if a, err = chain.ParseEVMAddress(a.Raw); err != nil {
				return nil // not an account: a tag of something else
			}
		}
		id, ok, err := st.AddressID(a)
		if err != nil || !ok {
			return err
		}
		return f(&t, subj[len(prefix):], id)
	})
}

// conflictOut is an entity whose cluster-defining tags name it twice.
type conflictOut struct {
	Entity uint64          `json:"entity"`
	Labels []cluster.Label `json:"labels"`
}

// entityLabels lifts the cluster-defining tags of the intelligence store
// to the entities of cl: entity -> its distinct names.
// No tags (nil) lift nothing.
func entityLabels(tags *intel.Store, st *store.DB, c chain.Chain, cl *cluster.Clusterer) (map[uint64][]cluster.Label, error) {
	if tags == nil {
		return nil, nil
	}
	var refs []cluster.TagRef
	err := eachChainTag(tags, st, c, func(t *intel.Tag, addr string, id uint64) error {
		if clusterDefining(t) {
			refs = append(refs, cluster.TagRef{ID: id, Address: addr, Name: tagName(t), Category: t.Category})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return cl.LiftTags(refs), nil
}

// serviceTags maps the ids of the Bitcoin addresses the intelligence store
// (DATA/intel, when present) tags with a service category to the service's
// name: the tag's actor when it names one, else its label. Nil when there
// is no intelligence store or no such tag.
func serviceTags(data string, st *store.DB) (map[uint32]string, error) {
	if _, err := os.Stat(intelDir(data)); err != nil {
		return nil, nil
	}
	tags, err := openIntel(data, true)
	if err != nil {
		return nil, err
	}
	defer tags.Close()
	var out map[uint32]string
	err = eachChainTag(tags, st, chain.Bitcoin, func(t *intel.Tag, _ string, id uint64) error {
		if !serviceConcepts[t.Category] || id > unionfind.MaxID {
			return nil
		}
		if out == nil {
			out = map[uint32]string{}
		}
		if _, dup := out[uint32(id)]; !dup {
			out[uint32(id)] = tagName(t)
		}
		return nil
	})
	return out, err
}

// storeAddress is a clustered address id and its text.
func storeAddress(st *store.DB, id uint64) string {
	a, err := st.Address(id)
	if err != nil {
		return fmt.Sprintf("#%d (%v)", id, err)
	}
	return a.String()
}

func clusterConfigCommand() command {
	c := command{
		name:    "cluster config",
		summary: "print the clustering configuration (change detection, deposit reuse): the documented defaults, or a config file read over them",
		usage:   "[--config FILE]",
		example: "chainhound cluster config > cluster.yaml",
	}
	c.run = func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(&c, e)
		file := fs.String("config", "", "configuration file to check and print as it applies")
		if err := noArgs(fs, args); err != nil {
			return err
		}
		if *file == "" {
			_, err := e.stdout.Write(cluster.DefaultYAML())
			return err
		}
		cfg, err := cluster.LoadConfig(*file)
		if err != nil {
			return err
		}
		return writeJSON(e, cfg)
	}
	return c
}
