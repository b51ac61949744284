// One problem, said once: VS Code's own JSON validation (from the schema the manifest declares)
// reports many of the spec file's problems too. Ours are dropped where another source already
// marks the same place; the rest (paths, cross-field rules) stay.

export interface LineSpan { startLine: number; endLine: number }

/** Problems of `ours` that no problem of `others` overlaps (by lines). */
export function notReportedElsewhere<T extends LineSpan>(ours: readonly T[], others: readonly LineSpan[]): T[] {
  return ours.filter((p) => !others.some((o) => o.startLine <= p.endLine && p.startLine <= o.endLine));
}
