// Where run folders live and what is in them (without loading traces): the runs root from the
// setting, the list of runs for Open Run / Compare Runs. No vscode import.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { RunStatus } from '../protocol/trace';
import { checkStatus } from '../core/runFolderChecks';

/**
 * The folder run folders are written to: the setting if absolute, else relative to the first
 * workspace folder; with no workspace, the extension's global storage.
 */
export function runsRoot(setting: string, workspaceFolder: string | undefined, globalStorage: string): string {
  const s = setting.trim() || '.rnn-debugger/runs';
  if (isAbsolute(s)) return s;
  return workspaceFolder ? join(workspaceFolder, s) : join(globalStorage, 'runs');
}

export interface RunFolderInfo {
  dir: string;
  status: RunStatus;
}

/** Run folders directly under `root` (those with a readable status.json), newest first. */
export function listRunFolders(root: string): RunFolderInfo[] {
  if (!existsSync(root)) return [];
  const out: RunFolderInfo[] = [];
  for (const name of readdirSync(root)) {
    const dir = join(root, name);
    const file = join(dir, 'status.json');
    if (!existsSync(file)) continue;
    try {
      out.push({ dir, status: checkStatus(JSON.parse(readFileSync(file, 'utf8')), file) });
    } catch {
      // Half-written, foreign or malformed file: not a run we can show.
    }
  }
  return out.sort((a, b) => (b.status.startedAt ?? 0) - (a.status.startedAt ?? 0));
}
