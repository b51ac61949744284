// Gate saturation per unit (Karpathy, Johnson & Fei-Fei 2015, "Visualizing and Understanding
// Recurrent Networks"): how often a sigmoid gate sits near 0 or near 1 over a sequence.

/** Below this a gate counts as left-saturated (closed). */
export const SATURATION_LOW = 0.1;
/** Above this a gate counts as right-saturated (open). */
export const SATURATION_HIGH = 0.9;

/**
 * Fraction of timesteps with the gate < 0.1 (`low`) and > 0.9 (`high`), per unit, [H] each, from
 * a [T, H] row-major gate matrix. NaN entries count as neither. T = 0 gives zeros.
 */
export function gateSaturation(values: ArrayLike<number>, T: number, H: number): { low: Float32Array; high: Float32Array } {
  if (values.length < T * H) throw new Error(`gateSaturation: ${values.length} values for [${T}, ${H}]`);
  const lowCount = new Uint32Array(H);
  const highCount = new Uint32Array(H);
  for (let t = 0; t < T; t++) {
    const row = t * H;
    for (let j = 0; j < H; j++) {
      const v = values[row + j];
      if (v < SATURATION_LOW) lowCount[j]++;
      else if (v > SATURATION_HIGH) highCount[j]++;
    }
  }
  // Counts divided once, so a unit saturated at every step reads exactly 1.
  const low = new Float32Array(H);
  const high = new Float32Array(H);
  if (T > 0) for (let j = 0; j < H; j++) { low[j] = lowCount[j] / T; high[j] = highCount[j] / T; }
  return { low, high };
}
