// WGSL kernels of the GPU LSTM. Every kernel reads and writes one storage buffer (the arena: all
// weights, activations, gradients and recordings at float offsets), so no dispatch binds a buffer
// twice and the binding count stays at two; its parameters come from a 80-byte uniform slot
// selected by a dynamic offset. The recurrent kernels run one workgroup per sample and loop over
// time inside the shader: the recurrence couples units of one sample only, so a workgroup
// barrier per step is all the synchronisation the whole sequence needs.

export const WG = 64;

const header = /* wgsl */ `
struct P { a: vec4u, b: vec4u, c: vec4u, d: vec4u, e: vec4u }
@group(0) @binding(0) var<storage, read_write> w: array<f32>;
@group(0) @binding(1) var<uniform> p: P;
const WG: u32 = ${WG}u;
const NONE: u32 = 0xffffffffu;
fn sigm(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
// Clamped: some drivers' tanh overflows to NaN for |x| > ~44; tanh(15) is 1 in float32.
fn tanhc(x: f32) -> f32 { return tanh(clamp(x, -15.0, 15.0)); }
`;

/**
 * C = bias + beta·C + op(A)·op(B), all row-major in the arena.
 * a: M, N, K, flags (1 transA, 2 transB, 4 bias) · b: aOff, lda, bOff, ldb · c: cOff, ldc, biasOff, beta (f32 bits)
 */
const matmul = /* wgsl */ `
@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let M = p.a.x; let N = p.a.y; let K = p.a.z; let flags = p.a.w;
  let i = id.y; let j = id.x;
  if (i >= M || j >= N) { return; }
  let aOff = p.b.x; let lda = p.b.y; let bOff = p.b.z; let ldb = p.b.w;
  var s = 0.0;
  for (var k = 0u; k < K; k++) {
    var av: f32; var bv: f32;
    if ((flags & 1u) != 0u) { av = w[aOff + k * lda + i]; } else { av = w[aOff + i * lda + k]; }
    if ((flags & 2u) != 0u) { bv = w[bOff + j * ldb + k]; } else { bv = w[bOff + k * ldb + j]; }
    s += av * bv;
  }
  let c = p.c.x + i * p.c.y + j;
  let beta = bitcast<f32>(p.c.w);
  var out = s;
  if (beta != 0.0) { out += beta * w[c]; }
  if ((flags & 4u) != 0u) { out += w[p.c.z + j]; }
  w[c] = out;
}`;

/** Column sums: out[j] = Σ_r A[r, j]. a: rows, cols, aOff, outOff. */
const colsum = /* wgsl */ `
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let rows = p.a.x; let cols = p.a.y; let j = id.x;
  if (j >= cols) { return; }
  var s = 0.0;
  for (var r = 0u; r < rows; r++) { s += w[p.a.z + r * cols + j]; }
  w[p.a.w + j] = s;
}`;

/** w[off .. off+n) = value. a: off, n, value (f32 bits). */
const fill = /* wgsl */ `
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let v = bitcast<f32>(p.a.z);
  for (var k = id.x; k < p.a.y; k += nw.x * WG) { w[p.a.x + k] = v; }
}`;

/** Copies T rows of H floats at a stride into a dense [T, H] block. a: T, H, srcOff, stride · b: dstOff. */
const gather = /* wgsl */ `
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let T = p.a.x; let H = p.a.y;
  if (id.x >= T * H) { return; }
  let t = id.x / H; let j = id.x % H;
  w[p.b.x + id.x] = w[p.a.z + t * p.a.w + j];
}`;

/**
 * Forward of one LSTM-family layer over the whole sequence, one workgroup per sample.
 * Z holds x·Wx + b on entry and the gate activations on exit. The gate blocks f, i, g, o sit at
 * the column blocks e.x … e.w; an absent i or o (NONE) is the constant 1 (the LSTM variants).
 * a: H, B, T, G · b: zOff, hsOff, csOff, acOff · c: whOff, reluCell, reluCand, sample0 · e: blocks f, i, g, o
 */
const lstmForward = /* wgsl */ `
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let H = p.a.x; let B = p.a.y; let T = p.a.z; let G = p.a.w;
  let b = wid.x + p.c.w;
  let whOff = p.c.x; let reluCell = p.c.y != 0u; let reluCand = p.c.z != 0u;
  let fo = p.e.x * H; let go = p.e.z * H;
  let hasI = p.e.y != NONE; let hasO = p.e.w != NONE;
  let io = select(0u, p.e.y * H, hasI); let oo = select(0u, p.e.w * H, hasO);
  for (var t = 0u; t < T; t++) {
    let row = t * B + b;
    let zr = p.b.x + row * G;
    let prev = row * H;            // row of h_{t-1}, c_{t-1} in Hs, Cs
    let next = (row + B) * H;      // row of h_t, c_t
    for (var j = lid.x; j < H; j += WG) {
      var zf = w[zr + fo + j]; var zg = w[zr + go + j];
      var zi = 0.0; var zo = 0.0;
      if (hasI) { zi = w[zr + io + j]; }
      if (hasO) { zo = w[zr + oo + j]; }
      for (var k = 0u; k < H; k++) {
        let hk = w[p.b.y + prev + k];
        let wr = whOff + k * G + j;
        zf += hk * w[wr + fo]; zg += hk * w[wr + go];
        if (hasI) { zi += hk * w[wr + io]; }
        if (hasO) { zo += hk * w[wr + oo]; }
      }
      let f = sigm(zf);
      var i = 1.0; if (hasI) { i = sigm(zi); }
      var o = 1.0; if (hasO) { o = sigm(zo); }
      var g: f32; if (reluCand) { g = max(zg, 0.0); } else { g = tanhc(zg); }
      let c = f * w[p.b.z + prev + j] + i * g;
      var a: f32; if (reluCell) { a = max(c, 0.0); } else { a = tanhc(c); }
      w[zr + fo + j] = f; w[zr + go + j] = g;
      if (hasI) { w[zr + io + j] = i; }
      if (hasO) { w[zr + oo + j] = o; }
      w[p.b.z + next + j] = c;
      w[p.b.w + prev + j] = a;
      w[p.b.y + next + j] = o * a;
    }
    storageBarrier();
  }
}`;

/**
 * BPTT of one LSTM-family layer, one workgroup per sample (sample0 + workgroup id), t = T−1 … 0.
 * Writes ∂L/∂h_t, ∂L/∂c_t and ∂L/∂z_t (gate pre-activations, in the gate blocks e.x … e.w).
 * a: H, B, T, G · b: zOff (gates), csOff, acOff, dHinOff · c: whOff, dzOff, dhOff, dcOff · d: dcnOff, reluCell, reluCand, sample0 · e: blocks
 */
const lstmBackward = /* wgsl */ `
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let H = p.a.x; let B = p.a.y; let T = p.a.z; let G = p.a.w;
  let b = wid.x + p.d.w;
  let zOff = p.b.x; let csOff = p.b.y; let acOff = p.b.z; let dHinOff = p.b.w;
  let whOff = p.c.x; let dzOff = p.c.y; let dhOff = p.c.z; let dcOff = p.c.w;
  let dcn = p.d.x + b * H; let reluCell = p.d.y != 0u; let reluCand = p.d.z != 0u;
  let fo = p.e.x * H; let go = p.e.z * H;
  let hasI = p.e.y != NONE; let hasO = p.e.w != NONE;
  let io = select(0u, p.e.y * H, hasI); let oo = select(0u, p.e.w * H, hasO);
  for (var j = lid.x; j < H; j += WG) { w[dcn + j] = 0.0; }
  for (var tt = 0u; tt < T; tt++) {
    let t = T - 1u - tt;
    let row = t * B + b;
    for (var j = lid.x; j < H; j += WG) {
      // ∂L/∂h_t from h_{t+1}: ∂L/∂z_{t+1} · Wh^T.
      var dhn = 0.0;
      if (t + 1u < T) {
        let dzn = dzOff + (row + B) * G;
        let wr = whOff + j * G;
        for (var k = 0u; k < G; k++) { dhn += w[dzn + k] * w[wr + k]; }
      }
      let zr = zOff + row * G;
      let f = w[zr + fo + j]; let g = w[zr + go + j];
      var i = 1.0; if (hasI) { i = w[zr + io + j]; }
      var o = 1.0; if (hasO) { o = w[zr + oo + j]; }
      let s = row * H + j;
      let a = w[acOff + s];
      let dh = w[dHinOff + s] + dhn;
      var dact: f32;
      if (reluCell) { dact = select(0.0, 1.0, w[csOff + s + B * H] > 0.0); } else { dact = 1.0 - a * a; }
      let dc = dh * o * dact + w[dcn + j];
      w[dhOff + s] = dh;
      w[dcOff + s] = dc;
      w[dcn + j] = dc * f;
      let dz = dzOff + row * G;
      w[dz + fo + j] = dc * w[csOff + s] * f * (1.0 - f);
      if (hasI) { w[dz + io + j] = dc * g * i * (1.0 - i); }
      var dg: f32; if (reluCand) { dg = select(0.0, 1.0, g > 0.0); } else { dg = 1.0 - g * g; }
      w[dz + go + j] = dc * i * dg;
      if (hasO) { w[dz + oo + j] = dh * a * o * (1.0 - o); }
    }
    storageBarrier();
  }
}`;

/**
 * Forward of one GRU layer (reset before the recurrent product, as the engine), one workgroup per
 * sample: z, r first (they need all of h_{t-1}), then r ⊙ h_{t-1} is complete and n can use it.
 * Z: x·Wx + b in, z, r, n out; RH: r ⊙ h_{t-1} [T·B, H] (for ∂L/∂Wh_n and the backward pass).
 * a: H, B, T, G · b: zOff, hsOff, rhOff · c: whOff, _, _, sample0
 */
const gruForward = /* wgsl */ `
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let H = p.a.x; let B = p.a.y; let T = p.a.z; let G = p.a.w;
  let b = wid.x + p.c.w;
  let hs = p.b.y; let rh = p.b.z; let whOff = p.c.x;
  for (var t = 0u; t < T; t++) {
    let row = t * B + b;
    let zr = p.b.x + row * G;
    let prev = row * H;
    let next = (row + B) * H;
    for (var j = lid.x; j < H; j += WG) {
      var zz = w[zr + j]; var rr = w[zr + H + j];
      for (var k = 0u; k < H; k++) {
        let hk = w[hs + prev + k];
        let wr = whOff + k * G + j;
        zz += hk * w[wr]; rr += hk * w[wr + H];
      }
      let r = sigm(rr);
      w[zr + j] = sigm(zz); w[zr + H + j] = r;
      w[rh + prev + j] = r * w[hs + prev + j];
    }
    storageBarrier();
    for (var j = lid.x; j < H; j += WG) {
      var nn = w[zr + 2u * H + j];
      for (var k = 0u; k < H; k++) { nn += w[rh + prev + k] * w[whOff + k * G + 2u * H + j]; }
      let n = tanhc(nn);
      let z = w[zr + j];
      w[zr + 2u * H + j] = n;
      w[hs + next + j] = z * w[hs + prev + j] + (1.0 - z) * n;  // h_t = z ⊙ h_{t-1} + (1 − z) ⊙ n
    }
    storageBarrier();
  }
}`;

/**
 * BPTT of one GRU layer, one workgroup per sample, t = T−1 … 0, in three phases per step:
 * ∂z̄, ∂n̄ and the direct part z ⊙ ∂h; then ∂(r ⊙ h) = Wh_n·∂n̄ gives ∂r̄; then ∂L/∂h_{t-1}.
 * a: H, B, T, G · b: zOff, hsOff, rhOff, dHinOff · c: whOff, dzOff, dhOff, partOff · d: dcnOff, _, _, sample0
 */
const gruBackward = /* wgsl */ `
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let H = p.a.x; let B = p.a.y; let T = p.a.z; let G = p.a.w;
  let b = wid.x + p.d.w;
  let hs = p.b.y; let dHin = p.b.w;
  let whOff = p.c.x; let dzOff = p.c.y; let dhOff = p.c.z; let part = p.c.w;
  let dcn = p.d.x + b * H;
  for (var j = lid.x; j < H; j += WG) { w[dcn + j] = 0.0; }
  for (var tt = 0u; tt < T; tt++) {
    let t = T - 1u - tt;
    let row = t * B + b;
    let zr = p.b.x + row * G;
    let dz = dzOff + row * G;
    let prev = row * H;
    for (var j = lid.x; j < H; j += WG) {
      let s = row * H + j;
      let dh = w[dHin + s] + w[dcn + j];
      w[dhOff + s] = dh;
      let z = w[zr + j]; let n = w[zr + 2u * H + j]; let hp = w[hs + prev + j];
      w[dz + j] = dh * (hp - n) * z * (1.0 - z);
      w[dz + 2u * H + j] = dh * (1.0 - z) * (1.0 - n * n);
      w[part + s] = dh * z;
    }
    storageBarrier();
    for (var j = lid.x; j < H; j += WG) {
      var acc = 0.0;
      let wr = whOff + j * G + 2u * H;
      for (var k = 0u; k < H; k++) { acc += w[wr + k] * w[dz + 2u * H + k]; }
      let r = w[zr + H + j]; let hp = w[hs + prev + j];
      w[dz + H + j] = acc * hp * r * (1.0 - r);
      w[part + row * H + j] += acc * r;
    }
    storageBarrier();
    for (var j = lid.x; j < H; j += WG) {
      var acc = w[part + row * H + j];
      let wr = whOff + j * G;
      for (var k = 0u; k < 2u * H; k++) { acc += w[wr + k] * w[dz + k]; }
      w[dcn + j] = acc;
    }
    storageBarrier();
  }
}`;

/**
 * Forward of one vanilla RNN layer, h_t = act(a_t), a_t = x·Wx + b + h_{t-1}·Wh; Z keeps a_t
 * (the recorded quantity). a: H, B, T, G · b: zOff, hsOff · c: whOff, relu, _, sample0
 */
const rnnForward = /* wgsl */ `
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let H = p.a.x; let B = p.a.y; let T = p.a.z; let G = p.a.w;
  let b = wid.x + p.c.w;
  let hs = p.b.y; let whOff = p.c.x; let relu = p.c.y != 0u;
  for (var t = 0u; t < T; t++) {
    let row = t * B + b;
    let zr = p.b.x + row * G;
    for (var j = lid.x; j < H; j += WG) {
      var a = w[zr + j];
      for (var k = 0u; k < H; k++) { a += w[hs + row * H + k] * w[whOff + k * G + j]; }
      w[zr + j] = a;
      var h: f32; if (relu) { h = max(a, 0.0); } else { h = tanhc(a); }
      w[hs + (row + B) * H + j] = h;
    }
    storageBarrier();
  }
}`;

/** BPTT of one vanilla RNN layer. a: H, B, T, G · b: _, hsOff, _, dHinOff · c: whOff, dzOff, dhOff, _ · d: dcnOff, relu, _, sample0 */
const rnnBackward = /* wgsl */ `
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let H = p.a.x; let B = p.a.y; let T = p.a.z; let G = p.a.w;
  let b = wid.x + p.d.w;
  let hs = p.b.y; let dHin = p.b.w;
  let whOff = p.c.x; let dzOff = p.c.y; let dhOff = p.c.z;
  let dcn = p.d.x + b * H; let relu = p.d.y != 0u;
  for (var j = lid.x; j < H; j += WG) { w[dcn + j] = 0.0; }
  for (var tt = 0u; tt < T; tt++) {
    let t = T - 1u - tt;
    let row = t * B + b;
    for (var j = lid.x; j < H; j += WG) {
      let s = row * H + j;
      let dh = w[dHin + s] + w[dcn + j];
      w[dhOff + s] = dh;
      let h = w[hs + (row + B) * H + j];
      var d: f32; if (relu) { d = select(0.0, 1.0, h > 0.0); } else { d = 1.0 - h * h; }
      w[dzOff + row * G + j] = dh * d;
    }
    storageBarrier();
    for (var j = lid.x; j < H; j += WG) {
      var acc = 0.0;
      let wr = whOff + j * G;
      for (var k = 0u; k < G; k++) { acc += w[wr + k] * w[dzOff + row * G + k]; }
      w[dcn + j] = acc;
    }
    storageBarrier();
  }
}`;

/**
 * Loss per row r = t·B + b (time-major): softmax cross-entropy or mean squared error. Y becomes
 * ∂L/∂Y = mask·scale·∂ℓ/∂y; rowLoss[r] = mask·ℓ; the unweighted ∂ℓ/∂y of row `reachRow` goes to dyR.
 * a: O, rows, xent, scale (f32 bits) · b: yOff, targetOff, maskOff, rowLossOff · c: reachRow, dyROff
 */
const loss = /* wgsl */ `
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let O = p.a.x; let r = id.x;
  if (r >= p.a.y) { return; }
  let scale = bitcast<f32>(p.a.w);
  let yo = p.b.x + r * O;
  let m = w[p.b.z + r];
  let isReach = r == p.c.x;
  var ell = 0.0;
  if (p.a.z != 0u) {
    let tgt = u32(w[p.b.y + r]);
    var mx = w[yo];
    for (var k = 1u; k < O; k++) { mx = max(mx, w[yo + k]); }
    var se = 0.0;
    for (var k = 0u; k < O; k++) { se += exp(w[yo + k] - mx); }
    ell = -(w[yo + tgt] - mx - log(se));
    for (var k = 0u; k < O; k++) {
      let d = exp(w[yo + k] - mx) / se - select(0.0, 1.0, k == tgt);
      if (isReach) { w[p.c.y + k] = d; }
      w[yo + k] = m * scale * d;
    }
  } else {
    for (var k = 0u; k < O; k++) {
      let e = w[yo + k] - w[p.b.y + r * O + k];
      ell += e * e / f32(O);
      let d = 2.0 * e / f32(O);
      if (isReach) { w[p.c.y + k] = d; }
      w[yo + k] = m * scale * d;
    }
  }
  w[p.b.w + r] = m * ell;
}`;

export const KERNELS = { matmul, colsum, fill, gather, lstmForward, lstmBackward, gruForward, gruBackward, rnnForward, rnnBackward, loss } as const;
export type KernelName = keyof typeof KERNELS;

export function kernelSource(name: KernelName): string {
  return header + KERNELS[name];
}
