// graph.js: the canvas of the workspace. Nodes and aggregated flows, a
// force layout with grid-bucketed repulsion (O(n) per iteration at the
// layout's density; see docs/ui.md for 2,000 nodes), drawing on a 2D canvas, pan,
// zoom, selection and drag, and export as SVG or PNG. No dependencies.

export const CATEGORY_COLOURS = {
  exchange: '#2f6fd0', mixing_service: '#8e44ad', defi_bridge: '#138d75', bridge: '#138d75',
  service_hack: '#c0392b', stolen_funds: '#c0392b', sanctioned: '#1b1b1b', sanction: '#1b1b1b',
  defi_dex: '#7d6608', defi_token: '#7d6608', cold_wallet: '#5d6d7e', organization: '#5d6d7e',
  entity: '#34495e', transaction: '#a04000',
};
const DEFAULT_COLOUR = '#8a96a3';

export function colourOf(n) {
  if (n.kind === 'entity') return CATEGORY_COLOURS.entity;
  if (n.kind === 'transaction') return CATEGORY_COLOURS.transaction;
  // Own keys only: a category from outside such as "constructor" must not
  // find Object's prototype.
  return Object.hasOwn(CATEGORY_COLOURS, n.category) ? CATEGORY_COLOURS[n.category] : DEFAULT_COLOUR;
}

export class Graph {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.nodes = new Map(); // id -> node
    this.edges = new Map(); // from|to|asset -> edge
    this.annotations = [];
    this.selected = new Set();
    this.highlight = new Set(); // edge keys of a path found
    this.view = { x: 0, y: 0, zoom: 1 };
    this.onselect = () => {};
    this.onchange = () => {};
    this.formatEdge = (e) => '';
    this.dpr = window.devicePixelRatio || 1;
    this._bind();
    this.resize();
  }

  // --- model ---
  addNode(n) {
    const old = this.nodes.get(n.id);
    if (old) { for (const k of ['label', 'category', 'entity']) if (n[k] && !old[k]) old[k] = n[k]; return old; }
    const node = { kind: 'address', label: '', category: '', note: '', x: 0, y: 0, ...n };
    this.nodes.set(node.id, node);
    return node;
  }
  edgeKey(from, to, asset) { return from + '|' + to + '|' + asset; }
  addEdge(e) {
    const k = this.edgeKey(e.from, e.to, e.asset);
    const old = this.edges.get(k);
    if (old) { for (const f of ['amount', 'count', 'taint']) if (e[f] !== undefined && e[f] !== '') old[f] = e[f]; return old; }
    const edge = { amount: '0', count: 0, ...e };
    this.edges.set(k, edge);
    return edge;
  }
  removeNode(id) {
    this.nodes.delete(id);
    this.selected.delete(id);
    for (const [k, e] of this.edges) if (e.from === id || e.to === id) this.edges.delete(k);
  }
  clear() {
    this.nodes.clear(); this.edges.clear(); this.annotations = []; this.selected.clear(); this.highlight.clear();
    this.view = { x: 0, y: 0, zoom: 1 };
  }
  degree() {
    const d = new Map();
    for (const e of this.edges.values()) { d.set(e.from, (d.get(e.from) || 0) + 1); d.set(e.to, (d.get(e.to) || 0) + 1); }
    return d;
  }

  // --- layout ---
  // layout runs a force simulation; nodes in fixed keep their place.
  // Repulsion acts within 2k of a node only: nodes are sorted into a grid
  // of 2k cells (a counting sort into typed arrays) and each pair of
  // nodes in neighbouring cells is visited once, so an iteration costs
  // O(n) at the layout's density, not O(n²).
  layout(iterations = this.nodes.size > 1000 ? 150 : 250, fixed = new Set()) {
    const ns = [...this.nodes.values()];
    const n = ns.length;
    if (n === 0) return;
    const idx = new Map(ns.map((v, i) => [v.id, i]));
    const X = new Float64Array(n), Y = new Float64Array(n), DX = new Float64Array(n), DY = new Float64Array(n);
    const pin = new Uint8Array(n);
    ns.forEach((v, i) => { X[i] = v.x; Y[i] = v.y; pin[i] = fixed.has(v.id) ? 1 : 0; });
    const E = [];
    for (const e of this.edges.values()) {
      const a = idx.get(e.from), b = idx.get(e.to);
      if (a !== undefined && b !== undefined && a !== b) E.push(a, b);
    }
    const k = 60; // ideal distance
    const cell = 2 * k, k2 = k * k, cut2 = cell * cell;
    let t = k * Math.sqrt(n) / 4; // temperature: the largest step
    const cool = Math.pow(0.02, 1 / iterations);
    const cellOf = new Int32Array(n), order = new Int32Array(n);
    let start = new Int32Array(1024);
    const pair = (i, j) => {
      let dx = X[i] - X[j], dy = Y[i] - Y[j];
      let d2 = dx * dx + dy * dy;
      if (d2 > cut2) return;
      if (d2 < 0.01) { dx = (i % 7) - 3 + 0.1; dy = (j % 5) - 2 + 0.1; d2 = dx * dx + dy * dy; }
      const f = k2 / d2;
      DX[i] += dx * f; DY[i] += dy * f; DX[j] -= dx * f; DY[j] -= dy * f;
    };
    for (let it = 0; it < iterations; it++) {
      DX.fill(0); DY.fill(0);
      let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (let i = 0; i < n; i++) { if (X[i] < x0) x0 = X[i]; if (X[i] > x1) x1 = X[i]; if (Y[i] < y0) y0 = Y[i]; if (Y[i] > y1) y1 = Y[i]; }
      // Cells: at most about 4n of them; a sparser graph gets wider cells
      // (more pairs looked at, none missed).
      let cw = cell;
      while (((x1 - x0) / cw + 1) * ((y1 - y0) / cw + 1) > 4 * n + 64) cw *= 2;
      const W = Math.floor((x1 - x0) / cw) + 1, H = Math.floor((y1 - y0) / cw) + 1, C = W * H;
      if (start.length < C + 1) start = new Int32Array(2 * C + 1);
      start.fill(0, 0, C + 1);
      for (let i = 0; i < n; i++) { const c = Math.floor((X[i] - x0) / cw) + W * Math.floor((Y[i] - y0) / cw); cellOf[i] = c; start[c + 1]++; }
      for (let c = 0; c < C; c++) start[c + 1] += start[c];
      const fill = start.slice(0, C);
      for (let i = 0; i < n; i++) order[fill[cellOf[i]]++] = i;
      for (let cy = 0; cy < H; cy++) for (let cx = 0; cx < W; cx++) {
        const c = cx + W * cy, a0 = start[c], a1 = start[c + 1];
        if (a0 === a1) continue;
        for (let p = a0; p < a1; p++) for (let q = p + 1; q < a1; q++) pair(order[p], order[q]);
        // The neighbours after this cell: right, and the three below.
        for (const [ox, oy] of [[1, 0], [-1, 1], [0, 1], [1, 1]]) {
          const nx = cx + ox, ny = cy + oy;
          if (nx < 0 || nx >= W || ny >= H) continue;
          const d = nx + W * ny, b0 = start[d], b1 = start[d + 1];
          for (let p = a0; p < a1; p++) for (let q = b0; q < b1; q++) pair(order[p], order[q]);
        }
      }
      // Springs along flows.
      for (let e = 0; e < E.length; e += 2) {
        const a = E[e], b = E[e + 1];
        const dx = X[a] - X[b], dy = Y[a] - Y[b];
        const d = Math.sqrt(dx * dx + dy * dy) || 0.01;
        const f = d / k;
        DX[a] -= dx * f; DY[a] -= dy * f; DX[b] += dx * f; DY[b] += dy * f;
      }
      for (let i = 0; i < n; i++) {
        if (pin[i]) continue;
        DX[i] -= X[i] * 0.01; DY[i] -= Y[i] * 0.01; // gravity keeps components together
        const d = Math.sqrt(DX[i] * DX[i] + DY[i] * DY[i]) || 1;
        const s = Math.min(d, t) / d;
        X[i] += DX[i] * s; Y[i] += DY[i] * s;
      }
      t *= cool;
    }
    ns.forEach((v, i) => { v.x = Math.round(X[i] * 10) / 10; v.y = Math.round(Y[i] * 10) / 10; });
  }

  // spiral places nodes without a position on a sunflower spiral around
  // (cx, cy), the start of a layout.
  spiral(nodes, cx = 0, cy = 0, step = 30) {
    nodes.forEach((v, i) => {
      const r = step * Math.sqrt(i + 1), a = i * 2.39996;
      v.x = cx + r * Math.cos(a); v.y = cy + r * Math.sin(a);
    });
  }

  fit() {
    const ns = [...this.nodes.values()];
    if (!ns.length) { this.view = { x: 0, y: 0, zoom: 1 }; this.draw(); return; }
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const v of ns) { x0 = Math.min(x0, v.x); y0 = Math.min(y0, v.y); x1 = Math.max(x1, v.x); y1 = Math.max(y1, v.y); }
    const w = this.canvas.clientWidth || 800, h = this.canvas.clientHeight || 600;
    x1 += 160; // the labels right of the rightmost nodes
    const zoom = Math.min(2, Math.max(0.02, Math.min(w / (x1 - x0 + 80), h / (y1 - y0 + 120))));
    this.view = { x: (x0 + x1) / 2, y: (y0 + y1) / 2, zoom: Math.round(zoom * 1000) / 1000 };
    this.draw();
  }

  // --- drawing ---
  resize() {
    const c = this.canvas;
    const w = c.clientWidth || 800, h = c.clientHeight || 600;
    c.width = Math.round(w * this.dpr); c.height = Math.round(h * this.dpr);
    this.draw();
  }
  toScreen(x, y) {
    const w = this.canvas.clientWidth || 800, h = this.canvas.clientHeight || 600;
    return [(x - this.view.x) * this.view.zoom + w / 2, (y - this.view.y) * this.view.zoom + h / 2];
  }
  toWorld(sx, sy) {
    const w = this.canvas.clientWidth || 800, h = this.canvas.clientHeight || 600;
    return [(sx - w / 2) / this.view.zoom + this.view.x, (sy - h / 2) / this.view.zoom + this.view.y];
  }
  radius(n) { return n.kind === 'entity' ? 14 : 9; }

  // scene lists what to draw, shared by the canvas and the SVG export.
  scene() {
    const many = this.nodes.size > 400;
    const edges = [];
    for (const [k, e] of this.edges) {
      const a = this.nodes.get(e.from), b = this.nodes.get(e.to);
      if (!a || !b) continue;
      const tainted = e.taint && e.taint !== '0';
      edges.push({ a, b, e, tainted, hi: this.highlight.has(k), label: (!many || tainted) ? this.formatEdge(e) : '' });
    }
    return { edges, many };
  }

  draw() {
    const ctx = this.ctx, c = this.canvas;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.clearRect(0, 0, c.width, c.height);
    ctx.fillStyle = '#fbfbfd';
    ctx.fillRect(0, 0, c.width, c.height);
    const z = this.view.zoom;
    const w = c.clientWidth || 800, h = c.clientHeight || 600;
    ctx.setTransform(this.dpr * z, 0, 0, this.dpr * z, this.dpr * (w / 2 - this.view.x * z), this.dpr * (h / 2 - this.view.y * z));
    const { edges, many } = this.scene();
    // Plain flows in one path, then the tainted and highlighted ones.
    ctx.lineWidth = 1 / Math.max(z, 0.3);
    ctx.strokeStyle = '#b8c0cc';
    ctx.beginPath();
    for (const s of edges) if (!s.tainted && !s.hi) { ctx.moveTo(s.a.x, s.a.y); ctx.lineTo(s.b.x, s.b.y); }
    ctx.stroke();
    for (const s of edges) {
      if (!s.tainted && !s.hi) continue;
      ctx.strokeStyle = s.hi ? '#e67e22' : '#d62c1a';
      ctx.lineWidth = (s.hi ? 4 : 2.5) / Math.max(z, 0.5);
      ctx.beginPath(); ctx.moveTo(s.a.x, s.a.y); ctx.lineTo(s.b.x, s.b.y); ctx.stroke();
    }
    if (!many) for (const s of edges) this._arrow(ctx, s);
    ctx.font = '10px system-ui, sans-serif';
    ctx.textAlign = 'center';
    const labelled = edges.filter((s) => s.label).length;
    if (z > 0.45 && (labelled < 120 || z > 1.2)) for (const s of edges) if (s.label) {
      ctx.fillStyle = s.tainted ? '#a01e10' : '#56606b';
      ctx.fillText(s.label, (s.a.x + s.b.x) / 2, (s.a.y + s.b.y) / 2 - 3);
    }
    for (const n of this.nodes.values()) {
      const r = this.radius(n);
      if (n.exit) {
        ctx.beginPath(); ctx.arc(n.x, n.y, r + 6, 0, 2 * Math.PI);
        ctx.fillStyle = n.exit === 'freezable' ? '#27ae60' : '#f39c12';
        ctx.fill();
        if (n.exit === 'freezable') { ctx.beginPath(); ctx.arc(n.x, n.y, r + 3, 0, 2 * Math.PI); ctx.fillStyle = '#fff'; ctx.fill(); }
      }
      ctx.beginPath(); ctx.arc(n.x, n.y, r, 0, 2 * Math.PI);
      ctx.fillStyle = colourOf(n); ctx.fill();
      if (n.tainted) { ctx.lineWidth = 2.5; ctx.strokeStyle = '#d62c1a'; ctx.stroke(); }
      if (this.selected.has(n.id)) { ctx.lineWidth = 3; ctx.strokeStyle = '#111'; ctx.beginPath(); ctx.arc(n.x, n.y, r + 9, 0, 2 * Math.PI); ctx.stroke(); }
    }
    if (!many || z > 0.8) {
      ctx.textAlign = 'left';
      for (const n of this.nodes.values()) {
        const r = this.radius(n);
        ctx.font = '11px system-ui, sans-serif'; ctx.fillStyle = '#1d2733';
        ctx.fillText(nodeTitle(n), n.x + r + 8, n.y + 4);
        if (n.category || n.exit) {
          ctx.font = '9px system-ui, sans-serif'; ctx.fillStyle = '#5a6672';
          ctx.fillText(badge(n), n.x + r + 8, n.y + 15);
        }
        if (n.note) { ctx.fillStyle = '#b7950b'; ctx.fillRect(n.x - r - 8, n.y - r - 8, 6, 6); }
      }
    }
    ctx.font = '12px system-ui, sans-serif';
    for (const a of this.annotations) {
      ctx.fillStyle = '#fff7cc'; const tw = ctx.measureText(a.text).width;
      a._w = tw; // for annotationAt
      ctx.fillRect(a.x - 4, a.y - 13, tw + 8, 18);
      ctx.fillStyle = '#4d3b00'; ctx.textAlign = 'left'; ctx.fillText(a.text, a.x, a.y);
    }
  }

  _arrow(ctx, s) {
    const dx = s.b.x - s.a.x, dy = s.b.y - s.a.y, d = Math.hypot(dx, dy);
    if (d < 1) return;
    const r = this.radius(s.b) + 2, ux = dx / d, uy = dy / d;
    const tx = s.b.x - ux * r, ty = s.b.y - uy * r;
    ctx.fillStyle = s.hi ? '#e67e22' : s.tainted ? '#d62c1a' : '#9aa4b1';
    ctx.beginPath(); ctx.moveTo(tx, ty);
    ctx.lineTo(tx - ux * 8 - uy * 4, ty - uy * 8 + ux * 4);
    ctx.lineTo(tx - ux * 8 + uy * 4, ty - uy * 8 - ux * 4);
    ctx.fill();
  }

  // --- export ---
  toSVG() {
    const ns = [...this.nodes.values()];
    let x0 = 0, y0 = 0, x1 = 100, y1 = 100;
    if (ns.length) {
      x0 = Math.min(...ns.map(n => n.x)) - 60; y0 = Math.min(...ns.map(n => n.y)) - 60;
      x1 = Math.max(...ns.map(n => n.x)) + 260; y1 = Math.max(...ns.map(n => n.y)) + 60;
    }
    const out = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="${x0} ${y0} ${x1 - x0} ${y1 - y0}" width="${Math.round(x1 - x0)}" height="${Math.round(y1 - y0)}" font-family="sans-serif">`,
      `<rect x="${x0}" y="${y0}" width="${x1 - x0}" height="${y1 - y0}" fill="#fbfbfd"/>`];
    const { edges } = this.scene();
    for (const s of edges) {
      const col = s.hi ? '#e67e22' : s.tainted ? '#d62c1a' : '#b8c0cc';
      out.push(`<line x1="${s.a.x}" y1="${s.a.y}" x2="${s.b.x}" y2="${s.b.y}" stroke="${col}" stroke-width="${s.tainted || s.hi ? 2.5 : 1}"/>`);
      if (s.label) out.push(`<text x="${(s.a.x + s.b.x) / 2}" y="${(s.a.y + s.b.y) / 2 - 3}" font-size="10" text-anchor="middle" fill="${s.tainted ? '#a01e10' : '#56606b'}">${esc(s.label)}</text>`);
    }
    for (const n of ns) {
      const r = this.radius(n);
      if (n.exit) out.push(`<circle cx="${n.x}" cy="${n.y}" r="${r + 6}" fill="${n.exit === 'freezable' ? '#27ae60' : '#f39c12'}"/>` +
        (n.exit === 'freezable' ? `<circle cx="${n.x}" cy="${n.y}" r="${r + 3}" fill="#fff"/>` : ''));
      out.push(`<circle cx="${n.x}" cy="${n.y}" r="${r}" fill="${colourOf(n)}"${n.tainted ? ' stroke="#d62c1a" stroke-width="2.5"' : ''}><title>${esc(n.id)}</title></circle>`);
      out.push(`<text x="${n.x + r + 8}" y="${n.y + 4}" font-size="11" fill="#1d2733">${esc(nodeTitle(n))}</text>`);
      if (n.category || n.exit) out.push(`<text x="${n.x + r + 8}" y="${n.y + 15}" font-size="9" fill="#5a6672">${esc(badge(n))}</text>`);
    }
    for (const a of this.annotations) out.push(`<text x="${a.x}" y="${a.y}" font-size="12" fill="#4d3b00">${esc(a.text)}</text>`);
    out.push('</svg>');
    return out.join('\n');
  }
  toPNG() { this.draw(); return this.canvas.toDataURL('image/png'); }

  // --- interaction ---
  nodeAt(sx, sy) {
    const [x, y] = this.toWorld(sx, sy);
    let best = null, bd = Infinity;
    for (const n of this.nodes.values()) {
      const d = Math.hypot(n.x - x, n.y - y);
      if (d <= this.radius(n) + 6 / this.view.zoom && d < bd) { best = n; bd = d; }
    }
    return best;
  }
  // annotationAt is the annotation under a screen point, the last drawn
  // (topmost) first.
  annotationAt(sx, sy) {
    const [x, y] = this.toWorld(sx, sy);
    for (let i = this.annotations.length - 1; i >= 0; i--) {
      const a = this.annotations[i];
      if (x >= a.x - 4 && x <= a.x + (a._w || 8 * a.text.length) + 4 && y >= a.y - 13 && y <= a.y + 5) return a;
    }
    return null;
  }
  select(ids, add = false) {
    if (!add) this.selected.clear();
    for (const id of ids) this.selected.add(id);
    this.draw();
    this.onselect([...this.selected]);
  }
  _bind() {
    const c = this.canvas;
    let drag = null;
    c.addEventListener('pointerdown', (ev) => {
      c.focus();
      const n = this.nodeAt(ev.offsetX, ev.offsetY);
      if (n) {
        if (ev.shiftKey) { this.selected.has(n.id) ? this.selected.delete(n.id) : this.selected.add(n.id); this.select([], true); }
        else if (!this.selected.has(n.id)) this.select([n.id]);
        drag = { node: n, sx: ev.offsetX, sy: ev.offsetY, moved: false };
      } else if (this.annotationAt(ev.offsetX, ev.offsetY)) {
        const a = this.annotationAt(ev.offsetX, ev.offsetY), [x, y] = this.toWorld(ev.offsetX, ev.offsetY);
        drag = { note: a, dx: a.x - x, dy: a.y - y, moved: false }; // an annotation is moved by dragging it
      } else {
        drag = { pan: true, sx: ev.offsetX, sy: ev.offsetY, vx: this.view.x, vy: this.view.y };
      }
      c.setPointerCapture(ev.pointerId);
    });
    c.addEventListener('pointermove', (ev) => {
      if (!drag) return;
      if (drag.node) {
        const [x, y] = this.toWorld(ev.offsetX, ev.offsetY);
        drag.node.x = Math.round(x * 10) / 10; drag.node.y = Math.round(y * 10) / 10; drag.moved = true;
      } else if (drag.note) {
        const [x, y] = this.toWorld(ev.offsetX, ev.offsetY);
        drag.note.x = Math.round(x + drag.dx); drag.note.y = Math.round(y + drag.dy); drag.moved = true;
      } else {
        this.view.x = drag.vx - (ev.offsetX - drag.sx) / this.view.zoom;
        this.view.y = drag.vy - (ev.offsetY - drag.sy) / this.view.zoom;
      }
      this.draw();
    });
    c.addEventListener('pointerup', (ev) => {
      if (drag && drag.pan && Math.hypot(ev.offsetX - drag.sx, ev.offsetY - drag.sy) < 3 && !ev.shiftKey) this.select([]);
      if (drag && drag.moved) this.onchange();
      drag = null;
    });
    c.addEventListener('wheel', (ev) => {
      ev.preventDefault();
      this.zoomBy(ev.deltaY < 0 ? 1.15 : 1 / 1.15);
    }, { passive: false });
    new ResizeObserver(() => this.resize()).observe(c);
  }
  zoomBy(f) {
    this.view.zoom = Math.min(8, Math.max(0.02, this.view.zoom * f));
    this.draw();
  }
}

export function short(id) {
  const a = id.split(':').pop();
  return a.length > 14 ? a.slice(0, 8) + '…' + a.slice(-4) : a;
}
export function nodeTitle(n) { return n.label || short(n.id); }
function badge(n) {
  const parts = [];
  if (n.category) parts.push(n.category);
  if (n.exit === 'freezable') parts.push('FREEZABLE EXIT');
  else if (n.exit) parts.push('exit');
  return parts.join(' · ');
}
export function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}
