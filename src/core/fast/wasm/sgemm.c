/* Row-major single-precision GEMM in WebAssembly SIMD for the fused recurrent kernels:
 * C[M,N] = op(A)·op(B) + beta·C, the Sgemm contract of gemm.ts. Freestanding (no libc): built
 * by build.mjs with clang --target=wasm32 -msimd128. Operands the JavaScript side keeps in this
 * module's memory are used in place, others are copied in and back (wasmKernel.ts).
 *
 * Register blocking: a 4×8 tile of C lives in eight f32x4 registers while k runs, so each
 * loaded pair of B vectors feeds four rows (mul + add; relaxed-SIMD FMA is not assumed).
 * Cache blocking on k and n keeps the touched panel of B (KC×NC floats) in L2 for all rows.
 * op(A) = Aᵀ is read in place (four consecutive floats of a row of A are the four rows of the
 * tile); op(B) = Bᵀ is transposed once into the scratch area the caller provides. */
#include <wasm_simd128.h>
#include "threads.h"

#define EXPORT(name) __attribute__((export_name(name)))
#define KC 256
#define NC 256

/* One 4×8 tile (rows i..i+3, columns j..j+7) over k in [k0, k1): C += op(A)·B. */
static inline void tile4x8(int ta, const float *A, int lda, const float *B, int ldb, float *C, int ldc,
                           int i, int j, int k0, int k1) {
  float *c0 = C + (long)i * ldc + j, *c1 = c0 + ldc, *c2 = c1 + ldc, *c3 = c2 + ldc;
  v128_t x00 = wasm_v128_load(c0), x01 = wasm_v128_load(c0 + 4);
  v128_t x10 = wasm_v128_load(c1), x11 = wasm_v128_load(c1 + 4);
  v128_t x20 = wasm_v128_load(c2), x21 = wasm_v128_load(c2 + 4);
  v128_t x30 = wasm_v128_load(c3), x31 = wasm_v128_load(c3 + 4);
  const float *b = B + (long)k0 * ldb + j;
  if (ta) {
    const float *a = A + (long)k0 * lda + i;
    for (int k = k0; k < k1; k++, a += lda, b += ldb) {
      v128_t av = wasm_v128_load(a);
      v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4);
      v128_t a0 = wasm_i32x4_shuffle(av, av, 0, 0, 0, 0), a1 = wasm_i32x4_shuffle(av, av, 1, 1, 1, 1);
      v128_t a2 = wasm_i32x4_shuffle(av, av, 2, 2, 2, 2), a3 = wasm_i32x4_shuffle(av, av, 3, 3, 3, 3);
      x00 = wasm_f32x4_add(x00, wasm_f32x4_mul(a0, b0)); x01 = wasm_f32x4_add(x01, wasm_f32x4_mul(a0, b1));
      x10 = wasm_f32x4_add(x10, wasm_f32x4_mul(a1, b0)); x11 = wasm_f32x4_add(x11, wasm_f32x4_mul(a1, b1));
      x20 = wasm_f32x4_add(x20, wasm_f32x4_mul(a2, b0)); x21 = wasm_f32x4_add(x21, wasm_f32x4_mul(a2, b1));
      x30 = wasm_f32x4_add(x30, wasm_f32x4_mul(a3, b0)); x31 = wasm_f32x4_add(x31, wasm_f32x4_mul(a3, b1));
    }
  } else {
    const float *a0p = A + (long)i * lda, *a1p = a0p + lda, *a2p = a1p + lda, *a3p = a2p + lda;
    for (int k = k0; k < k1; k++, b += ldb) {
      v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4);
      v128_t a0 = wasm_f32x4_splat(a0p[k]), a1 = wasm_f32x4_splat(a1p[k]);
      v128_t a2 = wasm_f32x4_splat(a2p[k]), a3 = wasm_f32x4_splat(a3p[k]);
      x00 = wasm_f32x4_add(x00, wasm_f32x4_mul(a0, b0)); x01 = wasm_f32x4_add(x01, wasm_f32x4_mul(a0, b1));
      x10 = wasm_f32x4_add(x10, wasm_f32x4_mul(a1, b0)); x11 = wasm_f32x4_add(x11, wasm_f32x4_mul(a1, b1));
      x20 = wasm_f32x4_add(x20, wasm_f32x4_mul(a2, b0)); x21 = wasm_f32x4_add(x21, wasm_f32x4_mul(a2, b1));
      x30 = wasm_f32x4_add(x30, wasm_f32x4_mul(a3, b0)); x31 = wasm_f32x4_add(x31, wasm_f32x4_mul(a3, b1));
    }
  }
  wasm_v128_store(c0, x00); wasm_v128_store(c0 + 4, x01);
  wasm_v128_store(c1, x10); wasm_v128_store(c1 + 4, x11);
  wasm_v128_store(c2, x20); wasm_v128_store(c2 + 4, x21);
  wasm_v128_store(c3, x30); wasm_v128_store(c3 + 4, x31);
}

/* Edges the 4×8 tiles leave (a last partial row block or column block): one row, one f32x4 or
 * scalar at a time. */
static void edge(int ta, const float *A, int lda, const float *B, int ldb, float *C, int ldc,
                 int i0, int i1, int j0, int j1, int k0, int k1) {
  for (int i = i0; i < i1; i++) {
    float *c = C + (long)i * ldc;
    int j = j0;
    for (; j + 4 <= j1; j += 4) {
      v128_t x = wasm_v128_load(c + j);
      for (int k = k0; k < k1; k++) {
        float a = ta ? A[(long)k * lda + i] : A[(long)i * lda + k];
        x = wasm_f32x4_add(x, wasm_f32x4_mul(wasm_f32x4_splat(a), wasm_v128_load(B + (long)k * ldb + j)));
      }
      wasm_v128_store(c + j, x);
    }
    for (; j < j1; j++) {
      float s = c[j];
      for (int k = k0; k < k1; k++) s += (ta ? A[(long)k * lda + i] : A[(long)i * lda + k]) * B[(long)k * ldb + j];
      c[j] = s;
    }
  }
}

/* Copies the KC×NC block of B at (k0, n0) into `pack` as panels of 8 columns, [n/8][k][8], so a
 * tile streams its B operand contiguously instead of touching one row (and page) per k. */
static void pack_b(const float *B, int ldb, int k0, int k1, int n0, int n1, float *pack) {
  int kc = k1 - k0;
  for (int j = n0; j < n1; j += 8) {
    float *dst = pack + (long)(j - n0) * kc;
    const float *src = B + (long)k0 * ldb + j;
    for (int k = 0; k < kc; k++, src += ldb, dst += 8) {
      wasm_v128_store(dst, wasm_v128_load(src));
      wasm_v128_store(dst + 4, wasm_v128_load(src + 4));
    }
  }
}

/* Columns [j0, j1) of C = op(A)·op(B) + beta·C: the whole product for j0 = 0, j1 = N, or one
 * thread's share (j0 a multiple of 8, j1 a multiple of 8 or N). `tscratch` holds op(B) when B is
 * transposed ([K, N], ld N: each share writes and reads its own columns); `pack` (KC·NC floats)
 * is this share's own. Every element of C is computed by the same instructions whatever the
 * split (same k order, the same tile or edge code), so a split product is bitwise the same. */
static void sgemm_cols(int ta, int tb, int M, int N, int K, const float *A, int lda, const float *B, int ldb, float beta,
                       float *C, int ldc, float *tscratch, float *pack, int j0, int j1) {
  for (int i = 0; i < M; i++) {
    float *c = C + (long)i * ldc;
    if (beta == 0.0f) for (int j = j0; j < j1; j++) c[j] = 0.0f;
    else if (beta != 1.0f) for (int j = j0; j < j1; j++) c[j] *= beta;
  }
  if (K <= 0 || M <= 0 || j1 <= j0) return;
  if (tb) {
    /* B is [N, K]; its transpose [K, N] goes to scratch so every tile reads rows of B. */
    for (int j = j0; j < j1; j++)
      for (int k = 0; k < K; k++) tscratch[(long)k * N + j] = B[(long)j * ldb + k];
    B = tscratch;
    ldb = N;
  }
  int M4 = M & ~3, N8 = j0 + ((j1 - j0) & ~7);
  /* Packing pays once a panel of B is reused by enough row blocks. */
  int packed = M4 >= 16;
  for (int k0 = 0; k0 < K; k0 += KC) {
    int k1 = k0 + KC < K ? k0 + KC : K;
    for (int n0 = j0; n0 < N8; n0 += NC) {
      int n1 = n0 + NC < N8 ? n0 + NC : N8;
      if (packed) {
        pack_b(B, ldb, k0, k1, n0, n1, pack);
        int kc = k1 - k0;
        /* The packed panel of columns j is a [kc, 8] matrix: B' = pack + (j-n0)·kc - k0·8, ldb 8. */
        for (int i = 0; i < M4; i += 4)
          for (int j = n0; j < n1; j += 8) {
            const float *panel = pack + (long)(j - n0) * kc - (long)k0 * 8;
            tile4x8(ta, A, lda, panel, 8, C + j, ldc, i, 0, k0, k1);
          }
      } else {
        for (int i = 0; i < M4; i += 4)
          for (int j = n0; j < n1; j += 8) tile4x8(ta, A, lda, B, ldb, C, ldc, i, j, k0, k1);
      }
    }
    if (N8 < j1) edge(ta, A, lda, B, ldb, C, ldc, 0, M4, N8, j1, k0, k1);
    if (M4 < M) edge(ta, A, lda, B, ldb, C, ldc, M4, M, j0, j1, k0, k1);
  }
}

/* sgemm(transA, transB, M, N, K, A, lda, B, ldb, beta, C, ldc, scratch): pointers are byte
 * offsets into this module's memory; scratch must hold sgemm_scratch_floats(...) floats. */
EXPORT("sgemm")
void sgemm(int ta, int tb, int M, int N, int K, const float *A, int lda, const float *B, int ldb, float beta,
           float *C, int ldc, float *scratch) {
  if (M <= 0 || N <= 0) return;
  sgemm_cols(ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc, scratch, scratch + (tb ? (long)K * N : 0), 0, N);
}

/* Floats of scratch sgemm and sgemm_mt need for these arguments: op(B) transposed, and a packed
 * panel of B for each of the two threads. */
EXPORT("sgemm_scratch_floats")
int sgemm_scratch_floats(int tb, int M, int N, int K) {
  (void)M;
  return (tb ? K * N : 0) + 2 * KC * NC;
}

/* ---- Two threads: this module's memory is shared with one worker (threads.c runs its loop) ---- */

/* Products smaller than this (M·N·K multiply-adds) stay on one thread: waking the worker costs
 * more than it saves. Tests set it to 0 to split every product. */
static long mt_min_work = 32 * 64 * 32;

EXPORT("sgemm_set_split_threshold")
void sgemm_set_split_threshold(int work) { mt_min_work = work; }

void job_run_sgemm(const job_t *j) {
  sgemm_cols(j->ta, j->tb, j->M, j->N, j->K, j->A, j->lda, j->B, j->ldb, j->beta, j->C, j->ldc, j->tscratch, j->pack, j->j0, j->j1);
}

/* sgemm split by columns between this thread (the left share) and the worker (the right share)
 * when the worker is running and the product is large enough; else sgemm. Returns once C is
 * complete. */
EXPORT("sgemm_mt")
void sgemm_mt(job_t *job, int ta, int tb, int M, int N, int K, const float *A, int lda, const float *B, int ldb, float beta,
              float *C, int ldc, float *scratch) {
  if (M <= 0 || N <= 0) return;
  /* The worker takes the columns from `split` (a multiple of 8: the shares' tiles are the same). */
  int split = ((N >> 1) + 7) & ~7;
  if (split >= N || (long)M * N * K < mt_min_work || !job_worker_ready(job)) {
    sgemm(ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc, scratch);
    return;
  }
  float *tscratch = scratch, *pack0 = scratch + (tb ? (long)K * N : 0), *pack1 = pack0 + KC * NC;
  job->kind = JOB_SGEMM;
  job->ta = ta; job->tb = tb; job->M = M; job->N = N; job->K = K;
  job->A = A; job->lda = lda; job->B = B; job->ldb = ldb; job->beta = beta; job->C = C; job->ldc = ldc;
  job->tscratch = tscratch; job->pack = pack1; job->j0 = split; job->j1 = N;
  int seq = job_post(job);
  sgemm_cols(ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc, tscratch, pack0, 0, split);
  job_join(job, seq);
}
