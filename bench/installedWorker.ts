// One measurement of the INSTALLED package: forks <extension>/dist/trainer.js (the trainer users
// run, from a .vsix unpacked as VS Code does; bench/run.ts installs it) from a scratch folder,
// with PATH holding node alone (no compiler visible) and no LD_LIBRARY_PATH, trains
// the bench workload through the trainer protocol and reads each step's wall time from its
// metrics. Prints one RESULT line like bench/worker.ts.
// Usage: node --import tsx bench/installedWorker.ts <extensionDir> <lstm|gru|rnn> <H> <T> [opts JSON]
// Workload: character text of 32 symbols (one-hot I = V = 32), B = 32, softmax CE at every
// step, BPTT, clipping and Adam, recording on at every step (sample 0), no run folder.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrainerClient } from '../src/extension/trainerClient';
import type { RunSpec } from '../src/protocol/spec';
import type { WorkerOptions, WorkerResult } from './worker';

const V = 32;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** Peak resident set of a process (MB), from /proc (Linux); 0 where unavailable. */
function peakRssMB(pid: number | undefined): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

async function main(): Promise<void> {
  const [ext, cellArg, hs, ts, optJson] = process.argv.slice(2);
  if (cellArg !== 'lstm' && cellArg !== 'gru' && cellArg !== 'rnn') throw new Error(`cell must be lstm, gru or rnn, got ${cellArg}`);
  const cell: 'lstm' | 'gru' | 'rnn' = cellArg;
  const H = Number(hs), T = Number(ts);
  const o: WorkerOptions = optJson ? (JSON.parse(optJson) as WorkerOptions) : {};
  const B = o.B ?? 32, cap = o.capSeconds ?? 40, warmup = o.warmup ?? 2;
  const minReps = o.minReps ?? 3, maxReps = o.maxReps ?? 30, minSeconds = o.minSeconds ?? 6;
  const scratch = mkdtempSync(join(tmpdir(), 'rnn-bench-installed-'));
  const base: WorkerResult = { variant: cell === 'lstm' ? 'installed-rec' : `installed-${cell}-rec`, H, T, B, times: [], median: null, first: null, rssMB: 0, backend: '' };
  try {
    // Random text over 32 symbols, long enough that batches do not repeat during the run.
    let s = 1234;
    const rnd = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
    const alphabet = 'abcdefghijklmnopqrstuvwxyz012345';
    const text = Array.from({ length: Math.max(200_000, B * (T + 1) * 4) }, () => alphabet[Math.floor(rnd() * V)]).join('');
    writeFileSync(join(scratch, 'corpus.txt'), text);
    const spec: RunSpec = {
      data: { kind: 'text', path: join(scratch, 'corpus.txt') },
      model: { cell, hiddenSize: H, layers: 1, embeddingSize: 0, forgetBias: 1, chronoInit: false, cellActivation: 'tanh', candidateActivation: 'tanh', rnnActivation: 'tanh' },
      train: { optimizer: 'adam', learningRate: 1e-3, batchSize: B, seqLength: T, steps: 100_000, clipNorm: 1, carryState: false, validationFraction: 0.05, validateEvery: 1_000_000 },
      trace: { samples: [0], every: 1, reachFrom: -1, jacobian: false },
      backend: 'wasm',
      seed: 1,
    };
    // PATH holds node alone (node's own folder may also hold cc, clang…).
    const bin = join(scratch, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const here = process.cwd();
    process.chdir(scratch); // the trainer's current directory: a scratch folder, not the repository
    const client = new TrainerClient({
      trainerPath: join(ext, 'dist', 'trainer.js'),
      env: { PATH: bin, LD_LIBRARY_PATH: '' },
    });
    process.chdir(here);
    const times: number[] = [];
    let first: number | null = null;
    let rss = 0;
    const t0 = Date.now();
    const done = new Promise<string | null>((resolve) => {
      client.onMessage((m) => {
        if (m.type !== 'metrics') return;
        for (const r of m.records) {
          if (r.step === 1) first = r.seconds;
          if (r.step === 1 && r.seconds > cap) return resolve(`first step took ${r.seconds.toFixed(1)} s > cap ${cap} s`);
          if (r.step <= warmup) continue;
          times.push(r.seconds);
          const elapsed = times.reduce((a, b) => a + b, 0);
          if (times.length >= maxReps || (times.length >= minReps && elapsed >= minSeconds)) {
            rss = peakRssMB(client.pid);
            return resolve(null);
          }
        }
      });
      void client.whenExited().then((e) => resolve(`trainer exited early (${e.crash ?? `code ${e.code}`})`));
    });
    client.start({ runId: 'bench', spec, runDir: null, wasmDir: join(ext, 'dist'), limits: { metricsIntervalMs: 20, snapshotIntervalMs: 1_000_000 } });
    const skipped = await done;
    const log = client.logTail;
    await client.stop(30_000);
    const model = log.find((l) => l.includes('model: ')) ?? '';
    const backend = log.find((l) => l.includes('backend ')) ?? '';
    const res: WorkerResult & { wallSeconds: number; log: string[] } = {
      ...base, times, first, median: skipped ? null : median(times), rssMB: rss, backend,
      note: model.replace(/^.*model: /, ''), wallSeconds: (Date.now() - t0) / 1000, log: log.slice(-12),
      ...(skipped ? { skipped } : {}),
    };
    console.log(`RESULT ${JSON.stringify(res)}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.log(`RESULT ${JSON.stringify({ error: String((e as Error)?.stack ?? e) })}`);
  process.exit(1);
});
