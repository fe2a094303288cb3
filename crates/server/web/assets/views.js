// The pages: national overview, state, contest, history, search, downloads. Each view is a
// function (root, params) that renders from the data layer's current results; views are
// re-rendered when a new snapshot arrives.

import { state, esc, fmt, pct, getJson, apiUrl } from './data.js';
import { tileMap, legend, shade, solid, partyKey } from './map.js';

const OFFICE_ORDER = ['president', 'senate', 'governor', 'house', 'measure', 'other'];
const OFFICE_NAME = { president: 'President', senate: 'Senate', governor: 'Governor', house: 'House', measure: 'Ballot measures', other: 'Other contests' };

const contests = () => state.results?.contests || [];
export function stateName(p) { return state.geo?.states?.find((s) => s.postal === p)?.name || p; }
function countyName(fips) { return state.geo?.counties?.find((c) => c.fips === fips)?.name || fips; }

/** Party of a selection name, from every contest's selections. */
function partyOf(name) {
  if (!name) return null;
  for (const c of contests()) for (const s of c.selections || []) if (s.name === name) return s.party || 'OTHER';
  return 'OTHER';
}
/** A short display name: the surname of a candidate or of a ticket's first name. */
function short(name) {
  const n = String(name || '').split(' / ')[0];
  if (n.includes(',')) return n.split(',')[0];
  const words = n.split(' ').filter((w) => !/^(Jr\.?|Sr\.?|II|III|IV)$/.test(w));
  return words.slice(-1)[0] || n;
}
function statusText(c) {
  const r = `${pct(c.precincts_reported, c.precincts_expected)} of precincts reporting`;
  if (c.status === 'not-reporting') return 'No results yet';
  return c.status === 'complete' ? `All precincts reporting` : r;
}
function contestLink(c) { return `#/contest/${encodeURIComponent(c.id)}`; }

function flags(c) {
  const f = [];
  if (c.winners?.length) f.push(`<span class="flag">Winner: ${esc(c.winners.join(', '))}</span>`);
  if (c.runoff?.length) f.push(`<span class="flag">Runoff: ${esc(c.runoff.join(' vs '))}</span>`);
  if (c.recount) f.push(`<span class="flag">${c.recount.automatic ? 'Automatic recount' : 'Recount may be requested'} (margin ${fmt(c.recount.margin_votes)} votes)</span>`);
  if (c.tie) f.push('<span class="flag flag-bad">Tied</span>');
  if (c.needs_ranked_choice_rounds) f.push('<span class="flag">Ranked-choice rounds needed</span>');
  if (c.passed === true) f.push('<span class="flag">Passed</span>');
  if (c.passed === false) f.push('<span class="flag">Failed</span>');
  if (c.flags?.length) f.push(`<span class="flag flag-bad">${c.flags.length} reporting unit(s) do not balance</span>`);
  return f.join(' ');
}

// ---- chamber and College bars ----

function bar(segments, total, line, lineLabel, label) {
  const spans = segments.filter((s) => s.n > 0).map((s) =>
    `<span style="width:${(100 * s.n / total).toFixed(3)}%;background:${s.color}" title="${esc(s.title)}"></span>`).join('');
  const pos = (100 * line / total).toFixed(3);
  return `<div class="bar-wrap" role="img" aria-label="${esc(label)}"><div class="bar">${spans}</div>
    <div class="bar-line" style="left:${pos}%"></div><div class="bar-line-label" style="left:${pos}%">${esc(lineLabel)}</div></div>`;
}

function electoralCollege(ec) {
  const tickets = [...new Set([...Object.keys(ec.won_or_leading || {}), ...Object.keys(ec.won || {})])];
  const order = (t) => ({ DEM: 0, REP: 2 }[partyOf(t)] ?? 1);
  tickets.sort((a, b) => order(a) - order(b));
  const segs = [];
  const reversed = (t) => order(t) === 2;
  for (const t of tickets) {
    const won = ec.won?.[t] || 0, lead = (ec.won_or_leading?.[t] || 0) - won, p = partyOf(t);
    const s = [{ n: won, color: solid(p, false), title: `${t}: ${won} won` }, { n: lead, color: solid(p, true), title: `${t}: ${lead} leading` }];
    if (reversed(t)) s.reverse();
    if (reversed(t)) segs.push({ gap: true });
    segs.push(...s);
  }
  const decided = tickets.reduce((a, t) => a + (ec.won_or_leading?.[t] || 0), 0);
  const gapAt = segs.findIndex((s) => s.gap);
  const undecided = { n: ec.total - decided, color: '#f3f4f6', title: `${ec.total - decided} not yet called` };
  if (gapAt >= 0) segs.splice(gapAt, 1, undecided); else segs.push(undecided);
  const main = tickets.filter((t) => partyOf(t) === 'DEM' || partyOf(t) === 'REP');
  const fig = (t, right) => `<div${right ? ' style="text-align:right"' : ''}><div class="big" data-ticket="${esc(t)}" data-won="${ec.won?.[t] || 0}">${ec.won?.[t] || 0}</div>
    <div>${esc(t)}</div><div class="muted">${(ec.won_or_leading?.[t] || 0) - (ec.won?.[t] || 0)} more leading</div></div>`;
  const winner = ec.winner ? `<p class="winner">Projected by the count: ${esc(ec.winner)} wins the presidency.</p>`
    : ec.tie ? '<p class="winner">269–269 tie: the House chooses (12th Amendment).</p>'
      : ec.contingent_election ? '<p class="winner">No majority: the House chooses (12th Amendment).</p>' : '';
  const label = `Electoral College: ${tickets.map((t) => `${t} ${ec.won?.[t] || 0} won, ${(ec.won_or_leading?.[t] || 0) - (ec.won?.[t] || 0)} leading`).join('; ')}; ${ec.to_win} needed to win`;
  return `<section aria-labelledby="ec-h"><h2 id="ec-h">Electoral College</h2>
    <div class="ec-figures" id="ec-figures">${main.map((t, i) => fig(t, i === main.length - 1 && main.length > 1)).join('')}</div>
    ${bar(segs, ec.total, ec.to_win, `${ec.to_win} to win`, label)}${winner}</section>`;
}

function chamber(title, b) {
  if (!b) return '';
  const parties = Object.keys(b.parties || {}).sort((x, y) => ({ DEM: 0, REP: 2 }[x] ?? 1) - ({ DEM: 0, REP: 2 }[y] ?? 1));
  const segs = [];
  let assigned = 0;
  for (const p of parties) {
    const s = b.parties[p];
    const hard = (s.holdover || 0) + (s.won || 0);
    assigned += hard + (s.leading || 0);
    const two = [{ n: hard, color: solid(p, false), title: `${p}: ${hard} held or won` }, { n: s.leading || 0, color: solid(p, true), title: `${p}: ${s.leading || 0} leading` }];
    if (partyKey(p) === 'REP') { segs.push({ gap: true }); two.reverse(); }
    segs.push(...two);
  }
  const rest = { n: Math.max(0, b.seats - assigned), color: '#f3f4f6', title: 'undecided' };
  const g = segs.findIndex((s) => s.gap);
  if (g >= 0) segs.splice(g, 1, rest); else segs.push(rest);
  const rows = parties.map((p) => { const s = b.parties[p]; return `<tr><th scope="row">${esc(p)}</th><td class="num">${s.holdover || 0}</td><td class="num">${s.won || 0}</td><td class="num">${s.leading || 0}</td><td class="num">${(s.holdover || 0) + (s.won || 0) + (s.leading || 0)}</td></tr>`; }).join('');
  return `<div class="card"><h3>${esc(title)}</h3>
    ${bar(segs, b.seats, b.majority, `${b.majority} for majority`, `${title}: ${parties.map((p) => `${p} ${(b.parties[p].holdover || 0) + (b.parties[p].won || 0)} held or won, ${b.parties[p].leading || 0} leading`).join('; ')}; ${b.majority} for a majority of ${b.seats}`)}
    <table><caption class="muted">${b.seats} seats, ${b.undecided} undecided</caption><thead><tr><th scope="col">Party</th><th scope="col" class="num">Not up</th><th scope="col" class="num">Won</th><th scope="col" class="num">Leading</th><th scope="col" class="num">Total</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

// ---- pages ----

export function overview(root) {
  const r = state.results;
  if (!r) { root.innerHTML = '<p>Loading…</p>'; return; }
  const pres = contests().filter((c) => c.office === 'president');
  const ec = r.electoral_college;
  const rep = pres.reduce((a, c) => [a[0] + c.precincts_reported, a[1] + c.precincts_expected], [0, 0]);
  const allRep = contests().reduce((a, c) => [a[0] + c.precincts_reported, a[1] + c.precincts_expected], [0, 0]);
  const byState = new Map(pres.filter((c) => !c.district).map((c) => [c.state, c]));
  const ecState = new Map((ec?.states || []).map((s) => [s.state, s]));
  const info = (p) => {
    const c = byState.get(p), e = ecState.get(p);
    const award = e?.awards?.find((a) => a.scope === 'state') || e?.awards?.[0];
    const who = award?.winner || award?.leader || c?.leader;
    const party = who ? partyOf(who) : null;
    const ev = e ? `${e.electoral_votes} EV` : '';
    const title = `${stateName(p)}${e ? `, ${e.electoral_votes} electoral votes` : ''}: ${who ? `${who} ${award?.winner ? 'won' : 'leading'}${c ? `, margin ${c.margin_percent} points` : ''}` : 'no results yet'}${c ? `, ${statusText(c)}` : ''}`;
    return { party, margin: c?.margin_percent, decided: !!award?.winner, href: `#/state/${p}`, title, label: ev };
  };
  const districts = [];
  for (const e of ec?.states || []) {
    for (const a of e.awards || []) {
      if (a.scope === 'state') continue;
      const who = a.winner || a.leader;
      const c = byState.get(e.state);
      const area = c?.districts?.find((d) => d.id === a.scope);
      let margin = null;
      if (area) {
        const v = Object.values(area.totals).sort((x, y) => y - x);
        const tot = v.reduce((s, x) => s + x, 0);
        margin = tot ? (100 * ((v[0] || 0) - (v[1] || 0)) / tot).toFixed(2) : null;
      }
      districts.push({ short: a.scope.replace(/^([A-Z]{2})-0*/, '$1-'), party: who ? partyOf(who) : null, margin: margin ?? '10', decided: !!a.winner,
        href: `#/state/${e.state}`, label: `${a.electoral_votes} EV`,
        title: `${stateName(e.state)} district ${a.scope}, ${a.electoral_votes} electoral vote(s): ${who ? `${who} ${a.winner ? 'won' : 'leading'}` : 'no results yet'}` });
    }
  }
  const bal = r.balance || {};
  root.innerHTML = `<h1>${esc(state.geo?.name || r.election)}</h1>
    <p class="muted" id="reporting">${fmt(rep[0])} of ${fmt(rep[1])} presidential reporting units in (${pct(rep[0], rep[1], 1)}); ${pct(allRep[0], allRep[1], 1)} across all ${fmt(contests().length)} contests.</p>
    <div class="progress" role="progressbar" aria-label="National reporting" aria-valuemin="0" aria-valuemax="100" aria-valuenow="${rep[1] ? Math.round(100 * rep[0] / rep[1]) : 0}"><span style="width:${rep[1] ? (100 * rep[0] / rep[1]).toFixed(2) : 0}%"></span></div>
    ${ec ? electoralCollege(ec) : ''}
    ${ec ? `<section aria-labelledby="map-h" class="map"><h2 id="map-h">States</h2>${legend()}${tileMap(info, districts)}</section>` : ''}
    <section aria-labelledby="bal-h"><h2 id="bal-h">Balance of power</h2><div class="grid2">
      ${chamber('Senate', bal.senate)}${chamber('House', bal.house)}${chamber('Governors', bal.governors)}</div></section>
    <section aria-labelledby="feed-h"><h2 id="feed-h">Latest submissions</h2>${feed()}</section>`;
}

export function feed() {
  if (!state.events.length) return `<p class="muted" id="feed">${state.mode === 'live' ? 'Waiting for new submissions…' : 'This is a static copy, refreshed as results change.'}</p>`;
  return `<ol class="feed" id="feed">${state.events.map((e) => {
    const t = e.at.toLocaleTimeString();
    if (e.type === 'accepted') return `<li>${esc(t)}: <a href="#/history/${encodeURIComponent(e.jurisdiction)}">${esc(jurisdictionName(e.jurisdiction))}</a> ${e.amendment ? 'amended its results' : `submitted results (#${e.sequence})`}, log entry ${e.log_index}</li>`;
    if (e.type === 'certified') return `<li>${esc(t)}: ${esc(stateName(e.state))} certified its results (log entry ${e.log_index})</li>`;
    return `<li>${esc(t)}: key change (log entry ${e.log_index})</li>`;
  }).join('')}</ol>`;
}

function jurisdictionName(id) { return state.geo?.jurisdictions?.find((j) => j.id === id)?.name || id; }

function selectionsTable(c, caption, bars = true) {
  const total = (c.selections || []).reduce((a, s) => a + s.votes, 0);
  const rows = [...(c.selections || [])].sort((a, b) => b.votes - a.votes).map((s) => {
    const win = c.winners?.includes(s.name);
    const p = s.party || 'OTHER';
    return `<tr${win ? ' class="winner"' : ''}><th scope="row">${win ? '<span aria-label="winner">✓</span> ' : ''}${esc(s.name)}${!bars && s.party ? ` <span class="muted">(${esc(s.party)})</span>` : ''}</th>
      ${bars ? `<td class="hide-narrow">${esc(s.party || '')}</td>` : ''}<td class="num">${fmt(s.votes)}</td><td class="num">${esc(s.percent)}%</td>
      ${bars ? `<td class="hide-narrow"><div class="sel-bar"><span style="width:${total ? (100 * s.votes / total).toFixed(2) : 0}%;background:${solid(p, false)}"></span></div></td>` : ''}</tr>`;
  }).join('');
  return `<div class="table-scroll"><table><caption class="muted">${esc(caption)}</caption><thead><tr><th scope="col">Selection</th>${bars ? '<th scope="col" class="hide-narrow">Party</th>' : ''}<th scope="col" class="num">Votes</th><th scope="col" class="num">Share</th>${bars ? '<th scope="col" class="hide-narrow"><span class="sr-only">Share bar</span></th>' : ''}</tr></thead><tbody>${rows}</tbody></table></div>`;
}

function contestCard(c) {
  return `<article class="card" aria-labelledby="c-${esc(c.id)}"><h3 id="c-${esc(c.id)}"><a href="${contestLink(c)}">${esc(c.name)}</a></h3>
    <p>${flags(c)}</p>${selectionsTable(c, `${statusText(c)}; ${fmt(c.ballots)} ballots`, false)}</article>`;
}

/**
 * Per-county rows of `c` (areas), with the geography's names, precincts and registration.
 * `reported` maps a county to its reporting units counted (from the contest's units).
 */
function countyTable(c, areas, reported) {
  const rows = areas.map((a) => {
    const g = state.geo?.counties?.find((x) => x.fips === a.id);
    const v = Object.entries(a.totals).sort((x, y) => y[1] - x[1]);
    const tot = v.reduce((s, x) => s + x[1], 0);
    const lead = v[0] && v[0][1] > 0 ? v[0][0] : null;
    const margin = lead && tot ? (100 * (v[0][1] - (v[1]?.[1] || 0)) / tot).toFixed(1) : null;
    const expected = g?.precincts || 1;
    const got = reported ? (reported.get(a.id) || 0) : null;
    const reporting = got !== null ? `${pct(Math.min(got, expected), expected)} (${fmt(got)}/${fmt(expected)})` : '—';
    const sh = shade(lead ? partyOf(lead) : null, margin);
    return `<tr><th scope="row">${esc(g?.name || a.id)}</th><td><span class="swatch" style="background:${sh.fill}"></span>${esc(lead ? short(lead) : '—')}</td>
      <td class="num">${margin ? `+${margin}` : '—'}</td><td class="num">${fmt(a.ballots)}</td>
      <td class="num">${g?.registered ? pct(a.ballots, g.registered, 1) : '—'}</td><td class="num">${esc(reporting)}</td></tr>`;
  }).join('');
  return `<div class="table-scroll"><table id="county-table"><caption>Counties: ${esc(c.name)}</caption><thead><tr><th scope="col">County</th><th scope="col">Leader</th><th scope="col" class="num">Margin (pts)</th><th scope="col" class="num">Ballots</th><th scope="col" class="num">Turnout</th><th scope="col" class="num">Precincts reporting</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

export async function statePage(root, postal) {
  const p = postal.toUpperCase();
  const cs = contests().filter((c) => c.state === p);
  if (!cs.length) { root.innerHTML = `<h1>${esc(p)}</h1><p>No contest is held in ${esc(p)} in this election. <a href="#/">Back to the nation</a></p>`; return; }
  const ec = state.results.electoral_college?.states?.find((s) => s.state === p);
  const groups = OFFICE_ORDER.map((o) => [o, cs.filter((c) => c.office === o)]).filter(([, l]) => l.length);
  const juris = (state.geo?.jurisdictions || []).filter((j) => j.state === p);
  const ecLine = ec ? `<p>${ec.electoral_votes} electoral votes (${esc(ec.allocation)}): ${ec.awards.map((a) => `${esc(a.scope === 'state' ? 'statewide' : a.scope)} ${a.electoral_votes}: ${esc(a.winner ? `${a.winner} won` : a.leader ? `${a.leader} leading` : 'no results')}`).join('; ')}</p>` : '';
  root.innerHTML = `<p class="crumbs"><a href="#/">Nation</a> › ${esc(stateName(p))}</p><h1>${esc(stateName(p))}</h1>${ecLine}
    <section aria-labelledby="counties-h"><h2 id="counties-h">Counties</h2><div id="counties"><p class="muted">Loading county results…</p></div></section>
    ${groups.map(([o, l]) => `<section aria-labelledby="g-${o}"><h2 id="g-${o}">${OFFICE_NAME[o]}</h2><div class="grid2">${l.map(contestCard).join('')}</div></section>`).join('')}
    <section aria-labelledby="hist-h"><h2 id="hist-h">Submissions by jurisdiction</h2>${juris.length ? `<details><summary>${juris.length} reporting jurisdictions</summary><ul>${juris.map((j) => `<li><a href="#/history/${encodeURIComponent(j.id)}">${esc(j.name)}</a></li>`).join('')}</ul></details>` : '<p class="muted">No jurisdictions listed.</p>'}</section>`;
  const main = cs.find((c) => c.office === 'president') || cs.find((c) => !c.district) || cs[0];
  const full = main.counties ? main : await getJson(`api/contests/${encodeURIComponent(main.id)}`).catch(() => null);
  const el = root.querySelector('#counties');
  if (!el) return;
  let reported = null;
  if (full?.precincts) {
    const units = await getJson(`api/geo/${p}`).catch(() => null);
    reported = new Map();
    for (const u of full.precincts) {
      const county = units?.units?.[u.id] ?? u.id;
      reported.set(county, (reported.get(county) || 0) + 1);
    }
  }
  el.innerHTML = full?.counties?.length ? countyTable(full, full.counties, reported)
    : '<p class="muted">The published results have no county breakdown for this state yet.</p>';
}

function areaTable(title, c, areas, name) {
  const names = (c.selections || []).map((s) => s.name);
  const shown = areas.slice(0, 500);
  return `<details${areas.length <= 60 ? ' open' : ''}><summary>${esc(title)} (${fmt(areas.length)})</summary><div class="table-scroll"><table><thead><tr><th scope="col">${esc(title)}</th>${names.map((n) => `<th scope="col" class="num">${esc(short(n))}</th>`).join('')}<th scope="col" class="num">Ballots</th></tr></thead><tbody>
    ${shown.map((a) => `<tr><th scope="row">${esc(name(a.id))}</th>${names.map((n) => `<td class="num">${fmt(a.totals[n])}</td>`).join('')}<td class="num">${fmt(a.ballots)}</td></tr>`).join('')}
    </tbody></table></div>${areas.length > shown.length ? `<p class="muted">First ${shown.length} of ${fmt(areas.length)} shown; the full list is in the <a href="#/downloads">downloads</a>.</p>` : ''}</details>`;
}

/** A contest's ranked-choice rounds (`rcv` in docs/results-json.md) as a table and a transfer chart; `key` names its ids. */
function rounds(rcv, title = 'Ranked-choice rounds', key = 'rcv') {
  const rs = rcv.rounds || [];
  const stopped = rcv.stopped ? `<p class="flag" role="alert">The count stopped: ${esc(rcv.stopped)}</p>` : '';
  if (!rs.length) return `<section aria-labelledby="${key}-h"><h2 id="${key}-h">${esc(title)}</h2>${stopped}</section>`;
  const names = Object.keys(rs[0].tally);
  const inactive = (r) => Object.values(r.inactive || {}).reduce((a, x) => a + Number(x || 0), 0);
  const rules = [rcv.batch_elimination ? 'every candidate who cannot win is eliminated at once' : 'the last candidate is eliminated each round',
    rcv.continue_until_two ? 'rounds go on until two candidates remain' : 'the count stops at a majority of continuing ballots'].join('; ');
  const table = `<div class="table-scroll"><table id="${key}-rounds"><caption>Round-by-round count of ${fmt(rcv.ballots)} ballots (${fmt(rcv.undervotes)} rank nobody). Rules: ${esc(rules)}.</caption>
    <thead><tr><th scope="col">Candidate</th>${rs.map((r) => `<th scope="col" class="num">Round ${r.round}</th>`).join('')}</tr></thead><tbody>
    ${names.map((n) => `<tr><th scope="row">${esc(n)}</th>${rs.map((r) => `<td class="num">${n in r.tally ? fmt(r.tally[n]) : ''}</td>`).join('')}</tr>`).join('')}
    <tr><th scope="row">Inactive ballots</th>${rs.map((r) => `<td class="num">${fmt(inactive(r))}</td>`).join('')}</tr>
    <tr><th scope="row">Votes to win</th>${rs.map((r) => `<td class="num">${fmt(r.threshold)}</td>`).join('')}</tr>
    <tr><th scope="row">Outcome</th>${rs.map((r) => `<td>${[...r.elected.map((n) => `${esc(short(n))} elected`), ...r.eliminated.map((n) => `${esc(short(n))} eliminated`)].join('<br>')}</td>`).join('')}</tr>
    </tbody></table></div>${rcv.winner ? `<p>Winner after ${rs.length} round${rs.length > 1 ? 's' : ''}: <strong>${esc(rcv.winner)}</strong>.</p>` : ''}${stopped}`;
  // Flow chart: one column per round, a bar per candidate still counted, lines for transfers.
  const W = Math.max(640, rs.length * 160), H = 50 + names.length * 30, colW = W / rs.length;
  const max = Math.max(1, ...rs.map((r) => Object.values(r.tally).reduce((a, x) => a + Number(x), 0)));
  const y = (i) => 30 + i * 30;
  const x = (k) => k * colW + 10;
  const bw = (v) => Math.max(1, (colW - 60) * Number(v || 0) / max);
  let svg = '';
  rs.forEach((r, k) => {
    svg += `<text x="${x(k)}" y="16" style="font-size:12px;font-weight:700">Round ${r.round}</text>`;
    names.forEach((n, i) => {
      if (!(n in r.tally)) return;
      svg += `<rect x="${x(k)}" y="${y(i)}" width="${bw(r.tally[n])}" height="18" fill="${solid(i % 2 ? 'REP' : 'DEM', false)}"><title>${esc(n)}: ${fmt(r.tally[n])} votes in round ${r.round}</title></rect>`;
    });
    if (k + 1 >= rs.length) return;
    for (const t of r.transfers || []) {
      const from = names.indexOf(t.from);
      if (from < 0) continue;
      const ti = t.to == null ? -1 : names.indexOf(t.to);
      const ty = ti >= 0 ? y(ti) + 9 : H - 8;
      svg += `<path d="M${x(k) + bw(r.tally[t.from])},${y(from) + 9} C${x(k + 1) - 30},${y(from) + 9} ${x(k + 1) - 40},${ty} ${x(k + 1)},${ty}" stroke="#4b5563" stroke-opacity="0.6" fill="none" stroke-width="${Math.max(1, 48 * t.votes / max)}"><title>${esc(t.from)} → ${t.to == null ? 'inactive' : esc(t.to)}: ${fmt(t.votes)}</title></path>`;
    }
  });
  names.forEach((n, i) => { svg += `<text x="${W - 4}" y="${y(i) + 14}" text-anchor="end" style="font-size:11px">${esc(short(n))}</text>`; });
  const chart = `<figure class="flow"><figcaption>Transfers between rounds (line width: votes moved; lines to the bottom edge: ballots that became inactive)</figcaption>
    <svg viewBox="0 0 ${W} ${H}" role="img" aria-label="Flow of transferred votes between rounds; the table above has the same figures">${svg}</svg></figure>`;
  return `<section aria-labelledby="${key}-h"><h2 id="${key}-h">${esc(title)}</h2>${table}${chart}</section>`;
}

export async function contestPage(root, id) {
  let c = contests().find((x) => x.id === id);
  if (!c) { root.innerHTML = `<h1>Contest not found</h1><p>No contest ${esc(id)} in this election. Try the <a href="#/search?q=${encodeURIComponent(id)}">search</a>.</p>`; return; }
  const render = (c) => {
    const levels = [];
    if (c.counties?.length) levels.push(areaTable('County', c, c.counties, countyName));
    if (c.districts?.length) levels.push(areaTable('District', c, c.districts, (d) => d));
    if (c.precincts?.length) levels.push(areaTable('Precinct', c, c.precincts, (d) => d));
    const rcv = (c.rcv ? rounds(c.rcv) : c.needs_ranked_choice_rounds
      ? '<section><h2>Ranked-choice rounds</h2><p>First choices do not decide this contest. The rounds are counted once every reporting jurisdiction has sent its ballots\' rankings.</p></section>' : '')
      + (c.district_rcv || []).map((d) => rounds(d.rcv, `Ranked-choice rounds in district ${d.district} (its elector)`, `rcv-${d.district}`)).join('');
    root.innerHTML = `<p class="crumbs"><a href="#/">Nation</a>${c.state ? ` › <a href="#/state/${esc(c.state)}">${esc(stateName(c.state))}</a>` : ''} › ${esc(c.name)}</p>
      <h1>${esc(c.name)}</h1><p>${flags(c)}</p>
      <p>${esc(statusText(c))}. ${fmt(c.ballots)} ballots, ${fmt(c.overvotes)} overvotes, ${fmt(c.undervotes)} undervotes. Margin ${fmt(c.margin_votes)} votes (${esc(c.margin_percent)} points).</p>
      <section aria-labelledby="tot-h"><h2 id="tot-h">Totals</h2>${selectionsTable(c, c.state ? `All of ${stateName(c.state)}${c.district ? `, district ${c.district}` : ''}` : 'Nationwide')}</section>
      ${rcv}
      <section aria-labelledby="lv-h"><h2 id="lv-h">By area</h2>${levels.length ? levels.join('') : '<p class="muted">The published results have no breakdown by area for this contest yet.</p>'}</section>
      <p><a href="${apiUrl(`api/contests/${encodeURIComponent(c.id)}`)}">This contest as JSON</a></p>`;
  };
  render(c);
  const full = await getJson(`api/contests/${encodeURIComponent(id)}`).catch(() => null);
  if (full && location.hash.startsWith(`#/contest/${encodeURIComponent(id)}`)) render(full);
}

export async function historyPage(root, j) {
  root.innerHTML = `<p class="crumbs"><a href="#/">Nation</a> › History</p><h1>${esc(jurisdictionName(j))}</h1><p>Loading…</p>`;
  const h = await getJson(`api/jurisdictions/${encodeURIComponent(j)}/submissions`).catch(() => null);
  const subs = h?.submissions || [];
  const g = state.geo?.jurisdictions?.find((x) => x.id === j);
  root.innerHTML = `<p class="crumbs"><a href="#/">Nation</a>${g ? ` › <a href="#/state/${esc(g.state)}">${esc(stateName(g.state))}</a>` : ''} › History</p>
    <h1>${esc(jurisdictionName(j))} <span class="muted">(${esc(j)})</span></h1>
    <p>Every version this jurisdiction submitted, oldest first. Nothing is overwritten: an amendment is a new signed, logged version that supersedes an earlier one, and says why.</p>
    ${subs.length ? `<div class="table-scroll"><table id="history"><thead><tr><th scope="col">Sequence</th><th scope="col">Received (UTC)</th><th scope="col" class="num">Log entry</th><th scope="col">Amends</th><th scope="col">Reason</th><th scope="col">Digest</th></tr></thead><tbody>
    ${subs.map((s) => `<tr><td>${s.sequence}</td><td>${esc(new Date(s.received_at * 1000).toISOString().replace('T', ' ').slice(0, 19))}</td>
      <td class="num">${state.mode === 'live' ? `<a href="api/submissions/${s.log_index}">${s.log_index}</a>` : s.log_index}</td><td>${s.supersedes ? `#${s.supersedes}` : ''}</td><td>${esc(s.reason || '')}</td><td><span class="hash">${esc(s.digest.slice(0, 16))}…</span></td></tr>`).join('')}
    </tbody></table></div>` : '<p>No submissions yet.</p>'}`;
}

export function searchPage(root, q) {
  const needle = q.trim().toLowerCase();
  const hits = [];
  if (needle) {
    for (const s of state.geo?.states || []) if (s.name.toLowerCase().includes(needle) || s.postal.toLowerCase() === needle) hits.push({ kind: 'State', label: s.name, href: `#/state/${s.postal}` });
    for (const c of state.geo?.counties || []) if (c.name.toLowerCase().includes(needle) || c.fips === needle) hits.push({ kind: 'County', label: `${c.name}, ${c.state}`, href: `#/state/${c.state}`, extra: ` · <a href="#/history/${encodeURIComponent(c.fips)}">submissions</a>` });
    for (const c of contests()) if (c.name.toLowerCase().includes(needle) || c.id.toLowerCase().includes(needle)) hits.push({ kind: 'Contest', label: c.name, href: contestLink(c) });
    if (!state.geo) for (const p of new Set(contests().map((c) => c.state).filter(Boolean))) if (p.toLowerCase() === needle) hits.push({ kind: 'State', label: p, href: `#/state/${p}` });
  }
  const shown = hits.slice(0, 200);
  root.innerHTML = `<h1>Search</h1><p role="status">${needle ? `${hits.length} result(s) for “${esc(q)}”${hits.length > shown.length ? `; the first ${shown.length} are shown` : ''}.` : 'Type a state, county or contest in the search box.'}</p>
    <ul id="search-results">${shown.map((h) => `<li>${esc(h.kind)}: <a href="${esc(h.href)}">${esc(h.label)}</a>${h.extra || ''}</li>`).join('')}</ul>`;
}

export function downloadsPage(root) {
  const live = state.mode === 'live';
  const u = (p, staticP) => (live ? p : staticP);
  const cp = state.meta;
  root.innerHTML = `<h1>Downloads</h1><p>The results snapshot on this page${cp?.logIndex != null ? ` is committed to by log entry ${cp.logIndex} (tree size ${cp.treeSize})` : ''}.</p>
    <ul>
      <li><a href="${u('api/results', 'api/results.json')}" download="results.json">Results, canonical JSON</a> (the exact bytes the log commits to)</li>
      <li><a href="api/results.csv" download="results.csv">Results, CSV</a> (one row per contest and selection)</li>
      <li><a href="${u('api/results.nist.json', 'api/results.nist.json')}" download="results-nist-1500-100.json">Results, NIST SP 1500-100 v2 (JSON)</a>${live ? ' · <a href="api/results.nist.xml" download="results-nist-1500-100.xml">XML</a>' : ''}</li>
      <li><a href="api/overview${live ? '' : '.json'}">Overview digest (JSON)</a></li>
      <li><a href="log/checkpoint">Log checkpoint</a> (C2SP signed note) · <a href="log/vkey">log key</a></li>
      <li>Log tiles: <code>log/tile/&lt;level&gt;/&lt;index&gt;[.p/&lt;width&gt;]</code> and entry bundles <code>log/tile/entries/&lt;index&gt;</code> (C2SP tlog-tiles)${live ? '; the API is described at <a href="api/openapi.json">api/openapi.json</a>' : ''}</li>
    </ul>
    <p>To recompute everything from the log: <code>canvass verify ${esc(location.origin + location.pathname.replace(/index\.html$/, ''))}</code></p>`;
}
