// Plain-text tables and the number formats they use. Units go in the column headers, not the cells.

export const int = (n) => (n == null ? '-' : Math.round(n).toLocaleString('en-US'));
export const ms = (n) => (n == null ? '-' : n < 10 ? n.toFixed(2) : n.toFixed(1));
export const kib = (b) => (b == null ? '-' : `${(b / 1024).toFixed(2)} KiB`);
/** A per-handshake figure in µs: one decimal below 10, so small GC costs do not all read 0. */
export const us = (n) => (n == null ? '-' : n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US'));
export const ratio = (n) => (n == null ? 'n/a' : n.toFixed(3));
/** "lo–hi" for a spread, with the same format as the figure. */
export const range = (lo, hi, f = ratio) => (lo == null || hi == null ? '-' : `${f(lo)}–${f(hi)}`);

/** Columns padded to their widest cell; align is one 'l' or 'r' per column. */
export function table(headers, rows, align) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const fmt = (r) =>
    r
      .map((c, i) => (align[i] === 'l' ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [fmt(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}
