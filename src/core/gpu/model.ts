// createGpuModel: the fused model whose forward/backward runs on WebGPU, for every cell: the LSTM
// and its variants (no output gate, no input gate, forget gate only), the GRU and the vanilla RNN. Parameters, optimiser
// state, initialisation, export and the snapshot assembly (saturation, norms, Jacobian spectra
// from the recorded values) are the CPU fused model's; only the kernel differs. The synchronous
// forwardBackward/evaluate of RecurrentModel stay on the CPU; the training loop calls the
// asynchronous ones, which run on the GPU.

import { CELL_KINDS, hasCellState, type ModelSpec } from '../../protocol/spec';
import { lstmBlocks } from '../float64Reference';
import { createModel } from '../tfjsEngine/engine';
import { defaultGemm } from '../fast/gemm';
import { FusedModel, fastPathUnsupported, fusedShape, type FastModelOptions } from '../fast/model';
import type { Batch, ModelIO, RecurrentState, StepResult, TraceRequest } from '../types';
import type { GpuDevice } from './dawn';
import { GpuRecurrent } from './recurrent-kernel';

/** Why the GPU engine cannot run this spec, or null when it can. */
export function gpuPathUnsupported(spec: ModelSpec): string | null {
  return CELL_KINDS.includes(spec.cell) ? null : `the GPU engine has no kernel for cell '${spec.cell}'`;
}

export class GpuModel extends FusedModel {
  override readonly path: string;

  constructor(
    base: ReturnType<typeof createModel>,
    options: FastModelOptions,
    private readonly gpuKernel: GpuRecurrent,
    readonly gpu: GpuDevice,
  ) {
    super(base, options.gemm ?? defaultGemm());
    this.path = `gpu:${gpu.label}`;
  }

  /** Synchronous passes (not used by the training loop): the CPU fused kernel for the LSTM, the GRU and the vanilla RNN, the op-by-op tfjs engine for the LSTM variants. */
  override forwardBackward(batch: Batch, initial?: RecurrentState | null, trace?: TraceRequest | null): StepResult {
    return fastPathUnsupported(this.base.spec) ? this.base.forwardBackward(batch, initial, trace) : super.forwardBackward(batch, initial, trace);
  }

  override evaluate(batch: Batch, initial?: RecurrentState | null): { loss: number; finalState: RecurrentState } {
    return fastPathUnsupported(this.base.spec) ? this.base.evaluate(batch, initial) : super.evaluate(batch, initial);
  }

  /** forwardBackward on the GPU (same result and recording as the CPU fused kernel). */
  async forwardBackwardAsync(batch: Batch, initial?: RecurrentState | null, trace?: TraceRequest | null): Promise<StepResult> {
    this.check(batch);
    const { batchSize: B, steps: T } = batch;
    if (trace && (trace.sample < 0 || trace.sample >= B)) throw new Error(`trace sample ${trace.sample} outside batch of ${B}`);
    const { layers, tau } = this.traceTargets(T, trace);
    const res = await this.gpuKernel.run(
      batch, B, T, this.weights(), initial?.h ?? null, initial?.c ?? null,
      trace ? { sample: trace.sample, layers, reachFrom: tau } : null,
    );
    return this.stepResult(batch, res, initial, trace);
  }

  async evaluateAsync(batch: Batch, initial?: RecurrentState | null): Promise<{ loss: number; finalState: RecurrentState }> {
    this.check(batch);
    const res = await this.gpuKernel.run(batch, batch.batchSize, batch.steps, this.weights(), initial?.h ?? null, initial?.c ?? null, null, true);
    return { loss: res.loss, finalState: { h: res.finalH, c: hasCellState(this.base.spec.cell) ? res.finalC : null } };
  }

  /** Checks the arena for (B, T) fits the adapter's limits; throws naming the limit otherwise. */
  checkFits(batchSize: number, steps: number): void {
    this.gpuKernel.plan(batchSize, steps);
  }

  override releaseBuffers(): void {
    super.releaseBuffers();
    this.gpuKernel.release();
  }

  override dispose(): void {
    this.gpuKernel.release();
    super.dispose();
  }
}

/** Builds the model with the same deterministic weights as createModel(spec, io, seed), its kernels compiled. */
export async function createGpuModel(spec: ModelSpec, io: ModelIO, seed: number, gpu: GpuDevice, options: FastModelOptions = {}): Promise<GpuModel> {
  const why = gpuPathUnsupported(spec);
  if (why) throw new Error(why);
  const kernel = await GpuRecurrent.create({ ...fusedShape(spec, io), cell: spec.cell, blocks: lstmBlocks(spec.cell), rnnActivation: spec.rnnActivation }, gpu);
  return new GpuModel(createModel(spec, io, seed, options), options, kernel, gpu);
}
