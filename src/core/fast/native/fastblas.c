/* Optional native accelerator for the fused LSTM kernel: exposes one row-major SGEMM to
 * JavaScript through Node-API, forwarding to the system BLAS (OpenBLAS when installed) found
 * with dlopen at load time. No BLAS at build time is needed; without one, `available` is false
 * and the caller keeps its JavaScript GEMM. */
#include <dlfcn.h>
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* CBLAS enum values (cblas.h), spelled out so no BLAS headers are needed to build. */
enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 };
typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int,
                         float, float *, int);
typedef void (*set_threads_fn)(int);
typedef char *(*get_config_fn)(void);

static sgemm_fn cblas_sgemm_ptr = NULL;
static set_threads_fn set_threads_ptr = NULL;
static get_config_fn get_config_ptr = NULL;
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
    set_threads_ptr = (set_threads_fn)dlsym(h, "openblas_set_num_threads");
    get_config_ptr = (get_config_fn)dlsym(h, "openblas_get_config");
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

/* sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc): row-major
 * C[M,N] = alpha·op(A)·op(B) + beta·C. Arrays are Float32Array views (offsets honoured). */
static napi_value Sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value a[13];
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  if (argc != 13 || !cblas_sgemm_ptr) {
    napi_throw_error(env, NULL, "sgemm: 13 arguments and a loaded BLAS are required");
    return NULL;
  }
  bool ta, tb;
  int32_t M, N, K, lda, ldb, ldc;
  double alpha, beta;
  float *A, *B, *C;
  size_t la, lb, lc;
  napi_get_value_bool(env, a[0], &ta);
  napi_get_value_bool(env, a[1], &tb);
  napi_get_value_int32(env, a[2], &M);
  napi_get_value_int32(env, a[3], &N);
  napi_get_value_int32(env, a[4], &K);
  napi_get_value_double(env, a[5], &alpha);
  napi_get_value_int32(env, a[7], &lda);
  napi_get_value_int32(env, a[9], &ldb);
  napi_get_value_double(env, a[10], &beta);
  napi_get_value_int32(env, a[12], &ldc);
  if (!get_f32(env, a[6], &A, &la) || !get_f32(env, a[8], &B, &lb) || !get_f32(env, a[11], &C, &lc)) {
    napi_throw_type_error(env, NULL, "sgemm: A, B and C must be Float32Arrays");
    return NULL;
  }
  /* Bounds: the last element each operand touches must lie inside its view. */
  size_t needA = M == 0 || K == 0 ? 0 : (ta ? (size_t)(K - 1) * lda + M : (size_t)(M - 1) * lda + K);
  size_t needB = K == 0 || N == 0 ? 0 : (tb ? (size_t)(N - 1) * ldb + K : (size_t)(K - 1) * ldb + N);
  size_t needC = M == 0 || N == 0 ? 0 : (size_t)(M - 1) * ldc + N;
  if (needA > la || needB > lb || needC > lc) {
    napi_throw_range_error(env, NULL, "sgemm: operand view too small for the given shape");
    return NULL;
  }
  if (M > 0 && N > 0)
    cblas_sgemm_ptr(ROW_MAJOR, ta ? TRANS : NO_TRANS, tb ? TRANS : NO_TRANS, M, N, K, (float)alpha, A, lda, B,
                    ldb, (float)beta, C, ldc);
  return NULL;
}

static napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a[1];
  int32_t n = 1;
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  if (argc >= 1) napi_get_value_int32(env, a[0], &n);
  if (set_threads_ptr) set_threads_ptr(n);
  napi_value r;
  napi_get_boolean(env, set_threads_ptr != NULL, &r);
  return r;
}

static napi_value Init(napi_env env, napi_value exports) {
  load_blas();
  napi_value fn, v;
  napi_create_function(env, "sgemm", NAPI_AUTO_LENGTH, Sgemm, NULL, &fn);
  napi_set_named_property(env, exports, "sgemm", fn);
  napi_create_function(env, "setThreads", NAPI_AUTO_LENGTH, SetThreads, NULL, &fn);
  napi_set_named_property(env, exports, "setThreads", fn);
  napi_get_boolean(env, cblas_sgemm_ptr != NULL, &v);
  napi_set_named_property(env, exports, "available", v);
  napi_create_string_utf8(env, library_name, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, exports, "library", v);
  napi_create_string_utf8(env, get_config_ptr ? get_config_ptr() : "", NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, exports, "config", v);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
