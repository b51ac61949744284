// One time × unit heatmap on a canvas: RGBA written into an ImageData on an offscreen canvas
// (one pixel per cell), drawn scaled with smoothing off; tokens along the time axis, hover
// read-out, click to select a unit, wheel to zoom and drag to pan along time.

import { lookupTable, paintHeatmap, type ColourScale } from './logic/colormap';
import type { Theme } from './theme';

/** What a heatmap shows: a [T, H] row-major matrix and how to lay it out. */
export interface HeatmapData {
  name: string;
  values: Float32Array;
  steps: number;
  units: number;
  /** Row r shows unit order[r]. */
  order: Int32Array;
  scale: ColourScale;
  /** Label of the input at each timestep (a token, or a number), [T]; null when unknown. */
  labels: string[] | null;
  /** Draw the labels along the time axis (tokens); numbers are read on hover and the axis shows t. */
  labelsOnAxis?: boolean;
}

/** A hovered cell. */
export interface CellInfo { t: number; unit: number; value: number; label: string | null; numeric?: boolean }

const LEFT = 34;   // px for unit labels
const BOTTOM = 16; // px for the token / time axis
const LEGEND_H = 14;

export class Heatmap {
  readonly root: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  readonly readout: HTMLElement;
  private readonly legend: HTMLCanvasElement;
  private readonly legendLo: HTMLElement;
  private readonly legendHi: HTMLElement;
  private readonly off: HTMLCanvasElement;
  private image: ImageData | null = null;
  private data: HeatmapData | null = null;
  /** Visible time window [t0, t1). */
  private t0 = 0;
  private t1 = 0;
  private selectedUnit = -1;
  private drag: { x: number; t0: number } | null = null;
  /** Keyboard cursor (t, row) while the canvas has focus. */
  private cursor: { t: number; row: number } | null = null;
  private readonly observer: ResizeObserver;

  constructor(parent: HTMLElement, title: string, private theme: Theme, private readonly onSelectUnit: (unit: number, t: number) => void) {
    this.root = el('div', 'heatmap');
    const head = el('div', 'heatmap-head');
    const name = el('span', 'heatmap-title');
    name.textContent = title;
    this.legend = document.createElement('canvas');
    this.legend.className = 'heatmap-legend';
    this.legendLo = el('span', 'legend-value');
    this.legendHi = el('span', 'legend-value');
    head.append(name, this.legendLo, this.legend, this.legendHi);
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'heatmap-canvas';
    // Reachable by keyboard: arrows move a cell cursor (read out below), Enter selects its unit.
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', `${title} heatmap, time × unit. Arrow keys move between cells, Enter selects the unit.`);
    this.canvas.addEventListener('keydown', (e) => this.onKey(e));
    this.canvas.addEventListener('blur', () => { this.cursor = null; this.draw(); });
    this.readout = el('div', 'heatmap-readout');
    this.readout.textContent = '\u00a0';
    this.root.append(head, this.canvas, this.readout);
    parent.append(this.root);
    this.off = document.createElement('canvas');
    this.observer = new ResizeObserver(() => this.draw());
    this.observer.observe(this.canvas);
    this.canvas.addEventListener('mousemove', (e) => this.onMove(e));
    this.canvas.addEventListener('mouseleave', () => { this.drag = null; this.readout.textContent = '\u00a0'; });
    this.canvas.addEventListener('mousedown', (e) => { this.drag = { x: e.clientX, t0: this.t0 }; });
    this.canvas.addEventListener('mouseup', (e) => {
      const moved = this.drag && Math.abs(e.clientX - this.drag.x) > 3;
      this.drag = null;
      if (moved) return;
      const cell = this.cellAt(e.clientX, e.clientY);
      if (cell) this.onSelectUnit(cell.unit, cell.t);
    });
    this.canvas.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    this.canvas.addEventListener('dblclick', () => { if (this.data) { this.t0 = 0; this.t1 = this.data.steps; this.draw(); } });
  }

  dispose(): void {
    this.observer.disconnect();
    this.root.remove();
  }

  setTheme(theme: Theme): void { this.theme = theme; this.draw(); }

  /** Shows new data; keeps the zoom window when the sequence length is unchanged. */
  setData(data: HeatmapData, selectedUnit: number): void {
    if (!this.data || this.data.steps !== data.steps) { this.t0 = 0; this.t1 = data.steps; }
    this.data = data;
    this.selectedUnit = selectedUnit;
    this.paint();
    this.draw();
  }

  setSelectedUnit(unit: number): void { this.selectedUnit = unit; this.draw(); }

  /** Writes the cells into the offscreen canvas: the per-update cost that bench/heatmap measures. */
  paint(): void {
    const d = this.data;
    if (!d) return;
    if (this.off.width !== d.steps || this.off.height !== d.units) {
      this.off.width = d.steps; this.off.height = d.units;
      this.image = null;
    }
    const ctx = this.off.getContext('2d');
    if (!ctx) return;
    if (!this.image) this.image = ctx.createImageData(d.steps, d.units);
    paintHeatmap(d.values, d.steps, d.units, d.order, d.scale, this.image.data);
    ctx.putImageData(this.image, 0, 0);
    this.drawLegend();
  }

  private plotRect(): { x: number; y: number; w: number; h: number } {
    const w = Math.max(1, this.canvas.clientWidth - LEFT - 4);
    const h = Math.max(1, this.canvas.clientHeight - BOTTOM);
    return { x: LEFT, y: 0, w, h };
  }

  /** Redraws the visible canvas from the offscreen image (resize, zoom, pan, selection). */
  draw(): void {
    const d = this.data;
    const dpr = window.devicePixelRatio || 1;
    const cw = this.canvas.clientWidth, ch = this.canvas.clientHeight;
    if (cw === 0 || ch === 0) return;
    const W = Math.round(cw * dpr), H = Math.round(ch * dpr);
    if (this.canvas.width !== W || this.canvas.height !== H) { this.canvas.width = W; this.canvas.height = H; }
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cw, ch);
    if (!d) return;
    const r = this.plotRect();
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.off, this.t0, 0, this.t1 - this.t0, d.units, r.x, r.y, r.w, r.h);
    const cellW = r.w / (this.t1 - this.t0), cellH = r.h / d.units;
    ctx.font = `10px ${this.theme.font}`;
    ctx.fillStyle = this.theme.muted;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    // Unit labels: every row when they fit, else a few.
    const every = Math.max(1, Math.ceil(12 / cellH));
    for (let row = 0; row < d.units; row += every) ctx.fillText(String(d.order[row]), r.x - 3, r.y + (row + 0.5) * cellH);
    // Selected unit: a frame around its row.
    const selRow = d.order.indexOf(this.selectedUnit);
    if (selRow >= 0) {
      ctx.strokeStyle = this.theme.foreground;
      ctx.lineWidth = 1;
      ctx.strokeRect(r.x - 0.5, r.y + selRow * cellH - 0.5, r.w + 1, cellH + 1);
    }
    if (this.cursor) {
      ctx.strokeStyle = this.theme.foreground;
      ctx.setLineDash([2, 2]);
      ctx.strokeRect(r.x + (this.cursor.t - this.t0) * cellW - 0.5, r.y + this.cursor.row * cellH - 0.5, cellW + 1, cellH + 1);
      ctx.setLineDash([]);
    }
    // Time axis: the input tokens when each has room, else step numbers.
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    const y = r.y + r.h + 3;
    if (d.labels && d.labelsOnAxis !== false && cellW >= 7) {
      for (let t = Math.floor(this.t0); t < Math.ceil(this.t1); t++) ctx.fillText(visibleToken(d.labels[t] ?? ''), r.x + (t - this.t0 + 0.5) * cellW, y);
    } else {
      const span = this.t1 - this.t0;
      const step = niceStep(span / Math.max(1, r.w / 50));
      for (let t = Math.ceil(this.t0 / step) * step; t < this.t1; t += step) ctx.fillText(String(t), r.x + (t - this.t0 + 0.5) * cellW, y);
    }
  }

  private drawLegend(): void {
    const d = this.data;
    if (!d) return;
    const lut = lookupTable(d.scale.kind);
    this.legend.width = 256; this.legend.height = 1;
    const ctx = this.legend.getContext('2d');
    if (!ctx) return;
    const img = ctx.createImageData(256, 1);
    img.data.set(lut);
    ctx.putImageData(img, 0, 0);
    this.legend.style.height = `${LEGEND_H}px`;
    this.legendLo.textContent = fmt(d.scale.lo);
    this.legendHi.textContent = fmt(d.scale.hi);
  }

  /** The cell under client coordinates, or null. */
  cellAt(clientX: number, clientY: number): CellInfo | null {
    const d = this.data;
    if (!d) return null;
    const b = this.canvas.getBoundingClientRect();
    const r = this.plotRect();
    const x = clientX - b.left - r.x, y = clientY - b.top - r.y;
    if (x < 0 || y < 0 || x >= r.w || y >= r.h) return null;
    const t = Math.floor(this.t0 + (x / r.w) * (this.t1 - this.t0));
    const row = Math.floor((y / r.h) * d.units);
    if (t < 0 || t >= d.steps || row < 0 || row >= d.units) return null;
    return this.cellInfo(t, row);
  }

  private cellInfo(t: number, row: number): CellInfo {
    const d = this.data!;
    const unit = d.order[row];
    return { t, unit, value: d.values[t * d.units + unit], label: d.labels ? d.labels[t] ?? null : null, numeric: d.labelsOnAxis === false };
  }

  private onKey(e: KeyboardEvent): void {
    const d = this.data;
    if (!d) return;
    const c = this.cursor ?? { t: Math.floor(this.t0), row: Math.max(0, d.order.indexOf(this.selectedUnit)) };
    const moves: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1], Home: [-d.steps, 0], End: [d.steps, 0] };
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      this.cursor = c;
      this.onSelectUnit(d.order[c.row], c.t);
      return;
    }
    const m = moves[e.key];
    if (!m) return;
    e.preventDefault();
    const t = Math.max(0, Math.min(d.steps - 1, c.t + m[0]));
    const row = Math.max(0, Math.min(d.units - 1, c.row + m[1]));
    this.cursor = { t, row };
    // Keep the cursor inside the visible window.
    const span = this.t1 - this.t0;
    if (t < this.t0) { this.t0 = t; this.t1 = t + span; } else if (t >= this.t1) { this.t1 = t + 1; this.t0 = this.t1 - span; }
    this.readout.textContent = describeCell(d.name, this.cellInfo(t, row));
    this.draw();
  }

  /** Client coordinates of the centre of cell (t, unit), or null when not visible (tests, reveal). */
  cellCenter(t: number, unit: number): { x: number; y: number } | null {
    const d = this.data;
    if (!d || t < this.t0 || t >= this.t1) return null;
    const row = d.order.indexOf(unit);
    if (row < 0) return null;
    const b = this.canvas.getBoundingClientRect();
    const r = this.plotRect();
    const cellW = r.w / (this.t1 - this.t0), cellH = r.h / d.units;
    return { x: b.left + r.x + (t - this.t0 + 0.5) * cellW, y: b.top + r.y + (row + 0.5) * cellH };
  }

  /** The visible time window. */
  window(): [number, number] { return [this.t0, this.t1]; }

  /** Zooms to [t0, t1) (clamped), e.g. to reveal a step. */
  zoomTo(t0: number, t1: number): void {
    const d = this.data;
    if (!d) return;
    const span = Math.max(4, Math.min(d.steps, t1 - t0));
    this.t0 = Math.max(0, Math.min(d.steps - span, t0));
    this.t1 = this.t0 + span;
    this.draw();
  }

  private onMove(e: MouseEvent): void {
    const d = this.data;
    if (!d) return;
    if (this.drag && (e.buttons & 1)) {
      const r = this.plotRect();
      const dt = ((e.clientX - this.drag.x) / r.w) * (this.t1 - this.t0);
      const span = this.t1 - this.t0;
      this.t0 = Math.max(0, Math.min(d.steps - span, this.drag.t0 - dt));
      this.t1 = this.t0 + span;
      this.draw();
      return;
    }
    const cell = this.cellAt(e.clientX, e.clientY);
    this.readout.textContent = cell ? describeCell(d.name, cell) : '\u00a0';
  }

  private onWheel(e: WheelEvent): void {
    const d = this.data;
    if (!d) return;
    e.preventDefault();
    const r = this.plotRect();
    const b = this.canvas.getBoundingClientRect();
    const u = Math.max(0, Math.min(1, (e.clientX - b.left - r.x) / r.w));
    const at = this.t0 + u * (this.t1 - this.t0);
    const factor = e.deltaY > 0 ? 1.25 : 0.8;
    const span = Math.max(4, Math.min(d.steps, (this.t1 - this.t0) * factor));
    this.t0 = Math.max(0, Math.min(d.steps - span, at - u * span));
    this.t1 = this.t0 + span;
    this.draw();
  }
}

/** The read-out of a hovered cell, e.g. `t = 3  unit 7  c = 0.25  token "a"`. */
export function describeCell(name: string, c: CellInfo): string {
  const tok = c.label === null ? '' : `  input ${c.numeric ? c.label : JSON.stringify(c.label)}`;
  return `t = ${c.t}  unit ${c.unit}  ${name} = ${fmt(c.value)}${tok}`;
}

function visibleToken(s: string): string {
  if (s === ' ') return '␣';
  if (s === '\n') return '↵';
  if (s === '\t') return '⇥';
  return s.length > 2 ? s.slice(0, 2) : s;
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e4) ? x.toExponential(3) : String(Number(x.toPrecision(4)));
}

function niceStep(raw: number): number {
  const p = Math.pow(10, Math.floor(Math.log10(Math.max(1, raw))));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function el(tag: string, cls: string): HTMLElement {
  const e = document.createElement(tag);
  e.className = cls;
  return e;
}
