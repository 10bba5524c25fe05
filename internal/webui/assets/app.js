// app.js: the investigation workspace. Search, pages for addresses,
// entities and transactions, the graph canvas with expansion, traces and
// paths, and cases. It talks to the /v1 operations of `chainhound serve`.
import { Graph, esc, short, nodeTitle } from './graph.js';

const $ = (id) => document.getElementById(id);
const G = new Graph($('graph'));
const state = { caseId: null, caseUpdated: null, overwrite: false, exits: [], trace: null, chain: null };

// ---------- API ----------
let apiKey = sessionStorage.getItem('chainhound-key') || '';
// keyPrompt is the one question for a key that every request answered 401
// waits on: a page opening fires several requests at once, and one dialog
// can answer only one of them.
let keyPrompt = null;
function askKey() {
  keyPrompt = keyPrompt || ask('This server needs an API key (chainhound apikey create). Paste it:', '').then((key) => {
    keyPrompt = null;
    if (key && key.trim()) { apiKey = key.trim(); sessionStorage.setItem('chainhound-key', apiKey); return true; }
    return false;
  });
  return keyPrompt;
}
async function api(path, opts = {}) {
  const headers = { Accept: 'application/json', ...(opts.headers || {}) };
  const sent = apiKey;
  if (sent) headers.Authorization = 'Bearer ' + sent;
  let body = opts.body;
  if (body && typeof body !== 'string') { body = JSON.stringify(body); headers['Content-Type'] = 'application/json'; }
  const res = await fetch(path, { ...opts, body, headers });
  if (res.status === 204) return null;
  const text = await res.text();
  let answer = null;
  try { answer = text ? JSON.parse(text) : null; } catch { answer = null; }
  if (!res.ok) {
    // Refused for the key: ask once for all the requests that were, then
    // send each again (at once, if another request got a new key meanwhile).
    if (res.status === 401 && (apiKey !== sent || await askKey())) return api(path, opts);
    const err = new Error(answer && answer.title ? `${answer.title}: ${answer.detail || ''}` : `HTTP ${res.status}`);
    err.status = res.status;
    throw err;
  }
  return answer;
}
const enc = encodeURIComponent;

// ---------- status: loading, done, error ----------
let busy = 0, statusSeq = 0;
function status(msg, kind = '') {
  const s = $('status');
  s.textContent = msg;
  s.title = msg; // a long message is cut at two lines; all of it on hover
  s.className = kind;
  statusSeq++;
}
// work runs fn with a loading state; its end clears the status unless fn
// said something there itself (a result worth reading).
async function work(label, fn) {
  busy++;
  status(label + '…', 'loading');
  const seq = statusSeq;
  document.body.setAttribute('aria-busy', 'true');
  try {
    const r = await fn();
    if (statusSeq === seq) status('');
    return r;
  } catch (e) {
    status(e.message, 'error');
    return undefined;
  } finally {
    if (--busy === 0) document.body.removeAttribute('aria-busy');
  }
}

// ---------- amounts ----------
function decimals(asset, chainId) {
  if (asset === 'native') return chainId && chainId.startsWith('bip122') ? [8, 'BTC'] : [18, 'ETH'];
  return [0, 'units of ' + short(asset)];
}
export function formatAmount(amount, asset, chainId = state.chain) {
  if (amount === undefined || amount === null || amount === '') return '';
  const [d, unit] = decimals(asset, chainId);
  let v = BigInt(amount);
  const neg = v < 0n; if (neg) v = -v;
  const base = 10n ** BigInt(d);
  const whole = v / base, frac = v % base;
  let f = d ? frac.toString().padStart(d, '0').slice(0, 4).replace(/0+$/, '') : '';
  const w = whole.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  if (!f && frac > 0n) f = '…';
  return (neg ? '-' : '') + w + (f ? '.' + f : '') + ' ' + unit;
}
// An edge reads its amount, or its tainted part: "98 ETH" when all of
// it was tainted, "98 ETH of 392 ETH" when part of it was.
G.formatEdge = (e) => {
  if (e.asset === 'tx') return ''; // a transaction's link to its parties
  const c = chainOf(e.from);
  if (!e.taint || e.taint === '0') return formatAmount(e.amount, e.asset, c);
  const t = formatAmount(e.taint, e.asset, c);
  return e.amount && e.amount !== e.taint && /^[0-9]+$/.test(e.amount) ? t + ' of ' + formatAmount(e.amount, e.asset, c) : t;
};
// chainOf is the CAIP-2 chain of a node id: an account's (CAIP-10), a
// transaction's (CAIP-2/tx/HASH), a collapsed entity's members'. Amounts
// are read in it (BTC or ETH): a canvas may hold several chains.
function chainOf(id) {
  if (id.startsWith('entity:')) {
    const n = G.nodes.get(id);
    return n && n.members && n.members.length ? chainOf(n.members[0]) : state.chain;
  }
  const p = id.split('/')[0].split(':');
  return p.length >= 2 && /^[-a-z0-9]{3,8}$/.test(p[0]) ? p[0] + ':' + p[1] : state.chain;
}

// ---------- search ----------
const input = $('search'), list = $('suggestions');
let suggestions = [], active = -1, searchSeq = 0, searchTimer = 0;
input.addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(runSearch, 150);
});
async function runSearch() {
  const q = input.value.trim();
  const seq = ++searchSeq;
  if (!q) { showSuggestions([]); return; }
  try {
    const r = await api('/v1/search?q=' + enc(q));
    if (seq === searchSeq) showSuggestions(r.suggestions, q);
  } catch (e) {
    if (seq === searchSeq) showSuggestions([], q, e.message);
  }
}
function showSuggestions(s, q = '', error = '') {
  suggestions = s; active = s.length ? 0 : -1;
  list.innerHTML = '';
  if (!q) { list.hidden = true; $('search-box').setAttribute('aria-expanded', 'false'); return; }
  if (error || !s.length) {
    const li = document.createElement('li');
    li.className = 'muted';
    li.textContent = error || `Nothing found for “${q}”. Try a full address, a transaction hash, or part of a label.`;
    list.append(li);
  }
  s.forEach((x, i) => {
    const li = document.createElement('li');
    li.id = 'sugg-' + i; li.setAttribute('role', 'option'); li.dataset.kind = x.kind; li.dataset.id = x.id;
    li.innerHTML = `<span class="kind">${esc(x.kind)}</span>${esc(x.label)}<span class="detail">${esc(x.detail)}</span>`;
    li.addEventListener('mousedown', (ev) => { ev.preventDefault(); pick(i); });
    list.append(li);
  });
  list.hidden = false;
  $('search-box').setAttribute('aria-expanded', 'true');
  markActive();
}
function markActive() {
  [...list.querySelectorAll('[role=option]')].forEach((li, i) => li.setAttribute('aria-selected', i === active ? 'true' : 'false'));
  input.setAttribute('aria-activedescendant', active >= 0 ? 'sugg-' + active : '');
}
input.addEventListener('keydown', async (ev) => {
  if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
    ev.preventDefault();
    if (suggestions.length) { active = (active + (ev.key === 'ArrowDown' ? 1 : suggestions.length - 1)) % suggestions.length; markActive(); }
  } else if (ev.key === 'Enter') {
    ev.preventDefault();
    clearTimeout(searchTimer);
    if (!suggestions.length || list.hidden) await runSearch();
    if (active >= 0) pick(active);
  } else if (ev.key === 'Escape') {
    showSuggestions([]); input.blur(); $('graph').focus();
  }
});
input.addEventListener('blur', () => setTimeout(() => { list.hidden = true; }, 150));
async function pick(i) {
  const s = suggestions[i];
  if (!s) return;
  showSuggestions([]);
  input.value = '';
  if (s.kind === 'transaction') return openTransaction(s.id);
  if (s.kind === 'entity') return openEntity({ id: 'entity:cluster:' + s.id, cluster: s.id, label: s.label });
  if (s.kind === 'actor') return openActor(s);
  const account = s.account || s.id;
  // An address suggestion reads "LABEL (ADDRESS)" when tagged; a label
  // suggestion is the tag's label itself, parentheses and all.
  const bare = ' (' + account.split(':').pop() + ')';
  const label = s.kind === 'label' ? s.label : s.label.endsWith(bare) ? s.label.slice(0, -bare.length) : '';
  const n = placeNode({ id: account, kind: 'address', label, category: s.category || '' });
  G.select([n.id]);
  $('graph').focus();
}
function placeNode(n) {
  const fresh = !G.nodes.has(n.id);
  const node = G.addNode(n);
  if (fresh) {
    const [x, y] = G.nodes.size > 1 ? G.toWorld((G.canvas.clientWidth || 800) / 2, (G.canvas.clientHeight || 600) / 2) : [0, 0];
    node.x = Math.round(x + (G.nodes.size > 1 ? 40 : 0)); node.y = Math.round(y);
    if (!state.chain && node.kind === 'address') state.chain = chainOf(node.id);
  }
  changed();
  return node;
}

// ---------- canvas changes ----------
function changed() {
  $('empty').hidden = G.nodes.size > 0;
  G.draw();
}
G.onchange = changed;
G.onselect = (ids) => {
  if (ids.length === 1) showDetails(G.nodes.get(ids[0]));
  else if (ids.length > 1) renderDetails(`<h2>${ids.length} nodes selected</h2><p class="muted">Collapse them into one entity (c), or find the paths between two of them (p).</p>`);
};

// ---------- pages ----------
// renderDetails fills the details panel; show brings it to the front
// (not when an answer arrives after the user moved on to another tab).
function renderDetails(html, show = true) {
  $('panel-details').innerHTML = html;
  if (show) tab('details');
}
let detailSeq = 0;
async function showDetails(n) {
  if (!n) return;
  const seq = ++detailSeq;
  if (n.kind === 'transaction') return openTransaction(n.id, false);
  if (n.kind === 'entity') return openEntity(n, false);
  renderDetails(`<h2>${esc(nodeTitle(n))}</h2><p class="mono">${esc(n.id)}</p><p class="muted loading">Loading balances, counterparties, tags and risk…</p>`);
  const get = (p) => api(p).then((v) => ({ v }), (e) => ({ e }));
  const [acc, tags, risk, nb] = await Promise.all([
    get('/v1/addresses/' + enc(n.id)), get('/v1/addresses/' + enc(n.id) + '/tags'),
    get('/v1/addresses/' + enc(n.id) + '/risk'), get('/v1/addresses/' + enc(n.id) + '/neighbors?limit=20')]);
  if (seq !== detailSeq) return;
  const part = (r, f) => r.e ? `<p class="error-box">${esc(r.e.message)}</p>` : f(r.v);
  const html = [`<h2>${esc(nodeTitle(n))}</h2><p class="mono">${esc(n.id)}</p>`];
  const fmt = (amount, asset) => formatAmount(amount, asset, chainOf(n.id));
  if (n.exit) html.push(`<p><span class="pill ${n.exit}">${n.exit === 'freezable' ? 'freezable exit' : 'exit'}</span></p>`);
  html.push(`<label class="block">Note on this node <textarea id="node-note" rows="2">${esc(n.note || '')}</textarea></label>`);
  html.push('<h3>Balances</h3>', part(acc, (a) => !a.found ? '<p class="muted">Never seen in the store.</p>' :
    `<p class="muted">first seen block ${a.first_seen.block} (${esc(a.first_seen.time)}), last block ${a.last_seen.block}; ${a.transfers_in} in, ${a.transfers_out} out</p>` +
    table(['Asset', 'Balance', 'Received', 'Sent'], a.balances.map((b) => [esc(short(b.asset)), num(fmt(b.balance, b.asset)), num(fmt(b.received, b.asset)), num(fmt(b.sent, b.asset))]), 'addr-balances')));
  html.push('<h3>Risk</h3>', part(risk, (r) => `<p id="addr-risk"><span class="pill ${esc(r.severity)}">${esc(r.severity)}</span> score ${esc(r.score)}</p>` +
    (r.reasons && r.reasons.length ? '<ul id="addr-reasons">' + r.reasons.map((x) => `<li>${esc(x)}</li>`).join('') + '</ul>' : '<p class="muted">No exposure found.</p>')));
  html.push('<h3>Tags</h3>', part(tags, (t) => !t.tags.length ? '<p class="muted">No tags.</p>' :
    table(['Label', 'Category', 'Source', 'Confidence', 'Since'], t.tags.map((x) => [wrap(x.label), esc(x.category || ''), wrap(x.source), esc(x.confidence || ''), esc(x.valid_from || x.source_date || '')]), 'addr-tags')));
  html.push('<h3>Counterparties</h3>', part(nb, (r) => (r.truncated ? `<p class="muted" id="addr-truncated">${truncated(r)}</p>` : '') + (!r.neighbors.length ? '<p class="muted">No counterparties.</p>' :
    table(['', 'Counterparty', 'Amount', 'N'], r.neighbors.map((x, i) => [x.direction === 'in' ? '←' : '→',
      `<button class="link" data-add="${i}">${esc(x.label || short(x.account))}</button>`, num(fmt(x.amount, x.asset)), num(x.count)]), 'addr-counterparties'))));
  renderDetails(html.join(''), false);
  $('node-note').addEventListener('input', (ev) => { n.note = ev.target.value; G.draw(); });
  if (nb.v) for (const b of $('panel-details').querySelectorAll('[data-add]')) b.addEventListener('click', () => addNeighbors(n, [nb.v.neighbors[+b.dataset.add]]));
}
// truncated says that an address's neighbours come from its first
// transfers only (the server reads a bounded number per request).
function truncated(r) {
  return `From its first ${r.transfers_scanned.toLocaleString('en')} transfers only, to block ${r.scanned_to_block}: set From to ${r.scanned_to_block + 1} to expand the rest.`;
}
function table(head, rows, id = '') {
  return `<table${id ? ` id="${id}"` : ''}><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => c.startsWith && c.startsWith('<td') ? c : `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}
function num(v) { return `<td class="num">${esc(v)}</td>`; }
function wrap(v) { return `<td class="wrap">${esc(v)}</td>`; } // may break anywhere: URLs

async function openTransaction(id, place = true) {
  const [caip2, , hash] = id.split('/');
  const tx = await work('Loading transaction', () => api('/v1/tx/' + enc(caip2) + '/' + enc(hash)));
  if (!tx) return;
  state.chain = state.chain || caip2;
  if (place) {
    const n = placeNode({ id, kind: 'transaction', label: 'tx ' + short(hash) });
    G.select([n.id]);
  }
  const rows = tx.transfers.map((t, i) => [esc(t.kind || ''), `<button class="link" data-acc="${esc(caip2 + ':' + t.from)}">${esc(short(t.from || '—'))}</button>`,
    `<button class="link" data-acc="${esc(caip2 + ':' + t.to)}">${esc(short(t.to || '—'))}</button>`, num(formatAmount(t.amount, t.asset, caip2))]);
  renderDetails(`<h2>Transaction</h2><p class="mono">${esc(tx.hash)}</p><p class="muted">${esc(caip2)} block ${tx.block}, ${esc(tx.time)}, ${tx.success ? 'succeeded' : 'failed'}</p>` +
    '<h3>Transfers</h3>' + table(['Kind', 'From', 'To', 'Amount'], rows, 'tx-transfers'));
  for (const b of $('panel-details').querySelectorAll('[data-acc]')) b.addEventListener('click', () => {
    if (b.dataset.acc.endsWith(':')) return;
    const n = placeNode({ id: b.dataset.acc, kind: 'address' });
    G.addEdge({ from: id, to: n.id, asset: 'tx', amount: '0', count: 1 });
    G.select([n.id]);
  });
}
// entityMembersShown is how many members an entity page reads one by one
// (balances, risk, counterparties); the entity's totals cover them all.
const entityMembersShown = 20;
async function openEntity(n, place = true) {
  const seq = ++detailSeq;
  const cluster = n.cluster || (n.id.startsWith('entity:cluster:') ? n.id.slice(15) : '');
  if (place && !G.nodes.has(n.id)) placeNode({ id: n.id, kind: 'entity', label: n.label, members: [] });
  renderDetails(`<h2>${esc(nodeTitle(n))}</h2><p class="muted loading">Loading the entity's members, balances, tags and risk…</p>`);
  const html = [`<h2>${esc(nodeTitle(n))}</h2>`];
  let members = (n.members || []).slice();
  if (cluster) {
    let e;
    try { e = await api('/v1/entities/' + enc(cluster) + '?limit=200'); } catch (err) { if (seq === detailSeq) renderDetails(html.join('') + `<p class="error-box">${esc(err.message)}</p>`, false); return; }
    if (seq !== detailSeq) return;
    const caip2 = e.chain || state.chain;
    html.push(`<p class="muted">entity ${e.entity}: ${e.members} member addresses${e.label ? `, named ${esc(e.label)}` : ''}${e.label_conflict ? ' <strong>(conflicting names: ' + e.labels.map((l) => esc(l.name)).join(', ') + ')</strong>' : ''}` +
      (e.first_seen ? `; first seen block ${e.first_seen.block}, last block ${e.last_seen.block}` : '') + '</p>');
    html.push(`<p id="entity-totals">received ${esc(formatAmount(e.total_received, 'native', caip2))}, sent ${esc(formatAmount(e.total_sent, 'native', caip2))}${e.members_summarized < e.members ? ` (over the first ${e.members_summarized} members)` : ''}</p>`);
    html.push('<h3>Tags</h3>', !e.tags.length ? '<p class="muted">No member is tagged.</p>' :
      table(['Label', 'Category', 'Source', 'Confidence', 'On'], e.tags.map((t) => [wrap(t.label), esc(t.category || ''), wrap(t.source || ''), esc(t.confidence || ''), esc(short(t.address))])));
    if (!members.length) members = e.member_listing.map((m) => (caip2 || '') + ':' + m.address);
  }
  if (members.length) {
    // Balances, risk and counterparties: the members' own, added up.
    const shown = members.slice(0, entityMembersShown);
    const get = (p) => api(p).then((v) => v, () => null);
    const per = await Promise.all(shown.map((m) => Promise.all([get('/v1/addresses/' + enc(m)), get('/v1/addresses/' + enc(m) + '/risk'), get('/v1/addresses/' + enc(m) + '/neighbors?limit=50')])));
    if (seq !== detailSeq) return;
    const bal = new Map(), cps = new Map(), inside = new Set(members);
    let worst = null;
    per.forEach(([acc, risk, nb], i) => {
      if (acc && acc.found) for (const b of acc.balances) bal.set(b.asset, (bal.get(b.asset) || 0n) + BigInt(b.balance));
      if (risk && (!worst || risk.score > worst.r.score)) worst = { r: risk, m: shown[i] };
      if (nb) for (const x of nb.neighbors) {
        if (inside.has(x.account)) continue;
        const k = x.direction + '|' + x.account + '|' + x.asset;
        const c = cps.get(k) || { ...x, amount: 0n, count: 0 };
        c.amount += BigInt(x.amount); c.count += x.count; cps.set(k, c);
      }
    });
    const note = members.length > shown.length ? ` <span class="muted">(the first ${shown.length} of ${members.length} members)</span>` : '';
    html.push(`<h3>Balances${note}</h3>`, !bal.size ? '<p class="muted">No balances.</p>' :
      table(['Asset', 'Balance'], [...bal].map(([a, v]) => [esc(short(a)), num(formatAmount(v.toString(), a, chainOf(members[0])))])));
    html.push(`<h3>Risk${note}</h3>`, !worst ? '<p class="muted">No risk answer.</p>' :
      `<p><span class="pill ${esc(worst.r.severity)}">${esc(worst.r.severity)}</span> score ${esc(worst.r.score)}, its riskiest member ${esc(short(worst.m))}</p>` +
      (worst.r.reasons && worst.r.reasons.length ? '<ul>' + worst.r.reasons.map((x) => `<li>${esc(x)}</li>`).join('') + '</ul>' : '<p class="muted">No exposure found.</p>'));
    const top = [...cps.values()].sort((a, b) => (a.amount > b.amount ? -1 : a.amount < b.amount ? 1 : 0)).slice(0, 20);
    html.push(`<h3>Counterparties${note}</h3>`, !top.length ? '<p class="muted">No counterparties outside the entity.</p>' :
      table(['', 'Counterparty', 'Amount', 'N'], top.map((x) => [x.direction === 'in' ? '←' : '→', esc(x.label || short(x.account)), num(formatAmount(x.amount.toString(), x.asset, chainOf(x.account))), num(x.count)])));
    html.push(`<h3>Members</h3><ul class="list" id="entity-members">` + members.slice(0, 200).map((m) => `<li class="mono" data-account="${esc(m)}">${esc(m)}</li>`).join('') + '</ul>');
  }
  renderDetails(html.join(''), false);
}
// openActor places the actor's tagged addresses (those its suggestion
// lists: at most 50) on the canvas.
function openActor(s) {
  const actor = s.id, accts = s.accounts || [];
  if (!accts.length) return status(`No tagged address of ${actor}`, 'error');
  const fresh = accts.filter((a) => !G.nodes.has(a.account)).map((a) => a.account);
  const ids = accts.map((a) => placeNode({ id: a.account, kind: 'address', label: a.label, category: a.category || '', entity: 'actor:' + actor }).id);
  // The actor's addresses on a spiral around the middle of the view.
  const [cx, cy] = G.nodes.size > fresh.length ? G.toWorld((G.canvas.clientWidth || 800) / 2, (G.canvas.clientHeight || 600) / 2) : [0, 0];
  G.spiral(fresh.map((a) => G.nodes.get(a)), cx, cy, 40);
  G.select(ids);
  G.fit();
  renderDetails(`<h2>${esc(actor)}</h2><p>${accts.length} tagged addresses of this actor placed on the canvas${s.count > accts.length ? ` (the first ${accts.length} of ${s.count})` : ''}. Collapse them into one node with c.</p>`);
}

// ---------- expand ----------
function filterQuery(direction) {
  const p = new URLSearchParams({ direction });
  const v = (id) => $(id).value.trim();
  if (v('f-asset')) p.set('asset', v('f-asset'));
  if (v('f-from')) p.set('from', v('f-from'));
  if (v('f-until')) p.set('until', v('f-until'));
  if (v('f-min')) p.set('min_amount', v('f-min'));
  if (v('f-limit')) p.set('limit', v('f-limit'));
  return p.toString();
}
function selectedNodes(kind = 'address') {
  return [...G.selected].map((id) => G.nodes.get(id)).filter((n) => n && (!kind || n.kind === kind));
}
async function expand(direction) {
  const sel = selectedNodes();
  if (!sel.length) return status('Select an address to expand', 'error');
  await work('Expanding', async () => {
    let added = 0, cut = null;
    for (const n of sel) {
      const r = await api('/v1/addresses/' + enc(n.id) + '/neighbors?' + filterQuery(direction));
      n.label = n.label || r.label || ''; n.category = n.category || r.category || ''; n.entity = n.entity || r.entity || '';
      added += addNeighbors(n, r.neighbors);
      if (r.truncated) cut = r;
    }
    status((added ? `${added} nodes added` : 'No new counterparties with these filters') + (cut ? '. ' + truncated(cut) : ''), cut ? 'error' : '');
  });
}
function addNeighbors(n, neighbors) {
  const fresh = [];
  for (const x of neighbors) {
    if (!G.nodes.has(x.account)) fresh.push(G.addNode({ id: x.account, kind: 'address', label: x.label || '', category: x.category || '', entity: x.entity || '' }));
    const [from, to] = x.direction === 'out' ? [n.id, x.account] : [x.account, n.id];
    G.addEdge({ from, to, asset: x.asset, amount: x.amount, count: x.count });
  }
  // New nodes fan out to the side they flow, out to the right, in to the
  // left, in columns of at most `rows` (a split over many wallets wraps).
  const outs = fresh.filter((f) => neighbors.find((x) => x.account === f.id).direction === 'out');
  const ins = fresh.filter((f) => !outs.includes(f));
  [[outs, 1], [ins, -1]].forEach(([group, side]) => {
    const rows = Math.max(10, Math.ceil(Math.sqrt(group.length * 3)));
    group.forEach((f, i) => {
      const c = Math.floor(i / rows), inCol = Math.min(rows, group.length - c * rows);
      f.x = n.x + side * (240 + c * 190); f.y = n.y + ((i % rows) - (inCol - 1) / 2) * 38;
    });
  });
  const w = G.canvas.clientWidth || 800, h = G.canvas.clientHeight || 600;
  if (fresh.some((f) => { const [x, y] = G.toScreen(f.x, f.y); return x < 0 || y < 0 || x > w - 120 || y > h; })) G.fit();
  changed();
  return fresh.length;
}

// ---------- trace ----------
async function runTrace() {
  const sel = selectedNodes();
  if (!sel.length) return status('Select an address to trace from', 'error');
  const body = { seeds: sel.map((n) => n.id), max_hops: +$('f-hops').value || 6, model: $('f-model').value };
  if ($('f-asset').value.trim()) body.asset = $('f-asset').value.trim();
  if ($('f-min').value.trim()) body.min_amount = $('f-min').value.trim();
  const rep = await work('Tracing', () => api('/v1/trace', { method: 'POST', body }));
  if (!rep) return;
  overlayTrace(rep, sel[0]);
}
function overlayTrace(rep, from) {
  const caip2 = rep.chain;
  state.chain = state.chain || caip2;
  const acct = (a) => a.includes(':') && a.split(':').length >= 3 ? a : caip2 + ':' + a;
  for (const e of G.edges.values()) delete e.taint;
  for (const n of G.nodes.values()) { delete n.tainted; delete n.exit; }
  // Flows aggregated by (from, to, asset); addresses laid out by hop.
  const agg = new Map(), hop = new Map(), recv = new Map();
  hop.set(from.id, 0);
  let drawn = 0;
  for (const f of rep.flows) {
    // Fees and burns leave the trace: they go to the block's fee
    // recipient or nowhere, not to a counterparty. The Trace tab sums
    // them; drawn, the fee recipient would look like a hub collecting
    // from every wallet and a burn like an address with no name.
    if (f.kind === 'fee' || f.kind === 'burn' || !f.to) continue;
    drawn++;
    const a = acct(f.from), b = acct(f.to);
    const k = a + '|' + b + '|' + f.asset;
    const g = agg.get(k) || { from: a, to: b, asset: f.asset, taint: 0n, count: 0 };
    g.taint += BigInt(f.amount); g.count++;
    agg.set(k, g);
    if (!hop.has(a)) hop.set(a, f.hop - 1);
    if (!hop.has(b) || hop.get(b) > f.hop) hop.set(b, f.hop);
    recv.set(b, (recv.get(b) || 0n) + BigInt(f.amount));
  }
  const cap = 1500;
  const ids = [...hop.keys()].slice(0, cap);
  // Columns by hop, the biggest receivers in the middle of each.
  const cols = new Map();
  for (const id of ids) {
    const h = hop.get(id);
    if (!cols.has(h)) cols.set(h, []);
    cols.get(h).push(id);
    const n = G.addNode({ id, kind: 'address' });
    if (recv.has(id)) n.tainted = recv.get(id).toString();
  }
  // A tall column (a split over many wallets) wraps into sub-columns.
  let x0 = from.x;
  for (const h of [...cols.keys()].sort((a, b) => a - b)) {
    const col = cols.get(h);
    col.sort((a, b) => { const x = recv.get(a) || 0n, y = recv.get(b) || 0n; return x > y ? -1 : x < y ? 1 : a < b ? -1 : 1; });
    const rows = Math.max(12, Math.ceil(Math.sqrt(col.length * 2)));
    const subs = Math.ceil(col.length / rows);
    col.forEach((id, i) => {
      const n = G.nodes.get(id), r = i % rows, c = Math.floor(i / rows);
      const inCol = Math.min(rows, col.length - c * rows);
      n.x = x0 + c * 150; n.y = from.y + (r - (inCol - 1) / 2) * 40;
    });
    x0 += (subs - 1) * 150 + 280;
  }
  for (const g of agg.values()) {
    if (!G.nodes.has(g.from) || !G.nodes.has(g.to)) continue;
    // A flow already on the canvas keeps what moved along it (its amount
    // and count); the trace adds how much of that was tainted. A flow
    // only the trace found is drawn with its tainted part.
    const old = G.edges.get(G.edgeKey(g.from, g.to, g.asset));
    const e = old || G.addEdge({ from: g.from, to: g.to, asset: g.asset, amount: g.taint.toString(), count: g.count });
    e.taint = g.taint.toString();
  }
  state.exits = rep.exits.map((x) => ({ account: x.account, service: x.service, category: x.category, asset: x.asset, amount: x.amount, freezable: x.freezable, hop: x.hop, freezable_by: x.freezable_by || [] }));
  for (const x of state.exits) {
    const n = G.addNode({ id: x.account, kind: 'address', label: x.service, category: x.category });
    n.label = n.label || x.service; n.category = n.category || x.category;
    // An address that is an exit in several assets is a freezable exit if
    // any of them can be frozen there.
    n.exit = x.freezable || n.exit === 'freezable' ? 'freezable' : 'exit';
  }
  const sums = (xs) => (xs || []).map((x) => formatAmount(x.amount, x.asset, caip2)).join(', ');
  state.trace = { seeds: rep.seeds.map((s) => s.seed), model: rep.model, max_hops: rep.bounds.max_hops, flows: drawn, addresses: hop.size,
    fees: sums(rep.fees), burns: sums(rep.burns), truncated: hop.size > cap };
  renderTrace();
  G.fit();
  changed();
}
function renderTrace() {
  const t = state.trace;
  if (!t && !state.exits.length) { $('panel-trace').innerHTML = '<p class="muted">No trace yet: select an address and press Trace (t).</p>'; return; }
  const rows = state.exits.map((x, i) => `<tr class="${x.freezable ? 'freezable' : ''}" data-account="${esc(x.account)}" data-asset="${esc(x.asset)}" data-amount="${esc(x.amount)}" data-freezable="${x.freezable}">` +
    `<td><button class="link" data-exit="${i}">${esc(x.service || short(x.account))}</button><br><span class="muted">${esc(x.category)}</span></td>` +
    `<td class="num amount">${esc(formatAmount(x.amount, x.asset, chainOf(x.account)))}</td>` +
    `<td>${x.freezable ? `<span class="pill freezable">freezable</span>${x.freezable_by && x.freezable_by.length ? '<br><span class="muted">by ' + esc(x.freezable_by.join(', ')) + '</span>' : ''}` : '<span class="pill exit">gone</span>'}</td></tr>`);
  const head = t ? `<p>${esc(t.model)} trace from ${t.seeds.map((s) => esc(short(s))).join(', ')}, up to ${t.max_hops} hops: ${t.flows} tainted flows over ${t.addresses} addresses` +
    `${t.fees ? `; paid in fees ${esc(t.fees)}` : ''}${t.burns ? `; burned ${esc(t.burns)}` : ''}.${t.truncated ? ' <strong>Only the first 1,500 addresses are drawn.</strong>' : ''}</p>` : '';
  $('panel-trace').innerHTML = `<h2>Exits</h2>${head}` + (state.exits.length ?
    `<table id="exits"><thead><tr><th>Exit</th><th class="num">Tainted amount</th><th>Freeze</th></tr></thead><tbody>${rows.join('')}</tbody></table>` :
    '<p class="muted">The trace reached no exit.</p>');
  for (const b of $('panel-trace').querySelectorAll('[data-exit]')) b.addEventListener('click', () => { G.select([state.exits[+b.dataset.exit].account]); tab('trace'); });
  tab('trace');
}

// ---------- path ----------
async function findPath() {
  const sel = selectedNodes();
  if (sel.length !== 2) return status('Select exactly two addresses (shift+click) to find paths between them', 'error');
  const [a, b] = sel;
  const r = await work('Finding paths', () => api(`/v1/path?from=${enc(a.id)}&to=${enc(b.id)}&max_hops=${+$('f-hops').value || 4}`));
  if (!r) return;
  G.highlight.clear();
  const caip2 = r.chain;
  // A hop is one transfer. A flow already on the canvas (all the
  // transfers between the two) keeps its amount and is highlighted; a flow
  // the paths bring is drawn with the sum of their distinct transfers.
  const added = new Map(); // edge key -> transfers counted in
  for (const p of r.paths) for (const h of p.hops) {
    const f = caip2 + ':' + h.from, t = caip2 + ':' + h.to, k = G.edgeKey(f, t, h.asset);
    for (const id of [f, t]) if (!G.nodes.has(id)) { const n = G.addNode({ id, kind: 'address' }); n.x = (a.x + b.x) / 2 + (Math.random() - 0.5) * 200; n.y = (a.y + b.y) / 2 + (Math.random() - 0.5) * 200; }
    if (!G.edges.has(k)) { G.addEdge({ from: f, to: t, asset: h.asset, amount: '0', count: 0 }); added.set(k, new Set()); }
    const seen = added.get(k), tr = h.tx + '|' + h.amount;
    if (seen && !seen.has(tr)) {
      seen.add(tr);
      const e = G.edges.get(k);
      e.amount = (BigInt(e.amount) + BigInt(h.amount)).toString(); e.count++;
    }
    G.highlight.add(k);
  }
  renderDetails(`<h2>Paths</h2><p>${r.paths.length} path(s) from ${esc(short(a.id))} to ${esc(short(b.id))} within ${r.max_hops} hops${r.complete ? '' : ' (search incomplete)'}.</p>` +
    (r.paths.length ? table(['Hops', 'Value carried'], r.paths.map((p) => [String(p.hops.length), num(formatAmount(p.value, p.hops[0].asset, caip2))])) : '<p class="muted">No path found.</p>'));
  changed();
}

// ---------- collapse ----------
// collapse merges addresses into one entity node: the selected ones, or,
// for one address, every address on the canvas in its entity (the
// clustering's, asked of the server when the node does not know it).
async function collapse() {
  let sel = selectedNodes();
  if (sel.length === 1) {
    const n = sel[0];
    if (!n.entity || n.entity.startsWith('actor:')) {
      const e = await work('Finding the entity', () => api('/v1/entities/' + enc(n.id.split(':').pop()) + '?limit=10000'));
      if (!e && !n.entity) return;
      if (e) {
        const members = new Set(e.member_listing.map((m) => (e.chain || chainOf(n.id)) + ':' + m.address));
        for (const m of G.nodes.values()) if (members.has(m.id)) m.entity = 'cluster:' + e.entity;
      }
    }
    sel = [...G.nodes.values()].filter((m) => m.kind === 'address' && m.entity === n.entity);
  }
  if (!sel.length || (sel.length < 2 && !sel[0].entity)) return status('Select two or more addresses (shift+click), or one whose entity is known', 'error');
  const keys = new Set(sel.map((n) => n.entity || ''));
  const key = keys.size === 1 && [...keys][0] ? [...keys][0] : 'group:' + sel.map((n) => n.id).sort()[0];
  const id = 'entity:' + key;
  const label = key.startsWith('actor:') ? key.slice(6) : key.startsWith('cluster:') ? 'entity ' + key.slice(8) : `${sel.length} addresses`;
  const x = sel.reduce((s, n) => s + n.x, 0) / sel.length, y = sel.reduce((s, n) => s + n.y, 0) / sel.length;
  const ent = G.addNode({ id, kind: 'entity', label, x: Math.round(x), y: Math.round(y), members: [] });
  const members = new Set(sel.map((n) => n.id));
  ent.members = [...new Set([...(ent.members || []), ...members])];
  ent._stash = { nodes: sel.map((n) => ({ ...n })), edges: [...G.edges.values()].filter((e) => members.has(e.from) || members.has(e.to)).map((e) => ({ ...e })) };
  if (sel.some((n) => n.tainted)) ent.tainted = sel.reduce((s, n) => s + BigInt(n.tainted || 0), 0n).toString();
  if (sel.some((n) => n.exit)) ent.exit = sel.some((n) => n.exit === 'freezable') ? 'freezable' : 'exit';
  for (const e of [...G.edges.values()]) {
    if (!members.has(e.from) && !members.has(e.to)) continue;
    const from = members.has(e.from) ? id : e.from, to = members.has(e.to) ? id : e.to;
    G.edges.delete(G.edgeKey(e.from, e.to, e.asset));
    if (from === to) continue;
    const k = G.edgeKey(from, to, e.asset), old = G.edges.get(k);
    if (old) {
      old.amount = (BigInt(old.amount) + BigInt(e.amount)).toString(); old.count += e.count;
      if (e.taint) old.taint = (BigInt(old.taint || 0) + BigInt(e.taint)).toString();
    } else G.addEdge({ ...e, from, to });
  }
  for (const m of members) G.nodes.delete(m);
  G.select([id]);
  changed();
}
function uncollapse() {
  const ent = selectedNodes('entity')[0];
  if (!ent) return status('Select a collapsed entity', 'error');
  G.removeNode(ent.id);
  if (ent._stash) {
    for (const n of ent._stash.nodes) if (!G.nodes.has(n.id)) G.addNode(n);
    for (const e of ent._stash.edges) if (G.nodes.has(e.from) && G.nodes.has(e.to)) G.addEdge(e);
  } else {
    ent.members.forEach((m, i) => { const n = G.addNode({ id: m, kind: 'address' }); n.x = ent.x + 60 * Math.cos(i); n.y = ent.y + 60 * Math.sin(i); });
  }
  G.select(ent.members);
  changed();
}

// ---------- notes, annotations, removal ----------
// ask asks for a line of text in the page's dialog: the text, or null if
// cancelled (Cancel, Esc). The answer is given when the user gives it, not
// on the dialog's close event, which comes a task later: by then the next
// question (a key pressed at once) may be open and would take it.
let asking = null; // the open question's resolve
function ask(label, value = '') {
  if (asking) answer(false);
  return new Promise((resolve) => {
    $('dlg-label').textContent = label; $('dlg-input').value = value;
    asking = resolve;
    $('dlg-text').showModal();
    $('dlg-input').focus();
  });
}
function answer(ok) {
  const resolve = asking;
  asking = null;
  if (resolve) resolve(ok ? $('dlg-input').value : null);
  if ($('dlg-text').open) $('dlg-text').close();
}
$('dlg-text').querySelector('form').addEventListener('submit', (ev) => { ev.preventDefault(); answer(true); }); // OK, or Enter
$('dlg-input').addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); answer(true); } });
$('dlg-text').addEventListener('cancel', () => answer(false)); // Esc
$('dlg-cancel').onclick = () => answer(false);
async function annotate() {
  const text = await ask('Annotation on the canvas:');
  if (!text) return;
  const sel = selectedNodes(null)[0];
  const [x, y] = sel ? [sel.x + 20, sel.y - 30] : G.toWorld(60, 40);
  G.annotations.push({ x: Math.round(x), y: Math.round(y), text });
  renderAnnotations();
  changed();
}
// renderAnnotations lists the canvas's annotations in the Case tab, each
// editable in place and removable (from the keyboard too); on the canvas
// an annotation is moved by dragging it.
function renderAnnotations() {
  const ul = $('annotation-list');
  ul.innerHTML = G.annotations.length ? '' : '<li class="muted">None: add one with Note on canvas (a).</li>';
  G.annotations.forEach((a) => {
    const li = document.createElement('li');
    li.innerHTML = '<input aria-label="Annotation text"><button title="Remove this annotation">✕</button>';
    const inp = li.querySelector('input');
    inp.value = a.text;
    inp.addEventListener('input', () => { if (inp.value.trim()) { a.text = inp.value; G.draw(); } });
    li.querySelector('button').onclick = () => { G.annotations.splice(G.annotations.indexOf(a), 1); renderAnnotations(); changed(); };
    ul.append(li);
  });
}
async function noteOnNode() {
  const n = selectedNodes(null)[0];
  if (!n) return status('Select a node to write a note on', 'error');
  const text = await ask('Note on ' + nodeTitle(n) + ':', n.note || '');
  if (text === null) return;
  n.note = text;
  showDetails(n);
  changed();
}
function removeSelection() {
  for (const id of [...G.selected]) G.removeNode(id);
  G.select([]);
  changed();
}

// ---------- cases ----------
function caseJSON() {
  return {
    version: 1, name: $('case-name').value.trim() || 'Untitled case', notes: $('case-notes').value,
    nodes: [...G.nodes.values()].map((n) => {
      const o = { id: n.id, kind: n.kind, label: n.label || '', category: n.category || '', x: n.x, y: n.y, note: n.note || '' };
      if (n.members && n.members.length) o.members = n.members;
      if (n.tainted) o.tainted = n.tainted;
      if (n.exit) o.exit = n.exit;
      return o;
    }),
    edges: [...G.edges.values()].filter((e) => /^[0-9]+$/.test(e.amount)).map((e) => {
      const o = { from: e.from, to: e.to, asset: e.asset, amount: e.amount, count: e.count || 0 };
      if (e.taint) o.taint = e.taint;
      return o;
    }),
    annotations: G.annotations.map((a) => ({ x: a.x, y: a.y, text: a.text })),
    exits: state.exits.map((x) => {
      const o = { account: x.account, service: x.service || '', category: x.category || '', asset: x.asset, amount: x.amount, freezable: !!x.freezable };
      if (x.freezable_by && x.freezable_by.length) o.freezable_by = x.freezable_by;
      return o;
    }),
    view: { x: Math.round(G.view.x * 10) / 10, y: Math.round(G.view.y * 10) / 10, zoom: G.view.zoom },
  };
}
function loadCase(c) {
  G.clear();
  for (const n of c.nodes) G.addNode({ ...n, members: n.members || [] });
  for (const e of c.edges) G.addEdge(e);
  G.annotations = c.annotations.map((a) => ({ ...a }));
  renderAnnotations();
  state.caseId = c.id || null;
  state.caseUpdated = c.updated || null; state.overwrite = false;
  state.exits = c.exits.map((x) => ({ ...x }));
  state.trace = null;
  state.chain = null;
  state.chain = c.nodes.map((n) => chainOf(n.id)).find(Boolean) || null;
  $('case-name').value = c.name; $('case-notes').value = c.notes || '';
  G.view = { x: c.view.x, y: c.view.y, zoom: c.view.zoom || 1 };
  renderTrace();
  if (!state.exits.length) $('panel-trace').innerHTML = '<p class="muted">No trace in this case.</p>';
  if (state.caseId) history.replaceState(null, '', '#case=' + state.caseId);
  changed();
  markSaved();
  tab(state.exits.length ? 'trace' : 'case');
}
// saveCase stores the canvas: a new case, or the open one on the version
// it was opened or last saved at (If-Match), so that a save elsewhere in
// the meantime (a colleague, another tab) is not silently undone: the page
// says so, and a second save overwrites it. A case deleted elsewhere is
// saved anew.
async function saveCase() {
  const body = caseJSON();
  let conflict = null, anew = false;
  const c = await work('Saving case', async () => {
    if (!state.caseId) return api('/v1/cases', { method: 'POST', body });
    const headers = state.caseUpdated && !state.overwrite ? { 'If-Match': '"' + state.caseUpdated + '"' } : {};
    try {
      return await api('/v1/cases/' + enc(state.caseId), { method: 'PUT', body, headers });
    } catch (e) {
      if (e.status === 412) { conflict = e; return null; }
      if (e.status !== 404) throw e;
      anew = true;
      return api('/v1/cases', { method: 'POST', body });
    }
  });
  if (conflict) {
    state.overwrite = true;
    listCases();
    const when = (/saved at (\S+),/.exec(conflict.message) || [])[1];
    return status(`This case was saved elsewhere${when ? ' at ' + new Date(when).toLocaleString() : ''} since you opened it. ` +
      'Save again (s) to overwrite that save with this canvas, or open the saved one from the Case tab.', 'error');
  }
  if (!c) return;
  state.caseId = c.id; state.caseUpdated = c.updated; state.overwrite = false;
  state.saved = JSON.stringify({ ...body, view: undefined }); // what was sent: later changes stay unsaved
  history.replaceState(null, '', '#case=' + c.id);
  status(anew ? `“${c.name}” was deleted elsewhere: saved as a new case` : `Saved “${c.name}”`);
  listCases();
}
async function openCase(id) {
  if (!(await keepOrDiscard())) return;
  const c = await work('Opening case', () => api('/v1/cases/' + enc(id)));
  if (c) loadCase(c);
}

// ---------- unsaved changes ----------
// The canvas as it was last opened, saved or cleared (its view aside:
// panning is no change); what differs from it would be lost by opening
// another case, New, or leaving the page, which ask first.
function snapshot() { const c = caseJSON(); delete c.view; return JSON.stringify(c); }
function markSaved() { state.saved = snapshot(); }
function unsaved() { return state.saved !== undefined && snapshot() !== state.saved; }
// confirmDialog asks yes or no in the page; true for yes.
function confirmDialog(text, yes) {
  return new Promise((resolve) => {
    const d = $('dlg-confirm');
    $('confirm-text').textContent = text; $('confirm-yes').textContent = yes;
    const done = (v) => { d.oncancel = null; $('confirm-yes').onclick = null; $('confirm-no').onclick = null; if (d.open) d.close(); resolve(v); };
    d.oncancel = () => done(false);
    $('confirm-yes').onclick = () => done(true);
    $('confirm-no').onclick = () => done(false);
    d.showModal();
    $('confirm-no').focus(); // the safe answer is the default
  });
}
// keepOrDiscard is true when the canvas may be replaced: nothing unsaved,
// or the analyst chose to discard it.
async function keepOrDiscard() {
  return !unsaved() || confirmDialog('The canvas has changes that are not saved. Discard them?', 'Discard changes');
}
window.addEventListener('beforeunload', (ev) => { if (unsaved()) { ev.preventDefault(); ev.returnValue = ''; } });
async function listCases() {
  const ul = $('case-list');
  try {
    const r = await api('/v1/cases');
    ul.innerHTML = r.cases.length ? '' : '<li class="muted">No saved cases yet.</li>';
    for (const c of r.cases) {
      const li = document.createElement('li');
      li.dataset.id = c.id;
      li.innerHTML = `<span class="name">${esc(c.name)} <span class="muted">${c.nodes} nodes · ${esc(c.updated.slice(0, 16).replace('T', ' '))}</span></span>` +
        '<button data-act="open">Open</button><button data-act="dup">Duplicate</button><button data-act="del" title="Delete">✕</button>';
      li.querySelector('[data-act=open]').onclick = () => openCase(c.id);
      li.querySelector('[data-act=dup]').onclick = async () => { if (await work('Duplicating', () => api('/v1/cases/' + enc(c.id) + '/duplicate', { method: 'POST' }))) listCases(); };
      li.querySelector('[data-act=del]').onclick = async () => {
        if (!(await confirmDialog(`Delete the case “${c.name}”? This cannot be undone.`, 'Delete'))) return;
        await work('Deleting', () => api('/v1/cases/' + enc(c.id), { method: 'DELETE' }));
        if (state.caseId === c.id) state.caseId = null;
        listCases();
      };
      ul.append(li);
    }
  } catch (e) {
    ul.innerHTML = `<li class="error-box">${esc(e.message)}</li>`;
  }
}
function download(name, data, type) {
  const a = document.createElement('a');
  a.href = typeof data === 'string' && data.startsWith('data:') ? data : URL.createObjectURL(new Blob([data], { type }));
  a.download = name;
  document.body.append(a); a.click(); a.remove();
}
function fileName(ext) { return ($('case-name').value.trim() || 'case').replace(/[^\w.-]+/g, '_') + '.' + ext; }
$('btn-save').onclick = saveCase;
$('btn-new').onclick = async () => {
  if (!(await keepOrDiscard())) return;
  G.clear(); state.caseId = null; state.caseUpdated = null; state.exits = []; state.trace = null; $('case-name').value = ''; $('case-notes').value = '';
  renderTrace(); renderAnnotations(); history.replaceState(null, '', '#'); changed(); markSaved();
};
$('btn-duplicate').onclick = async () => {
  if (!state.caseId) return status('Save the case first', 'error');
  if (!(await keepOrDiscard())) return; // the copy of the saved case replaces the canvas
  const c = await work('Duplicating', () => api('/v1/cases/' + enc(state.caseId) + '/duplicate', { method: 'POST' }));
  if (c) { loadCase(c); listCases(); }
};
$('btn-export-json').onclick = () => download(fileName('json'), JSON.stringify({ ...caseJSON(), id: undefined }, null, 1), 'application/json');
$('btn-export-svg').onclick = () => download(fileName('svg'), G.toSVG(), 'image/svg+xml');
$('btn-export-png').onclick = () => download(fileName('png'), G.toPNG(), 'image/png');
$('import-file').addEventListener('change', async (ev) => {
  const f = ev.target.files[0];
  if (!f) return;
  const text = await f.text();
  ev.target.value = '';
  if (!(await keepOrDiscard())) return;
  const c = await work('Importing case', () => api('/v1/cases', { method: 'POST', body: text, headers: { 'Content-Type': 'application/json' } }));
  if (c) { loadCase(c); listCases(); status(`Imported “${c.name}”`); }
});

// ---------- tabs, toolbar, keyboard ----------
function tab(name) {
  for (const t of ['details', 'trace', 'case']) {
    $('tab-' + t).setAttribute('aria-selected', String(t === name));
    $('panel-' + t).hidden = t !== name;
  }
  if (name === 'case') listCases();
}
for (const t of ['details', 'trace', 'case']) $('tab-' + t).onclick = () => tab(t);
const actions = {
  'btn-expand-out': () => expand('out'), 'btn-expand-in': () => expand('in'), 'btn-trace': runTrace, 'btn-path': findPath,
  'btn-collapse': collapse, 'btn-uncollapse': uncollapse, 'btn-annotate': annotate, 'btn-remove': removeSelection,
  'btn-layout': () => { G.layout(); G.fit(); }, 'btn-fit': () => G.fit(), 'btn-help': () => $('dlg-help').showModal(),
};
for (const [id, fn] of Object.entries(actions)) $(id).onclick = fn;

function moveSelection(dx, dy) {
  const cur = selectedNodes(null)[0];
  const ns = [...G.nodes.values()];
  if (!ns.length) return;
  if (!cur) return G.select([ns[0].id]);
  let best = null, bs = Infinity;
  for (const n of ns) {
    if (n === cur) continue;
    const vx = n.x - cur.x, vy = n.y - cur.y;
    const along = vx * dx + vy * dy;
    if (along <= 0) continue;
    const score = along + 2 * Math.abs(vx * dy - vy * dx);
    if (score < bs) { bs = score; best = n; }
  }
  if (best) G.select([best.id]);
}
document.addEventListener('keydown', (ev) => {
  const tag = (ev.target.tagName || '').toLowerCase();
  if (tag === 'input' || tag === 'textarea' || tag === 'select' || document.querySelector('dialog[open]')) return;
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const onCanvas = ev.target === $('graph');
  const keys = {
    '/': () => input.focus(), '?': () => $('dlg-help').showModal(), o: () => expand('out'), i: () => expand('in'), e: () => { expand('out'); },
    t: runTrace, p: findPath, c: collapse, u: uncollapse, n: noteOnNode, a: annotate, l: actions['btn-layout'], f: () => G.fit(),
    '+': () => G.zoomBy(1.25), '=': () => G.zoomBy(1.25), '-': () => G.zoomBy(0.8), s: saveCase, Delete: removeSelection, Backspace: removeSelection,
  };
  if (onCanvas && ev.key.startsWith('Arrow')) {
    const d = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[ev.key];
    if (ev.shiftKey) { G.view.x += d[0] * 80 / G.view.zoom; G.view.y += d[1] * 80 / G.view.zoom; G.draw(); } else moveSelection(...d);
    ev.preventDefault();
    return;
  }
  // Tab moves the selection from node to node; with nothing selected (Esc
  // clears it) it leaves the canvas, so that a big graph is no trap.
  if (onCanvas && ev.key === 'Escape') { G.select([]); return; }
  if (onCanvas && ev.key === 'Tab' && G.selected.size) {
    const ids = [...G.nodes.keys()], cur = selectedNodes(null)[0];
    const i = cur ? ids.indexOf(cur.id) : -1;
    const j = i + (ev.shiftKey ? -1 : 1);
    if (j >= 0 && j < ids.length) { ev.preventDefault(); G.select([ids[j]]); }
    return;
  }
  if ((ev.key === 'Backspace' || ev.key === 'Delete') && !onCanvas) return;
  const fn = keys[ev.key];
  if (fn) { ev.preventDefault(); fn(); }
});

// ---------- start: #case=ID, #address=CAIP10[&trace=1] ----------
async function start() {
  renderAnnotations();
  changed();
  markSaved();
  const h = new URLSearchParams(location.hash.slice(1));
  if (h.get('case')) await openCase(h.get('case'));
  else if (h.get('address')) {
    const n = placeNode({ id: h.get('address'), kind: 'address' });
    G.select([n.id]);
    if (h.get('trace')) await runTrace();
  }
}

window.addEventListener('hashchange', () => {
  const id = new URLSearchParams(location.hash.slice(1)).get('case');
  if (id && id !== state.caseId) openCase(id);
});

// window.chainhound is for the end-to-end tests and the console: the
// canvas's state as a case, and the render benchmark.
window.chainhound = {
  graph: G, state, caseJSON, loadCase, formatAmount, overlayTrace,
  ready: () => busy === 0,
  // bench lays out and draws a random scale-free graph of n nodes and
  // returns the milliseconds each step took.
  bench(n = 2000, seed = 1) {
    let s = seed;
    const rnd = () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648; };
    G.clear();
    const t0 = performance.now();
    const ids = [];
    for (let i = 0; i < n; i++) {
      const id = 'eip155:1:0x' + i.toString(16).padStart(40, '0');
      ids.push(id);
      G.addNode({ id, kind: 'address', category: ['exchange', 'mixing_service', '', '', 'defi_bridge'][i % 5] });
      if (i > 0) {
        const j = Math.floor(Math.pow(rnd(), 2) * i); // preferential: low ids gather edges
        G.addEdge({ from: ids[j], to: id, asset: 'native', amount: String(1000 + i), count: 1 });
      }
    }
    for (let k = 0; k < n / 2; k++) {
      const a = Math.floor(rnd() * n), b = Math.floor(rnd() * n);
      if (a !== b) G.addEdge({ from: ids[a], to: ids[b], asset: 'native', amount: '1', count: 1 });
    }
    G.spiral([...G.nodes.values()]);
    const t1 = performance.now();
    G.layout();
    const t2 = performance.now();
    G.fit();
    G.ctx.getImageData(0, 0, 1, 1); // wait for the drawing to finish
    const t3 = performance.now();
    changed();
    return { nodes: G.nodes.size, edges: G.edges.size, build_ms: t1 - t0, layout_ms: t2 - t1, render_ms: t3 - t2, total_ms: t3 - t0 };
  },
};
start();
