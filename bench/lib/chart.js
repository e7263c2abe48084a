// A hand-written SVG bar chart: handshakes/s and server CPU µs per handshake, side by side, one row per
// server, servers grouped by pair. No chart library: the picture is small and fixed, and an SVG string has
// no dependency to keep up.
//
// Model (see chart-data.js):
//   { title, subtitle, footnote, whisker: 'what the whiskers show',
//     groups: [{ label, note?, rows: [{ name, kind: 'wsgate' | 'peer' | 'floor',
//                                       hs, hsLo?, hsHi?, hsMissing?, cpu, cpuLo?, cpuHi? }] }] }

const W = 1000;
const PAD = 16;
const NAME_W = 150; // server names, right-aligned against the first panel
const GAP = 36; // between the panels
const LABEL_ROOM = 96; // right of the longest bar, for its value
const ROW_H = 22;
const BAR_H = 14;
const GROUP_HEAD = 24;
const GROUP_GAP = 8;
const FOOTNOTE_CHARS = 150; // about 6.3 px a character at 12 px: fits W - 2 * PAD

/** wsgate saturated blue, peers grey, the bare floor a lighter grey; value labels a shade darker. */
const COLOURS = {
  wsgate: { bar: '#2563eb', text: '#1e40af' },
  peer: { bar: '#9ca3af', text: '#111827' },
  floor: { bar: '#d1d5db', text: '#4b5563' },
};
const INK = '#111827';
const MUTED = '#6b7280';
const GRID = '#e5e7eb';
const HALO = 'stroke="#ffffff" stroke-width="4" stroke-linejoin="round" paint-order="stroke"';
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

const esc = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const f1 = (n) => (Math.round(n * 10) / 10).toString();
const text = (x, y, s, attrs = '') => `<text x="${f1(x)}" y="${f1(y)}"${attrs ? ` ${attrs}` : ''}>${esc(s)}</text>`;
const rect = (x, y, w, h, fill) =>
  `<rect x="${f1(x)}" y="${f1(y)}" width="${f1(Math.max(0, w))}" height="${f1(h)}" fill="${fill}"/>`;
const line = (x1, y1, x2, y2, stroke, extra = '') =>
  `<line x1="${f1(x1)}" y1="${f1(y1)}" x2="${f1(x2)}" y2="${f1(y2)}" stroke="${stroke}"${extra ? ` ${extra}` : ''}/>`;

/** Splits a footnote into lines of at most `n` characters, at spaces (SVG text does not wrap). */
function wrap(s, n) {
  const lines = [''];
  for (const word of s.split(' ')) {
    if (lines.at(-1) && lines.at(-1).length + 1 + word.length > n) lines.push('');
    lines[lines.length - 1] += (lines.at(-1) ? ' ' : '') + word;
  }
  return lines;
}

/** A round step giving about `target` ticks up to max: 1, 2, 2.5 or 5 times a power of ten. */
function niceStep(max, target = 5) {
  const raw = max / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
}

const intFmt = (n) => Math.round(n).toLocaleString('en-US');
const usFmt = (n) => (n < 10 ? n.toFixed(1) : intFmt(n));

/** One panel's horizontal scale: value -> x, with round ticks. */
function scale(x0, width, values) {
  const max = Math.max(1, ...values.filter((v) => Number.isFinite(v)));
  const step = niceStep(max);
  const top = Math.ceil(max / step) * step;
  return { x0, width, top, step, x: (v) => x0 + (Math.max(0, v) / top) * width };
}

/** One row's bar in one panel: the bar, the whisker, the value. */
function bar(sc, y, v, lo, hi, colours, label, missing = 'no data') {
  if (v == null || !Number.isFinite(v)) return text(sc.x0 + 4, y + BAR_H - 3, missing, `fill="${MUTED}"`);
  const out = [rect(sc.x0, y, sc.x(v) - sc.x0, BAR_H, colours.bar)];
  let end = sc.x(v);
  if (lo != null && hi != null && hi > lo) {
    const cy = y + BAR_H / 2;
    const [a, b] = [sc.x(lo), sc.x(hi)];
    out.push(line(a, cy, b, cy, INK, 'stroke-width="1.2" opacity="0.7"'));
    out.push(line(a, cy - 4, a, cy + 4, INK, 'stroke-width="1.2" opacity="0.7"'));
    out.push(line(b, cy - 4, b, cy + 4, INK, 'stroke-width="1.2" opacity="0.7"'));
    end = Math.max(end, b);
  }
  out.push(text(end + 5, y + BAR_H - 3, label, `fill="${colours.text}"`));
  return out.join('');
}

/** Gridlines and tick labels of one panel, from `top` to `bottom`, labels under the bottom. */
function axis(sc, top, bottom, fmt) {
  const out = [];
  for (let v = 0; v <= sc.top + 1e-9; v += sc.step) {
    const x = sc.x(v);
    out.push(line(x, top, x, bottom, v === 0 ? MUTED : GRID));
    out.push(text(x, bottom + 14, fmt(v), `fill="${MUTED}" text-anchor="middle"`));
  }
  return out.join('');
}

function legend(x, y, whisker) {
  const items = [
    [COLOURS.wsgate.bar, 'wsgate'],
    [COLOURS.peer.bar, 'peer'],
    [COLOURS.floor.bar, 'bare node:http floor'],
  ];
  const out = [];
  let cx = x;
  for (const [fill, label] of items) {
    out.push(rect(cx, y - 10, 12, 12, fill));
    out.push(text(cx + 17, y, label, `fill="${INK}"`));
    cx += 17 + label.length * 6.6 + 20;
  }
  out.push(line(cx, y - 4, cx + 18, y - 4, INK, 'stroke-width="1.2"'));
  out.push(line(cx, y - 8, cx, y, INK, 'stroke-width="1.2"'));
  out.push(line(cx + 18, y - 8, cx + 18, y, INK, 'stroke-width="1.2"'));
  out.push(text(cx + 24, y, whisker, `fill="${INK}"`));
  return out.join('');
}

/** The whole chart as an SVG document string. */
export function renderChart(model) {
  const panelW = (W - 2 * PAD - NAME_W - GAP - 2 * LABEL_ROOM) / 2;
  const rows = model.groups.flatMap((g) => g.rows);
  const hsX0 = PAD + NAME_W + 8;
  const cpuX0 = hsX0 + panelW + LABEL_ROOM + GAP;
  const hs = scale(
    hsX0,
    panelW,
    rows.flatMap((r) => [r.hs, r.hsHi]),
  );
  const cpu = scale(
    cpuX0,
    panelW,
    rows.flatMap((r) => [r.cpu, r.cpuHi]),
  );

  const body = [];
  const plotTop = 112;
  let y = plotTop + 6;
  for (const g of model.groups) {
    // One text element, so the note follows the label whatever the font; a white halo keeps it readable
    // where it crosses the gridlines.
    const note = g.note ? `<tspan dx="12" fill="${MUTED}">${esc(g.note)}</tspan>` : '';
    body.push(
      `<text x="${PAD}" y="${f1(y + 15)}" ${HALO}><tspan font-weight="600" fill="${INK}">${esc(g.label)}</tspan>${note}</text>`,
    );
    y += GROUP_HEAD;
    for (const r of g.rows) {
      const c = COLOURS[r.kind] || COLOURS.peer;
      const weight = r.kind === 'wsgate' ? ' font-weight="600"' : '';
      body.push(text(hsX0 - 8, y + BAR_H - 3, r.name, `fill="${c.text}" text-anchor="end"${weight}`));
      body.push(bar(hs, y, r.hs, r.hsLo, r.hsHi, c, r.hs == null ? '' : intFmt(r.hs), r.hsMissing));
      body.push(bar(cpu, y, r.cpu, r.cpuLo, r.cpuHi, c, r.cpu == null ? '' : `${usFmt(r.cpu)} µs`));
      y += ROW_H;
    }
    y += GROUP_GAP;
  }
  const plotBottom = y;
  const footnote = (model.footnote || []).flatMap((s) => wrap(s, FOOTNOTE_CHARS));
  const height = plotBottom + 30 + 18 * footnote.length + PAD;

  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${f1(height)}" viewBox="0 0 ${W} ${f1(height)}" font-family='${FONT}' font-size="12">`,
    `<title>${esc(model.title)}</title>`,
    rect(0, 0, W, height, '#ffffff'), // opaque, so the chart reads the same on a dark page
    text(PAD, 30, model.title, `font-size="18" font-weight="700" fill="${INK}"`),
    text(PAD, 50, model.subtitle, `fill="${MUTED}"`),
    legend(PAD, 76, model.whisker),
    text(hsX0, plotTop - 8, 'handshakes per second (higher is better)', `font-weight="600" fill="${INK}"`),
    text(cpuX0, plotTop - 8, 'server CPU µs per handshake (lower is better)', `font-weight="600" fill="${INK}"`),
    rows.some((r) => r.hs != null) ? axis(hs, plotTop, plotBottom, intFmt) : '',
    axis(cpu, plotTop, plotBottom, intFmt),
    ...body,
    ...footnote.map((s, i) => text(PAD, plotBottom + 38 + 18 * i, s, `fill="${MUTED}"`)),
    '</svg>',
  ];
  return `${out.join('\n')}\n`;
}
