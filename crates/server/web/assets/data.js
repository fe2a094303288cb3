// Data layer: where the page gets results, live or from a static export (docs/website.md).
//
// Live mode (`canvass serve`): GET api/results (ETag), X-Canvass-Log-Index names the
// canvass-snapshot/v1 log entry committing to the bytes; GET api/events (Server-Sent Events)
// says when a new snapshot is published.
// Static mode (`canvass export-site`): api/results.json holds the exact bytes,
// api/results-meta.json {log_index, tree_size, sha256} the log position; the page polls.

export const state = {
  mode: 'live',
  pollSeconds: 10,
  results: null,        // parsed results JSON (docs/results-json.md)
  resultsBytes: null,   // the exact bytes of GET /api/results (Uint8Array)
  meta: null,           // {logIndex, treeSize, etag}
  geo: null,            // {states[], counties[], jurisdictions[]}
  updatedAt: null,      // Date of the last snapshot received
  events: [],           // recent live events, newest first
  connected: false,
};

const listeners = new Set();
/** Calls fn(kind) whenever results ('results') or the activity feed ('event') change. */
export function subscribe(fn) { listeners.add(fn); return () => listeners.delete(fn); }
function emit(kind) { for (const fn of listeners) { try { fn(kind); } catch (e) { console.error(e); } } }

/** The URL of an API path in the current mode (relative, so a static copy can live anywhere). */
export function apiUrl(path) {
  if (state.mode === 'live') return path;
  if (path === 'api/results') return 'api/results.json';
  if (path.startsWith('log/')) return path;
  return path + '.json';
}

async function fetchOk(url, opts) {
  const r = await fetch(url, opts);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r;
}

/** GET an API path as JSON (null on 404). */
export async function getJson(path) {
  const r = await fetch(apiUrl(path), { cache: 'no-cache' });
  if (r.status === 404) return null;
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json();
}

/** Fetches the results snapshot (exact bytes) and its log position; emits 'results' on change. */
export async function loadResults() {
  let bytes, meta;
  if (state.mode === 'live') {
    const r = await fetchOk('api/results', { cache: 'no-cache' });
    bytes = new Uint8Array(await r.arrayBuffer());
    const idx = r.headers.get('x-canvass-log-index');
    meta = {
      logIndex: idx === null ? null : Number(idx),
      treeSize: Number(r.headers.get('x-canvass-tree-size') || 0),
      etag: r.headers.get('etag'),
    };
  } else {
    // The exporter writes results.json before results-meta.json: a reader between the two
    // writes sees new bytes with old metadata, so read again until they agree (3 tries; the
    // verification then judges what it got).
    for (let attempt = 0; ; attempt++) {
      const m = await (await fetchOk('api/results-meta.json', { cache: 'no-store' })).json();
      if (state.meta && state.meta.etag === m.sha256 && state.resultsBytes) return false;
      const r = await fetchOk('api/results.json', { cache: 'no-store' });
      bytes = new Uint8Array(await r.arrayBuffer());
      meta = { logIndex: m.log_index, treeSize: m.tree_size, etag: m.sha256 };
      if (!globalThis.crypto?.subtle) break;
      const got = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
      if (got === m.sha256 || attempt >= 2) break;
      await new Promise((ok) => setTimeout(ok, 300));
    }
  }
  if (state.meta && state.meta.etag === meta.etag && state.resultsBytes) return false;
  state.results = JSON.parse(new TextDecoder().decode(bytes));
  state.resultsBytes = bytes;
  state.meta = meta;
  state.updatedAt = new Date();
  emit('results');
  return true;
}

function pushEvent(ev) {
  state.events.unshift({ at: new Date(), ...ev });
  state.events.length = Math.min(state.events.length, 50);
  emit('event');
}

let refreshing = null;
let again = false;
/** Reloads the results, coalescing bursts of notifications into one fetch at a time. */
export function refresh() {
  if (refreshing) { again = true; return refreshing; }
  refreshing = loadResults()
    .catch((e) => { console.warn(e); })
    .finally(() => {
      refreshing = null;
      if (again) { again = false; refresh(); }
    });
  return refreshing;
}

function live() {
  const es = new EventSource('api/events');
  es.onopen = () => { state.connected = true; emit('event'); refresh(); };
  es.onerror = () => { state.connected = false; emit('event'); };
  for (const t of ['results', 'resync']) es.addEventListener(t, () => refresh());
  for (const t of ['accepted', 'certified', 'key-change']) {
    es.addEventListener(t, (m) => {
      try { pushEvent(JSON.parse(m.data)); } catch (e) { console.warn(e); }
      if (t === 'certified') refresh();
    });
  }
}

function poll() {
  const tick = async () => {
    try { await loadResults(); state.connected = true; } catch (e) { state.connected = false; console.warn(e); }
    emit('event');
    setTimeout(tick, state.pollSeconds * 1000);
  };
  setTimeout(tick, state.pollSeconds * 1000);
}

/** Starts the data layer: mode, names, the first results, then live updates or polling. */
export async function start() {
  try {
    const s = await (await fetchOk('site.json', { cache: 'no-cache' })).json();
    state.mode = s.mode === 'static' ? 'static' : 'live';
    if (s.poll_seconds) state.pollSeconds = s.poll_seconds;
  } catch (e) { console.warn('site.json', e); }
  const geo = getJson('api/geo').then((g) => { state.geo = g; emit('results'); }).catch((e) => console.warn(e));
  await loadResults();
  if (state.mode === 'live') live(); else { state.connected = true; poll(); }
  await geo;
}

// ---- small helpers shared by the views ----

/** HTML-escapes any value. */
export function esc(v) {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}
/** 1234567 → "1,234,567". */
export function fmt(n) { return Number(n || 0).toLocaleString('en-US'); }
/** a/b as a percentage string with `digits` decimals ("—" when b is 0). */
export function pct(a, b, digits = 0) { return b ? `${(100 * a / b).toFixed(digits)}%` : '—'; }
