// Which Node binary runs the trainer. Dawn (the GPU engine) loads only in a real Node, never in
// Electron's (the desktop extension host), so the order is: the machine setting
// rnnDebugger.trainer.nodePath, a `node` ≥ 20 on PATH, the extension host's own runtime when it is
// real Node (code-server, the remote server); else the host's Electron as Node, CPU only, saying why.
// No vscode import: tested under node.

import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface TrainerRuntime {
  /** Binary for fork(); undefined = the extension host's own (process.execPath). */
  execPath: string | undefined;
  /** e.g. "node 22.3.0 (/usr/bin/node, from PATH)". */
  description: string;
  /** Whether this runtime can open the GPU (a real Node ≥ 20). */
  gpuCapable: boolean;
  /** Why earlier candidates were not used, one line each. */
  skipped: string[];
}

export interface RuntimeProbe {
  node: string;
  electron: string | null;
}

/** Asks a binary for its versions; null when it does not run as Node. */
export function probeNode(exe: string): RuntimeProbe | null {
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  const r = spawnSync(exe, ['-p', 'JSON.stringify({ node: process.versions.node, electron: process.versions.electron ?? null })'], {
    encoding: 'utf8', timeout: 10_000, env, windowsHide: true,
  });
  if (r.status !== 0 || !r.stdout) return null;
  try {
    const v = JSON.parse(r.stdout.trim()) as RuntimeProbe;
    return typeof v.node === 'string' ? v : null;
  } catch {
    return null;
  }
}

function onPath(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string | null {
  const names = platform === 'win32' ? ['node.exe'] : ['node'];
  for (const dir of (env.PATH ?? env.Path ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const n of names) {
      const f = join(dir, n);
      try {
        accessSync(f, constants.X_OK);
        return f;
      } catch {
        // not here
      }
    }
  }
  return null;
}

const major = (v: string): number => Number(v.split('.')[0]);

export function chooseTrainerRuntime(opts: {
  nodePath: string;
  env: NodeJS.ProcessEnv;
  hostVersions: NodeJS.ProcessVersions;
  hostExecPath: string;
  platform?: NodeJS.Platform;
  probe?: (exe: string) => RuntimeProbe | null;
}): TrainerRuntime {
  const probe = opts.probe ?? probeNode;
  const skipped: string[] = [];
  const check = (exe: string, from: string): TrainerRuntime | null => {
    const v = probe(exe);
    if (!v) skipped.push(`${from} ${exe} does not run as Node`);
    else if (v.electron) skipped.push(`${from} ${exe} is Electron ${v.electron}, not Node`);
    else if (major(v.node) < 20) skipped.push(`${from} ${exe} is Node ${v.node}, older than 20`);
    else return { execPath: exe, description: `node ${v.node} (${exe}, ${from})`, gpuCapable: true, skipped };
    return null;
  };
  if (opts.nodePath.trim()) {
    const r = check(opts.nodePath.trim(), 'the setting rnnDebugger.trainer.nodePath:');
    if (r) return r;
  }
  const found = onPath(opts.env, opts.platform ?? process.platform);
  if (found) {
    const r = check(found, 'PATH:');
    if (r) return r;
  } else skipped.push('no node on PATH');
  const host = opts.hostVersions;
  if (!host.electron && major(host.node) >= 20) {
    return { execPath: undefined, description: `node ${host.node} (${opts.hostExecPath}, the extension host's own)`, gpuCapable: true, skipped };
  }
  return {
    execPath: undefined,
    description: `the editor's Electron ${host.electron ?? ''} as Node ${host.node}: CPU only (install Node ≥ 20 or set rnnDebugger.trainer.nodePath to train on the GPU)`.replace('Electron  ', 'Electron '),
    gpuCapable: false,
    skipped,
  };
}
