// The interactive "Train RNN" flow: one summary pick whose first row trains with what is shown
// (so Enter alone gives a sensible run) and whose other rows change one choice each; "Save as
// spec…" writes the choices to a `*.rnn.json` file.

import * as vscode from 'vscode';
import { dirname, isAbsolute, relative } from 'node:path';
import { CELL_KINDS, BACKENDS, type DataSpec, type RunSpec } from '../protocol/spec';
import { describeSpec, resolveSpec, sequenceLengthOf, SpecError } from '../core/spec';
import { applyField, dataSpecForFile, describeData, specFileText, summaryRows, type Field } from './trainDefaults';

interface RowItem extends vscode.QuickPickItem {
  action: 'train' | 'save' | Field;
}

const CELL_HELP: Record<string, string> = {
  lstm: 'forget, input, output gates (the lecture)',
  gru: 'update and reset gates',
  rnn: 'vanilla tanh/relu RNN: watch its gradients vanish',
  'lstm-no-output-gate': 'LSTM without o: h = act(c)',
  'lstm-no-input-gate': 'LSTM without i: c = f·c + g',
  'lstm-forget-only': 'only the forget gate (JANET-like)',
};

/** Result of the flow: the resolved spec and the folder its relative paths resolve against. */
export interface FlowResult {
  spec: RunSpec;
  baseDir: string | undefined;
}

/** Validates a candidate; shows the problems and returns undefined when it is not usable. */
function check(candidate: RunSpec, baseDir: string | undefined): RunSpec | undefined {
  try {
    return resolveSpec(candidate, { baseDir });
  } catch (e) {
    const msg = e instanceof SpecError ? e.issues.map((i) => `${i.path}: ${i.message}`).join('; ') : (e as Error).message;
    void vscode.window.showErrorMessage(`RNN Debugger: ${msg}`);
    return undefined;
  }
}

export async function runTrainFlow(initial: RunSpec, baseDir: string | undefined): Promise<FlowResult | undefined> {
  let spec = initial;
  for (;;) {
    const rows = summaryRows(spec);
    const items: RowItem[] = [
      { action: 'train', label: '$(play) Train', description: describeSpec(spec), detail: `${spec.train.steps} steps of ${spec.train.optimizer} at lr ${spec.train.learningRate} · press Enter to start` },
      { action: 'train', label: '', kind: vscode.QuickPickItemKind.Separator },
      ...rows.map((r): RowItem => ({ action: r.field, label: r.label, description: r.value })),
      { action: 'train', label: '', kind: vscode.QuickPickItemKind.Separator },
      { action: 'save', label: '$(save) Save as spec…', description: 'write these choices to a *.rnn.json file' },
    ];
    const pick = await vscode.window.showQuickPick(items, {
      title: 'RNN Debugger: Train RNN',
      placeHolder: 'Enter trains with these settings; pick a row to change it',
      matchOnDescription: true,
      ignoreFocusOut: true,
    });
    if (!pick) return undefined;
    if (pick.action === 'train') {
      const resolved = check(spec, baseDir);
      if (resolved) return { spec: resolved, baseDir };
      continue;
    }
    if (pick.action === 'save') {
      await saveSpecAs(spec, baseDir);
      continue;
    }
    const next = await editField(spec, pick.action, baseDir);
    if (next) {
      const resolved = check(next.spec, next.baseDir);
      if (resolved) {
        spec = resolved;
        baseDir = next.baseDir;
      }
    }
  }
}

async function editField(spec: RunSpec, field: Field, baseDir: string | undefined): Promise<FlowResult | undefined> {
  const row = summaryRows(spec).find((r) => r.field === field)!;
  const pickOne = async (values: readonly string[], help: Record<string, string> = {}): Promise<string | undefined> =>
    (
      await vscode.window.showQuickPick(
        values.map((v) => ({ label: v, description: help[v], picked: v === row.value })),
        { title: `RNN Debugger: ${row.label}`, placeHolder: `now: ${row.value}` },
      )
    )?.label;
  switch (field) {
    case 'data':
      return pickData(spec, baseDir);
    case 'cell': {
      const v = await pickOne(CELL_KINDS, CELL_HELP);
      return v ? { spec: applyField(spec, field, v), baseDir } : undefined;
    }
    case 'optimizer': {
      const v = await pickOne(['adam', 'sgd', 'rmsprop']);
      return v ? { spec: applyField(spec, field, v), baseDir } : undefined;
    }
    case 'backend': {
      const v = await pickOne(['auto', ...BACKENDS], { auto: 'GPU (WebGPU) → tensorflow-gpu → tensorflow → wasm → cpu, whichever loads first', webgpu: 'the GPU engine; also a software adapter, slowly' });
      return v ? { spec: applyField(spec, field, v), baseDir } : undefined;
    }
    default: {
      const current = field === 'clipNorm' ? (spec.train.clipNorm === null ? 'off' : String(spec.train.clipNorm)) : row.value.replace(/ steps$/, '');
      const v = await vscode.window.showInputBox({
        title: `RNN Debugger: ${row.label}`,
        value: current,
        prompt: field === 'clipNorm' ? 'A positive number, or "off" for no clipping' : undefined,
        validateInput: (text) => {
          if (field === 'clipNorm' && /^(off|none)$/i.test(text.trim())) return undefined;
          if (!Number.isFinite(Number(text.trim())) || text.trim() === '') return 'a number, please';
          try {
            resolveSpec(applyField(spec, field, text), { baseDir });
            return undefined;
          } catch (e) {
            return e instanceof SpecError ? e.issues.map((i) => i.message).join('; ') : (e as Error).message;
          }
        },
      });
      return v === undefined ? undefined : { spec: applyField(spec, field, v), baseDir };
    }
  }
}

async function pickData(spec: RunSpec, baseDir: string | undefined): Promise<FlowResult | undefined> {
  type DataItem = vscode.QuickPickItem & { data?: DataSpec; browse?: boolean };
  const active = vscode.window.activeTextEditor?.document;
  const activeData = active && active.uri.scheme === 'file' ? dataSpecForFile(active.uri.fsPath) : null;
  const T = spec.data.kind === 'text' || spec.data.kind === 'csv' ? 100 : spec.data.length;
  const items: DataItem[] = [
    ...(activeData ? [{ label: '$(file) Active file', description: describeData(activeData), data: activeData }] : []),
    { label: '$(folder-opened) Choose a file…', description: 'text (characters) or CSV (numeric columns)', browse: true },
    { label: 'Adding problem', description: `T = ${T}: sum two marked numbers (baseline MSE 1/6)`, data: { kind: 'adding', length: T } },
    { label: 'Copy task', description: `delay T = ${T}: recall 10 symbols (baseline 10·ln8/(T+20))`, data: { kind: 'copy', length: T } },
    { label: 'Delayed recall', description: `T = ${T}: output the first token at the last step`, data: { kind: 'delayed-recall', length: T } },
  ];
  const pick = await vscode.window.showQuickPick(items, { title: 'RNN Debugger: Data', placeHolder: `now: ${describeData(spec.data)}` });
  if (!pick) return undefined;
  let data = pick.data;
  let nextBase = baseDir;
  if (pick.browse) {
    const uris = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Train on this file', filters: { 'Text or CSV': ['txt', 'md', 'csv', 'tsv', '*'] } });
    if (!uris?.[0]) return undefined;
    data = dataSpecForFile(uris[0].fsPath) ?? undefined;
    if (!data) {
      void vscode.window.showErrorMessage('RNN Debugger: that file does not look like text or CSV data.');
      return undefined;
    }
    nextBase = dirname(uris[0].fsPath);
  }
  if (!data) return undefined;
  const s = structuredClone(spec);
  s.data = data;
  const wasFile = spec.data.kind === 'text' || spec.data.kind === 'csv';
  if (data.kind === 'text' || data.kind === 'csv') s.train.seqLength = wasFile ? spec.train.seqLength : 100;
  else s.train.seqLength = sequenceLengthOf(data, s.train.seqLength);
  return { spec: s, baseDir: nextBase };
}

/** "Save as spec…": writes the choices to a `*.rnn.json` file and opens it. */
export async function saveSpecAs(spec: RunSpec, baseDir: string | undefined): Promise<vscode.Uri | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? (baseDir ? vscode.Uri.file(baseDir) : undefined);
  const suggested = `${spec.model.cell}-${spec.data.kind}.rnn.json`;
  let uri = await vscode.window.showSaveDialog({
    defaultUri: folder ? vscode.Uri.joinPath(folder, suggested) : undefined,
    filters: { 'RNN Debugger experiment': ['rnn.json'] },
    saveLabel: 'Save spec',
    title: 'RNN Debugger: Save as spec',
  });
  if (!uri) return undefined;
  if (!/\.rnn\.json$/i.test(uri.path)) uri = uri.with({ path: uri.path.replace(/(\.json)?$/i, '.rnn.json') });
  // A data file next to (or below) the spec is written relative to it, so the folder can move.
  const out = structuredClone(spec);
  if ((out.data.kind === 'text' || out.data.kind === 'csv') && uri.scheme === 'file') {
    const rel = relative(dirname(uri.fsPath), out.data.path);
    if (!rel.startsWith('..') && !isAbsolute(rel)) out.data.path = rel;
  }
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(specFileText(out)));
  await vscode.window.showTextDocument(uri, { preview: false });
  return uri;
}
