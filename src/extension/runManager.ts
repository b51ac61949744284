// Starts and controls training runs: one trainer child process per run, its messages fed into
// the RunStore, its log into the "RNN Debugger" Output channel, a crash turned into a failed run
// that keeps what it had, context keys for menus, and a cancellable set-up notification.

import { backendText } from '../protocol/backendText';
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RunSpec } from '../protocol/spec';
import type { RunStatus } from '../protocol/trace';
import { createDataSource } from '../core/data';
import { describeSpec } from '../core/spec';
import { DisposableStore } from './events';
import { newRunId } from '../core/runId';
import { runsFolderProblem, runsRoot } from './runsRoot';
import { isActiveState, type RunStore } from './runStore';
import { readSettings } from './settings';
import { SavedRunEvaluator } from './savedRunEvaluator';
import { chooseTrainerRuntime } from './trainerRuntime';
import { finalStatusAfterExit, TrainerClient, writeStatusFile, type TrainerExit } from './trainerClient';

/** Context keys (when/enablement clauses in package.json). */
export const ContextKey = {
  /** At least one run's trainer is alive. */
  Training: 'rnnDebugger.training',
  /** At least one live run is running (can be paused). */
  Running: 'rnnDebugger.running',
  /** At least one live run is paused (can be resumed). */
  Paused: 'rnnDebugger.paused',
  /** The store knows at least one run (Compare, Export). */
  HasRuns: 'rnnDebugger.hasRuns',
} as const;

export interface StartOptions {
  /** Folder that relative data paths resolve against. */
  baseDir?: string;
  /** Show the panel on the new run (default true). */
  showPanel?: boolean;
  /** Start held before step 1 (the debugger steps it). */
  startPaused?: boolean;
  /** Train without a run folder (the user chose so after the runs folder could not be written). */
  unsaved?: boolean;
}

/** The runs folder cannot be written: the run was not started (the caller offers a way out). */
export class RunsFolderError extends Error {
  constructor(readonly problem: string) {
    super(`runs cannot be saved: ${problem}`);
  }
}

interface LiveRun {
  client: TrainerClient;
  runDir: string | null;
  disposables: DisposableStore;
  /** Said by the host about the run (e.g. "not saved"), shown with the trainer's own warnings. */
  hostWarnings: string[];
  /** Warnings the user has been notified of already. */
  warned: number;
}

export class RunManager implements vscode.Disposable {
  private readonly live = new Map<string, LiveRun>();
  /** Text evaluation of runs without a live trainer, from their saved weights (inspector). */
  private readonly evaluators = new Map<string, SavedRunEvaluator>();
  private readonly disposables = new DisposableStore();
  /** Fired when a run's trainer has exited and its final status is in the store. */
  private readonly _onDidEndRun = new vscode.EventEmitter<RunStatus>();
  readonly onDidEndRun = this._onDidEndRun.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly store: RunStore,
    readonly output: vscode.OutputChannel,
    private readonly showPanel: (runIds: string[]) => void,
  ) {
    this.disposables.add(store.onDidChangeRun((e) => {
      this.updateContextKeys();
      if (e.kind === 'added') this.offerSavedEvaluation(e.runId);
    }));
    this.updateContextKeys();
  }

  /**
   * Lets the inspector evaluate text with a run's saved weights once no trainer of it is alive:
   * for character-level runs whose folder holds weights (an evaluator process starts on demand).
   */
  private offerSavedEvaluation(runId: string): void {
    if (this.live.has(runId)) return;
    const status = this.store.status(runId);
    const dir = this.store.runDir(runId);
    if (!status || status.spec?.data.kind !== 'text' || !dir || !existsSync(join(dir, 'weights', 'index.json'))) return;
    this.evaluators.get(runId)?.dispose();
    const name = status.name;
    const ev = new SavedRunEvaluator({
      trainerPath: this.context.asAbsolutePath('dist/trainer.js'),
      runDir: dir,
      wasmDir: this.context.asAbsolutePath('dist'),
      // Saved runs may be viewed in an untrusted workspace; their evaluator then loads no native code.
      nativeAllowed: () => vscode.workspace.isTrusted,
      onLog: (line) => this.output.appendLine(`[${name} · evaluator] ${line}`),
    });
    this.evaluators.set(runId, ev);
    this.store.setTraceTextProvider(runId, (text) => ev.traceText(text));
  }

  /** The folder new runs are written to. */
  runsRoot(): string {
    const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    return runsRoot(readSettings().runsFolder, ws, this.context.globalStorageUri.fsPath);
  }

  liveRunIds(): string[] {
    return [...this.live.keys()];
  }

  /** The trainer and folder of a live run (the debugger drives it), or undefined. */
  liveRun(runId: string): { client: TrainerClient; runDir: string | null } | undefined {
    const run = this.live.get(runId);
    return run && { client: run.client, runDir: run.runDir };
  }

  /** Starts a run of a resolved spec; resolves with its id once the trainer is forked. */
  start(spec: RunSpec, opts: StartOptions = {}): string {
    if (!vscode.workspace.isTrusted) throw new Error('Training is disabled in an untrusted workspace (saved runs can still be opened).');
    const settings = readSettings();
    const effective: RunSpec = spec.backend === 'auto' && settings.backend !== 'auto' ? { ...spec, backend: settings.backend } : spec;
    // A data file the trainer would refuse (missing, empty, binary, not UTF-8, too large, too
    // short for one batch) is refused here, before a trainer and a "failed · step 0" run exist.
    if (effective.data.kind === 'text' || effective.data.kind === 'csv') createDataSource(effective, { baseDir: opts.baseDir });
    const runId = newRunId(effective);
    const root = this.runsRoot();
    const problem = opts.unsaved ? undefined : runsFolderProblem(root);
    if (problem) throw new RunsFolderError(problem);
    const runDir = opts.unsaved ? null : join(root, runId);
    const name = effective.name ?? describeSpec(effective);
    const now = Date.now();
    const hostWarnings = opts.unsaved ? [`not saved: the run has no run folder (${runsFolderProblem(root) ?? 'chosen by the user'}); it is lost when the window closes`] : [];
    const initial: RunStatus = { id: runId, name, state: 'starting', step: 0, startedAt: now, updatedAt: now, spec: effective, ...(hostWarnings.length ? { warnings: hostWarnings } : {}) };

    const trainerPath = this.context.asAbsolutePath('dist/trainer.js');
    const runtime = chooseTrainerRuntime({ nodePath: settings.nodePath, env: process.env, hostVersions: process.versions, hostExecPath: process.execPath });
    const client = new TrainerClient({
      trainerPath,
      execPath: runtime.execPath,
      execArgv: settings.debugPort > 0 ? [`--inspect=${settings.debugPort + this.live.size}`] : [],
    });
    const disposables = new DisposableStore();
    const run: LiveRun = { client, runDir, disposables, hostWarnings, warned: hostWarnings.length };
    this.live.set(runId, run);
    this.store.addRun(initial, runDir);
    // The run just started is the one the user looks at: the sidebar's Diagnostics and Units follow it.
    this.store.setSelection(runId, { layer: 0, unit: 0, step: null });
    this.store.setTraceTextProvider(runId, (text) => client.traceText(text));
    this.output.appendLine(`[${name}] starting run ${runId} → ${runDir}${client.pid ? ` (trainer pid ${client.pid})` : ''}`);
    this.output.appendLine(`[${name}] trainer runtime: ${runtime.description}${runtime.skipped.length ? ` (skipped: ${runtime.skipped.join('; ')})` : ''}`);

    disposables.add(client.onLog((line) => this.output.appendLine(`[${name}] ${line}`)));
    disposables.add(
      client.onMessage((m) => {
        switch (m.type) {
          case 'status': {
            const warnings = [...run.hostWarnings, ...(m.status.warnings ?? [])];
            this.store.updateStatus(warnings.length ? { ...m.status, warnings } : m.status);
            this.notifyWarnings(run, name, warnings);
            break;
          }
          case 'metrics': {
            this.store.appendMetrics(runId, m.records);
            // The trainer reports state changes only; the step count rides on the metrics.
            const s = this.store.status(runId);
            const last = m.records[m.records.length - 1];
            if (s && last && last.step > s.step) this.store.updateStatus({ ...s, step: last.step, updatedAt: last.time });
            break;
          }
          case 'snapshot':
            for (const snap of m.snapshots) this.store.addSnapshot(runId, snap);
            break;
          default:
            break;
        }
      }),
    );
    disposables.add(client.onExit((exit) => this.onExit(runId, exit)));

    client.start({
      runId,
      spec: effective,
      runDir,
      baseDir: opts.baseDir,
      wasmDir: this.context.asAbsolutePath('dist'),
      limits: { metricsIntervalMs: settings.metricsIntervalMs, snapshotIntervalMs: settings.snapshotIntervalMs },
      startPaused: opts.startPaused,
    });
    this.setupProgress(runId, name);
    if (opts.showPanel !== false) this.showPanel([runId]);
    return runId;
  }

  /**
   * Says a run's new warnings where the user looks (the panel header shows them too): above all a
   * run folder that stopped being writable mid-run, which would otherwise lose the run silently.
   */
  private notifyWarnings(run: LiveRun, name: string, warnings: string[]): void {
    if (warnings.length <= run.warned) return;
    const fresh = warnings.slice(run.warned);
    run.warned = warnings.length;
    void vscode.window.showWarningMessage(`RNN Debugger: run "${name}": ${fresh.join('; ')}`, 'Show Log').then((pick) => {
      if (pick) this.output.show(true);
    });
  }

  /** A notification while the trainer sets up (loading tfjs, reading data); Cancel stops the run. */
  private setupProgress(runId: string, name: string): void {
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `RNN Debugger: starting ${name}`, cancellable: true },
      (progress, token) =>
        new Promise<void>((resolve) => {
          const ds = new DisposableStore();
          const done = () => {
            ds.dispose();
            resolve();
          };
          progress.report({ message: 'loading TensorFlow.js and the data…' });
          ds.add(token.onCancellationRequested(() => {
            void this.stop(runId);
            done();
          }));
          ds.add(this.store.onDidChangeRun((e) => {
            if (e.runId !== runId) return;
            if (e.status.backend) progress.report({ message: `backend ${backendText(e.status)}` });
            if (e.status.state !== 'starting') done();
          }));
          if (!this.store.isLive(runId)) done();
        }),
    );
  }

  private onExit(runId: string, exit: TrainerExit): void {
    const run = this.live.get(runId);
    if (!run) return;
    this.live.delete(runId);
    this.store.setTraceTextProvider(runId, undefined);
    this.offerSavedEvaluation(runId);
    const current = this.store.status(runId);
    const final = finalStatusAfterExit(exit, current ?? ({ id: runId } as RunStatus));
    // The store may hold a later step than the trainer's last status message.
    const merged: RunStatus = current ? { ...final, step: Math.max(final.step, current.step) } : final;
    // A crashed or killed trainer could not write its final status: write it for it, so a
    // reopened run says how it ended instead of looking interrupted.
    if ((exit.crash || exit.killedAfterTimeout) && run.runDir && existsSync(run.runDir)) {
      try {
        writeStatusFile(run.runDir, merged);
      } catch (e) {
        this.output.appendLine(`[${merged.name}] could not update ${run.runDir}/status.json: ${(e as Error).message}`);
      }
    }
    if (exit.crash) {
      this.output.appendLine(`[${merged.name}] run ${runId} FAILED: ${exit.crash}`);
      this.output.appendLine(`[${merged.name}] last lines of the trainer's log:`);
      for (const line of run.client.logTail.slice(-40)) this.output.appendLine(`    ${line}`);
      void vscode.window.showErrorMessage(`RNN Debugger: run "${merged.name}" failed: ${exit.crash}. What it recorded is kept.`, 'Show Log').then((pick) => {
        if (pick) this.output.show(true);
      });
    } else if (merged.state === 'failed') {
      void vscode.window.showWarningMessage(`RNN Debugger: run "${merged.name}" failed: ${merged.reason ?? 'unknown reason'}`, 'Show Log').then((pick) => {
        if (pick) this.output.show(true);
      });
    }
    if (merged.state === 'stopped' && exit.killedAfterTimeout) this.output.appendLine(`[${merged.name}] the trainer did not stop in time and was killed`);
    this.output.appendLine(`[${merged.name}] ${merged.state}${merged.reason ? `: ${merged.reason}` : ''} at step ${merged.step}`);
    this.store.updateStatus(merged);
    run.disposables.dispose();
    run.client.dispose();
    this._onDidEndRun.fire(merged);
  }

  pause(runId: string): void {
    this.live.get(runId)?.client.pause();
  }
  resume(runId: string): void {
    this.live.get(runId)?.client.resume();
  }
  /** Stops a run (ask, then kill after the timeout setting); resolves once its process is gone. */
  async stop(runId: string): Promise<void> {
    const run = this.live.get(runId);
    if (!run) return;
    await run.client.stop(readSettings().stopTimeoutSeconds * 1000);
  }

  private updateContextKeys(): void {
    const live = this.store.runs().filter((s) => isActiveState(s.state));
    void vscode.commands.executeCommand('setContext', ContextKey.Training, live.length > 0);
    void vscode.commands.executeCommand('setContext', ContextKey.Running, live.some((s) => s.state === 'running' || s.state === 'starting'));
    void vscode.commands.executeCommand('setContext', ContextKey.Paused, live.some((s) => s.state === 'paused'));
    void vscode.commands.executeCommand('setContext', ContextKey.HasRuns, this.store.runIds().length > 0);
  }

  dispose(): void {
    // Window closing: the trainers must not outlive the extension host.
    for (const [runId, run] of this.live) {
      run.disposables.dispose();
      run.client.dispose();
      const s = this.store.status(runId);
      if (s && run.runDir && existsSync(run.runDir)) {
        try {
          writeStatusFile(run.runDir, { ...s, state: 'interrupted', reason: `the VS Code window was closed or the extension reloaded after step ${s.step}`, updatedAt: Date.now() });
        } catch {
          // Shutting down: nowhere left to report; the next activation settles it (settleInterrupted).
        }
      }
    }
    this.live.clear();
    for (const ev of this.evaluators.values()) ev.dispose();
    this.evaluators.clear();
    this.disposables.dispose();
    this._onDidEndRun.dispose();
  }
}
