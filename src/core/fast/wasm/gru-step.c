/* The GRU's per-timestep elementwise maths in WebAssembly SIMD (reset_after = false): the parts
 * of gru-kernel.ts's step that are not a GEMM, split where a GEMM sits between them. Z is
 * [B, 3H] with blocks z, r, n. The same formulas as gru-kernel.ts's JavaScript loops, in float32. */
#include "simd-math.h"

/* Forward, after [z̄ r̄] += h_{t-1}·[Wh_z Wh_r]: z = σ(z̄), r = σ(r̄) in place; rh = r ⊙ h_{t-1}. */
EXPORT("gru_gates_step")
void gru_gates_step(float *Z, const float *hPrev, float *rh, int B, int H) {
  for (int b = 0; b < B; b++) {
    float *z = Z + (long)b * 3 * H;
    long o = (long)b * H;
    for (int j = 0; j < H; j += 4) {
      int n = H - j < 4 ? H - j : 4;
      v128_t r = v_sigmoid(load_n(z + H + j, n));
      store_n(z + j, v_sigmoid(load_n(z + j, n)), n);
      store_n(z + H + j, r, n);
      store_n(rh + o + j, wasm_f32x4_mul(r, load_n(hPrev + o + j, n)), n);
    }
  }
}

/* Forward, after n̄ += (r ⊙ h_{t-1})·Wh_n: n = tanh(n̄) in place; h = n + z ⊙ (h_{t-1} − n). */
EXPORT("gru_state_step")
void gru_state_step(float *Z, const float *hPrev, float *hOut, int B, int H) {
  for (int b = 0; b < B; b++) {
    float *z = Z + (long)b * 3 * H;
    long o = (long)b * H;
    for (int j = 0; j < H; j += 4) {
      int k = H - j < 4 ? H - j : 4;
      v128_t n = v_tanh(load_n(z + 2 * H + j, k));
      store_n(z + 2 * H + j, n, k);
      v128_t d = wasm_f32x4_sub(load_n(hPrev + o + j, k), n);
      store_n(hOut + o + j, wasm_f32x4_add(n, wasm_f32x4_mul(load_n(z + j, k), d)), k);
    }
  }
}

/* Backward, first half: dh = dHin + dhNext (∂L/∂h_t); z block ← ∂L/∂z̄ = dh⊙(h_{t-1} − n)⊙z(1−z),
 * n block ← ∂L/∂n̄ = dh⊙(1 − z)⊙(1 − n²); dhNext ← dh ⊙ z (the direct path to h_{t-1}). */
EXPORT("gru_backward_update")
void gru_backward_update(float *Z, const float *hPrev, const float *dHin, float *dhNext, int B, int H) {
  const v128_t one = wasm_f32x4_splat(1.0f);
  for (int b = 0; b < B; b++) {
    float *z = Z + (long)b * 3 * H;
    long o = (long)b * H;
    for (int j = 0; j < H; j += 4) {
      int k = H - j < 4 ? H - j : 4;
      v128_t dh = wasm_f32x4_add(load_n(dHin + o + j, k), load_n(dhNext + o + j, k));
      v128_t zg = load_n(z + j, k), n = load_n(z + 2 * H + j, k);
      v128_t omz = wasm_f32x4_sub(one, zg);
      v128_t dz = wasm_f32x4_mul(wasm_f32x4_mul(dh, wasm_f32x4_sub(load_n(hPrev + o + j, k), n)), wasm_f32x4_mul(zg, omz));
      v128_t dn = wasm_f32x4_mul(wasm_f32x4_mul(dh, omz), wasm_f32x4_sub(one, wasm_f32x4_mul(n, n)));
      store_n(z + j, dz, k);
      store_n(z + 2 * H + j, dn, k);
      store_n(dhNext + o + j, wasm_f32x4_mul(dh, zg), k);
    }
  }
}

/* Backward, second half, after dRH = ∂L/∂n̄·Wh_nᵀ: r block ← ∂L/∂r̄ = dRH⊙h_{t-1}⊙r(1−r);
 * dhNext += dRH ⊙ r (the path through r ⊙ h_{t-1}). */
EXPORT("gru_backward_reset")
void gru_backward_reset(float *Z, const float *hPrev, const float *dRH, float *dhNext, int B, int H) {
  const v128_t one = wasm_f32x4_splat(1.0f);
  for (int b = 0; b < B; b++) {
    float *z = Z + (long)b * 3 * H;
    long o = (long)b * H;
    for (int j = 0; j < H; j += 4) {
      int k = H - j < 4 ? H - j : 4;
      v128_t r = load_n(z + H + j, k), d = load_n(dRH + o + j, k);
      store_n(z + H + j, wasm_f32x4_mul(wasm_f32x4_mul(d, load_n(hPrev + o + j, k)), wasm_f32x4_mul(r, wasm_f32x4_sub(one, r))), k);
      store_n(dhNext + o + j, wasm_f32x4_add(load_n(dhNext + o + j, k), wasm_f32x4_mul(d, r)), k);
    }
  }
}
