package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The workspace's end-to-end tests drive Debian's chromium headless
// against `chainhound serve` on the demo's scenario store. Screenshots go
// to $CHAINHOUND_UI_ARTIFACTS (default: the test's temporary directory)
// and to testdata-out/ui beside this file (ignored by git).

// browser starts a headless chromium with a fresh profile and collects
// every console error, uncaught exception and browser log error.
type browser struct {
	ctx       context.Context
	artifacts []string
	mu        sync.Mutex
	errors    []string
	expected  []string // console errors a step provokes on purpose (a 4xx answer)
}

// expect lets console errors containing s pass: the browser logs every
// 4xx answer, which an error-state check provokes on purpose.
func (b *browser) expect(s string) {
	b.mu.Lock()
	b.expected = append(b.expected, s)
	b.mu.Unlock()
}

type step = chromedp.Action[chromedp.Void]

func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := os.Getenv("CHAINHOUND_CHROMIUM")
	if path == "" {
		for _, name := range []string{"chromium", "chromium-browser"} {
			if p, err := exec.LookPath(name); err == nil {
				path = p
				break
			}
		}
	}
	if path == "" {
		t.Skip("chromium not found: install Debian's (apt-get install -y chromium) or set CHAINHOUND_CHROMIUM; .ci/run installs it")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1440, 900),
		chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-default-browser-check", true), chromedp.Flag("disable-dev-shm-usage", true),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	b := &browser{ctx: ctx}
	dirs := []string{os.Getenv("CHAINHOUND_UI_ARTIFACTS"), filepath.Join("testdata-out", "ui")}
	if dirs[0] == "" {
		dirs[0] = t.TempDir()
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b.artifacts = dirs
	// The first run starts the browser; its context has no timeout, as a
	// timeout there would stop the browser.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		cancelB()
		cancelA()
		t.Fatalf("start chromium %s: %v", path, err)
	}
	messages := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
				msg := fmt.Sprintf("%s: %s (%s:%d)", m.Type, m.Text, m.URL, m.Line)
				b.mu.Lock()
				ok := false
				for _, e := range b.expected {
					ok = ok || strings.Contains(msg, e)
				}
				if !ok {
					b.errors = append(b.errors, msg)
				}
				b.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		cancelB()
		cancelA()
		<-done
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, e := range b.errors {
			t.Errorf("browser console: %s", e)
		}
	})
	return b
}

func (b *browser) run(t *testing.T, what string, steps ...step) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.screenshot(t, "failed-"+strings.ReplaceAll(what, " ", "-"))
		t.Fatalf("%s: %v", what, err)
	}
}

// evalJS evaluates expr in the page (awaiting a promise) into out.
func evalJS[T any](t *testing.T, b *browser, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.screenshot(t, "failed-eval")
		t.Fatalf("evaluate %.100s: %v", expr, err)
	}
	return v
}

// screenshot keeps the page as name.png in the artifact directories.
func (b *browser) screenshot(t *testing.T, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	b.writeArtifact(t, name+".png", png)
	t.Logf("screenshot %s.png in %s", name, strings.Join(b.artifacts, " and "))
}

func (b *browser) writeArtifact(t *testing.T, name string, data []byte) {
	for _, d := range b.artifacts {
		if err := os.WriteFile(filepath.Join(d, name), data, 0o644); err != nil {
			t.Error(err)
		}
	}
}

// wait polls a JavaScript condition until it holds.
func wait(expr string) step {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(30*time.Second), chromedp.WithPollingInterval(50*time.Millisecond))(ctx, tg)
		return err
	})
}

func js(expr string) step {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[chromedp.Void](expr, chromedp.EvalAwaitPromise)(ctx, tg)
		return err
	})
}

type uiExit struct {
	Account, Asset, Amount, Text string
	Freezable                    bool
}

// exitRows reads the exits table as the page shows it.
const exitRows = `[...document.querySelectorAll('#exits tbody tr')].map(r => ({Account: r.dataset.account, Asset: r.dataset.asset,
	Amount: r.dataset.amount, Freezable: r.dataset.freezable === 'true', Text: r.querySelector('.amount').textContent}))`

// TestUIWorkspace is the investigator's round: search the theft address,
// expand it, trace from it, see the exits with the ground truth's amounts
// (freezable ones marked), save the case, reload, reopen it unchanged.
// Driven from the keyboard where the workspace offers a key.
func TestUIWorkspace(t *testing.T) {
	b := newBrowser(t)
	dir := t.TempDir()
	_, truth, _ := demoJSON(t, dir)
	base, _, _ := startServe(t, "--data", dir, "--no-auth")
	var theft string
	for _, th := range truth.Thieves {
		if th.Role == "theft" {
			theft = th.Address
		}
	}
	if theft == "" {
		t.Fatal("the truth names no theft address")
	}
	account := truth.CAIP2 + ":" + theft

	b.run(t, "open the workspace", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("empty")))
	b.screenshot(t, "0-empty")

	// Search: type the address, see a suggestion, take it with Enter.
	b.run(t, "search", chromedp.SendKeys(chromedp.ID("search"), theft),
		chromedp.WaitVisible(chromedp.CSS(`#suggestions li[role=option][data-kind=address]`)))
	sugg := evalJS[string](t, b, `document.querySelector('#suggestions li[role=option]').textContent`)
	if !strings.Contains(sugg, theft) || !strings.Contains(sugg, "theft") {
		t.Errorf("suggestion %q: want the address with its label", sugg)
	}
	b.screenshot(t, "1-search")
	b.run(t, "pick", chromedp.SendKeys(chromedp.ID("search"), kb.Enter),
		wait(fmt.Sprintf(`chainhound.graph.nodes.has(%q) && chainhound.graph.selected.has(%q)`, account, account)),
		chromedp.WaitVisible(chromedp.CSS(`#panel-details table`)), wait(`chainhound.ready()`))

	// Expand out with the keyboard: every outgoing counterparty the API lists.
	var nb neighborsOut
	getJSON(t, base+"/v1/addresses/"+account+"/neighbors?direction=out&limit=50", &nb)
	b.run(t, "expand", chromedp.Focus(chromedp.ID("graph")), chromedp.KeyEvent("o"),
		wait(fmt.Sprintf(`chainhound.graph.nodes.size === %d && chainhound.ready()`, 1+len(nb.Neighbors))))
	if len(nb.Neighbors) < 2 {
		t.Errorf("the theft address has %d outgoing counterparties; want the split over many wallets", len(nb.Neighbors))
	}
	b.screenshot(t, "2-expanded")

	// Trace from it (the node is still selected): the exits table.
	b.run(t, "select the theft address", js(fmt.Sprintf(`chainhound.graph.select([%q])`, account)))
	b.run(t, "trace", chromedp.Focus(chromedp.ID("graph")), chromedp.KeyEvent("t"),
		chromedp.WaitVisible(chromedp.CSS(`#exits tbody tr`)), wait(`chainhound.ready()`))
	exits := evalJS[[]uiExit](t, b, exitRows)
	want := map[string]uiExit{}
	for _, l := range truth.Locations {
		if l.Kind == "exit" {
			a, _ := truth.Asset(l.Asset)
			want[truth.CAIP2+":"+l.Address+" "+a.CAIP19] = uiExit{Amount: l.Amount.String(), Freezable: l.Freezable}
		}
	}
	if len(exits) != len(want) || len(want) == 0 {
		t.Errorf("the page shows %d exits, the truth has %d: %+v", len(exits), len(want), exits)
	}
	for _, x := range exits {
		w, ok := want[x.Account+" "+x.Asset]
		if !ok {
			t.Errorf("exit %s %s on the page is not in the truth", x.Account, x.Asset)
			continue
		}
		if x.Amount != w.Amount || x.Freezable != w.Freezable {
			t.Errorf("exit %s: page %s (freezable %v), truth %s (freezable %v)", x.Account, x.Amount, x.Freezable, w.Amount, w.Freezable)
		}
		if shown := formatETH(w.Amount); x.Asset == "native" && !strings.HasPrefix(x.Text, shown) {
			t.Errorf("exit %s: the page reads %q, want %q", x.Account, x.Text, shown)
		}
	}
	marked := evalJS[int](t, b, `[...chainhound.graph.nodes.values()].filter(n => n.exit === 'freezable').length`)
	if nf := countFreezable(want); marked != nf {
		t.Errorf("%d nodes marked freezable on the canvas, the truth has %d freezable exits", marked, nf)
	}
	b.screenshot(t, "3-trace")

	// Save as a named case, with a note and an annotation.
	b.run(t, "note", js(fmt.Sprintf(`(() => { const n = chainhound.graph.nodes.get(%q); n.note = 'theft: drained by a DELEGATECALL'; `+
		`chainhound.graph.annotations.push({x: n.x, y: n.y - 60, text: 'start here'}); chainhound.graph.draw(); })()`, account)))
	b.run(t, "save", chromedp.Click(chromedp.ID("tab-case")), chromedp.SendKeys(chromedp.ID("case-name"), "Bybit heist"),
		chromedp.Click(chromedp.ID("btn-save")), wait(`location.hash.startsWith('#case=') && chainhound.ready()`))
	saved := evalJS[string](t, b, `JSON.stringify(chainhound.caseJSON())`)
	caseID := evalJS[string](t, b, `location.hash.slice(6)`)
	b.screenshot(t, "4-saved")

	// The stored case is the canvas.
	var stored map[string]any
	getJSON(t, base+"/v1/cases/"+caseID, &stored)
	var snap map[string]any
	json.Unmarshal([]byte(saved), &snap)
	for _, k := range []string{"nodes", "edges", "exits", "annotations", "name"} {
		if !jsonEqual(stored[k], snap[k]) {
			t.Errorf("stored case %s differs from the canvas", k)
		}
	}

	// Reload the page: the URL reopens the case.
	b.run(t, "reload", chromedp.Reload(), wait(`window.chainhound && chainhound.ready() && chainhound.graph.nodes.size > 0`))
	reopened := evalJS[string](t, b, `JSON.stringify(chainhound.caseJSON())`)
	if reopened != saved {
		t.Errorf("reloaded case differs:\n%.600s\nwant\n%.600s", reopened, saved)
	}
	// A fresh page: empty, then the case from the list.
	b.run(t, "fresh page", chromedp.Navigate(base+"/"), chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("empty")),
		chromedp.Click(chromedp.ID("tab-case")),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#case-list li[data-id=%q] button[data-act=open]`, caseID))),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#case-list li[data-id=%q] button[data-act=open]`, caseID))),
		wait(`chainhound.ready() && chainhound.graph.nodes.size > 0`))
	reopened = evalJS[string](t, b, `JSON.stringify(chainhound.caseJSON())`)
	if reopened != saved {
		t.Errorf("reopened case differs:\n%.600s\nwant\n%.600s", reopened, saved)
	}
	b.run(t, "exits again", chromedp.Click(chromedp.ID("tab-trace")))
	again := evalJS[[]uiExit](t, b, exitRows)
	if !jsonEqual(again, exits) {
		t.Errorf("exits after reopening %+v, want %+v", again, exits)
	}
	b.screenshot(t, "5-reopened")

	// Exports: SVG and PNG of the canvas, JSON of the case.
	svg := evalJS[string](t, b, `chainhound.graph.toSVG()`)
	png := evalJS[string](t, b, `chainhound.graph.toPNG()`)
	if !strings.HasPrefix(svg, "<svg") || !strings.Contains(svg, "Exchange hot wallet") || !strings.HasPrefix(png, "data:image/png;base64,") {
		t.Errorf("exports: svg %.80s…, png %.40s…", svg, png)
	}
	b.writeArtifact(t, "case.svg", []byte(svg))
	b.writeArtifact(t, "case.json", []byte(saved))

	// Collapse the two exchanges into one entity: the flows into them add
	// up; uncollapse brings them back.
	var hot, otc string
	for _, x := range exits {
		if x.Freezable && hot == "" {
			hot = x.Account
		} else if x.Freezable {
			otc = x.Account
		}
	}
	taintInto := `(ids) => [...chainhound.graph.edges.values()].filter(e => ids.includes(e.to) && e.taint).reduce((s, e) => s + BigInt(e.taint), 0n).toString()`
	before := evalJS[string](t, b, fmt.Sprintf(`(%s)([%q, %q])`, taintInto, hot, otc))
	b.run(t, "collapse", js(fmt.Sprintf(`chainhound.graph.select([%q, %q])`, hot, otc)), chromedp.Focus(chromedp.ID("graph")), chromedp.KeyEvent("c"),
		wait(fmt.Sprintf(`!chainhound.graph.nodes.has(%q) && [...chainhound.graph.nodes.values()].some(n => n.kind === 'entity' && n.members.length === 2)`, hot)))
	after := evalJS[string](t, b, fmt.Sprintf(`(%s)([...chainhound.graph.nodes.values()].filter(n => n.kind === 'entity').map(n => n.id))`, taintInto))
	if before != after || before == "0" {
		t.Errorf("taint into the two exchanges %s, into their entity %s", before, after)
	}
	b.screenshot(t, "7-collapsed")
	b.run(t, "uncollapse", chromedp.KeyEvent("u"),
		wait(fmt.Sprintf(`chainhound.graph.nodes.has(%q) && chainhound.graph.nodes.has(%q) && ![...chainhound.graph.nodes.values()].some(n => n.kind === 'entity')`, hot, otc)))
	if again := evalJS[string](t, b, fmt.Sprintf(`(%s)([%q, %q])`, taintInto, hot, otc)); again != before {
		t.Errorf("after uncollapse the taint into the exchanges is %s, was %s", again, before)
	}

	// Path search between the theft address and the exchange: highlighted.
	b.run(t, "path", js(fmt.Sprintf(`chainhound.graph.select([%q, %q])`, account, hot)), chromedp.KeyEvent("p"),
		wait(`chainhound.ready() && chainhound.graph.highlight.size > 0`))
	b.screenshot(t, "8-path")

	// Import the exported JSON as a new case: the same canvas, a new id.
	exported := filepath.Join(t.TempDir(), "case.json")
	if err := os.WriteFile(exported, []byte(saved), 0o644); err != nil {
		t.Fatal(err)
	}
	b.run(t, "import", chromedp.Click(chromedp.ID("tab-case")), chromedp.SetUploadFiles(chromedp.ID("import-file"), []string{exported}),
		wait(fmt.Sprintf(`chainhound.ready() && chainhound.state.caseId && chainhound.state.caseId !== %q`, caseID)))
	if imported := evalJS[string](t, b, `JSON.stringify(chainhound.caseJSON())`); imported != saved {
		t.Errorf("imported case differs from the exported one:\n%.400s\nwant\n%.400s", imported, saved)
	}
	var list struct{ Cases []struct{ ID, Name string } }
	getJSON(t, base+"/v1/cases", &list)
	if len(list.Cases) != 2 {
		t.Errorf("%d cases after save and import, want 2: %+v", len(list.Cases), list.Cases)
	}

	// Error state: a mistyped address says why, in the page.
	b.expect("status of 400")
	bad := strings.ToUpper(theft[:10]) + theft[10:]
	b.run(t, "bad search", chromedp.SendKeys(chromedp.ID("search"), "0x"+bad[2:]),
		wait(`document.querySelector('#suggestions li.muted') && /checksum|invalid|Invalid/.test(document.querySelector('#suggestions').textContent)`))
	b.screenshot(t, "9-error")
	b.run(t, "clear search", chromedp.SendKeys(chromedp.ID("search"), kb.Escape))

	// What `chainhound demo` serves: its own trace saved as a case, which
	// the printed URL opens.
	demoID, err := saveTraceCase(dir, filepath.Join(dir, "demo", "trace.json"), "Demo")
	if err != nil {
		t.Fatal(err)
	}
	b.run(t, "demo case", chromedp.Navigate(base+"/#case="+demoID),
		wait(fmt.Sprintf(`chainhound.ready() && chainhound.state.caseId === %q && document.querySelectorAll('#exits tbody tr').length > 0`, demoID)))
	demoExits := evalJS[[]uiExit](t, b, exitRows)
	if len(demoExits) != len(want) {
		t.Errorf("the demo's case shows %d exits, the truth has %d", len(demoExits), len(want))
	}
	for _, x := range demoExits {
		if w := want[x.Account+" "+x.Asset]; x.Amount != w.Amount || x.Freezable != w.Freezable {
			t.Errorf("demo case exit %s: %s (freezable %v), truth %s (freezable %v)", x.Account, x.Amount, x.Freezable, w.Amount, w.Freezable)
		}
	}
	if n := evalJS[int](t, b, `chainhound.graph.nodes.size`); n < 10 {
		t.Errorf("the demo's case draws %d nodes", n)
	}
	b.screenshot(t, "6-demo-case")
}

// TestUIRender2000 lays out and draws a 2,000-node graph in the page and
// reports how long it took (measured, not asserted: the machine is shared).
func TestUIRender2000(t *testing.T) {
	b := newBrowser(t)
	base, _, _ := startServe(t, "--data", t.TempDir(), "--no-auth")
	b.run(t, "open", chromedp.Navigate(base+"/"), wait(`window.chainhound !== undefined`))
	type result struct {
		Nodes, Edges                                 int
		BuildMS, LayoutMS, RenderMS, TotalMS, WallMS float64
		Finite                                       bool
	}
	var runs []result
	for i := range 3 {
		start := time.Now()
		// The wall time includes the next animation frame: the graph is on screen.
		r := evalJS[map[string]float64](t, b, fmt.Sprintf(`new Promise(ok => { const r = chainhound.bench(2000, %d); requestAnimationFrame(() => ok(r)); })`, i+1))
		wall := time.Since(start)
		finite := evalJS[bool](t, b, `[...chainhound.graph.nodes.values()].every(n => Number.isFinite(n.x) && Number.isFinite(n.y))`)
		res := result{Nodes: int(r["nodes"]), Edges: int(r["edges"]), BuildMS: r["build_ms"], LayoutMS: r["layout_ms"], RenderMS: r["render_ms"],
			TotalMS: r["total_ms"], WallMS: float64(wall.Microseconds()) / 1000, Finite: finite}
		runs = append(runs, res)
		t.Logf("2,000-node graph, run %d: %d nodes, %d edges; layout %.0f ms, render %.0f ms, total in page %.0f ms, wall from Go %.0f ms",
			i+1, res.Nodes, res.Edges, res.LayoutMS, res.RenderMS, res.TotalMS, res.WallMS)
		if res.Nodes != 2000 || !finite {
			t.Errorf("run %d: %d nodes, positions finite %v", i+1, res.Nodes, finite)
		}
	}
	b.screenshot(t, "render-2000")
	host, _ := os.Hostname()
	out, _ := json.MarshalIndent(map[string]any{"date": time.Now().UTC().Format(time.RFC3339), "host": host, "runs": runs}, "", " ")
	b.writeArtifact(t, "render-2000.json", out)
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func countFreezable(m map[string]uiExit) int {
	n := 0
	for _, x := range m {
		if x.Freezable {
			n++
		}
	}
	return n
}

// formatETH renders wei as the page does: thousands separated, up to
// four decimals.
func formatETH(wei string) string {
	var whole, frac string
	if len(wei) > 18 {
		whole, frac = wei[:len(wei)-18], wei[len(wei)-18:]
	} else {
		whole, frac = "0", strings.Repeat("0", 18-len(wei))+wei
	}
	var sb strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			sb.WriteByte(',')
		}
		sb.WriteRune(c)
	}
	if f := strings.TrimRight(frac[:4], "0"); f != "" {
		sb.WriteString("." + f)
	}
	return sb.String() + " ETH"
}
