// Verification in the visitor's browser, with WebCrypto only (docs/website.md):
//
// 1. the checkpoint (C2SP tlog-checkpoint, a C2SP signed note) is signed by the log key
//    (C2SP signed-note vkey, Ed25519);
// 2. the results snapshot entry (`canvass-snapshot/v1`) at X-Canvass-Log-Index is in the
//    tree of that checkpoint: its RFC 6962 inclusion proof is computed from the log's tiles
//    (C2SP tlog-tiles) and folded up to the signed root (RFC 9162 2.1.3.2);
// 3. that entry's results_sha256 is the SHA-256 of the exact results bytes on screen;
// 4. when the log publishes a witness policy (/log/witnesses), at least `quorum` of its
//    witnesses cosigned the checkpoint (C2SP tlog-cosignature, Ed25519).
//
// Nothing here trusts the server: tiles and entries are only inputs to hashes that must
// end at the signed root.

const enc = new TextEncoder();
const dec = new TextDecoder();

export function hex(bytes) { return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(''); }
function b64decode(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
function concat(...parts) {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
function equal(a, b) { return a.length === b.length && a.every((x, i) => x === b[i]); }

export async function sha256(bytes) { return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)); }
const leafHash = (entry) => sha256(concat(new Uint8Array([0]), entry));
const nodeHash = (l, r) => sha256(concat(new Uint8Array([1]), l, r));

/** Parses a C2SP vkey `<name>+<hex key id>+<base64(alg || pub)>` (alg 0x01 Ed25519, 0x04 cosignature/v1). */
export async function parseVkey(text, alg = 1, what = 'the log key (/log/vkey)') {
  // The base64 key may itself contain '+': split at the first two only.
  const t = text.trim();
  const i = t.indexOf('+'), j = t.indexOf('+', i + 1);
  if (i <= 0 || j < 0) throw new Error(`${what} is not name+id+key`);
  const name = t.slice(0, i), idHex = t.slice(i + 1, j), b64 = t.slice(j + 1);
  if (!/^[0-9a-fA-F]{8}$/.test(idHex)) throw new Error(`${what}: the key id is not 8 hex digits`);
  const material = b64decode(b64);
  if (material.length !== 33 || material[0] !== alg) throw new Error(`${what} is not an Ed25519 key of type 0x0${alg} (32 bytes)`);
  const id = (await sha256(concat(enc.encode(name + '\n'), material))).slice(0, 4);
  if (hex(id) !== idHex.toLowerCase()) throw new Error(`${what}: the key id does not match its key`);
  return { name, id, pub: material.slice(1), text: t };
}

/** Parses a witness policy: `witness <cosignature vkey>` lines and an optional `quorum <k>`. */
export async function parseWitnessPolicy(text) {
  const witnesses = [];
  let quorum = null;
  for (const [n, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(witness|quorum)\s+(\S+)$/.exec(line);
    if (!m) throw new Error(`witness policy line ${n + 1} is not "witness <vkey>" or "quorum <k>"`);
    if (m[1] === 'witness') witnesses.push(await parseVkey(m[2], 4, `witness policy line ${n + 1}`));
    else if (!/^[1-9]\d*$/.test(m[2])) throw new Error(`witness policy line ${n + 1}: the quorum is not a positive number`);
    else quorum = Number(m[2]);
  }
  if (witnesses.length === 0) throw new Error('the witness policy names no witness');
  quorum ??= witnesses.length;
  if (quorum > witnesses.length) throw new Error(`the witness policy needs ${quorum} of only ${witnesses.length} witnesses`);
  return { witnesses, quorum, text };
}

/**
 * Checks the checkpoint's cosignatures against the policy (C2SP tlog-cosignature: the
 * witness signs "cosignature/v1\ntime <t>\n" followed by the checkpoint text).
 * Returns one {name, keyId, time, status: 'valid'|'invalid'|'missing'} per witness.
 */
export async function verifyCosignatures(note, policy) {
  const out = [];
  for (const w of policy.witnesses) {
    const sig = note.sigs.find((s) => s.name === w.name && s.bytes.length === 76 && equal(s.bytes.slice(0, 4), w.id));
    if (!sig) { out.push({ name: w.name, keyId: hex(w.id), time: null, status: 'missing' }); continue; }
    const t = new DataView(sig.bytes.buffer, sig.bytes.byteOffset + 4, 8).getBigUint64(0);
    const key = await crypto.subtle.importKey('raw', w.pub, { name: 'Ed25519' }, false, ['verify']);
    const msg = concat(enc.encode(`cosignature/v1\ntime ${t}\n`), enc.encode(note.body));
    const ok = await crypto.subtle.verify({ name: 'Ed25519' }, key, sig.bytes.slice(12), msg);
    out.push({ name: w.name, keyId: hex(w.id), time: new Date(Number(t) * 1000), status: ok ? 'valid' : 'invalid' });
  }
  return out;
}

/** Splits a signed note into its signed text and signature lines. */
export function parseNote(text) {
  const cut = text.lastIndexOf('\n\n');
  if (cut < 0) throw new Error('the checkpoint has no signature block');
  const body = text.slice(0, cut + 1);
  const sigs = [];
  for (const line of text.slice(cut + 2).split('\n')) {
    if (line === '') continue;
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m) throw new Error(`malformed signature line: ${line}`);
    sigs.push({ name: m[1], bytes: b64decode(m[2]) });
  }
  const lines = body.split('\n');
  if (lines.length < 4) throw new Error('the checkpoint body is not origin, size, root');
  const size = Number(lines[1]);
  if (!/^\d+$/.test(lines[1]) || !Number.isSafeInteger(size)) throw new Error('the checkpoint size is not a number');
  const root = b64decode(lines[2]);
  if (root.length !== 32) throw new Error('the checkpoint root is not 32 bytes');
  return { body, origin: lines[0], size, root, sigs, extensions: lines.slice(3, -1) };
}

/** Verifies the checkpoint note against the vkey. Returns the parsed note and cosignature lines. */
export async function verifyCheckpoint(noteText, vkey) {
  const note = parseNote(noteText);
  const mine = note.sigs.filter((s) => s.name === vkey.name && s.bytes.length === 68 && equal(s.bytes.slice(0, 4), vkey.id));
  if (mine.length === 0) throw new Error(`no signature by the log key ${vkey.name} on the checkpoint`);
  if (note.origin !== vkey.name) throw new Error(`checkpoint origin ${note.origin} is not the log key's name ${vkey.name}`);
  const key = await crypto.subtle.importKey('raw', vkey.pub, { name: 'Ed25519' }, false, ['verify']);
  const ok = await crypto.subtle.verify({ name: 'Ed25519' }, key, mine[0].bytes.slice(4), enc.encode(note.body));
  if (!ok) throw new Error('the checkpoint signature does not verify with the log key');
  // Cosignatures (C2SP tlog-cosignature): key id, 8-byte timestamp, Ed25519 signature.
  const cosigs = note.sigs.filter((s) => s !== mine[0]).map((s) => {
    let time = null;
    if (s.bytes.length === 76) {
      const v = new DataView(s.bytes.buffer, s.bytes.byteOffset + 4, 8);
      time = new Date(Number(v.getBigUint64(0)) * 1000);
    }
    return { name: s.name, keyId: hex(s.bytes.slice(0, 4)), time };
  });
  return { ...note, cosigs };
}

// ---- tiles (C2SP tlog-tiles) ----

function tileIndexPath(n) {
  let s = String(n % 1000).padStart(3, '0');
  n = Math.floor(n / 1000);
  while (n > 0) { s = `x${String(n % 1000).padStart(3, '0')}/${s}`; n = Math.floor(n / 1000); }
  return s;
}

/** Path of tile (level, index) in a tree of `size` (partial when the tile is not full). */
export function tilePath(level, index, size) {
  const count = Math.floor(size / 256 ** (level === 'entries' ? 0 : level));
  const width = Math.min(256, count - 256 * index);
  if (width <= 0) throw new Error(`tile ${level}/${index} is beyond tree size ${size}`);
  const l = level === 'entries' ? 'entries' : String(level);
  return `log/tile/${l}/${tileIndexPath(index)}${width < 256 ? `.p/${width}` : ''}`;
}

export class TileReader {
  constructor(size, fetchBytes) { this.size = size; this.fetchBytes = fetchBytes; this.cache = new Map(); }
  async tile(level, index) {
    const path = tilePath(level, index, this.size);
    if (!this.cache.has(path)) this.cache.set(path, this.fetchBytes(path));
    return this.cache.get(path);
  }
  /** Hash of the complete subtree of 2^h leaves number i (node (h, i)). */
  async node(h, i) {
    const L = Math.floor(h / 8), r = h % 8, span = 2 ** r;
    const first = i * span, ti = Math.floor(first / 256), off = first - 256 * ti;
    const t = await this.tile(L, ti);
    if (t.length < 32 * (off + span)) throw new Error(`tile ${L}/${ti} is too short`);
    let row = [];
    for (let k = 0; k < span; k++) row.push(t.slice(32 * (off + k), 32 * (off + k + 1)));
    while (row.length > 1) {
      const next = [];
      for (let k = 0; k < row.length; k += 2) next.push(await nodeHash(row[k], row[k + 1]));
      row = next;
    }
    return row[0];
  }
  /** RFC 6962 MTH of leaves [lo, hi). */
  async mth(lo, hi) {
    const n = hi - lo;
    let h = 0;
    while (2 ** (h + 1) <= n) h++;
    if (2 ** h === n && lo % n === 0) return this.node(h, lo / n);
    const k = 2 ** (n === 2 ** h ? h - 1 : h);
    return nodeHash(await this.mth(lo, lo + k), await this.mth(lo + k, hi));
  }
  /** RFC 6962 PATH(m, D[lo:hi]), leaf side first. */
  async path(m, lo, hi) {
    const n = hi - lo;
    if (n <= 1) return [];
    let k = 1;
    while (k * 2 < n) k *= 2;
    if (m < lo + k) return [...await this.path(m, lo, lo + k), await this.mth(lo + k, hi)];
    return [...await this.path(m, lo + k, hi), await this.mth(lo, lo + k)];
  }
  /** The entry at index from its entry bundle (2-byte big-endian length prefixes). */
  async entry(index) {
    const ti = Math.floor(index / 256);
    const b = await this.tile('entries', ti);
    let o = 0;
    for (let k = 0; ; k++) {
      if (o + 2 > b.length) throw new Error(`entry bundle ${ti} ends before entry ${index}`);
      const len = (b[o] << 8) | b[o + 1];
      if (k === index - 256 * ti) return b.slice(o + 2, o + 2 + len);
      o += 2 + len;
    }
  }
}

/** RFC 9162 2.1.3.2: the root a proof leads to from `leaf` at `index` in a tree of `size`. */
export async function rootFromInclusion(index, size, leaf, proof) {
  if (index >= size) throw new Error('index beyond the tree');
  let fn = index, sn = size - 1, r = leaf;
  for (const p of proof) {
    if (sn === 0) throw new Error('the inclusion proof is too long');
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new Error('the inclusion proof is too short');
  return r;
}

const PIN = 'canvass.vkey';
const PIN_POLICY = 'canvass.witnesses';

/**
 * Runs every check. `get(path)` returns the bytes of a site path (`log/checkpoint`, ...);
 * `getOptional(path)` the same, or null when the path does not exist (404).
 * Returns {ok, checks: [{name, ok, detail}], checkpoint, vkey, entryIndex, waiting}.
 */
export async function verifyResults({ resultsBytes, logIndex, get, getOptional }) {
  const checks = [];
  const out = { ok: false, checks, checkpoint: null, vkey: null, waiting: false };
  const check = (name, ok, detail) => { checks.push({ name, ok, detail }); return ok; };
  if (!window.isSecureContext || !crypto.subtle) {
    check('A secure context for WebCrypto', false, 'open this page over HTTPS (or on localhost) so the browser can check it');
    return out;
  }
  let vkey;
  try {
    vkey = await parseVkey(dec.decode(await get('log/vkey')));
    out.vkey = vkey;
    check('Log key read', true, vkey.text);
  } catch (e) { check('Log key read', false, String(e.message || e)); return out; }
  try {
    const pinned = localStorage.getItem(PIN);
    if (pinned && pinned !== vkey.text) {
      check('Log key unchanged since your last visit', false, `this browser saw the log key ${pinned} before; the server now presents ${vkey.text}`);
      return out;
    }
  } catch (e) { /* storage unavailable: nothing pinned */ }
  let cp;
  try {
    cp = await verifyCheckpoint(dec.decode(await get('log/checkpoint')), vkey);
    out.checkpoint = cp;
    check('Checkpoint signed by the log key (Ed25519, WebCrypto)', true, `tree size ${cp.size}, root ${hex(cp.root)}`);
  } catch (e) { check('Checkpoint signed by the log key (Ed25519, WebCrypto)', false, String(e.message || e)); return out; }
  let policyText = null;
  try {
    const b = getOptional ? await getOptional('log/witnesses') : null;
    policyText = b === null ? null : dec.decode(b);
  } catch (e) { check('Witness policy read', false, String(e.message || e)); return out; }
  if (policyText === null) {
    check('Witness policy', true, 'this log publishes no witness policy: the checkpoint is checked against the log key only');
  } else {
    try {
      const policy = await parseWitnessPolicy(policyText);
      let pinned = null;
      try { pinned = localStorage.getItem(PIN_POLICY); } catch (e) { /* storage unavailable */ }
      if (pinned && pinned !== policyText) {
        check('Witness policy unchanged since your last visit', false, `this browser saw another witness policy before:\n${pinned}`);
        return out;
      }
      const ws = await verifyCosignatures(cp, policy);
      out.witnesses = ws;
      out.quorum = policy.quorum;
      const valid = ws.filter((w) => w.status === 'valid').length;
      const invalid = ws.filter((w) => w.status === 'invalid').map((w) => w.name);
      const ok = valid >= policy.quorum && invalid.length === 0;
      if (!check(`Witness cosignatures: ${policy.quorum} of ${ws.length} needed (Ed25519, WebCrypto)`, ok,
        invalid.length ? `invalid cosignature from ${invalid.join(', ')}`
          : `${valid} valid: ${ws.filter((w) => w.status === 'valid').map((w) => w.name).join(', ') || 'none'}`)) return out;
      out.policyText = policyText;
    } catch (e) { check('Witness policy read', false, String(e.message || e)); return out; }
  }
  if (logIndex === null || logIndex === undefined) {
    check('Results snapshot logged', false, 'the server named no snapshot log entry for these results (nothing submitted yet?)');
    return out;
  }
  if (logIndex >= cp.size) {
    out.waiting = true;
    check('Snapshot entry covered by the checkpoint', false, `entry ${logIndex} is not yet in the checkpoint of size ${cp.size}; checking again shortly`);
    return out;
  }
  const tiles = new TileReader(cp.size, get);
  let entry;
  try {
    entry = await tiles.entry(logIndex);
    const proof = await tiles.path(logIndex, 0, cp.size);
    const root = await rootFromInclusion(logIndex, cp.size, await leafHash(entry), proof);
    if (!check('Snapshot entry included in the signed tree (RFC 6962, SHA-256)', equal(root, cp.root),
      equal(root, cp.root) ? `entry ${logIndex}, ${proof.length} proof hashes lead to the signed root`
        : `entry ${logIndex}: the proof leads to ${hex(root)}, not the signed root ${hex(cp.root)}`)) return out;
  } catch (e) { check('Snapshot entry included in the signed tree (RFC 6962, SHA-256)', false, String(e.message || e)); return out; }
  let snap;
  try {
    const text = dec.decode(entry);
    const m = /^canvass-snapshot\/v1\n(\{[^\n]*\})\n$/.exec(text);
    if (!m) throw new Error(`log entry ${logIndex} is not a canvass-snapshot/v1 entry`);
    snap = JSON.parse(m[1]);
    if (snap.after !== logIndex) throw new Error(`the snapshot entry says it is entry ${snap.after}, not ${logIndex}`);
    check('Log entry is a results snapshot', true, text.trim());
  } catch (e) { check('Log entry is a results snapshot', false, String(e.message || e)); return out; }
  const mine = hex(await sha256(resultsBytes));
  if (!check('SHA-256 of the results on screen equals the logged results_sha256', mine === snap.results_sha256,
    mine === snap.results_sha256 ? mine : `the results on screen hash to ${mine}; the log commits to ${snap.results_sha256}`)) return out;
  try {
    localStorage.setItem(PIN, vkey.text);
    if (out.policyText) localStorage.setItem(PIN_POLICY, out.policyText);
  } catch (e) { /* not pinned */ }
  out.ok = checks.every((c) => c.ok);
  out.entryIndex = logIndex;
  out.resultsSha256 = mine;
  return out;
}
