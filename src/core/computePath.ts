// The words for the compute path that does a run's work, from the model's path
// ('gpu:<label>', 'fused:<gemm>', 'op-by-op: <why>') and the tfjs backend.

/** The model path of the op-by-op engine on tfjs-node-gpu's CUDA device. */
export const TFJS_GPU_PATH = 'tfjs-gpu';

/** Names of the GEMMs the fused CPU kernel can use, as users know them. */
function gemmLabel(name: string): string {
  // 'native:<library>' from the BLAS bridge (e.g. native:OpenBLAS), 'js', or a newer provider's own name.
  if (name.startsWith('native:')) return name.slice('native:'.length) || 'native BLAS';
  if (name === 'js') return 'JavaScript GEMM';
  return name;
}

/**
 * `gemm`: the GEMM provider's own label when it has one (e.g. "wasm SIMD (2 threads)", "OpenBLAS … + wasm SIMD
 * gates"); `cell`: the fused kernel runs the plain LSTM, the GRU and the vanilla RNN.
 */
export function computePathLabel(modelPath: string, tfjsBackend: string, gemm?: string, cell = 'lstm'): string {
  if (modelPath.startsWith('gpu:')) return modelPath.slice('gpu:'.length);
  // tfjs-node-gpu's libtensorflow places every op of the op-by-op engine on the CUDA GPU.
  if (modelPath === TFJS_GPU_PATH) return 'GPU · CUDA · op-by-op (tfjs-node-gpu)';
  if (modelPath.startsWith('fused:')) {
    const label = gemm ?? gemmLabel(modelPath.slice('fused:'.length));
    // The RNN's elementwise step is JavaScript whatever the provider: its label names the GEMM only.
    if (cell === 'rnn') return `CPU · fused RNN · ${label.replace(' + wasm SIMD gates', '')}`;
    // The GRU's gates come from the same wasm module as the LSTM's: the label holds for both.
    return `CPU · fused ${cell === 'gru' ? 'GRU' : 'LSTM'} · ${label}`;
  }
  return `CPU · op-by-op · ${tfjsBackend}`;
}
