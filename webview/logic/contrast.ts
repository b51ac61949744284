// Series colours the user can see: theme chart colours made opaque and, where they are too close
// to the panel background, moved towards the foreground until the WCAG contrast ratio is ≥ 3:1
// (Dark Modern and Light+ define --vscode-charts-orange as rgba(234, 92, 0, 0.33)).

export type Rgba = [number, number, number, number];

/** The minimum contrast of a series against the background (WCAG 2 for graphics). */
export const MIN_CONTRAST = 3;

/** Parses #rgb, #rrggbb, #rrggbbaa, rgb() and rgba(); null for anything else. */
export function parseColour(css: string): Rgba | null {
  const s = css.trim().toLowerCase();
  let m = /^#([0-9a-f]{3,8})$/.exec(s);
  if (m) {
    let h = m[1];
    if (h.length === 3 || h.length === 4) h = [...h].map((c) => c + c).join('');
    if (h.length !== 6 && h.length !== 8) return null;
    const n = (k: number): number => parseInt(h.slice(k, k + 2), 16);
    return [n(0), n(2), n(4), h.length === 8 ? n(6) / 255 : 1];
  }
  m = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)(?:[\s,/]+([\d.]+%?))?\s*\)$/.exec(s);
  if (m) {
    const a = m[4] === undefined ? 1 : m[4].endsWith('%') ? Number(m[4].slice(0, -1)) / 100 : Number(m[4]);
    return [Number(m[1]), Number(m[2]), Number(m[3]), a];
  }
  return null;
}

/** `c` painted over the opaque `bg`. */
export function over(c: Rgba, bg: Rgba): Rgba {
  const a = c[3];
  return [c[0] * a + bg[0] * (1 - a), c[1] * a + bg[1] * (1 - a), c[2] * a + bg[2] * (1 - a), 1];
}

export function luminance(c: Rgba): number {
  const lin = (v: number): number => { const x = v / 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
}

/** WCAG contrast ratio of colour `c` (composited over `bg`) against `bg`. */
export function contrast(c: Rgba, bg: Rgba): number {
  const a = luminance(over(c, bg)), b = luminance(bg);
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}

export function toCss(c: Rgba): string {
  return `rgb(${Math.round(c[0])}, ${Math.round(c[1])}, ${Math.round(c[2])})`;
}

/**
 * An opaque colour of the same hue as `css` with contrast ≥ `min` against `background`: alpha is
 * dropped, then the colour is mixed towards white (dark background) or black (light) in small
 * steps until the ratio holds. Unparsable input comes back unchanged.
 */
export function readableColour(css: string, background: string, min = MIN_CONTRAST): string {
  const c = parseColour(css);
  const bgc = parseColour(background);
  if (!c || !bgc) return css;
  const bg = over(bgc, [255, 255, 255, 1]);
  const target = luminance(bg) < 0.18 ? 255 : 0;
  let out: Rgba = [c[0], c[1], c[2], 1];
  for (let k = 1; k <= 20 && contrast(out, bg) < min; k++) {
    const w = k / 20;
    out = [c[0] + (target - c[0]) * w, c[1] + (target - c[1]) * w, c[2] + (target - c[2]) * w, 1];
  }
  return toCss(out);
}
