// `npm run bench`: the instrumented training step against its baselines, one sitting, each
// configuration in its own process. Headline: the INSTALLED package (the universal .vsix built by
// scripts/package.mjs, unpacked as VS Code does into a scratch extensions folder, its trainer run
// with no compiler on PATH; bench/installedWorker.ts), beside the dev build. Prints s/step,
// timesteps·samples/s, GFLOP/s, peak RSS, threads and the ratios the performance targets are
// stated in; saves bench/results/latest.json.
// Usage: node --import tsx bench/run.ts [--quick] [--configs=64x100,256x500] [--variants=a,b]
//        [--min-seconds=6] [--no-torch] [--save=name.json (default latest.json)]

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { WorkerOptions, WorkerResult } from './worker';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const quick = args.includes('--quick');

const B = 32, I = 32, V = 32;
/** Nominal FLOPs of one step (forward + backward ≈ 3× forward, 2 FLOPs per multiply-add). */
const flops = (H: number, T: number): number => 6 * B * T * 4 * H * (I + H) + 6 * B * T * H * V;

const TS_VARIANTS = ['installed-rec', 'installed-platform-rec', 'installed-gru-rec', 'installed-rnn-rec', 'fused-rec', 'fused-wasm-rec', 'fused-norec', 'fused-js-rec', 'reference-rec', 'tflayers', 'gru-rec', 'rnn-rec'];
const PY_VARIANTS = ['torch-nnlstm', 'torch-cell', 'torch-nngru', 'torch-nnrnn'];
const LABEL: Record<string, string> = {
  'installed-rec': '**installed package** (universal .vsix), rec. on',
  'installed-platform-rec': `installed package (${process.platform}-${process.arch} .vsix: native BLAS bridge, the machine's OpenBLAS if any), rec. on`,
  'installed-gru-rec': 'GRU, installed package (universal .vsix), rec. on',
  'installed-rnn-rec': 'vanilla RNN, installed package (universal .vsix), rec. on',
  'fused-rec': 'dev build, fused, default GEMM, rec. on',
  'fused-wasm-rec': 'dev build, fused, wasm SIMD GEMM, rec. on',
  'fused-norec': 'dev build, fused, default GEMM, rec. off',
  'fused-js-rec': 'dev build, fused, JS GEMM, rec. on',
  'reference-rec': 'ours, tfjs op-by-op engine, rec. on',
  tflayers: 'tf.layers.lstm (same backend)',
  'gru-rec': 'GRU as training runs it (fused kernel), rec. on',
  'rnn-rec': 'vanilla RNN as training runs it (fused kernel), rec. on',
  'torch-nngru': 'PyTorch nn.GRU',
  'torch-nnrnn': 'PyTorch nn.RNN (tanh)',
  'torch-nnlstm': 'PyTorch nn.LSTM',
  'torch-cell': 'PyTorch LSTMCell + retain_grad + gates',
};

const configs: [number, number][] = (flag('configs') ?? (quick ? '64x100' : '64x100,64x500,256x100,256x500'))
  .split(',')
  .map((c) => c.split('x').map(Number) as [number, number]);
const memoryConfig: [number, number] | null = quick || flag('configs') ? null : [256, 1000];
let variants = flag('variants')?.split(',') ?? (quick ? ['installed-rec', 'fused-rec', 'fused-norec', 'torch-nnlstm', 'torch-cell'] : [...TS_VARIANTS, ...PY_VARIANTS]);
type PackageKind = 'universal' | 'platform';
/** The installed-package variants: the trainer of an unpacked .vsix (the universal one or this platform's), and its cell. */
const INSTALLED: Record<string, { cell: string; pkg: PackageKind }> = {
  'installed-rec': { cell: 'lstm', pkg: 'universal' },
  'installed-platform-rec': { cell: 'lstm', pkg: 'platform' },
  'installed-gru-rec': { cell: 'gru', pkg: 'universal' },
  'installed-rnn-rec': { cell: 'rnn', pkg: 'universal' },
};
/** The installed extensions' folders (set by installPackage()). */
const installedExt: Partial<Record<PackageKind, string>> = {};
const minSeconds = Number(flag('min-seconds') ?? (quick ? 2 : 6));
const cap = 40;

/** A python3 that can import torch (Debian's python3-torch lives in /usr/bin/python3). */
function findTorchPython(): string | null {
  if (args.includes('--no-torch')) return null;
  for (const py of [process.env.PYTHON ?? '', 'python3', '/usr/bin/python3'].filter(Boolean)) {
    const r = spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return null;
}

function ensureNative(): void {
  if (!existsSync(join(root, 'dist', 'fastblas.node'))) spawnSync(process.execPath, [join(root, 'src/core/fast/native/build.mjs')], { stdio: 'inherit' });
}

/**
 * Builds a .vsix (scripts/package.mjs: the universal one, or this platform's) and unpacks it as
 * VS Code does into a scratch extensions folder outside the repository, under `scratch`.
 */
async function installPackage(pkg: PackageKind, scratch: string): Promise<void> {
  const target = pkg === 'platform' ? `${process.platform}-${process.arch}` : 'universal';
  const vsix = join(scratch, `rnn-debugger-${target}.vsix`);
  const r = spawnSync(process.execPath, [join(root, 'scripts/package.mjs'), '--target', target, '--out', vsix], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`packaging failed: ${r.stdout}\n${r.stderr}`);
  const { installVsix } = (await import(join(root, 'scripts/install-vsix.mjs'))) as { installVsix: (v: string, d: string) => string };
  const ext = installVsix(vsix, join(scratch, `extensions-${target}`));
  installedExt[pkg] = ext;
  const pieces = readdirSync(join(ext, 'dist')).filter((f) => /\.(wasm|node)$|-worker\.cjs$/.test(f));
  console.log(`installed package (${target}): ${ext} (${(statSync(vsix).size / 2 ** 20).toFixed(2)} MiB .vsix; kernels: ${pieces.join(', ')}); its trainer runs from a scratch folder, PATH holding node alone`);
}

function runOne(variant: string, H: number, T: number, py: string | null): WorkerResult {
  const opts: WorkerOptions = { capSeconds: cap, minSeconds, minReps: 3, maxReps: quick ? 10 : 30 };
  const cmd = variant.startsWith('torch-')
    ? { bin: py!, argv: [join(root, 'bench/torch_baseline.py'), variant.slice(6), String(H), String(T), JSON.stringify(opts)] }
    : INSTALLED[variant]
      ? { bin: process.execPath, argv: ['--import', 'tsx', join(root, 'bench/installedWorker.ts'), installedExt[INSTALLED[variant].pkg]!, INSTALLED[variant].cell, String(H), String(T), JSON.stringify(opts)] }
      : { bin: process.execPath, argv: ['--import', 'tsx', join(root, 'bench/worker.ts'), variant, String(H), String(T), JSON.stringify(opts)] };
  const t0 = Date.now();
  const r = spawnSync(cmd.bin, cmd.argv, { cwd: root, encoding: 'utf8', timeout: 15 * 60_000, maxBuffer: 1 << 26 });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('RESULT '));
  const base: WorkerResult = { variant, H, T, B, times: [], median: null, first: null, rssMB: 0, backend: '' };
  if (!line) return { ...base, skipped: `failed (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}` };
  const res = JSON.parse(line.slice(7)) as WorkerResult & { error?: string };
  if (res.error) return { ...base, skipped: `error: ${res.error.split('\n')[0]}` };
  process.stderr.write(`  ${variant} H=${H} T=${T}: ${res.median?.toFixed(3) ?? res.skipped} s/step (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
  return { ...res, variant };
}

const fmt = (x: number | null | undefined, d = 3): string => (x == null || !Number.isFinite(x) ? '—' : x.toFixed(d));
const k = (x: number): string => (x >= 1000 ? `${(x / 1000).toFixed(1)}k` : x.toFixed(0));

function cpuModel(): string {
  try {
    return (readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) ?? [])[1] ?? os.cpus()[0]?.model ?? '?';
  } catch {
    return os.cpus()[0]?.model ?? '?';
  }
}

/** Threads each side used, as far as the process says (ours: the GEMM label; PyTorch: its settings). */
function threadsOf(r: WorkerResult): string {
  if (r.variant.startsWith('torch-')) return 'torch 1 + OpenBLAS pthread pool';
  // The dev build's note carries the GEMM label; the installed trainer's backend line does.
  const m = /\((\d+) threads?\)/.exec(`${r.note ?? ''} ${r.backend ?? ''}`);
  if (m) return `${m[1]} (GEMM)`;
  if (/OpenBLAS/.test(r.note ?? '')) return 'OpenBLAS pool';
  return '1';
}

async function main(): Promise<void> {
  ensureNative();
  const kinds = new Set(variants.filter((v) => INSTALLED[v]).map((v) => INSTALLED[v].pkg));
  const scratch = kinds.size ? mkdtempSync(join(os.tmpdir(), 'rnn-bench-vsix-')) : null;
  for (const pkg of kinds) await installPackage(pkg, scratch!);
  const py = findTorchPython();
  if (!py) {
    console.log('PyTorch: not measured (not installed). To measure it on Debian:\n  apt-get install python3-torch libopenblas0-pthread');
    variants = variants.filter((v) => !v.startsWith('torch-'));
  }
  const startedAt = new Date().toISOString();
  const load0 = os.loadavg();
  console.log(`machine: ${cpuModel()}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; load average at start ${load0.map((x) => x.toFixed(1)).join(' ')}`);
  console.log(`B=${B}, one-hot I=${I}, V=${V}; step = forward + softmax CE at every step + BPTT + Adam; medians of ≥3 timed steps after warm-up, each config in its own process\n`);

  const results: WorkerResult[] = [];
  const all: [number, number, string[]][] = configs.map(([H, T]) => [H, T, variants]);
  if (memoryConfig) all.push([memoryConfig[0], memoryConfig[1], variants.filter((v) => ['installed-rec', 'installed-platform-rec', 'fused-rec', 'fused-norec', 'torch-nnlstm', 'torch-cell'].includes(v))]);
  for (const [H, T, vs] of all) {
    process.stderr.write(`H=${H} T=${T}\n`);
    for (const v of vs) {
      // Skip what a shorter run of the same variant predicts to exceed the cap (time grows ∝ T or worse).
      const shorter = results.filter((r) => r.variant === v && r.H === H && r.T < T);
      const prior = shorter.find((r) => r.skipped?.startsWith('predicted') || r.skipped?.startsWith('first step'));
      const pred = shorter.find((r) => r.median != null && (r.median * T) / r.T > cap);
      if (prior || pred) {
        const why = prior ? `skipped at T=${prior.T} already` : `predicted ≥ ${fmt((pred!.median! * T) / pred!.T, 0)} s/step from T=${pred!.T} > cap ${cap} s`;
        results.push({ variant: v, H, T, B, times: [], median: null, first: null, rssMB: 0, backend: '', skipped: why.startsWith('predicted') ? why : `predicted: ${why}` });
        continue;
      }
      results.push(runOne(v, H, T, v.startsWith('torch-') ? py : null));
    }
  }
  const load1 = os.loadavg();

  // ---- table per configuration ----
  const get = (v: string, H: number, T: number): WorkerResult | undefined => results.find((r) => r.variant === v && r.H === H && r.T === T);
  for (const [H, T, vs] of all) {
    const ours = get('installed-rec', H, T) ?? get('fused-rec', H, T);
    console.log(`\nH=${H}, T=${T}  (nominal ${(flops(H, T) / 1e9).toFixed(2)} GFLOP/step)`);
    console.log(`| variant | s/step | steps·samples/s | GFLOP/s | peak RSS MB | threads | this ÷ ${ours?.variant === 'installed-rec' ? 'installed' : 'dev build'} |`);
    console.log('|---|---|---|---|---|---|---|');
    for (const v of vs) {
      const r = get(v, H, T);
      if (!r) continue;
      if (r.median == null) {
        console.log(`| ${LABEL[v] ?? v} | ${r.skipped ?? 'n/a'} | | | ${r.rssMB ? r.rssMB.toFixed(0) : ''} | | |`);
        continue;
      }
      const ratio = ours?.median ? r.median / ours.median : null;
      console.log(`| ${LABEL[v] ?? v} | ${fmt(r.median)} | ${k((T * B) / r.median)} | ${fmt(flops(H, T) / r.median / 1e9, 1)} | ${r.rssMB.toFixed(0)} | ${threadsOf(r)} | ${fmt(ratio, 2)}× |`);
    }
  }

  console.log('\nWhat each of ours ran on:');
  for (const v of variants.filter((x) => !x.startsWith('torch-'))) {
    const r = results.find((x) => x.variant === v && x.note);
    if (r) console.log(`  ${LABEL[v] ?? v}: ${r.note}`);
  }
  const tr = results.find((x) => x.variant.startsWith('torch-') && x.note);
  if (tr) console.log(`  PyTorch: ${tr.note}; torch.set_num_threads(1), OpenBLAS (pthread build) runs its own pool of up to ${os.cpus().length} threads`);

  // ---- the targets ----
  console.log('\nTargets (ours = fused, recording on):');
  const checks: { what: string; value: string; pass: boolean | null }[] = [];
  for (const [H, T] of all.map(([h, t]) => [h, t] as const)) {
    const inst = get('installed-rec', H, T)?.median, nn = get('torch-nnlstm', H, T)?.median;
    for (const [ours, theirs, name] of [
      ['installed-gru-rec', 'torch-nngru', 'GRU, installed package'], ['gru-rec', 'torch-nngru', 'GRU, dev build'],
      ['installed-rnn-rec', 'torch-nnrnn', 'vanilla RNN, installed package'], ['rnn-rec', 'torch-nnrnn', 'vanilla RNN, dev build'],
    ] as const) {
      const a = get(ours, H, T)?.median, b = get(theirs, H, T)?.median;
      if (a && b) checks.push({ what: `H=${H} T=${T} ${name} ÷ PyTorch ≤ 2.0`, value: `${fmt(a / b, 2)}`, pass: a / b <= 2 });
    }
    if (inst && nn) checks.push({ what: `H=${H} T=${T} installed universal package ÷ PyTorch nn.LSTM ≤ 2.0 (goal 1.0)`, value: `${fmt(inst / nn, 2)}`, pass: inst / nn <= 2 });
    else if (inst) checks.push({ what: `H=${H} T=${T} installed universal package ÷ PyTorch nn.LSTM ≤ 2.0`, value: 'PyTorch not measured', pass: null });
    const plat = get('installed-platform-rec', H, T)?.median;
    if (plat && nn) checks.push({ what: `H=${H} T=${T} installed ${process.platform}-${process.arch} package ÷ PyTorch nn.LSTM ≤ 1.3`, value: `${fmt(plat / nn, 2)}`, pass: plat / nn <= 1.3 });
  }
  for (const [H, T] of configs) {
    const on = get('fused-rec', H, T)?.median, off = get('fused-norec', H, T)?.median;
    const lay = get('tflayers', H, T), cell = get('torch-cell', H, T)?.median, nn = get('torch-nnlstm', H, T)?.median;
    const tag = `H=${H} T=${T}`;
    if (on && off) checks.push({ what: `${tag} recording overhead ≤ 15 %`, value: `${fmt((on / off - 1) * 100, 1)} %`, pass: on / off - 1 <= 0.15 });
    if (on && lay?.median) checks.push({ what: `${tag} vs tf.layers.lstm ≥ 5× faster`, value: `${fmt(lay.median / on, 1)}×`, pass: lay.median / on >= 5 });
    else if (on && lay?.skipped) checks.push({ what: `${tag} vs tf.layers.lstm ≥ 5× faster`, value: `tf.layers ${lay.skipped}`, pass: null });
    if (on && cell) checks.push({ what: `${tag} ÷ PyTorch LSTMCell+retain_grad ≤ 2 (goal 1.0)`, value: `${fmt(on / cell, 2)}`, pass: on / cell <= 2 });
    if (on && nn) checks.push({ what: `${tag} ÷ PyTorch nn.LSTM (goal ≤ 1.5)`, value: `${fmt(on / nn, 2)}`, pass: on / nn <= 1.5 });
  }
  const big = get('fused-rec', 256, 500), bigTorch = get('torch-cell', 256, 500) ?? get('torch-nnlstm', 256, 500);
  if (big?.rssMB) checks.push({ what: 'H=256 T=500 peak RSS < 1 GB and < 2× PyTorch', value: `${big.rssMB.toFixed(0)} MB${bigTorch?.rssMB ? ` (PyTorch ${bigTorch.rssMB.toFixed(0)} MB)` : ''}`, pass: big.rssMB < 1024 && (!bigTorch?.rssMB || big.rssMB < 2 * bigTorch.rssMB) });
  if (memoryConfig) {
    const m = get('fused-rec', memoryConfig[0], memoryConfig[1]);
    if (m?.rssMB) checks.push({ what: `H=${memoryConfig[0]} T=${memoryConfig[1]} B=32 peak RSS (stated bound 1 GB)`, value: `${m.rssMB.toFixed(0)} MB`, pass: m.rssMB < 1024 });
  }
  for (const c of checks) console.log(`  [${c.pass == null ? ' ?? ' : c.pass ? 'PASS' : 'MISS'}] ${c.what}: ${c.value}`);
  const torchWarn = results.find((r) => (r as WorkerResult & { warning?: string }).warning);
  if (torchWarn) console.log(`\nWARNING: ${(torchWarn as WorkerResult & { warning?: string }).warning}`);
  console.log(`\nload average at end ${load1.map((x) => x.toFixed(1)).join(' ')} (timings are wall-clock: other processes on the machine slow every variant)`);

  const outDir = join(root, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, flag('save') ?? (quick ? 'quick.json' : 'latest.json'));
  writeFileSync(file, JSON.stringify({ startedAt, finishedAt: new Date().toISOString(), machine: { cpu: cpuModel(), cores: os.cpus().length, memGiB: os.totalmem() / 2 ** 30, node: process.version }, loadavg: { start: load0, end: load1 }, B, I, V, results, checks }, null, 2));
  console.log(`saved ${file}`);
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}

void main();
