// Whether an open document is a run's training file: the run's spec names it by an absolute path
// or by one relative to some folder.

import * as path from 'node:path';

/** Whether a document path is the run's data path (absolute, or relative to some folder). */
export function matchesDataPath(fsPath: string, dataPath: string): boolean {
  const a = path.normalize(fsPath);
  const b = path.normalize(dataPath);
  if (path.isAbsolute(b)) return a === b;
  return a === b || a.endsWith(path.sep + b);
}
