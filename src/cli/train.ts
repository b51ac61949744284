// `rnn-debugger train`: checks the data, runs the training in this process with progress lines,
// writes the run folder and its report; Ctrl-C stops after the current step.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MetricsRecord } from '../protocol/trace';
import { openGpu } from '../core/gpu/dawn';
import { defaultWasmDir } from '../core/backend';
import { createDataSource } from '../core/data';
import { newRunId } from '../core/runId';
import { runTraining } from '../core/train';
import { reportFromRunFolder } from '../report/report';
import { fmt, str, UsageError, type CliIO, type Flags } from './flags';
import { specFromFlags } from './specFromFlags';

/** Trains the run the flags describe; exit code 1 when it failed. */
export async function train(flags: Flags, io: CliIO, cwd: string): Promise<number> {
  const { spec, baseDir } = specFromFlags(flags, cwd);
  // Check the data before starting: a bad file is bad input (exit 2), not a failed run.
  createDataSource(spec, { baseDir });
  // So is asking for the GPU engine where there is none: say what was found instead.
  if (spec.backend === 'webgpu') {
    await openGpu({ allowSoftware: true }).catch((e: Error) => {
      throw new UsageError(`--backend webgpu: ${e.message}`);
    });
  }
  const outDir = path.resolve(cwd, str(flags, 'out') ?? 'runs');
  const runId = newRunId(spec);
  let runDir = path.join(outDir, runId);
  for (let k = 2; fs.existsSync(runDir); k++) runDir = path.join(outDir, `${runId}-${k}`);
  const quiet = flags.quiet === true;
  const every = Math.max(1, Math.floor(spec.train.steps / 50));
  let stop = false;
  const onSigint = (): void => {
    if (stop) process.exit(130);
    stop = true;
    io.err('stopping after this step (Ctrl-C again to abort)…');
  };
  process.on('SIGINT', onSigint);
  let last: MetricsRecord | null = null;
  try {
    const status = await runTraining(spec, {
      runDir,
      baseDir,
      wasmDir: defaultWasmDir(),
      runId: path.basename(runDir),
      hooks: {
        onStatus: () => undefined,
        onMetrics: (m) => {
          last = m;
          if (quiet) return;
          if (m.step === 1 || m.step % every === 0 || m.valLoss !== undefined || m.step === spec.train.steps) {
            io.out(
              `step ${String(m.step).padStart(String(spec.train.steps).length)}/${spec.train.steps}  loss ${fmt(m.loss)}  val ${fmt(m.valLoss)}  ` +
                `grad ${fmt(m.gradNorm, 3)}${m.clipped ? ` → ${fmt(m.gradNormClipped, 3)} (clipped)` : ''}  ${m.seconds.toFixed(2)} s/step`,
            );
          }
        },
        onSnapshot: () => undefined,
        onLog: (line) => {
          if (!quiet || line.startsWith('backend') || line.startsWith('cannot write')) io.out(line);
        },
        checkpoint: async () => (stop ? 'stop' : 'continue'),
      },
    });
    const base = status.baseline !== undefined ? `  (baseline ${fmt(status.baseline)})` : '';
    const lastVal = last as MetricsRecord | null;
    io.out(`${status.state} after ${status.step} steps: loss ${fmt(lastVal?.loss)}  val ${fmt(lastVal?.valLoss)}${base}`);
    if (status.reason) io.out(`reason: ${status.reason}`);
    io.out(`run folder: ${runDir}`);
    if (flags['no-report'] !== true && fs.existsSync(path.join(runDir, 'status.json'))) {
      try {
        await reportFromRunFolder(runDir, path.join(runDir, 'report.html'));
        io.out(`report: ${path.join(runDir, 'report.html')}`);
      } catch (e) {
        // The run itself is complete on disk; a missing report is worth a line, not a failure.
        io.err(`rnn-debugger: could not write the report: ${(e as Error).message}`);
      }
    }
    return status.state === 'failed' ? 1 : 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
