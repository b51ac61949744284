// VS Code's Dark Modern and Light+ as the panel sees them (CSS variables and body class), and a
// contrast reading of a colour drawn on the page's own canvas.

import type { PanelPage } from './harness';

// The themes' real values (VS Code's Dark Modern and Light+ colour themes and chart defaults).
export const THEMES: Record<string, Record<string, string>> = {
  'Dark Modern': {
    '--vscode-editor-background': '#1f1f1f', '--vscode-editor-foreground': '#cccccc', '--vscode-descriptionForeground': '#9d9d9d',
    '--vscode-charts-lines': 'rgba(204, 204, 204, 0.5)', '--vscode-charts-blue': '#3794ff', '--vscode-charts-red': '#f14c4c',
    '--vscode-charts-green': '#89d185', '--vscode-charts-orange': 'rgba(234, 92, 0, 0.33)', '--vscode-charts-purple': '#b180d7', '--vscode-charts-yellow': '#cca700',
  },
  'Light+': {
    '--vscode-editor-background': '#ffffff', '--vscode-editor-foreground': '#000000', '--vscode-descriptionForeground': '#717171',
    '--vscode-charts-lines': 'rgba(0, 0, 0, 0.5)', '--vscode-charts-blue': '#1a85ff', '--vscode-charts-red': '#e51400',
    '--vscode-charts-green': '#388a34', '--vscode-charts-orange': 'rgba(234, 92, 0, 0.33)', '--vscode-charts-purple': '#652d90', '--vscode-charts-yellow': '#bf8803',
  },
};

/** Sets a theme's variables and body class as VS Code does, and waits for the redraw. */
export async function applyThemeTo(p: PanelPage, name: string): Promise<void> {
  await p.page.evaluate(([vars, cls]) => {
    for (const [k, v] of Object.entries(vars)) document.body.style.setProperty(k, v);
    document.body.className = cls; // VS Code switches themes by the body's class; the panel re-reads the colours
  }, [THEMES[name], name === 'Light+' ? 'vscode-light' : 'vscode-dark'] as const);
  await p.page.waitForFunction(() => true);
  await p.settle();
}

/** WCAG contrast of a CSS colour (alpha composited) against an opaque background: an independent reading via canvas pixels. */
export async function contrastIn(p: PanelPage, colour: string, background: string): Promise<number> {
  const [f, b] = await p.page.evaluate(([c, bg]) => {
    const cv = document.createElement('canvas'); cv.width = cv.height = 1;
    const ctx = cv.getContext('2d', { willReadFrequently: true })!;
    ctx.fillStyle = bg; ctx.fillRect(0, 0, 1, 1);
    const under = [...ctx.getImageData(0, 0, 1, 1).data];
    ctx.fillStyle = c; ctx.fillRect(0, 0, 1, 1);
    return [[...ctx.getImageData(0, 0, 1, 1).data], under];
  }, [colour, background] as const);
  const lum = (px: number[]): number => px.slice(0, 3).map((v) => { const x = v / 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; }).reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const [l1, l2] = [lum(f), lum(b)];
  return (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
}
