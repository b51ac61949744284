// Training hooks that record everything a run reports, for the tests of runTraining.

import type { TrainHooks } from '../../../src/core/train';
import type { MetricsRecord, RunStatus, TraceSnapshot } from '../../../src/protocol/trace';

export interface RecorderOptions {
  /** Answer 'stop' at the checkpoint once this many steps have reported metrics. */
  stopAfter?: number;
  /** Called with each step's metrics as they arrive. */
  onStep?: (m: MetricsRecord) => void;
}

export function recorder(opts: RecorderOptions = {}) {
  const rec = { statuses: [] as RunStatus[], metrics: [] as MetricsRecord[], snapshots: [] as TraceSnapshot[], logs: [] as string[] };
  const hooks: TrainHooks = {
    onStatus: (s) => rec.statuses.push(s),
    onMetrics: (m) => {
      rec.metrics.push(m);
      opts.onStep?.(m);
    },
    onSnapshot: (s) => rec.snapshots.push(...s),
    onLog: (l) => rec.logs.push(l),
    checkpoint: async () => (opts.stopAfter !== undefined && rec.metrics.length >= opts.stopAfter ? 'stop' : 'continue'),
  };
  return { rec, hooks };
}
