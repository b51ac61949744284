/* The vanilla RNN's per-timestep elementwise maths in WebAssembly SIMD: the parts of
 * rnn-kernel.ts's step that are not a GEMM. A, h and the gradients are [B, H] rows laid end to
 * end, so each step is one pass over B·H values. The same formulas as rnn-kernel.ts's JavaScript
 * loops, in float32 (relu bitwise the same; tanh within float32 rounding). */
#include "simd-math.h"

/* Forward, after a_t += h_{t-1}·Wh: h_t = act(a_t) (A is kept: recorded, and relu' needs it). */
EXPORT("rnn_forward_step")
void rnn_forward_step(const float *A, float *hOut, int B, int H, int relu) {
  long n = (long)B * H;
  for (long k = 0; k < n; k += 4) {
    int m = n - k < 4 ? (int)(n - k) : 4;
    v128_t a = load_n(A + k, m);
    store_n(hOut + k, relu ? v_relu(a) : v_tanh(a), m);
  }
}

/* Backward: dh = dHin + dhNext (∂L/∂h_t); A ← ∂L/∂a_t = dh ⊙ act'(a_t), 1 − h_t² for tanh,
 * [a_t > 0] for relu. */
EXPORT("rnn_backward_step")
void rnn_backward_step(float *A, const float *hCur, const float *dHin, const float *dhNext, int B, int H, int relu) {
  const v128_t one = wasm_f32x4_splat(1.0f);
  long n = (long)B * H;
  for (long k = 0; k < n; k += 4) {
    int m = n - k < 4 ? (int)(n - k) : 4;
    v128_t dh = wasm_f32x4_add(load_n(dHin + k, m), load_n(dhNext + k, m));
    v128_t d;
    if (relu) d = v_step(load_n(A + k, m));
    else {
      v128_t h = load_n(hCur + k, m);
      d = wasm_f32x4_sub(one, wasm_f32x4_mul(h, h));
    }
    store_n(A + k, wasm_f32x4_mul(dh, d), m);
  }
}
