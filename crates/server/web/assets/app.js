// The page's entry point: routes (#/, #/state/PA, #/contest/<id>, #/history/<id>,
// #/search?q=, #/downloads, #/verify), live re-rendering, and the verification badge.

import { state, start, subscribe, esc, fmt, apiUrl, getJson } from './data.js';
import { overview, statePage, contestPage, historyPage, searchPage, downloadsPage, feed } from './views.js';
import { verifyResults, verifyHistory, hex } from './verify.js';

const view = document.getElementById('view');
const badge = document.getElementById('verify-badge');
const status = document.getElementById('live-status');

let verification = { ok: false, checks: [], pending: true };

function route() {
  const h = location.hash.replace(/^#\/?/, '');
  const [path, query] = h.split('?');
  const parts = path.split('/').map(decodeURIComponent);
  const q = new URLSearchParams(query || '');
  return { name: parts[0] || 'overview', arg: parts.slice(1).join('/'), q };
}

let renderSeq = 0;
async function render(kind) {
  const r = route();
  const seq = ++renderSeq;
  document.body.dataset.view = r.name;
  try {
    switch (r.name) {
      case 'state': await statePage(view, r.arg); document.title = `${r.arg.toUpperCase()} results · canvass`; break;
      case 'contest': await contestPage(view, r.arg); document.title = `${r.arg} · canvass`; break;
      case 'history': await historyPage(view, r.arg); document.title = `History ${r.arg} · canvass`; checkHistory(r.arg); break;
      case 'search': searchPage(view, r.q.get('q') || ''); document.getElementById('search-input').value = r.q.get('q') || ''; break;
      case 'downloads': downloadsPage(view); break;
      case 'verify': verifyPage(); break;
      default: overview(view); document.title = 'Election results · canvass';
    }
  } catch (e) {
    console.error(e);
    if (seq === renderSeq) view.innerHTML = `<p class="alarm">This view could not be shown: ${esc(e.message || e)}</p>`;
  }
  if (kind === 'navigate') view.focus({ preventScroll: false });
  if (state.results && !performance.getEntriesByName('canvass-first-render').length) {
    performance.mark('canvass-first-render');
  }
  view.dataset.snapshot = state.meta?.etag || '';
  view.dataset.rendered = String(seq);
}

function updateStatus() {
  const m = state.meta;
  const when = state.updatedAt ? state.updatedAt.toLocaleTimeString() : '—';
  const how = state.mode === 'live' ? (state.connected ? 'Live' : 'Reconnecting…') : `Static copy, checked every ${state.pollSeconds} s`;
  status.textContent = `${how} · last updated ${when}${m ? ` · log size ${fmt(m.treeSize)}` : ''}`;
  const f = document.getElementById('feed');
  if (f && route().name === 'overview') f.outerHTML = feed();
}

/** What the red badge says, by the failed check's rule (the default: the figures). */
const BAD = {
  rollback: 'this log is older than the one this browser verified before',
  fork: 'the server shows another log than the one this browser verified before',
  'store-differs': 'the server\'s stored submissions differ from the public log',
  'definition-mismatch': 'the election definition is not the one the log binds',
  'bad-signature': 'a submission in this log does not carry a valid signature',
  'revoked-key': 'a submission in this log is signed with a revoked key',
  replay: 'a submission was logged twice (replayed)',
  'snapshot-position': 'log entries were deleted or reordered',
};

function setBadge() {
  badge.classList.remove('badge-ok', 'badge-bad', 'badge-pending');
  if (verification.pending) {
    badge.classList.add('badge-pending');
    badge.textContent = verification.progress || 'Checking results against the public log…';
  } else if (verification.ok) {
    badge.classList.add('badge-ok');
    badge.textContent = `✓ Verified in your browser (log size ${fmt(verification.checkpoint.size)})`;
  } else if (verification.waiting) {
    badge.classList.add('badge-pending');
    badge.textContent = 'Waiting for the log checkpoint…';
  } else {
    badge.classList.add('badge-bad');
    const rule = verification.checks.find((c) => !c.ok)?.rule;
    badge.textContent = `⚠ NOT VERIFIED: ${BAD[rule] || 'these figures do not match the public log'}`;
  }
  badge.dataset.state = verification.pending || verification.waiting ? 'pending' : verification.ok ? 'ok' : 'bad';
  let alarm = document.getElementById('alarm');
  if (!verification.pending && !verification.ok && !verification.waiting) {
    if (!alarm) {
      alarm = document.createElement('p');
      alarm.id = 'alarm';
      alarm.className = 'alarm';
      alarm.setAttribute('role', 'alert');
      document.querySelector('.status-bar').after(alarm);
    }
    const failed = verification.checks.find((c) => !c.ok);
    alarm.innerHTML = `⚠ Warning: the results on this page could not be verified against the public transparency log. ${esc(failed ? `${failed.name}: ${failed.detail}` : '')} <a href="#/verify">Details</a>`;
  } else if (alarm) alarm.remove();
  if (route().name === 'verify') verifyPage();
}

async function getBytes(path) {
  const r = await fetch(path, { cache: path === 'log/checkpoint' ? 'no-store' : 'default' });
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

async function getOptional(path) {
  const r = await fetch(path, { cache: 'no-cache' });
  if (r.status === 404) return null;
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

// A failed check of a history page's stored submissions: kept until the page is loaded again.
let historyFailure = null;

/** Checks the stored submissions a history page lists against the verified log. */
async function checkHistory(j) {
  while (verification.pending) await new Promise((ok) => setTimeout(ok, 200));
  if (!verification.ok || !verification.checkpoint) return;
  let c;
  try {
    const h = await getJson(`api/jurisdictions/${encodeURIComponent(j)}/submissions`);
    c = await verifyHistory({
      jurisdiction: j,
      rows: h?.submissions || [],
      cp: verification.checkpoint,
      get: getBytes,
      getDocument: state.mode === 'live' ? async (i) => (await getJson(`api/submissions/${i}`))?.document ?? null : null,
    });
  } catch (e) {
    c = { name: `Stored submissions of ${j} equal their log entries`, ok: false, rule: 'store-differs', detail: String(e.message || e) };
  }
  if (!c.ok) historyFailure = c;
  verification = { ...verification, ok: verification.ok && c.ok, checks: [...verification.checks.filter((x) => x.name !== c.name), c] };
  setBadge();
}

let verifying = false, reverify = false, retry = null;
async function runVerification() {
  if (verifying) { reverify = true; return; }
  verifying = true;
  clearTimeout(retry);
  const bytes = state.resultsBytes, logIndex = state.meta?.logIndex;
  verification = { ...verification, pending: true, progress: null };
  setBadge();
  try {
    const v = await verifyResults({
      resultsBytes: bytes, logIndex, get: getBytes, getOptional,
      getDefinition: () => getOptional(apiUrl('api/election')),
      progress: (p) => { verification = { ...verification, progress: p }; setBadge(); },
    });
    if (historyFailure) { v.checks.push(historyFailure); v.ok = false; }
    if (bytes === state.resultsBytes) verification = { ...v, pending: false, at: new Date() };
  } catch (e) {
    verification = { ok: false, pending: false, checks: [{ name: 'Verification ran', ok: false, detail: String(e.message || e) }] };
  }
  verifying = false;
  setBadge();
  if (reverify) { reverify = false; runVerification(); } else if (verification.waiting) retry = setTimeout(runVerification, 1000);
}

function verifyPage() {
  const v = verification;
  const cp = v.checkpoint;
  const cls = v.pending || v.waiting ? '' : v.ok ? 'ok' : 'bad';
  view.innerHTML = `<h1>Verified in your browser</h1>
    <div class="verify-panel ${cls}" id="verify-panel" data-state="${v.pending || v.waiting ? 'pending' : v.ok ? 'ok' : 'bad'}">
      <p class="verdict" id="verify-verdict">${v.pending ? esc(v.progress || 'Checking…') : v.waiting ? 'Waiting for a checkpoint that covers these results…' : v.ok ? '✓ Verified' : '⚠ NOT VERIFIED'}</p>
      <ul class="checks">${v.checks.map((c) => `<li class="${c.ok ? 'pass' : 'fail'}"><strong>${esc(c.name)}</strong><br><span class="hash">${esc(c.detail || '')}</span></li>`).join('')}</ul>
      ${cp ? `<h2>Checkpoint</h2><dl><dt>Origin</dt><dd><code>${esc(cp.origin)}</code></dd><dt>Tree size</dt><dd id="cp-size">${fmt(cp.size)}</dd><dt>Root hash</dt><dd class="hash" id="cp-root">${hex(cp.root)}</dd>
        <dt>Witness cosignatures</dt><dd>${v.witnesses ? `<ul id="witness-list">${v.witnesses.map((w) => `<li class="${w.status === 'valid' ? 'pass' : 'fail'}" data-status="${w.status}">${esc(w.name)} (key ${esc(w.keyId)})${w.time ? `, ${esc(w.time.toISOString())}` : ''}: ${w.status === 'valid' ? 'valid cosignature, checked here' : w.status === 'invalid' ? 'INVALID cosignature' : 'no cosignature'}</li>`).join('')}</ul><p>${v.quorum} of ${v.witnesses.length} needed (the witness policy at <a href="log/witnesses">/log/witnesses</a>, remembered by this browser).</p>`
          : cp.cosigs.length ? `<ul>${cp.cosigs.map((c) => `<li>${esc(c.name)} (key ${esc(c.keyId)})${c.time ? `, ${esc(c.time.toISOString())}` : ''}: present, not checked (this log publishes no witness policy)</li>`).join('')}</ul>` : 'none on this checkpoint'}</dd></dl>` : ''}
      ${v.vkey ? `<p>Log key: <code>${esc(v.vkey.text)}</code>. This browser remembers it and raises the alarm if the server ever presents another.</p>` : ''}
      ${v.at ? `<p class="muted">Checked at ${esc(v.at.toLocaleTimeString())}.</p>` : ''}
    </div>
    <h2>What is checked</h2>
    <ol><li>The log's checkpoint is signed by the log key (Ed25519, with the browser's WebCrypto).</li>
    <li>The results snapshot entry named by the server is in the signed tree: its RFC 6962 inclusion proof, computed from the public tiles, leads to the signed root (SHA-256).</li>
    <li>The entry is a <code>canvass-snapshot/v1</code> entry whose <code>results_sha256</code> is the SHA-256 of the exact results bytes this page shows.</li>
    <li>When the log publishes a witness policy, enough independent witnesses cosigned the checkpoint (Ed25519), so the server cannot show this browser a history the witnesses have not seen.</li>
    <li>The checkpoint extends the last one this browser verified (remembered here): a smaller log (rollback), another root at the same size (split view) or a failed RFC 9162 consistency proof raises the alarm.</li>
    <li>Every log entry since then (all of them on a first visit) is read and hashed up to the signed root, and checked: the authority-signed roster comes first; each submission is signed by a current key of its jurisdiction, never a revoked or retired one; each jurisdiction's sequence numbers only increase (no replayed submission); each results snapshot sits at its own index; key changes and certifications are signed by the authority.</li>
    <li>The published election definition has the SHA-256 the roster binds.</li>
    <li>On a jurisdiction's history page, the server's stored copy of each listed submission equals the logged document.</li></ol>
    <p>“Verified” is shown only when every check passes. A full recount from the log is <code>canvass verify</code>.</p>`;
}

subscribe((kind) => {
  updateStatus();
  if (kind === 'results') {
    document.getElementById('election-name').textContent = state.geo?.name || state.results?.election || 'Election results';
    if (route().name !== 'verify') render('update');
    runVerification();
  }
});

window.addEventListener('hashchange', () => render('navigate'));
document.getElementById('search-form').addEventListener('submit', (e) => {
  e.preventDefault();
  location.hash = `#/search?q=${encodeURIComponent(document.getElementById('search-input').value)}`;
});

start().then(() => { updateStatus(); }).catch((e) => {
  view.innerHTML = `<p class="alarm" role="alert">The results could not be loaded: ${esc(e.message || e)}. Retry in a moment.</p>`;
});
window.canvass = { state, verification: () => verification };
