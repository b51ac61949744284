/* The LSTM's per-timestep elementwise maths in WebAssembly SIMD, the part of the fused kernel
 * that is not a GEMM (at H = 64 about four fifths of its time in JavaScript): gates from the
 * pre-activations and the new cell and hidden state (forward), and ∂L/∂z from ∂L/∂h, ∂L/∂c
 * (backward). The same formulas as lstm-kernel.ts's JavaScript loops, in float32. */
#include "simd-math.h"

/* Forward of one timestep for B rows: Z [B, 4H] pre-activations (f, i, g, o blocks) → gate
 * values in place; c = f⊙c_prev + i⊙g, ac = act(c), h = o⊙ac. */
EXPORT("lstm_forward_step")
void lstm_forward_step(float *Z, const float *cPrev, float *cOut, float *acOut, float *hOut, int B, int H, int reluCell, int reluCand) {
  for (int b = 0; b < B; b++) {
    float *z = Z + (long)b * 4 * H;
    long r = (long)b * H;
    for (int j = 0; j < H; j += 4) {
      int n = H - j < 4 ? H - j : 4;
      v128_t f = v_sigmoid(load_n(z + j, n));
      v128_t i = v_sigmoid(load_n(z + H + j, n));
      v128_t zg = load_n(z + 2 * H + j, n);
      v128_t g = reluCand ? v_relu(zg) : v_tanh(zg);
      v128_t o = v_sigmoid(load_n(z + 3 * H + j, n));
      v128_t c = wasm_f32x4_add(wasm_f32x4_mul(f, load_n(cPrev + r + j, n)), wasm_f32x4_mul(i, g));
      v128_t a = reluCell ? v_relu(c) : v_tanh(c);
      store_n(z + j, f, n);
      store_n(z + H + j, i, n);
      store_n(z + 2 * H + j, g, n);
      store_n(z + 3 * H + j, o, n);
      store_n(cOut + r + j, c, n);
      store_n(acOut + r + j, a, n);
      store_n(hOut + r + j, wasm_f32x4_mul(o, a), n);
    }
  }
}

/* Backward of one timestep for B rows: with gates in Z [B, 4H], ac = act(c_t), c_{t-1}, c_t,
 * ∂L/∂h_t from above (dHin) and from t+1 (dhNext), and ∂L/∂c_{t+1}·f_{t+1} in dcNext:
 * writes ∂L/∂z_t into Z and ∂L/∂c_t·f_t into dcNext. */
EXPORT("lstm_backward_step")
void lstm_backward_step(float *Z, const float *ac, const float *cPrev, const float *cCur, const float *dHin, const float *dhNext,
                        float *dcNext, int B, int H, int reluCell, int reluCand) {
  const v128_t one = wasm_f32x4_splat(1.0f);
  for (int b = 0; b < B; b++) {
    float *z = Z + (long)b * 4 * H;
    long r = (long)b * H;
    for (int j = 0; j < H; j += 4) {
      int n = H - j < 4 ? H - j : 4;
      v128_t f = load_n(z + j, n), i = load_n(z + H + j, n), g = load_n(z + 2 * H + j, n), o = load_n(z + 3 * H + j, n);
      v128_t a = load_n(ac + r + j, n);
      v128_t dh = wasm_f32x4_add(load_n(dHin + r + j, n), load_n(dhNext + r + j, n));
      v128_t dact = reluCell ? v_step(load_n(cCur + r + j, n)) : wasm_f32x4_sub(one, wasm_f32x4_mul(a, a));
      v128_t dc = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(dh, o), dact), load_n(dcNext + r + j, n));
      store_n(dcNext + r + j, wasm_f32x4_mul(dc, f), n);
      store_n(z + j, wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_mul(dc, load_n(cPrev + r + j, n)), f), wasm_f32x4_sub(one, f)), n);
      store_n(z + H + j, wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_mul(dc, g), i), wasm_f32x4_sub(one, i)), n);
      v128_t dg = reluCand ? v_step(g) : wasm_f32x4_sub(one, wasm_f32x4_mul(g, g));
      store_n(z + 2 * H + j, wasm_f32x4_mul(wasm_f32x4_mul(dc, i), dg), n);
      store_n(z + 3 * H + j, wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_mul(dh, a), o), wasm_f32x4_sub(one, o)), n);
    }
  }
}
