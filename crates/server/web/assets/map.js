// The tile-grid cartogram of the states (one square per state and DC, Maine's and
// Nebraska's congressional districts in a row of their own), and the party palette.

import { esc } from './data.js';

// [postal, column, row]
export const GRID = [
  ['AK', 0, 0], ['ME', 10, 0],
  ['WI', 5, 1], ['VT', 9, 1], ['NH', 10, 1],
  ['WA', 0, 2], ['ID', 1, 2], ['MT', 2, 2], ['ND', 3, 2], ['MN', 4, 2], ['IL', 5, 2], ['MI', 6, 2], ['NY', 8, 2], ['MA', 9, 2],
  ['OR', 0, 3], ['NV', 1, 3], ['WY', 2, 3], ['SD', 3, 3], ['IA', 4, 3], ['IN', 5, 3], ['OH', 6, 3], ['PA', 7, 3], ['NJ', 8, 3], ['CT', 9, 3], ['RI', 10, 3],
  ['CA', 0, 4], ['UT', 1, 4], ['CO', 2, 4], ['NE', 3, 4], ['MO', 4, 4], ['KY', 5, 4], ['WV', 6, 4], ['VA', 7, 4], ['MD', 8, 4], ['DE', 9, 4],
  ['AZ', 1, 5], ['NM', 2, 5], ['KS', 3, 5], ['AR', 4, 5], ['TN', 5, 5], ['NC', 6, 5], ['SC', 7, 5], ['DC', 8, 5],
  ['OK', 3, 6], ['LA', 4, 6], ['MS', 5, 6], ['AL', 6, 6], ['GA', 7, 6],
  ['HI', 0, 7], ['TX', 3, 7], ['FL', 8, 7],
];

const PALETTE = {
  DEM: ['#c6dbef', '#6baed6', '#1f5fa8'],
  REP: ['#fdd0a2', '#f08a4b', '#a63a10'],
  OTHER: ['#e5e7eb', '#9ca3af', '#4b5563'],
};
const NONE = '#f3f4f6';

export function partyKey(party) { return party === 'DEM' || party === 'REP' ? party : 'OTHER'; }

/** Fill and text colors for a party and margin (percent, a string like "3.25"): 3 shades. */
export function shade(party, marginPercent) {
  if (!party) return { fill: NONE, text: '#111827' };
  const m = Number(marginPercent || 0);
  const i = m >= 15 ? 2 : m >= 5 ? 1 : 0;
  return { fill: PALETTE[partyKey(party)][i], text: i === 2 ? '#ffffff' : '#111827' };
}

export function solid(party, light) { return PALETTE[partyKey(party)][light ? 0 : 2]; }

/** Legend items as HTML. */
export function legend() {
  const item = (color, label) => `<li><span class="swatch" style="background:${color}"></span>${esc(label)}</li>`;
  return `<ul class="legend" aria-label="Map legend">
    ${item(PALETTE.DEM[2], 'Democratic, margin 15+')}${item(PALETTE.DEM[1], '5–15')}${item(PALETTE.DEM[0], 'under 5')}
    ${item(PALETTE.REP[2], 'Republican, margin 15+')}${item(PALETTE.REP[1], '5–15')}${item(PALETTE.REP[0], 'under 5')}
    ${item(PALETTE.OTHER[1], 'Other')}${item(NONE, 'No results yet')}
    <li>Striped: leading, not yet decided · ✓ winner</li></ul>`;
}

/**
 * The map as an SVG string. `info(postal)` gives {party, margin, label, decided, href, title}
 * for a state, `districts` the same for ME/NE district tiles ({id, ...}).
 */
export function tileMap(info, districts) {
  const S = 56, G = 4;
  const rows = districts.length ? 9 : 8;
  const w = 11 * (S + G), h = rows * (S + G) + (districts.length ? 12 : 0);
  const tile = (x, y, d, label, sub) => {
    const c = shade(d.party, d.margin);
    // "Leading" stripes in bands above and below the labels, so the labels keep their
    // contrast against the solid fill.
    const stripes = d.party && !d.decided
      ? `<rect x="${x}" y="${y}" width="${S}" height="11" fill="url(#lead)" rx="4"/><rect x="${x}" y="${y + S - 9}" width="${S}" height="9" fill="url(#lead)" rx="4"/>`
      : '';
    return `<a href="${esc(d.href)}" aria-label="${esc(d.title)}"><title>${esc(d.title)}</title>
      <rect x="${x}" y="${y}" width="${S}" height="${S}" rx="4" fill="${c.fill}" stroke="#6b7280"/>${stripes}
      <text x="${x + S / 2}" y="${y + S / 2 - 2}" text-anchor="middle" fill="${c.text}">${esc(label)}</text>
      <text x="${x + S / 2}" y="${y + S / 2 + 14}" text-anchor="middle" fill="${c.text}" style="font-size:11px;font-weight:400">${esc(sub)}</text></a>`;
  };
  let out = `<svg viewBox="0 0 ${w} ${h}" role="group" aria-label="Map of the states colored by leader">
    <defs><pattern id="lead" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
    <rect width="3" height="8" fill="#ffffff" fill-opacity="0.55"/></pattern></defs>`;
  for (const [p, col, row] of GRID) {
    const d = info(p);
    out += tile(col * (S + G), row * (S + G), d, p, d.label || '');
  }
  districts.forEach((d, i) => {
    const y = 8 * (S + G) + 12;
    out += tile(i * (S + G), y, d, d.short, d.label || '');
  });
  if (districts.length) out += `<text x="0" y="${8 * (S + G) + 6}" style="font-size:11px" fill="#4b5563">Congressional districts (Maine, Nebraska)</text>`;
  return out + '</svg>';
}
