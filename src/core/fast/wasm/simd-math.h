/* SIMD maths shared by the per-timestep elementwise kernels (lstm-step.c, gru-step.c,
 * rnn-step.c): exp, sigmoid, tanh, relu and its derivative on f32x4, and loads/stores of a row's tail.
 * exp is Cephes' expf (range reduction to [-ln2/2, ln2/2], degree-5 polynomial, ≈1 ulp). */
#ifndef SIMD_MATH_H
#define SIMD_MATH_H
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(name)))

static inline v128_t v_exp(v128_t x) {
  const v128_t hi = wasm_f32x4_splat(88.3762626647949f), lo = wasm_f32x4_splat(-87.3365447504f);
  x = wasm_f32x4_min(wasm_f32x4_max(x, lo), hi);
  v128_t fx = wasm_f32x4_floor(wasm_f32x4_add(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)), wasm_f32x4_splat(0.5f)));
  x = wasm_f32x4_sub(x, wasm_f32x4_mul(fx, wasm_f32x4_splat(0.693359375f)));
  x = wasm_f32x4_sub(x, wasm_f32x4_mul(fx, wasm_f32x4_splat(-2.12194440e-4f)));
  v128_t y = wasm_f32x4_splat(1.9875691500e-4f);
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), wasm_f32x4_splat(1.3981999507e-3f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), wasm_f32x4_splat(8.3334519073e-3f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), wasm_f32x4_splat(4.1665795894e-2f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), wasm_f32x4_splat(1.6666665459e-1f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), wasm_f32x4_splat(5.0000001201e-1f));
  y = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(y, wasm_f32x4_mul(x, x)), x), wasm_f32x4_splat(1.0f));
  /* 2^fx through the exponent bits; fx ∈ [-126, 128] after the clamp. */
  v128_t e = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(fx), wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(y, e);
}

static inline v128_t v_sigmoid(v128_t x) {
  const v128_t one = wasm_f32x4_splat(1.0f);
  return wasm_f32x4_div(one, wasm_f32x4_add(one, v_exp(wasm_f32x4_neg(x))));
}

/* tanh x = 1 − 2/(1 + e^{2x}): saturates cleanly at ±1; absolute error ≈ 1e-7 near 0. */
static inline v128_t v_tanh(v128_t x) {
  const v128_t one = wasm_f32x4_splat(1.0f);
  return wasm_f32x4_sub(one, wasm_f32x4_div(wasm_f32x4_splat(2.0f), wasm_f32x4_add(one, v_exp(wasm_f32x4_add(x, x)))));
}

static inline v128_t v_relu(v128_t x) { return wasm_f32x4_max(x, wasm_f32x4_splat(0.0f)); }
/* 1 where x > 0, else 0. */
static inline v128_t v_step(v128_t x) { return wasm_v128_and(wasm_f32x4_gt(x, wasm_f32x4_splat(0.0f)), wasm_f32x4_splat(1.0f)); }

/* Loads n ≤ 4 floats (zero-padded) / stores the first n lanes: the tail of a row whose H is not a multiple of 4. */
static inline v128_t load_n(const float *p, int n) {
  if (n == 4) return wasm_v128_load(p);
  float t[4] = {0, 0, 0, 0};
  for (int k = 0; k < n; k++) t[k] = p[k];
  return wasm_v128_load(t);
}
static inline void store_n(float *p, v128_t v, int n) {
  if (n == 4) { wasm_v128_store(p, v); return; }
  float t[4];
  wasm_v128_store(t, v);
  for (int k = 0; k < n; k++) p[k] = t[k];
}

#endif
