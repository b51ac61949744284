// Canvas colours from the VS Code theme (CSS variables), with fallbacks for the standalone report.
// Series colours are made opaque and readable against the background (logic/contrast.ts).

import { readableColour } from './logic/contrast';

export interface Theme {
  foreground: string;
  muted: string;
  grid: string;
  background: string;
  /** Series colours: blue, red, green, orange, purple, yellow. */
  series: string[];
  font: string;
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  const v = style.getPropertyValue(name).trim();
  return v || fallback;
}

/** Reads the current theme; call again when the body's theme class changes. */
export function readTheme(): Theme {
  const s = getComputedStyle(document.body);
  const background = cssVar(s, '--vscode-editor-background', '#1e1e1e');
  const readable = (name: string, fallback: string): string => readableColour(cssVar(s, name, fallback), background);
  return {
    foreground: cssVar(s, '--vscode-editor-foreground', '#cccccc'),
    muted: cssVar(s, '--vscode-descriptionForeground', '#8b8b8b'),
    grid: cssVar(s, '--vscode-charts-lines', 'rgba(128,128,128,0.35)'),
    background,
    series: [
      readable('--vscode-charts-blue', '#3794ff'),
      readable('--vscode-charts-red', '#f14c4c'),
      readable('--vscode-charts-green', '#89d185'),
      readable('--vscode-charts-orange', '#d18616'),
      readable('--vscode-charts-purple', '#b180d7'),
      readable('--vscode-charts-yellow', '#cca700'),
    ],
    font: cssVar(s, '--vscode-font-family', 'sans-serif'),
  };
}
