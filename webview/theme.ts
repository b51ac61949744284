// Canvas colours from the VS Code theme (CSS variables), with fallbacks for the standalone report.

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
  return {
    foreground: cssVar(s, '--vscode-editor-foreground', '#cccccc'),
    muted: cssVar(s, '--vscode-descriptionForeground', '#8b8b8b'),
    grid: cssVar(s, '--vscode-charts-lines', 'rgba(128,128,128,0.35)'),
    background: cssVar(s, '--vscode-editor-background', '#1e1e1e'),
    series: [
      cssVar(s, '--vscode-charts-blue', '#3794ff'),
      cssVar(s, '--vscode-charts-red', '#f14c4c'),
      cssVar(s, '--vscode-charts-green', '#89d185'),
      cssVar(s, '--vscode-charts-orange', '#d18616'),
      cssVar(s, '--vscode-charts-purple', '#b180d7'),
      cssVar(s, '--vscode-charts-yellow', '#cca700'),
    ],
    font: cssVar(s, '--vscode-font-family', 'sans-serif'),
  };
}
