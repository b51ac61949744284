/* Optional native accelerator for the fused LSTM kernel: exposes one row-major SGEMM to
 * JavaScript through Node-API, forwarding to the system BLAS (OpenBLAS when installed) found
 * with dlopen at load time. No BLAS at build time is needed; without one, `available` is false
 * and the caller keeps its JavaScript GEMM. */
#include <dlfcn.h>
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* CBLAS enum values (cblas.h), spelled out so no BLAS headers are needed to build. */
enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 };
typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int,
                         float, float *, int);

static sgemm_fn cblas_sgemm_ptr = NULL;
static char library_name[256] = "";

/* OpenBLAS first (fast, threaded); the generic libblas.so.3 alternative may be the slow
 * reference BLAS, which the JS side detects by measuring, not by name. */
static const char *const CANDIDATES[] = {
    "libopenblas.so.0", "libopenblasp-r0.so", "libopenblas.so", "libblas.so.3", "libcblas.so.3", NULL};

static void load_blas(void) {
  for (int i = 0; CANDIDATES[i] && !cblas_sgemm_ptr; i++) {
    void *h = dlopen(CANDIDATES[i], RTLD_NOW | RTLD_LOCAL);
    if (!h) continue;
    sgemm_fn f = (sgemm_fn)dlsym(h, "cblas_sgemm");
    if (!f) { dlclose(h); continue; }
    cblas_sgemm_ptr = f;
    strncpy(library_name, CANDIDATES[i], sizeof library_name - 1);
  }
}

static bool get_f32(napi_env env, napi_value v, float **data, size_t *len) {
  napi_typedarray_type type;
  void *ptr;
  napi_value buf;
  size_t off;
  if (napi_get_typedarray_info(env, v, &type, len, &ptr, &buf, &off) != napi_ok) return false;
  if (type != napi_float32_array) return false;
  *data = (float *)ptr;
  return true;
}

/* Reads argument i as a bool / int32 / double; on a wrong type throws a TypeError naming it.
 * Every status is checked: an unchecked failure would leave the output uninitialised. */
static bool arg_bool(napi_env env, napi_value v, const char *name, bool *out) {
  if (napi_get_value_bool(env, v, out) == napi_ok) return true;
  char msg[96];
  snprintf(msg, sizeof msg, "sgemm: %s must be a boolean", name);
  napi_throw_type_error(env, NULL, msg);
  return false;
}
static bool arg_int(napi_env env, napi_value v, const char *name, int32_t *out) {
  double d;
  char msg[96];
  /* Integral numbers only: napi_get_value_int32 would silently truncate 2.5 or wrap 2^32. */
  if (napi_get_value_double(env, v, &d) != napi_ok || d != (double)(int32_t)d || napi_get_value_int32(env, v, out) != napi_ok) {
    snprintf(msg, sizeof msg, "sgemm: %s must be a 32-bit integer", name);
    napi_throw_type_error(env, NULL, msg);
    return false;
  }
  return true;
}
static bool arg_double(napi_env env, napi_value v, const char *name, double *out) {
  if (napi_get_value_double(env, v, out) == napi_ok) return true;
  char msg[96];
  snprintf(msg, sizeof msg, "sgemm: %s must be a number", name);
  napi_throw_type_error(env, NULL, msg);
  return false;
}

/* sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc): row-major
 * C[M,N] = alpha·op(A)·op(B) + beta·C. Arrays are Float32Array views (offsets honoured).
 * Every argument is checked so that no call from JavaScript reads or writes outside a view:
 * sizes are ≥ 0 (a negative int32 would wrap in size_t), each leading dimension is at least the
 * row length of its stored matrix, and each view holds the last element the call touches. */
static napi_value Sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value a[13];
  if (napi_get_cb_info(env, info, &argc, a, NULL, NULL) != napi_ok || argc != 13) {
    napi_throw_error(env, NULL, "sgemm: 13 arguments are required");
    return NULL;
  }
  bool ta, tb;
  int32_t M, N, K, lda, ldb, ldc;
  double alpha, beta;
  float *A, *B, *C;
  size_t la, lb, lc;
  if (!arg_bool(env, a[0], "transA", &ta) || !arg_bool(env, a[1], "transB", &tb) || !arg_int(env, a[2], "M", &M) ||
      !arg_int(env, a[3], "N", &N) || !arg_int(env, a[4], "K", &K) || !arg_double(env, a[5], "alpha", &alpha) ||
      !arg_int(env, a[7], "lda", &lda) || !arg_int(env, a[9], "ldb", &ldb) || !arg_double(env, a[10], "beta", &beta) ||
      !arg_int(env, a[12], "ldc", &ldc))
    return NULL;
  if (!get_f32(env, a[6], &A, &la) || !get_f32(env, a[8], &B, &lb) || !get_f32(env, a[11], &C, &lc)) {
    napi_throw_type_error(env, NULL, "sgemm: A, B and C must be Float32Arrays");
    return NULL;
  }
  if (M < 0 || N < 0 || K < 0) {
    napi_throw_range_error(env, NULL, "sgemm: M, N and K must be >= 0");
    return NULL;
  }
  /* Row-major: stored A is [M,K] (or [K,M] transposed), B is [K,N] (or [N,K]), C is [M,N]. */
  int32_t rowA = ta ? M : K, rowB = tb ? K : N;
  if (lda < 1 || lda < rowA || ldb < 1 || ldb < rowB || ldc < 1 || ldc < N) {
    napi_throw_range_error(env, NULL, "sgemm: a leading dimension is smaller than its matrix's row length (or < 1)");
    return NULL;
  }
  /* Bounds: the last element each operand touches must lie inside its view (size_t is 64-bit: no overflow from int32 products). */
  size_t needA = M == 0 || K == 0 ? 0 : (ta ? (size_t)(K - 1) * (size_t)lda + (size_t)M : (size_t)(M - 1) * (size_t)lda + (size_t)K);
  size_t needB = K == 0 || N == 0 ? 0 : (tb ? (size_t)(N - 1) * (size_t)ldb + (size_t)K : (size_t)(K - 1) * (size_t)ldb + (size_t)N);
  size_t needC = M == 0 || N == 0 ? 0 : (size_t)(M - 1) * (size_t)ldc + (size_t)N;
  if (needA > la || needB > lb || needC > lc) {
    napi_throw_range_error(env, NULL, "sgemm: operand view too small for the given shape");
    return NULL;
  }
  if (!cblas_sgemm_ptr) {
    napi_throw_error(env, NULL, "sgemm: no BLAS library was loaded");
    return NULL;
  }
  if (M > 0 && N > 0)
    cblas_sgemm_ptr(ROW_MAJOR, ta ? TRANS : NO_TRANS, tb ? TRANS : NO_TRANS, M, N, K, (float)alpha, A, lda, B,
                    ldb, (float)beta, C, ldc);
  return NULL;
}

static napi_value Init(napi_env env, napi_value exports) {
  load_blas();
  napi_value fn, v;
  napi_create_function(env, "sgemm", NAPI_AUTO_LENGTH, Sgemm, NULL, &fn);
  napi_set_named_property(env, exports, "sgemm", fn);
  napi_get_boolean(env, cblas_sgemm_ptr != NULL, &v);
  napi_set_named_property(env, exports, "available", v);
  napi_create_string_utf8(env, library_name, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, exports, "library", v);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
