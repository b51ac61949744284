// Text evaluation for a run whose trainer has exited (finished, stopped, failed after saving
// weights, or reopened from its folder): a trainer process in evaluate mode, forked on the first
// request and ended after a quiet spell, so the inline inspector keeps working on the saved
// weights without keeping a process per saved run. No vscode import: tested under node.

import type { TraceSnapshot } from '../protocol/trace';
import { TrainerClient } from './trainerClient';

export interface SavedRunEvaluatorOptions {
  /** dist/trainer.js */
  trainerPath: string;
  runDir: string;
  /** Folder of the tfjs wasm binaries. */
  wasmDir: string;
  /** End the process after this long without a request (default 2 minutes). */
  idleMs?: number;
  /**
   * Whether the evaluator process may load native code, asked at each fork: false in an untrusted
   * workspace, whose evaluator then runs on the wasm / JavaScript kernels only (default true).
   */
  nativeAllowed?: () => boolean;
  /** Log lines of the evaluator process (for the Output channel). */
  onLog?: (line: string) => void;
}

export class SavedRunEvaluator {
  private client: TrainerClient | null = null;
  private idle: NodeJS.Timeout | undefined;

  constructor(private readonly opts: SavedRunEvaluatorOptions) {}

  /** Whether an evaluator process is alive now (tests; it is forked on demand). */
  get running(): boolean {
    return !!this.client && !this.client.hasExited;
  }

  get pid(): number | undefined {
    return this.running ? this.client?.pid : undefined;
  }

  traceText(text: string, timeoutMs = 120_000): Promise<TraceSnapshot> {
    if (!this.client || this.client.hasExited) {
      this.client?.dispose();
      const native = this.opts.nativeAllowed ? this.opts.nativeAllowed() : true;
      const client = new TrainerClient({ trainerPath: this.opts.trainerPath, env: native ? undefined : { RNN_DEBUGGER_NATIVE: 'off' } });
      if (this.opts.onLog) client.onLog(this.opts.onLog);
      client.evaluate(this.opts.runDir, this.opts.wasmDir);
      this.client = client;
    }
    clearTimeout(this.idle);
    this.idle = setTimeout(() => this.dispose(), this.opts.idleMs ?? 120_000);
    this.idle.unref?.();
    return this.client.traceText(text, timeoutMs);
  }

  dispose(): void {
    clearTimeout(this.idle);
    this.client?.dispose();
    this.client = null;
  }
}
