// Verification in the visitor's browser, with WebCrypto only (docs/website.md):
//
// 1. the checkpoint (C2SP tlog-checkpoint, a C2SP signed note) is signed by the log key
//    (C2SP signed-note vkey, Ed25519);
// 2. the results snapshot entry (`canvass-snapshot/v1`) at X-Canvass-Log-Index is in the
//    tree of that checkpoint: its RFC 6962 inclusion proof is computed from the log's tiles
//    (C2SP tlog-tiles) and folded up to the signed root (RFC 9162 2.1.3.2);
// 3. that entry's results_sha256 is the SHA-256 of the exact results bytes on screen;
// 4. when the log publishes a witness policy (/log/witnesses), at least `quorum` of its
//    witnesses cosigned the checkpoint (C2SP tlog-cosignature, Ed25519);
// 5. the checkpoint extends the last one this browser verified (localStorage): not smaller
//    (rollback), not another root at the same size (split view), and an RFC 9162
//    consistency proof computed from the tiles;
// 6. every log entry since then (from entry 0 on a first visit) hashes into the signed root
//    and follows the rules: the authority-signed roster first, each submission signed by a
//    current key of its jurisdiction (not a revoked or retired one), sequences strictly
//    increasing per jurisdiction (no replay), snapshots at their own index, key changes and
//    certifications signed by the authority;
// 7. the published election definition (api/election) has the SHA-256 the roster binds;
// 8. on a jurisdiction's history page, the server's stored copies equal the logged entries.
//
// Nothing here trusts the server: tiles and entries are only inputs to hashes that must
// end at the signed root.

import {
  enc, dec, hex, b64decode, concat, equal, sha256, leafHash, parseVkey, TileReader, rootFromInclusion, subproof,
  verifyConsistency,
} from './tlog.js';
import { SEEN, unhex, loadSeen, scanLog } from './logcheck.js';

export { hex, sha256, parseVkey, tilePath, TileReader, rootFromInclusion, verifyConsistency } from './tlog.js';
export { scanLog, verifyHistory } from './logcheck.js';

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

const PIN = 'canvass.vkey';
const PIN_POLICY = 'canvass.witnesses';

/**
 * Runs every check. `get(path)` returns the bytes of a site path (`log/checkpoint`, ...);
 * `getOptional(path)` the same, or null when the path does not exist (404);
 * `getDefinition()` the published election definition's bytes (or null); `progress(text)`
 * is told how the entry check advances.
 * Returns {ok, checks: [{name, ok, detail, rule}], checkpoint, vkey, entryIndex, waiting};
 * `rule` names a failed check with the finding code `canvass verify` uses.
 */
export async function verifyResults({ resultsBytes, logIndex, get, getOptional, getDefinition, progress }) {
  const checks = [];
  const out = { ok: false, checks, checkpoint: null, vkey: null, waiting: false };
  const check = (name, ok, detail, rule) => { checks.push({ name, ok, detail, rule: ok ? undefined : rule }); return ok; };
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
  // The checkpoint must extend the last one this browser verified (docs/website.md).
  const seen = loadSeen(vkey);
  if (seen) {
    const was = `tree size ${seen.size}, root ${seen.root}`;
    const name = 'Log consistent with the checkpoint this browser verified before (RFC 9162)';
    if (cp.size < seen.size) {
      check(name, false, `rollback: this browser verified a log of ${seen.size} entries (${was}); the server now signs one of ${cp.size}: entries were deleted or the server was restored from an earlier backup`, 'rollback');
      return out;
    }
    if (cp.size === seen.size && hex(cp.root) !== seen.root) {
      check(name, false, `split view: this browser verified ${was}; the server now signs the same size with root ${hex(cp.root)}: two different logs of one size, shown to different visitors (a fork)`, 'fork');
      return out;
    }
    if (cp.size > seen.size && seen.size > 0) {
      let ok = false;
      try {
        const proof = await subproof(new TileReader(cp.size, get), seen.size, 0, cp.size, true);
        ok = await verifyConsistency(seen.size, cp.size, unhex(seen.root), cp.root, proof);
      } catch (e) { ok = false; }
      if (!ok) {
        check(name, false, `fork: the signed tree of ${cp.size} entries does not extend the one this browser verified (${was}): entries were changed, deleted or reordered and the log re-signed`, 'fork');
        return out;
      }
    }
    check(name, true, cp.size === seen.size ? `the same tree as before (${was})` : `the tree of ${cp.size} entries extends the one verified before (${was})`);
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
  } catch (e) { check('Log entry is a results snapshot', false, String(e.message || e), 'snapshot-position'); return out; }
  const mine = hex(await sha256(resultsBytes));
  if (!check('SHA-256 of the results on screen equals the logged results_sha256', mine === snap.results_sha256,
    mine === snap.results_sha256 ? mine : `the results on screen hash to ${mine}; the log commits to ${snap.results_sha256}`, 'results-differ')) return out;
  // Every log entry since the last visit: signatures, keys, sequences, positions.
  let st;
  const entriesName = 'Log entries checked (roster, signatures, keys, sequences, snapshots)';
  try {
    const from = seen ? seen.size : 0;
    st = await scanLog({ cp, vkey, get, seen, progress: (done, total) => progress && progress(`Checking log entries: ${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')}…`) });
    check(entriesName, true, from === cp.size ? `no new entries since the ${from.toLocaleString('en-US')} checked before` : `entries ${from.toLocaleString('en-US')} to ${(cp.size - 1).toLocaleString('en-US')} read, hashed to the signed root and checked`);
  } catch (e) {
    check(entriesName, false, `${e.rule || 'entries'}: ${e.message || e}`, e.rule || 'entries');
    return out;
  }
  const defName = 'Election definition is the one the roster binds (SHA-256)';
  if (!st.definition) {
    check(defName, true, 'the roster binds no election definition: nothing to compare');
  } else {
    let bytes = null;
    try { bytes = getDefinition ? await getDefinition() : null; } catch (e) { check(defName, false, String(e.message || e), 'definition-mismatch'); return out; }
    if (bytes === null) check(defName, true, `this site does not publish the definition (the roster binds ${st.definition})`);
    else {
      const got = hex(await sha256(bytes));
      if (!check(defName, got === st.definition, got === st.definition ? got
        : `the published election definition (api/election) hashes to ${got}; the authority-signed roster binds ${st.definition}: another definition (geography, registered voters, contests) is served`, 'definition-mismatch')) return out;
    }
  }
  try { localStorage.setItem(SEEN, JSON.stringify(st)); } catch (e) { /* too large or no storage: the next visit starts again from entry 0 */ }
  try {
    localStorage.setItem(PIN, vkey.text);
    if (out.policyText) localStorage.setItem(PIN_POLICY, out.policyText);
  } catch (e) { /* not pinned */ }
  out.ok = checks.every((c) => c.ok);
  out.entryIndex = logIndex;
  out.resultsSha256 = mine;
  return out;
}
