package labels

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/chainhound/chainhound/internal/intel"
	"github.com/chainhound/chainhound/internal/intel/addrcheck"
)

// fortaDataset names the Forta repository and commit the files come from.
const fortaDataset = "forta-network/labelled-datasets@40a9c2f2bd7e9ddfdd0f3540db589f0288e1e88a"

// fortaDate is that commit's date: the datasets carry no date of their own.
func fortaDate() time.Time { return time.Date(2023, 1, 26, 0, 0, 0, 0, time.UTC) }

// ImportForta reads Forta's labelled datasets under path: the labels
// directory, one labels/<chainId> directory, or one file. The chain is the
// EIP-155 id the directory is named after.
func ImportForta(path string, emit Emit) (Stats, error) {
	var total Stats
	err := walkCSV(path, func(file string) error {
		id := filepath.Base(filepath.Dir(file))
		if _, err := strconv.ParseUint(id, 10, 64); err != nil {
			return fmt.Errorf("%s: cannot tell the chain: want labels/<EIP-155 chain id>/<file>.csv", file)
		}
		st, err := parseFile(file, func(r io.Reader, name string) (Stats, error) {
			return ReadForta(r, name, "eip155:"+id, emit)
		})
		total.add(st)
		return err
	})
	return total, err
}

// fortaColumns describes one of Forta's file layouts, told apart by their
// header: which column holds the address, its tag, and its Etherscan label
// (a slug such as "phish-hack", or a list name "etherscan-phish-hack-list").
type fortaColumns struct {
	addr, tag, label string
	// creator columns of malicious_smart_contracts.csv: the deployer is
	// tagged too, since a deployer of an exploit contract is the exploiter.
	creator, creatorTag string
	defaultLabel        string // when the file has no label column
}

func fortaLayout(col map[string]int) (fortaColumns, bool) {
	switch {
	case has(col, "banned_address"):
		return fortaColumns{addr: "banned_address", tag: "wallet_tag", label: "data_source"}, true
	case has(col, "address"):
		return fortaColumns{addr: "address", tag: "etherscan_tag", label: "etherscan_labels"}, true
	case has(col, "contract_address"):
		l := fortaColumns{addr: "contract_address", tag: "contract_tag",
			label: "contract_creator_etherscan_label", creator: "contract_creator",
			creatorTag: "contract_creator_tag"}
		if !has(col, l.label) {
			// Forta's README: the Optimism file holds addresses labelled
			// "exploit" on optimistic.etherscan.io and has no label column.
			l.label, l.defaultLabel = "", "exploit"
		}
		return l, true
	}
	return fortaColumns{}, false
}

func has(col map[string]int, name string) bool { _, ok := col[name]; return ok }

// ReadForta parses one Forta dataset file on chain.
func ReadForta(r io.Reader, name, chain string, emit Emit) (Stats, error) {
	if !addrcheck.Known(chain) {
		return Stats{}, fmt.Errorf("%s: chain %q: %w", name, chain, addrcheck.ErrUnknownChain)
	}
	rr := newRowReader(r, name)
	header, err := rr.next()
	if err == io.EOF {
		return Stats{}, nil
	}
	if err != nil {
		return Stats{}, err
	}
	col := columns(header)
	layout, ok := fortaLayout(col)
	if !ok {
		return Stats{}, rr.errorf("unknown Forta layout, header %q", header)
	}
	get := func(rec []string, name string) string {
		i, ok := col[name]
		return strings.TrimSpace(field(rec, i, ok && name != ""))
	}
	return rr.rows(emit, func(rec []string) ([]intel.Tag, bool, error) {
		tags, err := fortaTags(rr, chain, layout, rec, get)
		return tags, false, err
	})
}

// fortaTags makes the row's tags: the address, and for a malicious
// contract also its deployer.
func fortaTags(rr *rowReader, chain string, l fortaColumns, rec []string, get func([]string, string) string) ([]intel.Tag, error) {
	slug := fortaSlug(get(rec, l.label))
	if slug == "" {
		slug = l.defaultLabel
	}
	base := map[string]string{"dataset": fortaDataset, "explorer_label": slug, "file": filepath.Base(rr.name)}
	if note := get(rec, "notes"); note != "" {
		base["notes"] = note
	}
	if tx := get(rec, "contract_creation_tx"); tx != "" {
		base["creation_tx"] = tx
	}
	addr := get(rec, l.addr)
	if addr == "" {
		return nil, rr.errorf("empty %s", l.addr)
	}
	main, err := fortaTag(rr, chain, addr, get(rec, l.tag), slug, base)
	if err != nil {
		return nil, err
	}
	tags := []intel.Tag{main}
	if creator := get(rec, l.creator); creator != "" {
		f := copyFields(base)
		f["role"] = "creator of " + addr
		c, err := fortaTag(rr, chain, creator, get(rec, l.creatorTag), slug, f)
		if err != nil {
			return nil, err
		}
		tags = append(tags, c)
	}
	return tags, nil
}

func fortaTag(rr *rowReader, chain, addr, label, slug string, fields map[string]string) (intel.Tag, error) {
	fields = copyFields(fields)
	subj, err := rr.subject(chain, addr, fields)
	if err != nil {
		return intel.Tag{}, err
	}
	if label == "" {
		label = "forta " + slug
		if slug == "" {
			label = "forta malicious"
		}
	}
	return intel.Tag{
		Subject:    subj,
		Label:      label,
		Category:   explorerConcept(slug),
		Confidence: FortaConfidence,
		Source:     "https://github.com/forta-network/labelled-datasets/blob/main/labels/" + filepath.Base(filepath.Dir(rr.name)) + "/" + filepath.Base(rr.name),
		SourceDate: fortaDate(),
		Fields:     fields,
	}, nil
}

// fortaSlug turns "etherscan-phish-hack-list" into "phish-hack"; a slug
// already plain is kept.
func fortaSlug(s string) string {
	return strings.TrimSuffix(strings.TrimPrefix(s, "etherscan-"), "-list")
}

func copyFields(m map[string]string) map[string]string {
	c := make(map[string]string, len(m)+2)
	for k, v := range m {
		c[k] = v
	}
	return c
}
