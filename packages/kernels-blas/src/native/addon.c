/*
 * awn_blas: Node-API glue exposing OpenBLAS sgemm and the native float32 kernels to JS, for the
 * tfjs wasm backend (operands in its heap, addressed by byte offset) and the cpu backend (operands
 * in each tensor's own typed array): see glue.h.
 *
 * Written against Node-API's C header (node_api.h) rather than node-addon-api: the C API is ABI-stable
 * across Node versions and ships with Node's own headers, so the addon needs no npm dependency and no
 * `npm install` (node-addon-api is a header-only C++ wrapper we would otherwise have to vendor).
 */
#include <limits.h>
#include <string.h>

#include <cblas.h>

#include "gemm.h"
#include "glue.h"

napi_status awn_define_ops(napi_env env, napi_value exports);
napi_status awn_define_fused(napi_env env, napi_value exports);
napi_status awn_define_optim(napi_env env, napi_value exports);

/* OpenBLAS extensions; openblas's cblas.h declares them too, but another vendor's cblas.h would not. */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_config(void);
char *openblas_get_corename(void);

#define get_i64 awn_get_i64
#define get_bool awn_get_bool

/* A typed array of exactly the wanted element type (sgemm's operands). */
static bool get_typed(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *length) {
  bool is_typed = false;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed) return false;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, length, data, &buffer, &offset) != napi_ok) return false;
  return type == want;
}

static bool dims_fit_blas(int64_t m, int64_t n, int64_t k) {
  return m >= 0 && n >= 0 && k >= 0 && m <= INT_MAX && n <= INT_MAX && k <= INT_MAX;
}

/*
 * sgemm(transA, transB, m, n, k, alpha, A, B, beta, C): C = alpha * op(A) op(B) + beta * C on dense
 * row-major Float32Arrays. The benchmark's yardstick for what the tfjs kernel path costs on top.
 */
static napi_value js_sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 10) FAIL(env, "sgemm expects 10 arguments, got %zu", argc);
  int ta, tb;
  int64_t m, n, k;
  double alpha, beta;
  CHECK(env, get_bool(env, argv[0], &ta));
  CHECK(env, get_bool(env, argv[1], &tb));
  CHECK(env, get_i64(env, argv[2], &m));
  CHECK(env, get_i64(env, argv[3], &n));
  CHECK(env, get_i64(env, argv[4], &k));
  CHECK(env, napi_get_value_double(env, argv[5], &alpha));
  CHECK(env, napi_get_value_double(env, argv[8], &beta));
  if (!dims_fit_blas(m, n, k)) FAIL(env, "sgemm: bad dims m=%lld n=%lld k=%lld", (long long)m, (long long)n, (long long)k);
  void *a, *b, *c;
  size_t la, lb, lc;
  if (!get_typed(env, argv[6], napi_float32_array, &a, &la) ||
      !get_typed(env, argv[7], napi_float32_array, &b, &lb) ||
      !get_typed(env, argv[9], napi_float32_array, &c, &lc)) {
    FAIL(env, "sgemm: A, B and C must be Float32Arrays");
  }
  if ((int64_t)la < m * k || (int64_t)lb < k * n || (int64_t)lc < m * n) {
    FAIL(env, "sgemm: arrays too short for m=%lld n=%lld k=%lld", (long long)m, (long long)n, (long long)k);
  }
  if (m == 0 || n == 0) return NULL;
  const int64_t lda = ta ? m : k, ldb = tb ? k : n;
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)m,
              (int)n, (int)k, (float)alpha, a, (int)(lda > 1 ? lda : 1), b, (int)(ldb > 1 ? ldb : 1),
              (float)beta, c, (int)(n > 1 ? n : 1));
  return NULL;
}

/*
 * matmul(a, aOff, b, bOff, c, cOff, transA, transB, m, n, k, batch, bias, biasOff, biasLen, activation)
 * Operands as (typed array, byte offset) pairs (glue.h); batch: Float64Array [dim, aStride, bStride]
 * per output batch dim (strides in elements, 0 where broadcast), or null; bias null for none;
 * activation: 0 linear, 1 relu, 2 relu6. Writes the dense [batch..., m, n] result into c.
 */
static napi_value js_matmul(napi_env env, napi_callback_info info) {
  size_t argc = 16;
  napi_value argv[16];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 16) FAIL(env, "matmul expects 16 arguments, got %zu", argc);
  awn_gemm_desc d;
  memset(&d, 0, sizeof d);
  int64_t act;
  CHECK(env, get_bool(env, argv[6], &d.trans_a));
  CHECK(env, get_bool(env, argv[7], &d.trans_b));
  CHECK(env, get_i64(env, argv[8], &d.m));
  CHECK(env, get_i64(env, argv[9], &d.n));
  CHECK(env, get_i64(env, argv[10], &d.k));
  CHECK(env, get_i64(env, argv[15], &act));
  if (!dims_fit_blas(d.m, d.n, d.k)) FAIL(env, "matmul: bad dims");
  if (act < AWN_ACT_LINEAR || act > AWN_ACT_RELU6) FAIL(env, "matmul: bad activation %lld", (long long)act);
  d.activation = (int)act;

  napi_valuetype type;
  CHECK(env, napi_typeof(env, argv[11], &type));
  if (type != napi_null && type != napi_undefined) {
    const double *t;
    size_t batch_len;
    if (!awn_get_f64(env, argv[11], &t, &batch_len) || batch_len % 3 != 0) {
      FAIL(env, "matmul: batch must be a Float64Array of [dim, aStride, bStride] triples");
    }
    if (batch_len / 3 > AWN_MAX_BATCH_RANK) FAIL(env, "matmul: batch rank above %d", AWN_MAX_BATCH_RANK);
    d.rank = (int)(batch_len / 3);
    for (int i = 0; i < d.rank; i++) {
      d.out_dims[i] = (int64_t)t[3 * i];
      d.a_strides[i] = (int64_t)t[3 * i + 1];
      d.b_strides[i] = (int64_t)t[3 * i + 2];
      if (d.out_dims[i] < 0 || d.a_strides[i] < 0 || d.b_strides[i] < 0) FAIL(env, "matmul: bad batch triple");
    }
  }

  const int64_t count = awn_batch_count(&d);
  if (count == 0 || d.m == 0 || d.n == 0) return NULL;
  const float *a = awn_operand(env, argv, 0, awn_max_batch_offset(&d, 0) + d.m * d.k, "matmul a");
  if (!a) return NULL;
  const float *b = awn_operand(env, argv, 2, awn_max_batch_offset(&d, 1) + d.k * d.n, "matmul b");
  if (!b) return NULL;
  float *c = awn_operand(env, argv, 4, count * d.m * d.n, "matmul c");
  if (!c) return NULL;
  CHECK(env, napi_typeof(env, argv[12], &type));
  if (type != napi_null && type != napi_undefined) {
    CHECK(env, get_i64(env, argv[14], &d.bias_len));
    if (d.bias_len != 1 && d.bias_len != d.n) FAIL(env, "matmul: bias length must be 1 or n");
    d.bias = awn_operand(env, argv, 12, d.bias_len, "matmul bias");
    if (!d.bias) return NULL;
  }
  awn_batched_gemm(&d, a, b, c);
  return NULL;
}

static napi_value make_string(napi_env env, const char *s) {
  napi_value v;
  if (napi_create_string_utf8(env, s ? s : "", NAPI_AUTO_LENGTH, &v) != napi_ok) return NULL;
  return v;
}

/* info(): { corename, config, threads } as OpenBLAS reports them (after OPENBLAS_CORETYPE applied). */
static napi_value js_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value obj, threads;
  CHECK(env, napi_create_object(env, &obj));
  CHECK(env, napi_create_int32(env, openblas_get_num_threads(), &threads));
  CHECK(env, napi_set_named_property(env, obj, "corename", make_string(env, openblas_get_corename())));
  CHECK(env, napi_set_named_property(env, obj, "config", make_string(env, openblas_get_config())));
  CHECK(env, napi_set_named_property(env, obj, "threads", threads));
  return obj;
}

/* setThreads(n): OpenBLAS's thread count for subsequent calls; returns the count now in effect. */
static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  int32_t n;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) FAIL(env, "setThreads expects 1 argument");
  CHECK(env, napi_get_value_int32(env, argv[0], &n));
  if (n < 1) FAIL(env, "setThreads: thread count must be >= 1, got %d", n);
  openblas_set_num_threads(n);
  CHECK(env, napi_create_int32(env, openblas_get_num_threads(), &out));
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"sgemm", NULL, js_sgemm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"matmul", NULL, js_matmul, NULL, NULL, NULL, napi_enumerable, NULL},
      {"info", NULL, js_info, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setThreads", NULL, js_set_threads, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  CHECK(env, napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  CHECK(env, awn_define_ops(env, exports));
  CHECK(env, awn_define_fused(env, exports));
  CHECK(env, awn_define_optim(env, exports));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
