package trace

import (
	"github.com/chainhound/chainhound/internal/store"
)

// pager reads one address's transfers in chain order a page at a time,
// holding no open iterator between pages: a trace follows up to millions
// of addresses at once, and an open store iterator (and the coroutine
// iter.Pull would need to hold it) costs tens of kilobytes each, while a
// page costs its rows. Pages start small and double up to maxPage, so a
// quiet address costs one short read and a busy one few re-seeks.
type pager struct {
	src     AccountSource
	q       store.Query // the address's query; FromBlock moves on as pages are read
	last    pos         // the last row handed out
	started bool
	size    int
	buf     []store.Row
	more    *store.Row // the first row of the next page, read ahead
	done    bool
}

const (
	firstPage = 4
	maxPage   = 1024
)

func newPager(src AccountSource, q store.Query) *pager {
	return &pager{src: src, q: q, size: firstPage}
}

// next returns the next transfer; ok is false at the end.
func (p *pager) next() (store.Row, error, bool) {
	if len(p.buf) == 0 && !p.done {
		if err := p.fill(); err != nil {
			return store.Row{}, err, false
		}
	}
	if len(p.buf) == 0 {
		return store.Row{}, nil, false
	}
	r := p.buf[0]
	p.buf = p.buf[1:]
	p.last, p.started = rowPos(&r), true
	return r, nil, true
}

// fill reads the next page: the rows after the last one handed out, from
// its block on (a block's rows before it are skipped).
func (p *pager) fill() error {
	q := p.q
	if p.started {
		q.FromBlock = p.last.block
	}
	p.buf = p.buf[:0:0]
	if p.more != nil { // the page ended at a block boundary: the next block is where it starts
		q.FromBlock = p.more.Block
		p.more = nil
	}
	for r, err := range p.src.Transfers(q) {
		if err != nil {
			return err
		}
		if p.started && rowPos(&r).cmp(p.last) <= 0 {
			continue
		}
		// A page ends between blocks, never inside one: the next page
		// starts at its block, and re-reading a block's rows before its
		// last one, page after page, would be quadratic in a busy block.
		if n := len(p.buf); n >= p.size && p.buf[n-1].Block != r.Block {
			p.size = min(2*p.size, maxPage)
			p.more = &r
			return nil
		}
		p.buf = append(p.buf, r)
	}
	p.done = true
	return nil
}
