/**
 * One command's timing across cards (or runs) as an inline SVG: per row a bar to the median, a whisker to
 * p95, and a red mark at the reader's round trip (what the link costs without the card doing anything).
 * Both the compatibility report and the run report draw their command charts with it.
 */
import { escapeXml } from './junit.js';
import type { TimingStats } from '../stats.js';

const esc = escapeXml;

/** A time in milliseconds with as many digits as it deserves. */
export function ms(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3);
}

/** Round numbers for an axis from 0 to max. */
function ticks(max: number): number[] {
  const rough = max / 4;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? rough;
  const out: number[] = [];
  for (let v = 0; v <= max + 1e-9; v += step) out.push(v);
  return out;
}

/**
 * One command across cards: per card a bar to the median, a whisker to p95, and a red mark at the card's
 * reader round trip (what the link costs without the card doing anything).
 */
export function commandChart(
  command: string,
  rows: readonly { card: string; stats: TimingStats; roundTrip?: number }[],
  width = 760,
  svgClass = 'chart',
): string {
  const rowHeight = 22;
  const pad = { left: 190, right: 90, top: 22, bottom: 26 };
  const height = pad.top + pad.bottom + rows.length * rowHeight;
  const w = width - pad.left - pad.right;
  const max = Math.max(...rows.map((r) => Math.max(r.stats.p95, r.roundTrip ?? 0)), 1e-3) * 1.05;
  const x = (v: number): number => pad.left + (v / max) * w;
  const parts: string[] = [];
  parts.push(
    `<svg class="${svgClass}" role="img" aria-label="${esc(`${command}: median and p95 per card`)}" viewBox="0 0 ${width} ${height}"` +
      ` width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">`,
  );
  parts.push(`<text class="title" x="${pad.left}" y="14">${esc(command)} (ms)</text>`);
  for (const t of ticks(max)) {
    parts.push(`<line class="grid" x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${pad.top}" y2="${height - pad.bottom}"/>`);
    parts.push(`<text x="${x(t).toFixed(1)}" y="${height - pad.bottom + 14}" text-anchor="middle">${ms(t)}</text>`);
  }
  rows.forEach((r, i) => {
    const y = pad.top + i * rowHeight;
    const mid = y + rowHeight / 2;
    const label = r.card.length > 28 ? `${r.card.slice(0, 27)}…` : r.card;
    parts.push(`<text x="${pad.left - 6}" y="${mid + 4}" text-anchor="end"><title>${esc(r.card)}</title>${esc(label)}</text>`);
    parts.push(
      `<rect class="median" x="${pad.left}" y="${y + 5}"` +
        ` width="${Math.max(1, x(r.stats.median) - pad.left).toFixed(1)}" height="${rowHeight - 10}"/>`,
    );
    parts.push(`<line class="whisker" x1="${x(r.stats.median).toFixed(1)}" x2="${x(r.stats.p95).toFixed(1)}" y1="${mid}" y2="${mid}"/>`);
    parts.push(`<line class="whisker" x1="${x(r.stats.p95).toFixed(1)}" x2="${x(r.stats.p95).toFixed(1)}" y1="${y + 6}" y2="${y + rowHeight - 6}"/>`);
    if (r.roundTrip !== undefined) {
      parts.push(`<line class="rtt" x1="${x(r.roundTrip).toFixed(1)}" x2="${x(r.roundTrip).toFixed(1)}" y1="${y + 2}" y2="${y + rowHeight - 2}"/>`);
    }
    parts.push(`<text x="${width - pad.right + 6}" y="${mid + 4}">${ms(r.stats.median)} / ${ms(r.stats.p95)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
