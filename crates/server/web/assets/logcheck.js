// The log's entries checked in the browser (docs/submissions.md "The log", docs/website.md
// "Verified in your browser"), with WebCrypto only.
//
// Every entry from the last checkpoint this browser verified (or from entry 0) to the new
// one is read from its entry bundle and hashed into the RFC 6962 frontier (the roots of the
// complete subtrees left to right), which must end at the signed root; on the way each entry
// is checked against the rules a server cannot break without the log showing it. What is
// needed to continue (the frontier, the keys, each jurisdiction's last sequence) is kept in
// localStorage with the checkpoint, so a later visit reads only the new entries.

import {
  enc, dec, hex, b64decode, concat, equal, sha256, leafHash, nodeHash, parseVkey, tilePath, TileReader,
  rootFromInclusion,
} from './tlog.js';

export const SEEN = 'canvass.seen';
export const unhex = (s) => new Uint8Array(s.match(/../g).map((x) => parseInt(x, 16)));

/** A problem found in the log: `rule` is the finding code `canvass verify` uses. */
class LogProblem extends Error {
  constructor(rule, message) { super(message); this.rule = rule; }
}

/** A signed document: `<type>\n<json>\n`, a blank line, `— <name> <base64(id || sig)>` lines. */
function parseDoc(text, index) {
  const cut = text.indexOf('\n\n');
  if (cut < 0) throw new LogProblem('malformed-entry', `log entry ${index} is not a signed document`);
  const body = text.slice(0, cut + 1);
  const lines = body.split('\n');
  const sigs = text.slice(cut + 2).split('\n').filter((l) => l !== '').map((l) => {
    const m = /^\u2014 (\S+) (\S+)$/.exec(l);
    if (!m) throw new LogProblem('malformed-entry', `log entry ${index}: malformed signature line`);
    const raw = b64decode(m[2]);
    return { name: m[1], id: hex(raw.slice(0, 4)), sig: raw.slice(4) };
  });
  let json;
  try { json = JSON.parse(lines[1]); } catch (e) { throw new LogProblem('malformed-entry', `log entry ${index}: the JSON line does not parse`); }
  return { body, type: lines[0], json, sigs };
}

/** The parsed vkeys and WebCrypto keys, by vkey text. */
const keyCache = new Map();
async function importVkey(text, what) {
  if (!keyCache.has(text)) {
    keyCache.set(text, (async () => {
      const k = await parseVkey(text, 1, what);
      return { ...k, idHex: hex(k.id), key: await crypto.subtle.importKey('raw', k.pub, { name: 'Ed25519' }, false, ['verify']) };
    })());
  }
  return keyCache.get(text);
}
const verifySig = (k, sig, body) => crypto.subtle.verify({ name: 'Ed25519' }, k.key, sig, enc.encode(body));

/** Whether the document carries a valid signature by the vkey `text`. */
async function signedBy(doc, text, what) {
  const k = await importVkey(text, what);
  const line = doc.sigs.find((s) => s.name === k.name && s.id === k.idHex);
  return !!line && verifySig(k, line.sig, doc.body);
}

/** Splits an entry bundle into its entries (2-byte big-endian length prefixes). */
function bundleEntries(b, bi) {
  const out = [];
  for (let o = 0; o < b.length;) {
    if (o + 2 > b.length) throw new LogProblem('tiles', `entry bundle ${bi} is cut short`);
    const len = (b[o] << 8) | b[o + 1];
    if (o + 2 + len > b.length) throw new LogProblem('tiles', `entry bundle ${bi} is cut short`);
    out.push(b.slice(o + 2, o + 2 + len));
    o += 2 + len;
  }
  return out;
}

/** The scan's state: a fresh one, or the one remembered with a verified checkpoint. */
function freshState() {
  return { size: 0, root: null, frontier: [], election: null, authority: null, logKey: null, definition: null, keys: {}, dead: {}, seq: {}, changes: 0 };
}

class Scan {
  constructor(st, vkey) {
    this.st = st;
    this.vkey = vkey;
    this.frontier = st.frontier.map(unhex);
    this.parts = [];
  }

  async add(entry, index) {
    // The frontier: merge the two rightmost subtrees while the leaf count says they are equal.
    let h = await leafHash(entry);
    for (let n = index; n % 2 === 1; n = Math.floor(n / 2)) h = await nodeHash(this.frontier.pop(), h);
    this.frontier.push(h);
    await this.rules(entry, index);
  }

  async root() {
    let r = this.frontier[this.frontier.length - 1];
    for (let k = this.frontier.length - 2; k >= 0; k--) r = await nodeHash(this.frontier[k], r);
    return r;
  }

  async openRoster(text, index) {
    const st = this.st;
    const doc = parseDoc(text, index);
    if (doc.type !== 'canvass-roster/v1') throw new LogProblem('roster', `log entry ${index} is not the roster`);
    const r = doc.json;
    if (!await signedBy(doc, r.authority, 'the roster\'s authority key')) {
      throw new LogProblem('unsigned-roster-change', `the roster (log entry ${index}) is not signed by the authority key it names, ${r.authority}`);
    }
    if (r.log !== this.vkey.text) throw new LogProblem('roster', `the roster names the log key ${r.log}, but the log is signed with ${this.vkey.text}`);
    st.election = r.election;
    st.authority = r.authority;
    st.logKey = r.log;
    st.definition = r.definition_sha256 ?? null;
    for (const j of r.jurisdictions) st.keys[j.id] = [j.key];
  }

  async rules(entry, index) {
    const st = this.st;
    const text = dec.decode(entry);
    const type = text.slice(0, text.indexOf('\n'));
    if (st.election === null && type !== 'canvass-roster/v1' && type !== 'canvass-roster-part/v1') {
      throw new LogProblem('roster', `log entry ${index} (${type}) comes before the roster: the log must begin with it`);
    }
    switch (type) {
      case 'canvass-roster/v1':
        if (index !== 0) throw new LogProblem('unsigned-roster-change', `log entry ${index} is a second roster`);
        return this.openRoster(text, index);
      case 'canvass-roster-part/v1': {
        const nl = text.indexOf('\n', type.length + 1);
        const head = JSON.parse(text.slice(type.length + 1, nl));
        if (st.election !== null || head.part !== this.parts.length + 1 || index !== this.parts.length) {
          throw new LogProblem('unsigned-roster-change', `log entry ${index} is roster part ${head.part} out of place`);
        }
        this.parts.push(entry.slice(enc.encode(text.slice(0, nl + 1)).length));
        if (head.part < head.parts) return undefined;
        const whole = concat(...this.parts);
        if (hex(await sha256(whole)) !== head.roster_sha256) throw new LogProblem('roster', `the roster parts (log entries 0-${index}) do not hash to their roster_sha256`);
        this.parts = [];
        return this.openRoster(dec.decode(whole), index);
      }
      case 'canvass-submission/v1': return this.submission(text, index);
      case 'canvass-snapshot/v1': {
        const snap = JSON.parse(text.split('\n')[1]);
        if (snap.after !== index) {
          throw new LogProblem('snapshot-position', `log entry ${index} is a results snapshot that says it is entry ${snap.after}: entries before it were deleted or reordered`);
        }
        return undefined;
      }
      case 'canvass-key-change/v1': return this.keyChange(text, index);
      case 'canvass-certification/v1':
      case 'canvass-audit/v1': {
        const doc = parseDoc(text, index);
        if (!await signedBy(doc, st.authority, 'the authority key')) throw new LogProblem('bad-signature', `log entry ${index} (${type}) is not signed by the authority`);
        return undefined;
      }
      default: throw new LogProblem('malformed-entry', `log entry ${index} has an unknown type line ${JSON.stringify(type.slice(0, 40))}`);
    }
  }

  async keyChange(text, index) {
    const st = this.st;
    const doc = parseDoc(text, index);
    const kc = doc.json;
    if (!await signedBy(doc, st.authority, 'the authority key')) throw new LogProblem('unsigned-roster-change', `log entry ${index}: a key change not signed by the authority`);
    if (kc.sequence !== st.changes + 1) throw new LogProblem('unsigned-roster-change', `log entry ${index}: key change ${kc.sequence} out of sequence (the last was ${st.changes})`);
    if (!st.keys[kc.jurisdiction]) throw new LogProblem('unsigned-roster-change', `log entry ${index}: a key change for ${kc.jurisdiction}, which is not in the roster`);
    st.changes = kc.sequence;
    const c = kc.change || {};
    if (c.action === 'revoke') {
      st.keys[kc.jurisdiction] = st.keys[kc.jurisdiction].filter((k) => k !== c.key);
      st.dead[c.key] = { how: 'revoked', at: index };
    } else if (c.action === 'rotate') {
      for (const k of st.keys[kc.jurisdiction]) st.dead[k] = { how: 'retired', at: index };
      st.keys[kc.jurisdiction] = [c.new];
    } else throw new LogProblem('unsigned-roster-change', `log entry ${index}: an unknown key change`);
  }

  async submission(text, index) {
    const st = this.st;
    const doc = parseDoc(text, index);
    const s = doc.json;
    const j = s.jurisdiction;
    if (s.election !== st.election) throw new LogProblem('wrong-election', `log entry ${index}: a submission for election ${s.election}, not ${st.election}`);
    if (!st.keys[j]) throw new LogProblem('unknown-key', `log entry ${index}: jurisdiction ${j} is not in the roster`);
    let signed = false;
    for (const k of st.keys[j]) {
      const key = await importVkey(k, `the key of ${j}`);
      const line = doc.sigs.find((x) => x.name === key.name && x.id === key.idHex);
      if (!line) continue;
      if (!await verifySig(key, line.sig, doc.body)) {
        throw new LogProblem('bad-signature', `log entry ${index}: the signature of jurisdiction ${j} (sequence ${s.sequence}) does not verify: the document was changed after it was signed`);
      }
      signed = true;
      break;
    }
    if (!signed) {
      for (const [k, d] of Object.entries(st.dead)) {
        const key = await importVkey(k, 'a revoked key');
        if (doc.sigs.some((x) => x.name === key.name && x.id === key.idHex)) {
          throw new LogProblem('revoked-key', `log entry ${index}: a submission of ${j} (sequence ${s.sequence}) signed with the key ${key.idHex}, which the authority ${d.how === 'revoked' ? 'revoked' : 'retired'} at log entry ${d.at}: a stolen or retired key was used`);
        }
      }
      throw new LogProblem('unknown-key', `log entry ${index}: the submission of ${j} is not signed by any of its keys in the roster`);
    }
    const last = st.seq[j];
    if (last && s.sequence <= last[0]) {
      throw new LogProblem('replay', `log entry ${index}: jurisdiction ${j}'s sequence ${s.sequence} is not above its sequence ${last[0]} logged at entry ${last[1]}: an already-logged submission was logged again`);
    }
    st.seq[j] = [s.sequence, index];
  }
}

/**
 * Reads and checks the entries [from, cp.size) of the log, continuing the remembered state
 * `seen` (or from entry 0). `progress(done, total)` is called after each entry bundle.
 * Returns the new state (to remember once everything else passed); throws a LogProblem.
 */
export async function scanLog({ cp, vkey, get, seen, progress }) {
  const st = seen ? JSON.parse(JSON.stringify(seen)) : freshState();
  const scan = new Scan(st, vkey);
  const bundles = new Map();
  const bundle = (bi) => {
    if (!bundles.has(bi)) bundles.set(bi, get(tilePath('entries', bi, cp.size)));
    return bundles.get(bi);
  };
  for (let i = st.size; i < cp.size;) {
    const bi = Math.floor(i / 256);
    for (let k = 1; k <= 3 && (bi + k) * 256 < cp.size; k++) bundle(bi + k).catch(() => {});
    const entries = bundleEntries(await bundle(bi), bi);
    bundles.delete(bi);
    const want = Math.min(256, cp.size - 256 * bi);
    if (entries.length !== want) throw new LogProblem('tiles', `entry bundle ${bi} holds ${entries.length} entries, not ${want}`);
    for (; i < 256 * bi + want; i++) await scan.add(entries[i - 256 * bi], i);
    if (progress) progress(i, cp.size);
  }
  if (scan.parts.length) throw new LogProblem('roster', 'the log ends inside the roster\'s parts');
  if (cp.size > 0 && !equal(await scan.root(), cp.root)) {
    throw new LogProblem('fork', `the log's entries ${st.size ? `from ${st.size} (where this browser stopped last time) ` : ''}do not hash to the signed root: entries were changed, deleted or reordered, or the entry bundles differ from the tree`);
  }
  st.size = cp.size;
  st.root = hex(cp.root);
  st.frontier = scan.frontier.map(hex);
  return st;
}

/** The state remembered with the last checkpoint this browser verified, or null. */
export function loadSeen(vkey) {
  try {
    const s = JSON.parse(localStorage.getItem(SEEN) || 'null');
    return s && s.logKey === vkey.text ? s : null;
  } catch (e) { return null; }
}

/**
 * Checks a jurisdiction's history as the server lists it (`rows`, from its index) against
 * the log under the verified checkpoint `cp`: each row's entry is in the signed tree, is that
 * jurisdiction's submission with that sequence and digest; `getDocument(i)` (live servers:
 * the stored copy at `api/submissions/{i}`) must be the logged bytes. Returns one check.
 */
export async function verifyHistory({ jurisdiction, rows, cp, get, getDocument }) {
  const name = `Stored submissions of ${jurisdiction} equal their log entries`;
  const fail = (detail) => ({ name, ok: false, rule: 'store-differs', detail });
  const tiles = new TileReader(cp.size, get);
  let n = 0;
  for (const row of rows) {
    const i = row.log_index;
    if (i >= cp.size) continue;
    const entry = await tiles.entry(i);
    const root = await rootFromInclusion(i, cp.size, await leafHash(entry), await tiles.path(i, 0, cp.size));
    if (!equal(root, cp.root)) return fail(`log entry ${i} as read from the tiles is not in the signed tree`);
    const text = dec.decode(entry);
    if (!text.startsWith('canvass-submission/v1\n')) return fail(`the server lists log entry ${i} as a submission of ${jurisdiction}, but that entry is not a submission`);
    const doc = parseDoc(text, i);
    const digest = hex(await sha256(enc.encode(doc.body)));
    if (doc.json.jurisdiction !== jurisdiction || doc.json.sequence !== row.sequence || digest !== row.digest) {
      return fail(`the server's index says log entry ${i} is ${jurisdiction}'s sequence ${row.sequence} with digest ${row.digest}; the log holds ${doc.json.jurisdiction}'s sequence ${doc.json.sequence} with digest ${digest}`);
    }
    if (getDocument) {
      const stored = await getDocument(i);
      if (stored !== null && stored !== text) {
        let at = 0;
        while (at < text.length && stored[at] === text[at]) at++;
        return fail(`the server's stored copy of log entry ${i} (api/submissions/${i}) differs from the logged document from character ${at}: “…${stored.slice(Math.max(0, at - 20), at + 20)}…” where the log has “…${text.slice(Math.max(0, at - 20), at + 20)}…”`);
      }
    }
    n++;
  }
  return { name, ok: true, detail: `${n} listed submission(s) are the logged documents (digest, sequence${getDocument ? ', stored bytes' : ''})` };
}

