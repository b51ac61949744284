/* The LSTM's per-timestep elementwise maths in WebAssembly SIMD, the part of the fused kernel
 * that is not a GEMM (at H = 64 about four fifths of its time in JavaScript): gates from the
 * pre-activations and the new cell and hidden state (forward), and ∂L/∂z from ∂L/∂h, ∂L/∂c
 * (backward). The same formulas as lstm-kernel.ts's JavaScript loops, in float32.
 * exp is Cephes' expf (range reduction to [-ln2/2, ln2/2], degree-5 polynomial, ≈1 ulp). */
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
