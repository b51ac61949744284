// Host side of one trainer child process: forks dist/trainer.js, speaks the typed protocol of
// src/protocol/trainer.ts, collects its log, stops it (ask, then SIGKILL after a timeout) and
// turns an exit without a final status into a crash report. No vscode import: tested under node.

import { fork, type ChildProcess } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertNever, isFromTrainerMessage, type FromTrainerMessage, type StartMessage, type ToTrainerMessage } from '../protocol/trainer';
import type { RunStatus, TraceSnapshot } from '../protocol/trace';
import { Emitter, type Event } from './events';

export interface TrainerClientOptions {
  /** Path of the built trainer bundle (dist/trainer.js). */
  trainerPath: string;
  /** Node binary to run the trainer with (default: the extension host's own runtime). */
  execPath?: string;
  /** Extra Node flags for the child, e.g. ['--inspect=9230'] when debugging the trainer. */
  execArgv?: string[];
  /** Extra environment variables (the parent's environment is always copied). */
  env?: Record<string, string>;
  /** Lines of log kept for the crash report. */
  logLines?: number;
}

/** How the trainer process ended. */
export interface TrainerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last status the trainer sent (undefined if it never sent one). */
  lastStatus?: RunStatus;
  /** Set when the process ended without reporting a final state: the reason, in words. */
  crash?: string;
  /** Whether the host asked it to stop (and, if so, whether it had to be killed). */
  stopRequested: boolean;
  killedAfterTimeout: boolean;
}

const TERMINAL = new Set(['completed', 'stopped', 'interrupted', 'failed']);

export class TrainerClient {
  private readonly child: ChildProcess;
  private readonly _onMessage = new Emitter<FromTrainerMessage>();
  private readonly _onLog = new Emitter<string>();
  private readonly _onExit = new Emitter<TrainerExit>();
  private readonly log: string[] = [];
  private readonly maxLog: number;
  private nextRequest = 1;
  private readonly pending = new Map<number, { resolve: (t: TraceSnapshot) => void; reject: (e: Error) => void }>();
  private fatal: string | undefined;
  private stopRequested = false;
  private killedAfterTimeout = false;
  private exitInfo: TrainerExit | undefined;
  private readonly exited: Promise<TrainerExit>;
  lastStatus: RunStatus | undefined;

  /** Every protocol message from the trainer, in order. */
  readonly onMessage: Event<FromTrainerMessage> = this._onMessage.event;
  /** Log lines: the trainer's `log` messages and its stdout/stderr. */
  readonly onLog: Event<string> = this._onLog.event;
  /** The process ended (once). */
  readonly onExit: Event<TrainerExit> = this._onExit.event;

  constructor(opts: TrainerClientOptions) {
    this.maxLog = opts.logLines ?? 400;
    this.child = fork(opts.trainerPath, [], {
      // A copy, never process.env itself (Electron); ELECTRON_RUN_AS_NODE makes VS Code's binary a plain node.
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', ...opts.env },
      // Not the extension host's own flags (which may hold --inspect ports of its own).
      execArgv: opts.execArgv ?? [],
      ...(opts.execPath ? { execPath: opts.execPath } : {}),
      // Structured clone: typed arrays cross as binary.
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        const info = this.describeExit(code, signal);
        this.exitInfo = info;
        for (const p of this.pending.values()) p.reject(new Error(`trainer exited before answering (${info.crash ?? 'exit ' + code})`));
        this.pending.clear();
        this._onExit.fire(info);
        resolve(info);
      });
    });
    this.child.on('error', (err) => this.addLog(`[trainer process error] ${err.message}`));
    this.child.on('message', (m: unknown) => this.receive(m));
    for (const [stream, tag] of [[this.child.stdout, ''], [this.child.stderr, '[stderr] ']] as const) {
      let buf = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          this.addLog(tag + buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      });
      stream?.on('end', () => {
        if (buf) this.addLog(tag + buf);
        buf = '';
      });
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }
  get hasExited(): boolean {
    return this.exitInfo !== undefined;
  }
  /** The last lines of log (protocol log messages and stdout/stderr), oldest first. */
  get logTail(): string[] {
    return [...this.log];
  }
  /** Resolves when the process has exited. */
  whenExited(): Promise<TrainerExit> {
    return this.exited;
  }

  start(msg: Omit<StartMessage, 'type'>): void {
    this.post({ type: 'start', ...msg });
  }
  /** Evaluate mode: serve traceText from the saved weights of `runDir` (no training). */
  evaluate(runDir: string, wasmDir: string): void {
    this.post({ type: 'evaluate', runDir, wasmDir });
  }
  pause(): void {
    this.post({ type: 'pause' });
  }
  resume(): void {
    this.post({ type: 'resume' });
  }
  /** While paused: run exactly one step, then hold again (a `held` message follows). */
  step(): void {
    this.post({ type: 'step' });
  }

  /** Asks the trainer to stop after its current step; kills it if it has not exited after `timeoutMs`. */
  async stop(timeoutMs = 5000): Promise<TrainerExit> {
    if (this.exitInfo) return this.exitInfo;
    this.stopRequested = true;
    this.post({ type: 'stop' });
    const timer = setTimeout(() => {
      if (!this.exitInfo) {
        this.killedAfterTimeout = true;
        this.addLog(`[host] trainer did not stop within ${timeoutMs} ms; killing it`);
        this.child.kill('SIGKILL');
      }
    }, timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills the process at once (window closing, extension deactivating). */
  kill(): void {
    if (!this.exitInfo) this.child.kill('SIGKILL');
  }

  /** Evaluates `text` with the trainer's current model (see TraceTextRequest). */
  traceText(text: string, timeoutMs = 60_000): Promise<TraceSnapshot> {
    if (this.exitInfo) return Promise.reject(new Error('the trainer has exited'));
    const requestId = this.nextRequest++;
    return new Promise<TraceSnapshot>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new Error(`the trainer did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(requestId, {
        resolve: (t) => (clearTimeout(timer), resolve(t)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.post({ type: 'traceText', requestId, text });
    });
  }

  private post(msg: ToTrainerMessage): void {
    if (this.exitInfo || !this.child.connected) return;
    try {
      this.child.send(msg, (err) => {
        if (err) this.addLog(`[host] could not send '${msg.type}' to the trainer: ${err.message}`);
      });
    } catch (err) {
      this.addLog(`[host] could not send '${msg.type}' to the trainer: ${(err as Error).message}`);
    }
  }

  private receive(m: unknown): void {
    if (!isFromTrainerMessage(m)) {
      this.addLog(`[host] ignored an unknown message from the trainer: ${JSON.stringify(m).slice(0, 200)}`);
      return;
    }
    switch (m.type) {
      case 'status':
        this.lastStatus = m.status;
        break;
      case 'log':
        this.addLog(m.line);
        break;
      case 'fatal':
        this.fatal = m.message;
        this.addLog(`[fatal] ${m.stack ?? m.message}`);
        break;
      case 'traceTextResult': {
        const p = this.pending.get(m.requestId);
        this.pending.delete(m.requestId);
        if (p) {
          if (m.ok) p.resolve(m.trace);
          else p.reject(new Error(m.error));
        }
        break;
      }
      case 'metrics':
      case 'snapshot':
      case 'held':
        break;
      default:
        assertNever(m);
    }
    this._onMessage.fire(m);
  }

  private addLog(line: string): void {
    this.log.push(line);
    if (this.log.length > this.maxLog) this.log.splice(0, this.log.length - this.maxLog);
    this._onLog.fire(line);
  }

  private describeExit(code: number | null, signal: NodeJS.Signals | null): TrainerExit {
    const info: TrainerExit = { code, signal, lastStatus: this.lastStatus, stopRequested: this.stopRequested, killedAfterTimeout: this.killedAfterTimeout };
    if (this.lastStatus && TERMINAL.has(this.lastStatus.state)) return info;
    if (this.stopRequested) return info;
    info.crash = this.fatal ?? (signal ? `the trainer process was killed (${signal})` : `the trainer process exited with code ${code} without a final status`);
    return info;
  }

  dispose(): void {
    this.kill();
    this._onMessage.dispose();
    this._onLog.dispose();
  }
}

/**
 * The status a run ends with once its process is gone: the trainer's own final status if it
 * sent one, else the last one it sent marked 'failed' (crash) or 'stopped' (killed on Stop).
 */
export function finalStatusAfterExit(exit: TrainerExit, fallback: RunStatus): RunStatus {
  const last = exit.lastStatus ?? fallback;
  if (TERMINAL.has(last.state)) return last;
  const now = Date.now();
  if (exit.crash) return { ...last, state: 'failed', reason: exit.crash, updatedAt: now };
  return {
    ...last,
    state: 'stopped',
    reason: exit.killedAfterTimeout ? 'stopped by the user (the trainer did not stop in time and was killed)' : 'stopped by the user',
    updatedAt: now,
  };
}

/** Writes status.json of a run folder atomically (temp file + rename), e.g. after a crash. */
export function writeStatusFile(runDir: string, status: RunStatus): void {
  const file = join(runDir, 'status.json');
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(status, null, 2));
  renameSync(tmp, file);
}
