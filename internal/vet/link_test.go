package vet

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

var (
	testKey = []byte("test key: 32 bytes or more, never a default")
	testNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
)

func testKeyer(tb testing.TB) *Keyer {
	tb.Helper()
	k, err := NewKeyer(testKey)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

var cvWords = strings.Fields(`senior backend engineer with years of experience building distributed systems in go rust
typescript and python designed payment services smart contracts solidity defi protocols led teams of engineers
kubernetes aws terraform postgres redis kafka grpc microservices blockchain indexers wallets security audits
react frontend mobile apps machine learning pipelines data engineering spark airflow startup fintech remote
contributed to open source libraries mentored juniors improved latency reduced costs shipped features on time`)

// cvText writes a CV of n words from the shared vocabulary.
func cvText(r *rand.Rand, n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = cvWords[r.IntN(len(cvWords))]
	}
	return strings.Join(w, " ")
}

// edit replaces a share of a text's words: one operator's CV reworded
// for each persona.
func edit(r *rand.Rand, text string, share float64) string {
	w := strings.Fields(text)
	for i := range w {
		if r.Float64() < share {
			w[i] = cvWords[r.IntN(len(cvWords))]
		}
	}
	return strings.Join(w, " ")
}

func hexID(r *rand.Rand, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[r.IntN(16)]
	}
	return string(b)
}

// linkPopulation generates ordinary applicants, each with their own
// e-mail, phone, device, handle, home network and CV, some sharing
// networks by chance (ISP blocks), a common recruiter as reference and a
// company office network shared by every staff member; and planted
// operators, each running 2 to 12 personas that draw from a small pool
// of devices, payout wallets, VoIP phones, laptop-farm networks, bank
// accounts, photos and one CV reworded per persona, each persona using
// only some of them. It returns the records and the planted clusters.
func linkPopulation(k *Keyer, cfg Config, ordinary, operators int, seed uint64) ([]Record, [][]string) {
	r := rand.New(rand.NewPCG(seed, 2))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var recs []Record
	add := func(c Candidate) {
		if err := c.Validate(len(recs) + 1); err != nil {
			panic(err)
		}
		recs = append(recs, NewRecord(&c, k, cfg, "test", now))
	}
	isp := func() string { return fmt.Sprintf("81.%d.%d.%d", r.IntN(40), r.IntN(50), 1+r.IntN(250)) }
	for i := range ordinary {
		kind := "candidate"
		ips := []string{isp()}
		if i%10 == 0 {
			kind = "staff"
			ips = append(ips, fmt.Sprintf("10.20.30.%d", 1+i%250)) // the office
		}
		add(Candidate{
			ID: fmt.Sprintf("c%05d", i), Kind: kind, Names: []string{fmt.Sprintf("Person %s", hexID(r, 6))},
			Birthdate:  fmt.Sprintf("%d-%02d-%02d", 1960+r.IntN(40), 1+r.IntN(12), 1+r.IntN(28)),
			Emails:     []string{fmt.Sprintf("p%s@example.com", hexID(r, 10))},
			Phones:     []string{fmt.Sprintf("+1555%07d", r.IntN(10_000_000))},
			Devices:    []string{hexID(r, 32)},
			Handles:    []string{"github:" + hexID(r, 8)},
			LoginIPs:   ips,
			References: []string{"Jane Recruiter, Acme Talent"}[:r.IntN(2)],
			CVText:     cvText(r, 150),
		})
	}
	var truth [][]string
	for o := range operators {
		n := 2 + r.IntN(11)
		pool := struct{ devices, wallets, phones, nets, banks, photos []string }{}
		for range 1 + r.IntN(2) {
			pool.devices = append(pool.devices, hexID(r, 32))
			pool.wallets = append(pool.wallets, "0x"+hexID(r, 40))
			pool.phones = append(pool.phones, fmt.Sprintf("+4456%08d", r.IntN(100_000_000)))
			pool.nets = append(pool.nets, fmt.Sprintf("45.%d.%d.", 100+o%100, r.IntN(250)))
			pool.banks = append(pool.banks, "GB"+hexID(r, 18))
			pool.photos = append(pool.photos, hexID(r, 16))
		}
		cv := cvText(r, 150)
		pick := func(p []string) string { return p[r.IntN(len(p))] }
		var ids []string
		var made []Candidate
		for p := range n {
			c := Candidate{
				ID: fmt.Sprintf("op%03d-%02d", o, p), Names: []string{fmt.Sprintf("Persona %s", hexID(r, 6))},
				Birthdate: fmt.Sprintf("%d-%02d-%02d", 1980+r.IntN(20), 1+r.IntN(12), 1+r.IntN(28)),
				Emails:    []string{fmt.Sprintf("dev%s@example.net", hexID(r, 10))},
				Handles:   []string{"github:" + hexID(r, 8)},
				LoginIPs:  []string{isp()},
				CVText:    cvText(r, 150),
			}
			// each of the operator's tools with some probability
			if r.IntN(2) == 0 {
				c.Devices = append(c.Devices, pick(pool.devices))
			}
			if r.IntN(3) == 0 {
				c.PayoutWallets = append(c.PayoutWallets, Account{Number: pick(pool.wallets)})
			}
			if r.IntN(3) == 0 {
				c.Phones = append(c.Phones, pick(pool.phones))
			}
			if r.IntN(4) == 0 {
				c.BankAccounts = append(c.BankAccounts, Account{Number: pick(pool.banks)})
			}
			if r.IntN(4) == 0 {
				c.PhotoHash = pick(pool.photos)
			}
			if r.IntN(3) == 0 {
				c.CVText = edit(r, cv, 0.03)
			}
			if r.IntN(2) == 0 {
				c.LoginIPs = append(c.LoginIPs, pick(pool.nets)+fmt.Sprint(1+r.IntN(250)))
			}
			// and at least one thing in common with an earlier persona,
			// so that the operator's personas are one connected whole
			if p > 0 {
				q := made[r.IntN(len(made))]
				var ways []func()
				if len(q.Devices) > 0 {
					ways = append(ways, func() { c.Devices = append(c.Devices, pick(q.Devices)) })
				}
				if len(q.PayoutWallets) > 0 {
					ways = append(ways, func() { c.PayoutWallets = append(c.PayoutWallets, q.PayoutWallets[0]) })
				}
				if len(q.Phones) > 0 {
					ways = append(ways, func() { c.Phones = append(c.Phones, pick(q.Phones)) })
				}
				ways = append(ways,
					func() { c.CVText = edit(r, q.CVText, 0.03) },
					func() { c.Emails = append(c.Emails, q.Emails[0]) }) // a recovery address reused
				ways[r.IntN(len(ways))]()
			}
			add(c)
			made = append(made, c)
			ids = append(ids, c.ID)
		}
		truth = append(truth, ids)
	}
	return recs, truth
}

// TestLinkPlantedOperators links a population of 10,000 ordinary
// applicants and staff with 150 planted operators and reports precision
// and recall of the recovered operator clusters: a recovered cluster
// counts as right only when it holds exactly one operator's personas.
// Goal: at least 0.95 for both.
func TestLinkPlantedOperators(t *testing.T) {
	cfg := DefaultConfig()
	recs, truth := linkPopulation(testKeyer(t), cfg, 10_000, 150, 1)
	l := Link(recs, cfg.Linking)
	want := map[string]bool{}
	personas := 0
	for _, g := range truth {
		sort.Strings(g)
		want[strings.Join(g, ",")] = true
		personas += len(g)
	}
	got := l.Clusters()
	right := 0
	shown := 0
	for _, g := range got {
		if want[strings.Join(g, ",")] {
			right++
		} else if shown < 5 {
			shown++
			cl, _ := l.ClusterOf(g[0])
			t.Logf("recovered cluster that is no operator: %v %+v", g, cl.Shared)
		}
	}
	precision := float64(right) / float64(len(got))
	recall := float64(right) / float64(len(truth))
	t.Logf("%d records (%d personas of %d operators): %d clusters recovered, %d exactly right: precision %.3f, recall %.3f",
		len(recs), personas, len(truth), len(got), right, precision, recall)
	if precision < 0.95 || recall < 0.95 {
		t.Errorf("precision %.3f, recall %.3f: goal is at least 0.95 for both", precision, recall)
	}
	// every cluster of an operator lists what its personas share
	c, ok := l.ClusterOf(truth[0][0])
	if !ok || len(c.Shared) == 0 || c.Persons < 2 {
		t.Fatalf("cluster of %s: %+v", truth[0][0], c)
	}
	for _, s := range c.Shared {
		if len(s.Members) < 2 || !slices.Contains(attrKinds, s.Kind) {
			t.Errorf("shared attribute %+v", s)
		}
	}
}
