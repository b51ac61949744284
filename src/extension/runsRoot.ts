// The runs root: where run folders live and what is in them (without loading traces), from the
// setting, the list of runs for Open Run / Compare Runs. No vscode import.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { RunStatus } from '../protocol/trace';
import { checkStatus } from '../core/runFolderChecks';
import { isActiveState } from './runStore';

/**
 * The folder run folders are written to: the setting if absolute, else relative to the first
 * workspace folder; with no workspace, the extension's global storage.
 */
export function runsRoot(setting: string, workspaceFolder: string | undefined, globalStorage: string): string {
  const s = setting.trim() || '.rnn-debugger/runs';
  if (isAbsolute(s)) return s;
  return workspaceFolder ? join(workspaceFolder, s) : join(globalStorage, 'runs');
}

/**
 * Why run folders cannot be written under `root` (it cannot be created, is not a folder, is
 * read-only, the disk is full), found by creating it and writing a probe file; undefined when
 * they can. Checked before a run starts, so an unsaved run is never presented as saved.
 */
export function runsFolderProblem(root: string): string | undefined {
  const probe = join(root, `.write-probe-${process.pid}`);
  try {
    mkdirSync(root, { recursive: true });
    writeFileSync(probe, 'probe');
    return undefined;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return `${root} cannot be written (${err.code ?? 'error'}: ${err.message.replace(/^[A-Z]+: /, '')})`;
  } finally {
    try { rmSync(probe, { force: true }); } catch { /* nothing was written */ }
  }
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

/** Whether a process is alive (signal 0 tests without sending; EPERM means it exists). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A folder whose status says the run is live although its trainer is gone (the window that
 * started it was reloaded or closed before the run could say so) is rewritten as 'interrupted',
 * so it does not claim "running" for good. A run whose trainer process still exists (e.g. one
 * started by another window) is left as it is. Returns the status to show.
 */
export function settleInterrupted(info: RunFolderInfo, write: (dir: string, s: RunStatus) => void, alive: (pid: number) => boolean = processAlive): RunStatus {
  const s = info.status;
  if (!isActiveState(s.state) || (typeof s.pid === 'number' && s.pid > 0 && alive(s.pid))) return s;
  const settled: RunStatus = { ...s, state: 'interrupted', reason: s.reason ?? `the trainer ended without a final status after step ${s.step} (window closed or reloaded)`, updatedAt: Date.now() };
  try {
    write(info.dir, settled);
  } catch {
    // A read-only run folder: show it as interrupted all the same.
  }
  return settled;
}
