// Small DOM and number-format helpers every view of the panel uses. Text goes in through
// textContent only: workspace text is data, never HTML.

import type { Point } from './logic/downsample';

export function div(cls: string): HTMLElement { const e = document.createElement('div'); e.className = cls; return e; }
export function span(cls: string): HTMLElement { const e = document.createElement('span'); e.className = cls; return e; }

/** A titled section of the panel; `data-chart` names it for reveal and the tests. */
export function section(id: string, title: string): HTMLElement {
  const s = document.createElement('section');
  s.dataset.chart = id;
  const h = document.createElement('h2');
  h.textContent = title;
  s.append(h);
  return s;
}

export function labelled(text: string, input: HTMLElement): HTMLElement {
  const l = document.createElement('label');
  l.append(document.createTextNode(`${text} `), input);
  return l;
}

/** A number in three significant digits, exponent form outside [1e-3, 1e4). */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e4) ? x.toExponential(2) : String(Number(x.toPrecision(3)));
}

export function range(n: number): number[] { return Array.from({ length: n }, (_, k) => k); }

/** Points (x_k, y_k), leaving out non-finite y. */
export function pts(xs: ArrayLike<number>, ys: ArrayLike<number>): Point[] {
  const out: Point[] = [];
  for (let k = 0; k < Math.min(xs.length, ys.length); k++) if (Number.isFinite(ys[k])) out.push({ x: xs[k], y: ys[k] });
  return out;
}
