// `rnn-debugger report`: a run folder's self-contained HTML report.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { reportFromRunFolder } from '../report/report';
import { str, UsageError, type CliIO, type Flags } from './flags';

/** Writes the report of the run folder given by --run. */
export async function report(flags: Flags, io: CliIO, cwd: string): Promise<number> {
  const runArg = str(flags, 'run');
  if (!runArg) throw new UsageError('report needs --run <run folder>');
  const runDir = path.resolve(cwd, runArg);
  if (!fs.existsSync(path.join(runDir, 'status.json'))) throw new UsageError(`${runDir} is not a run folder (no status.json)`);
  const out = path.resolve(cwd, str(flags, 'out') ?? path.join(runDir, 'report.html'));
  await reportFromRunFolder(runDir, out);
  io.out(`wrote ${out} (${(fs.statSync(out).size / 1e6).toFixed(1)} MB; open it in any browser)`);
  return 0;
}
