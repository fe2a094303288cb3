// The transparency log's primitives for the browser, with WebCrypto only: SHA-256 and the
// RFC 6962 hashes, C2SP signed-note verifier keys, C2SP tlog-tiles paths and a tile reader
// computing subtree hashes, RFC 9162 inclusion (2.1.3.2) and consistency (2.1.4) proofs.

export const enc = new TextEncoder();
export const dec = new TextDecoder();

export function hex(bytes) { return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(''); }
export function b64decode(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
export function concat(...parts) {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
export function equal(a, b) { return a.length === b.length && a.every((x, i) => x === b[i]); }

export async function sha256(bytes) { return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)); }
export const leafHash = (entry) => sha256(concat(new Uint8Array([0]), entry));
export const nodeHash = (l, r) => sha256(concat(new Uint8Array([1]), l, r));

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

/** RFC 6962 SUBPROOF(m, D[lo:hi], b), computed from the tiles (m counts from lo). */
export async function subproof(tiles, m, lo, hi, b) {
  const n = hi - lo;
  if (m === n) return b ? [] : [await tiles.mth(lo, hi)];
  let k = 1;
  while (k * 2 < n) k *= 2;
  if (m <= k) return [...await subproof(tiles, m, lo, lo + k, b), await tiles.mth(lo + k, hi)];
  return [...await subproof(tiles, m - k, lo + k, hi, false), await tiles.mth(lo, lo + k)];
}

/**
 * RFC 9162 2.1.4.2: whether `proof` shows the tree (first, firstRoot) is a prefix of the
 * tree (second, secondRoot), 0 < first < second.
 */
export async function verifyConsistency(first, second, firstRoot, secondRoot, proof) {
  const path = (first & (first - 1)) === 0 ? [firstRoot, ...proof] : [...proof];
  if (path.length === 0) return false;
  let fn = first - 1, sn = second - 1;
  while (fn % 2 === 1) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
  let fr = path[0], sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(fr, firstRoot) && equal(sr, secondRoot);
}
