// The words for the compute path that does a run's work, from the model's path
// ('gpu:<label>', 'fused:<gemm>', 'reference: <why>') and the tfjs backend.

/** Names of the GEMMs the fused CPU kernel can use, as users know them. */
function gemmLabel(name: string): string {
  // 'native:<library>' from the BLAS bridge (e.g. native:OpenBLAS), 'js', or a newer provider's own name.
  if (name.startsWith('native:')) return name.slice('native:'.length) || 'native BLAS';
  if (name === 'js') return 'JavaScript GEMM';
  return name;
}

/** `gemm`: the GEMM provider's own label when it has one (e.g. "wasm SIMD (1 thread)"). */
export function computePathLabel(modelPath: string, tfjsBackend: string, gemm?: string): string {
  if (modelPath.startsWith('gpu:')) return modelPath.slice('gpu:'.length);
  if (modelPath.startsWith('fused:')) return `CPU · fused LSTM · ${gemm ?? gemmLabel(modelPath.slice('fused:'.length))}`;
  return `CPU · op-by-op · ${tfjsBackend}`;
}
