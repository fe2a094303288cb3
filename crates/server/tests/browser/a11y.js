// Accessibility checks run inside the page by tests/browser_a11y.rs (evaluated over the
// Chrome DevTools Protocol; defines window.__a11y). Each check returns a list of findings
// (strings naming the element), empty when the page passes. References:
// - WCAG 2.2 SC 1.4.3 Contrast (Minimum): 4.5:1, 3:1 for large text (>= 24 px, or >= 18.66 px
//   bold); relative luminance and contrast ratio as defined in WCAG 2.2 ("relative luminance").
// - SC 1.1.1 Non-text Content (images and SVG need a text alternative or aria-hidden).
// - SC 1.3.1 / 2.4.6 headings: one h1 first, no level skipped going down.
// - SC 2.1.1 Keyboard and 2.4.7 Focus Visible: driven from Rust with real Tab key events.
// - Color-vision deficiency: Machado, Oliveira & Fernandes 2009 simulation matrices (severity
//   1.0, applied in linear sRGB) for protanopia, deuteranopia and tritanopia, and the CIEDE2000
//   colour difference (Sharma, Wu & Dalal 2005) between every pair of legend colours.
(() => {
  const parse = (s) => {
    const m = /rgba?\(([^)]+)\)/.exec(s || '');
    if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const hex = (h) => {
    const v = h.replace('#', '');
    return { r: parseInt(v.slice(0, 2), 16), g: parseInt(v.slice(2, 4), 16), b: parseInt(v.slice(4, 6), 16), a: 1 };
  };
  const over = (top, under) => {
    const a = top.a + under.a * (1 - top.a);
    if (a === 0) return { r: 0, g: 0, b: 0, a: 0 };
    const mix = (t, u) => (t * top.a + u * under.a * (1 - top.a)) / a;
    return { r: mix(top.r, under.r), g: mix(top.g, under.g), b: mix(top.b, under.b), a };
  };
  const lin = (c) => { c /= 255; return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  const lum = (c) => 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
  const ratio = (x, y) => { const [a, b] = [lum(x), lum(y)].sort((p, q) => q - p); return (a + 0.05) / (b + 0.05); };
  const WHITE = { r: 255, g: 255, b: 255, a: 1 };

  const describe = (el) => {
    const id = el.id ? `#${el.id}` : '';
    const cls = typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
    const text = (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 40);
    return `<${el.tagName.toLowerCase()}${id}${cls}> "${text}"`;
  };
  const visible = (el) => {
    if (!el.getClientRects().length) return false;
    const closed = el.closest('details:not([open])');
    if (closed && el.closest('summary')?.parentElement !== closed) return false;
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.visibility === 'hidden' || s.display === 'none' || Number(s.opacity) === 0) return false;
      // Visually hidden for screen readers only (the .sr-only pattern): no visible text.
      if (s.position === 'absolute' && s.overflow === 'hidden' && e.getBoundingClientRect().width <= 1) return false;
    }
    return true;
  };

  // The background colours behind an HTML element (a list: a striped pattern gives two).
  const htmlBackground = (el) => {
    const layers = [];
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.backgroundImage && s.backgroundImage !== 'none') return null;
      const c = parse(s.backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    let bg = WHITE;
    for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
    return [bg];
  };
  const rectsMeet = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  // Behind SVG text: the shapes painted before it in its <svg> that overlap it, composited in
  // paint order over the svg's own background; a pattern fill gives both of its colours.
  const svgBackground = (text) => {
    const svg = text.ownerSVGElement;
    let bgs = htmlBackground(svg);
    if (!bgs) return null;
    const box = text.getBoundingClientRect();
    for (const shape of svg.querySelectorAll('rect, path, circle, ellipse, polygon')) {
      if (shape.closest('defs, pattern, clipPath, mask')) continue;
      if (!(shape.compareDocumentPosition(text) & Node.DOCUMENT_POSITION_FOLLOWING)) continue;
      if (!rectsMeet(shape.getBoundingClientRect(), box)) continue;
      const s = getComputedStyle(shape);
      const alpha = Number(s.fillOpacity) * Number(s.opacity);
      const url = /url\("?#([^")]+)"?\)/.exec(s.fill);
      if (url) {
        const pat = document.getElementById(url[1]);
        if (!pat) return null;
        const next = [...bgs];
        for (const inner of pat.querySelectorAll('rect, path, circle, polygon')) {
          const is = getComputedStyle(inner);
          const c = parse(is.fill);
          if (!c) continue;
          c.a *= Number(is.fillOpacity) * alpha;
          for (const b of bgs) next.push(over(c, b));
        }
        bgs = next;
      } else {
        const c = parse(s.fill);
        if (!c || s.fill === 'none') continue;
        c.a *= alpha;
        bgs = bgs.map((b) => over(c, b));
      }
    }
    return bgs;
  };

  /** WCAG AA contrast of every visible text. Findings, and how many texts were checked. */
  const contrast = () => {
    const findings = [];
    let checked = 0;
    const all = document.body.querySelectorAll('*');
    for (const el of all) {
      if (['SCRIPT', 'STYLE', 'NOSCRIPT', 'title', 'TITLE', 'OPTION'].includes(el.tagName)) continue;
      const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      const pseudo = getComputedStyle(el, '::before').content;
      const hasPseudo = pseudo && pseudo !== 'none' && pseudo !== 'normal' && pseudo !== '""';
      if (!own && !hasPseudo) continue;
      if (!visible(el)) continue;
      const svgText = el instanceof SVGElement;
      const s = getComputedStyle(el);
      const size = parseFloat(s.fontSize);
      const bold = Number(s.fontWeight) >= 700;
      const large = size >= 24 || (bold && size >= 18.66);
      const need = large ? 3 : 4.5;
      const bgs = svgText ? svgBackground(el) : htmlBackground(el);
      if (!bgs) { findings.push(`${describe(el)}: background is an image or unknown pattern; cannot check contrast`); continue; }
      const colors = [];
      if (own) colors.push(parse(svgText ? s.fill : s.color));
      if (hasPseudo) colors.push(parse(getComputedStyle(el, '::before').color));
      for (const fg0 of colors) {
        if (!fg0) continue;
        for (const bg of bgs) {
          const fg = over(fg0, bg);
          const r = ratio(fg, bg);
          checked++;
          if (r < need - 1e-9) {
            findings.push(`${describe(el)}: contrast ${r.toFixed(2)}:1 < ${need}:1 (text rgb(${[fg.r, fg.g, fg.b].map(Math.round)}) on rgb(${[bg.r, bg.g, bg.b].map(Math.round)}), ${size}px${bold ? ' bold' : ''})`);
          }
        }
      }
    }
    return { findings, checked };
  };

  /** Text alternatives: <img alt>, labelled or hidden <svg> and role=img. */
  const images = () => {
    const f = [];
    for (const img of document.querySelectorAll('img')) if (!img.hasAttribute('alt')) f.push(`${describe(img)}: <img> without alt`);
    const named = (el) => (el.getAttribute('aria-label') || '').trim() || (el.getAttribute('aria-labelledby') || '').split(/\s+/).some((id) => document.getElementById(id)?.textContent.trim())
      || [...el.children].some((c) => c.tagName === 'title' && c.textContent.trim());
    for (const svg of document.querySelectorAll('svg')) {
      if (svg.closest('[aria-hidden="true"]')) continue;
      if (svg.parentElement?.closest('svg')) continue;
      if (!named(svg)) f.push(`${describe(svg)}: <svg> with neither a text alternative nor aria-hidden`);
    }
    for (const el of document.querySelectorAll('[role="img"]')) if (!named(el) && !el.closest('[aria-hidden="true"]')) f.push(`${describe(el)}: role=img without a label`);
    return f;
  };

  /** Headings in order: an h1 comes first, and no level is skipped going down. */
  const headings = () => {
    const f = [];
    const hs = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6, [role="heading"]')].filter(visible);
    const level = (h) => Number(h.getAttribute('aria-level') || h.tagName.slice(1));
    if (!hs.length) return ['no heading on the page'];
    if (level(hs[0]) !== 1) f.push(`${describe(hs[0])}: the first heading is not an h1`);
    for (let i = 1; i < hs.length; i++) {
      if (level(hs[i]) > level(hs[i - 1]) + 1) f.push(`${describe(hs[i])}: h${level(hs[i])} follows h${level(hs[i - 1])} (${describe(hs[i - 1])})`);
    }
    return f;
  };

  // What focus may change about an element's look (its own and its descendants' styles).
  const look = (el) => [el, ...el.querySelectorAll('*')].map((e) => {
    const s = getComputedStyle(e);
    return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow, s.stroke, s.strokeWidth, s.backgroundColor, s.color, s.textDecorationLine, s.borderColor].join('|');
  }).join(';');

  /** Marks every element that Tab should reach (data-a11y-tab = its number) and records its
   * unfocused look; returns their descriptions. */
  const tabbables = () => {
    const sel = 'a[href], button, input:not([type="hidden"]), select, textarea, summary, [tabindex], [contenteditable="true"]';
    const out = [];
    document.activeElement?.blur?.();
    for (const el of document.querySelectorAll(sel)) {
      if (el.disabled || el.getAttribute('tabindex') === '-1' || el.closest('[inert]')) continue;
      // The content of a closed <details> (all but its summary) is not rendered.
      const closed = el.closest('details:not([open])');
      if (closed && el.closest('summary')?.parentElement !== closed) continue;
      if (el.tagName === 'MAIN' && el.getAttribute('tabindex') === '-1') continue;
      if (!el.getClientRects().length || getComputedStyle(el).visibility === 'hidden') continue;
      el.dataset.a11yTab = String(out.length);
      window.__a11yLook = window.__a11yLook || new Map();
      window.__a11yLook.set(el, look(el));
      out.push(describe(el));
    }
    return out;
  };

  /** Elements with an interactive role (or a click handler attribute) that Tab cannot reach. */
  const unreachable = () => {
    const native = 'a[href], button, input, select, textarea, summary';
    const roles = '[role="button"], [role="link"], [role="checkbox"], [role="tab"], [role="menuitem"], [role="switch"], [role="radio"], [onclick]';
    return [...document.querySelectorAll(roles)]
      .filter((el) => !el.matches(native) && !(el.tabIndex >= 0 && el.hasAttribute('tabindex')) && el.getClientRects().length)
      .map((el) => `${describe(el)}: interactive role but not in the tab order (add tabindex="0" or use a native control)`);
  };

  /** The focused element: its number from tabbables() (-1 if none), description, and
   * whether it looks different from unfocused (a visible focus indicator). */
  const focused = () => {
    const el = document.activeElement;
    if (!el || el === document.body) return { index: -1, what: 'body', visible: false };
    const index = el.dataset?.a11yTab != null ? Number(el.dataset.a11yTab) : -1;
    const before = window.__a11yLook?.get(el);
    return { index, what: describe(el), visible: before != null && before !== look(el) };
  };

  // Colour-vision deficiency simulation (Machado et al. 2009, severity 1.0) and CIEDE2000.
  const MACHADO = {
    protanopia: [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    deuteranopia: [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    tritanopia: [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
  };
  const toLinear = (c) => [lin(c.r), lin(c.g), lin(c.b)];
  const simulate = (c, m) => {
    const l = toLinear(c);
    return m ? m.map((row) => Math.min(1, Math.max(0, row[0] * l[0] + row[1] * l[1] + row[2] * l[2]))) : l;
  };
  const labOf = ([r, g, b]) => {
    const X = 0.4124564 * r + 0.3575761 * g + 0.1804375 * b;
    const Y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b;
    const Z = 0.0193339 * r + 0.1191920 * g + 0.9503041 * b;
    const f = (t) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);
    const [fx, fy, fz] = [f(X / 0.95047), f(Y), f(Z / 1.08883)];
    return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
  };
  const rad = (d) => (d * Math.PI) / 180;
  const deg = (r) => { const d = (r * 180) / Math.PI; return d < 0 ? d + 360 : d; };
  const ciede2000 = ([L1, a1, b1], [L2, a2, b2]) => {
    const C1 = Math.hypot(a1, b1), C2 = Math.hypot(a2, b2), Cb = (C1 + C2) / 2;
    const G = 0.5 * (1 - Math.sqrt(Cb ** 7 / (Cb ** 7 + 25 ** 7)));
    const a1p = (1 + G) * a1, a2p = (1 + G) * a2;
    const C1p = Math.hypot(a1p, b1), C2p = Math.hypot(a2p, b2);
    const h1p = C1p === 0 ? 0 : deg(Math.atan2(b1, a1p)), h2p = C2p === 0 ? 0 : deg(Math.atan2(b2, a2p));
    const dLp = L2 - L1, dCp = C2p - C1p;
    let dhp = 0;
    if (C1p * C2p !== 0) dhp = Math.abs(h2p - h1p) <= 180 ? h2p - h1p : h2p - h1p > 180 ? h2p - h1p - 360 : h2p - h1p + 360;
    const dHp = 2 * Math.sqrt(C1p * C2p) * Math.sin(rad(dhp / 2));
    const Lbp = (L1 + L2) / 2, Cbp = (C1p + C2p) / 2;
    let hbp = h1p + h2p;
    if (C1p * C2p !== 0) hbp = Math.abs(h1p - h2p) <= 180 ? (h1p + h2p) / 2 : h1p + h2p < 360 ? (h1p + h2p + 360) / 2 : (h1p + h2p - 360) / 2;
    const T = 1 - 0.17 * Math.cos(rad(hbp - 30)) + 0.24 * Math.cos(rad(2 * hbp)) + 0.32 * Math.cos(rad(3 * hbp + 6)) - 0.2 * Math.cos(rad(4 * hbp - 63));
    const dth = 30 * Math.exp(-(((hbp - 275) / 25) ** 2));
    const RC = 2 * Math.sqrt(Cbp ** 7 / (Cbp ** 7 + 25 ** 7));
    const SL = 1 + (0.015 * (Lbp - 50) ** 2) / Math.sqrt(20 + (Lbp - 50) ** 2), SC = 1 + 0.045 * Cbp, SH = 1 + 0.015 * Cbp * T;
    const RT = -Math.sin(rad(2 * dth)) * RC;
    return Math.sqrt((dLp / SL) ** 2 + (dCp / SC) ** 2 + (dHp / SH) ** 2 + RT * (dCp / SC) * (dHp / SH));
  };
  const MIN_DELTA_E = 8;

  /** Every pair of the given colours (#rrggbb or rgb()) differs by at least MIN_DELTA_E
   * (CIEDE2000) for normal vision and under each simulated deficiency. */
  const palette = (colors) => {
    const cs = [...new Set(colors)].map((c) => (c.startsWith('#') ? hex(c) : parse(c)));
    const f = [];
    for (const [name, m] of [['normal vision', null], ...Object.entries(MACHADO)]) {
      for (let i = 0; i < cs.length; i++) {
        for (let j = i + 1; j < cs.length; j++) {
          const d = ciede2000(labOf(simulate(cs[i], m)), labOf(simulate(cs[j], m)));
          if (d < MIN_DELTA_E) f.push(`${name}: rgb(${[cs[i].r, cs[i].g, cs[i].b]}) and rgb(${[cs[j].r, cs[j].g, cs[j].b]}) differ by ΔE2000 ${d.toFixed(1)} < ${MIN_DELTA_E}`);
        }
      }
    }
    return f;
  };
  /** The colours of the map legend's swatches (the categories a reader tells apart). */
  const legendColors = () => [...document.querySelectorAll('.legend .swatch')].map((s) => getComputedStyle(s).backgroundColor);

  window.__a11y = { contrast, images, headings, tabbables, unreachable, focused, palette, legendColors, ciede2000, labOf, simulate };
})();
