/*
 * awn_blas: Node-API glue exposing OpenBLAS sgemm to JS, both on ordinary Float32Arrays and directly
 * on the tfjs wasm backend's heap (operands and output addressed by byte offset, so no copies).
 *
 * Written against Node-API's C header (node_api.h) rather than node-addon-api: the C API is ABI-stable
 * across Node versions and ships with Node's own headers, so the addon needs no npm dependency and no
 * `npm install` (node-addon-api is a header-only C++ wrapper we would otherwise have to vendor).
 */
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cblas.h>

#include "gemm.h"
#include "ops.h"

/* OpenBLAS extensions; openblas's cblas.h declares them too, but another vendor's cblas.h would not. */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_config(void);
char *openblas_get_corename(void);

#define CHECK(env, call)                                                        \
  do {                                                                          \
    if ((call) != napi_ok) {                                                    \
      throw_pending_or(env, "awn_blas: Node-API call failed: " #call);          \
      return NULL;                                                              \
    }                                                                           \
  } while (0)

#define FAIL(env, ...)                                                          \
  do {                                                                          \
    char msg_[256];                                                             \
    snprintf(msg_, sizeof msg_, __VA_ARGS__);                                   \
    napi_throw_range_error(env, NULL, msg_);                                    \
    return NULL;                                                                \
  } while (0)

static void throw_pending_or(napi_env env, const char *msg) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, NULL, msg);
}

static napi_status get_i64(napi_env env, napi_value v, int64_t *out) {
  return napi_get_value_int64(env, v, out);
}

static napi_status get_bool(napi_env env, napi_value v, int *out) {
  bool b = false;
  napi_status s = napi_get_value_bool(env, v, &b);
  *out = b ? 1 : 0;
  return s;
}

/* A typed array's data and element count, insisting on the expected element type. */
static bool get_typed(napi_env env, napi_value v, napi_typedarray_type want, void **data,
                      size_t *length) {
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

/* Bounds check: `count` floats starting at byte `off` lie within a heap of `heap_len` bytes. */
static bool in_heap(int64_t off, int64_t count, size_t heap_len) {
  return off >= 0 && (off & 3) == 0 && count >= 0 && off + count * 4 <= (int64_t)heap_len;
}

/*
 * matmulHeap(heap, aOff, bOff, cOff, transA, transB, m, n, k, batch, biasOff, biasLen, activation)
 * heap: Uint8Array over the whole wasm memory; *Off: byte offsets of dense float32 data in it;
 * batch: Float64Array [dim, aStride, bStride] per output batch dim (strides in elements, 0 where
 * broadcast), or null; biasOff < 0 means no bias; activation: 0 linear, 1 relu, 2 relu6.
 * Writes the dense [batch..., m, n] result at cOff. Every range is checked against the heap first,
 * so a wrong offset throws instead of scribbling over memory.
 */
static napi_value js_matmul_heap(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 13) FAIL(env, "matmulHeap expects 13 arguments, got %zu", argc);
  void *heap;
  size_t heap_len;
  if (!get_typed(env, argv[0], napi_uint8_array, &heap, &heap_len)) {
    FAIL(env, "matmulHeap: heap must be a Uint8Array");
  }
  awn_gemm_desc d;
  memset(&d, 0, sizeof d);
  int64_t a_off, b_off, c_off, bias_off, act;
  CHECK(env, get_i64(env, argv[1], &a_off));
  CHECK(env, get_i64(env, argv[2], &b_off));
  CHECK(env, get_i64(env, argv[3], &c_off));
  CHECK(env, get_bool(env, argv[4], &d.trans_a));
  CHECK(env, get_bool(env, argv[5], &d.trans_b));
  CHECK(env, get_i64(env, argv[6], &d.m));
  CHECK(env, get_i64(env, argv[7], &d.n));
  CHECK(env, get_i64(env, argv[8], &d.k));
  CHECK(env, get_i64(env, argv[10], &bias_off));
  CHECK(env, get_i64(env, argv[11], &d.bias_len));
  CHECK(env, get_i64(env, argv[12], &act));
  if (!dims_fit_blas(d.m, d.n, d.k)) FAIL(env, "matmulHeap: bad dims");
  if (act < AWN_ACT_LINEAR || act > AWN_ACT_RELU6) FAIL(env, "matmulHeap: bad activation %lld", (long long)act);
  d.activation = (int)act;

  napi_valuetype batch_type;
  CHECK(env, napi_typeof(env, argv[9], &batch_type));
  if (batch_type != napi_null && batch_type != napi_undefined) {
    void *batch;
    size_t batch_len;
    if (!get_typed(env, argv[9], napi_float64_array, &batch, &batch_len) || batch_len % 3 != 0) {
      FAIL(env, "matmulHeap: batch must be a Float64Array of [dim, aStride, bStride] triples");
    }
    if (batch_len / 3 > AWN_MAX_BATCH_RANK) FAIL(env, "matmulHeap: batch rank above %d", AWN_MAX_BATCH_RANK);
    d.rank = (int)(batch_len / 3);
    const double *t = batch;
    for (int i = 0; i < d.rank; i++) {
      d.out_dims[i] = (int64_t)t[3 * i];
      d.a_strides[i] = (int64_t)t[3 * i + 1];
      d.b_strides[i] = (int64_t)t[3 * i + 2];
      if (d.out_dims[i] < 0 || d.a_strides[i] < 0 || d.b_strides[i] < 0) FAIL(env, "matmulHeap: bad batch triple");
    }
  }

  const int64_t count = awn_batch_count(&d);
  if (count == 0 || d.m == 0 || d.n == 0) return NULL;
  if (!in_heap(a_off, awn_max_batch_offset(&d, 0) + d.m * d.k, heap_len) ||
      !in_heap(b_off, awn_max_batch_offset(&d, 1) + d.k * d.n, heap_len) ||
      !in_heap(c_off, count * d.m * d.n, heap_len)) {
    FAIL(env, "matmulHeap: operand outside the heap (%zu bytes)", heap_len);
  }
  if (bias_off >= 0) {
    if (d.bias_len != 1 && d.bias_len != d.n) FAIL(env, "matmulHeap: bias length must be 1 or n");
    if (!in_heap(bias_off, d.bias_len, heap_len)) FAIL(env, "matmulHeap: bias outside the heap");
    d.bias = (const float *)((const uint8_t *)heap + bias_off);
  }
  const uint8_t *base = heap;
  awn_batched_gemm(&d, (const float *)(base + a_off), (const float *)(base + b_off),
                   (float *)((uint8_t *)heap + c_off));
  return NULL;
}


/* The heap (Uint8Array over wasm memory) from argv[0]. */
static bool get_heap(napi_env env, napi_value v, uint8_t **heap, size_t *len) {
  void *data;
  if (!get_typed(env, v, napi_uint8_array, &data, len)) return false;
  *heap = data;
  return true;
}

/* `count` doubles of a Float64Array descriptor, as int64s. */
static bool get_desc(napi_env env, napi_value v, int64_t count, int64_t *out) {
  void *data;
  size_t len;
  if (!get_typed(env, v, napi_float64_array, &data, &len) || (int64_t)len < count) return false;
  const double *d = data;
  for (int64_t i = 0; i < count; i++) {
    if (!(d[i] >= 0) || d[i] > 9.0e15) return false;
    out[i] = (int64_t)d[i];
  }
  return true;
}

/* transposeHeap(heap, xOff, yOff, desc, rank): desc = [shape..., perm...] (Float64Array). */
static napi_value js_transpose_heap(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5) FAIL(env, "transposeHeap expects 5 arguments");
  uint8_t *heap;
  size_t heap_len;
  int64_t x_off, y_off, rank;
  if (!get_heap(env, argv[0], &heap, &heap_len)) FAIL(env, "transposeHeap: heap must be a Uint8Array");
  CHECK(env, get_i64(env, argv[1], &x_off));
  CHECK(env, get_i64(env, argv[2], &y_off));
  CHECK(env, get_i64(env, argv[4], &rank));
  if (rank < 1 || rank > AWN_MAX_RANK) FAIL(env, "transposeHeap: rank %lld not in 1..%d", (long long)rank, AWN_MAX_RANK);
  int64_t desc[2 * AWN_MAX_RANK];
  if (!get_desc(env, argv[3], 2 * rank, desc)) FAIL(env, "transposeHeap: bad descriptor");
  int perm[AWN_MAX_RANK];
  int seen = 0;
  int64_t total = 1;
  for (int i = 0; i < rank; i++) {
    total *= desc[i];
    const int64_t p = desc[rank + i];
    if (p >= rank || (seen & (1 << p))) FAIL(env, "transposeHeap: bad permutation");
    seen |= 1 << p;
    perm[i] = (int)p;
  }
  if (total == 0) return NULL;
  if (!in_heap(x_off, total, heap_len) || !in_heap(y_off, total, heap_len)) FAIL(env, "transposeHeap: operand outside the heap");
  awn_transpose((const float *)(heap + x_off), (float *)(heap + y_off), (int)rank, desc, perm);
  return NULL;
}

/*
 * copyStridedHeap(heap, xOff, yOff, desc, rank): desc = [dims..., xStrides..., yStrides...]
 * (elements); the general strided copy behind Slice, SplitV and Concat.
 */
static napi_value js_copy_strided_heap(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5) FAIL(env, "copyStridedHeap expects 5 arguments");
  uint8_t *heap;
  size_t heap_len;
  int64_t x_off, y_off, rank;
  if (!get_heap(env, argv[0], &heap, &heap_len)) FAIL(env, "copyStridedHeap: heap must be a Uint8Array");
  CHECK(env, get_i64(env, argv[1], &x_off));
  CHECK(env, get_i64(env, argv[2], &y_off));
  CHECK(env, get_i64(env, argv[4], &rank));
  if (rank < 0 || rank > AWN_MAX_RANK) FAIL(env, "copyStridedHeap: rank %lld not in 0..%d", (long long)rank, AWN_MAX_RANK);
  int64_t desc[3 * AWN_MAX_RANK];
  if (!get_desc(env, argv[3], 3 * rank, desc)) FAIL(env, "copyStridedHeap: bad descriptor");
  const int64_t *dims = desc, *xs = desc + rank, *ys = desc + 2 * rank;
  int64_t total = 1, x_max = 0, y_max = 0;
  for (int i = 0; i < rank; i++) {
    total *= dims[i];
    if (dims[i] > 0) {
      x_max += (dims[i] - 1) * xs[i];
      y_max += (dims[i] - 1) * ys[i];
    }
  }
  if (total == 0) return NULL;
  if (!in_heap(x_off, x_max + 1, heap_len) || !in_heap(y_off, y_max + 1, heap_len)) {
    FAIL(env, "copyStridedHeap: operand outside the heap");
  }
  awn_copy_strided((const float *)(heap + x_off), (float *)(heap + y_off), (int)rank, dims, xs, ys);
  return NULL;
}

/* binaryHeap(heap, op, aOff, bOff, yOff, desc, rank): desc = [out..., aStrides..., bStrides...]. */
static napi_value js_binary_heap(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 7) FAIL(env, "binaryHeap expects 7 arguments");
  uint8_t *heap;
  size_t heap_len;
  int64_t op, a_off, b_off, y_off, rank;
  if (!get_heap(env, argv[0], &heap, &heap_len)) FAIL(env, "binaryHeap: heap must be a Uint8Array");
  CHECK(env, get_i64(env, argv[1], &op));
  CHECK(env, get_i64(env, argv[2], &a_off));
  CHECK(env, get_i64(env, argv[3], &b_off));
  CHECK(env, get_i64(env, argv[4], &y_off));
  CHECK(env, get_i64(env, argv[6], &rank));
  if (op < AWN_ADD || op > AWN_DIV) FAIL(env, "binaryHeap: bad op %lld", (long long)op);
  if (rank < 0 || rank > AWN_MAX_RANK) FAIL(env, "binaryHeap: rank %lld not in 0..%d", (long long)rank, AWN_MAX_RANK);
  int64_t desc[3 * AWN_MAX_RANK];
  if (!get_desc(env, argv[5], 3 * rank, desc)) FAIL(env, "binaryHeap: bad descriptor");
  const int64_t *out = desc, *as = desc + rank, *bs = desc + 2 * rank;
  int64_t total = 1, a_max = 0, b_max = 0;
  for (int i = 0; i < rank; i++) {
    total *= out[i];
    if (out[i] > 0) {
      a_max += (out[i] - 1) * as[i];
      b_max += (out[i] - 1) * bs[i];
    }
  }
  if (total == 0) return NULL;
  if (!in_heap(a_off, a_max + 1, heap_len) || !in_heap(b_off, b_max + 1, heap_len) ||
      !in_heap(y_off, total, heap_len)) {
    FAIL(env, "binaryHeap: operand outside the heap");
  }
  awn_binary((int)op, (const float *)(heap + a_off), (const float *)(heap + b_off), (float *)(heap + y_off),
             (int)rank, out, as, bs);
  return NULL;
}

/* sumHeap(heap, xOff, yOff, outer, r, inner) and softmaxHeap(heap, xOff, yOff, rows, cols). */
static napi_value reduce_like(napi_env env, napi_callback_info info, int softmax) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  const size_t want = softmax ? 5 : 6;
  if (argc < want) FAIL(env, "%s expects %zu arguments", softmax ? "softmaxHeap" : "sumHeap", want);
  uint8_t *heap;
  size_t heap_len;
  int64_t x_off, y_off, d[3] = {1, 1, 1};
  if (!get_heap(env, argv[0], &heap, &heap_len)) FAIL(env, "heap must be a Uint8Array");
  CHECK(env, get_i64(env, argv[1], &x_off));
  CHECK(env, get_i64(env, argv[2], &y_off));
  for (size_t i = 3; i < want; i++) CHECK(env, get_i64(env, argv[i], &d[i - 3]));
  if (d[0] < 0 || d[1] < 0 || d[2] < 0 || d[0] > INT32_MAX || d[1] > INT32_MAX || d[2] > INT32_MAX) FAIL(env, "bad dims");
  const int64_t in_count = d[0] * d[1] * d[2];
  const int64_t out_count = softmax ? in_count : d[0] * d[2];
  if (out_count == 0) return NULL;
  if (!in_heap(x_off, in_count, heap_len) || !in_heap(y_off, out_count, heap_len)) FAIL(env, "operand outside the heap");
  if (softmax) {
    awn_softmax((const float *)(heap + x_off), (float *)(heap + y_off), d[0], d[1]);
  } else {
    awn_sum((const float *)(heap + x_off), (float *)(heap + y_off), d[0], d[1], d[2]);
  }
  return NULL;
}
static napi_value js_sum_heap(napi_env env, napi_callback_info info) { return reduce_like(env, info, 0); }
static napi_value js_softmax_heap(napi_env env, napi_callback_info info) { return reduce_like(env, info, 1); }

/* expHeap(heap, xOff, yOff, count). */
static napi_value js_exp_heap(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) FAIL(env, "expHeap expects 4 arguments");
  uint8_t *heap;
  size_t heap_len;
  int64_t x_off, y_off, count;
  if (!get_heap(env, argv[0], &heap, &heap_len)) FAIL(env, "expHeap: heap must be a Uint8Array");
  CHECK(env, get_i64(env, argv[1], &x_off));
  CHECK(env, get_i64(env, argv[2], &y_off));
  CHECK(env, get_i64(env, argv[3], &count));
  if (count <= 0) return NULL;
  if (!in_heap(x_off, count, heap_len) || !in_heap(y_off, count, heap_len)) FAIL(env, "expHeap: operand outside the heap");
  awn_exp((const float *)(heap + x_off), (float *)(heap + y_off), count);
  return NULL;
}

/* gatherHeap(heap, xOff, idxOff, yOff, outer, n, inner, count): int32 indices along one axis. */
static napi_value js_gather_heap(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 8) FAIL(env, "gatherHeap expects 8 arguments");
  uint8_t *heap;
  size_t heap_len;
  int64_t v[7];
  if (!get_heap(env, argv[0], &heap, &heap_len)) FAIL(env, "gatherHeap: heap must be a Uint8Array");
  for (int i = 0; i < 7; i++) CHECK(env, get_i64(env, argv[i + 1], &v[i]));
  const int64_t x_off = v[0], idx_off = v[1], y_off = v[2], outer = v[3], n = v[4], inner = v[5], count = v[6];
  if (outer < 0 || n < 0 || inner < 0 || count < 0 || outer > INT32_MAX || n > INT32_MAX || inner > INT32_MAX || count > INT32_MAX) {
    FAIL(env, "gatherHeap: bad dims");
  }
  if (outer * count * inner == 0) return NULL;
  if (!in_heap(x_off, outer * n * inner, heap_len) || !in_heap(idx_off, count, heap_len) ||
      !in_heap(y_off, outer * count * inner, heap_len)) {
    FAIL(env, "gatherHeap: operand outside the heap");
  }
  const int bad = awn_gather((const float *)(heap + x_off), (const int32_t *)(heap + idx_off), (float *)(heap + y_off),
                             outer, n, inner, count);
  if (bad) {
    const int32_t value = ((const int32_t *)(heap + idx_off))[bad - 1];
    FAIL(env, "GatherV2: the index value %d is not in [0, %lld]", value, (long long)(n - 1));
  }
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
      {"matmulHeap", NULL, js_matmul_heap, NULL, NULL, NULL, napi_enumerable, NULL},
      {"transposeHeap", NULL, js_transpose_heap, NULL, NULL, NULL, napi_enumerable, NULL},
      {"copyStridedHeap", NULL, js_copy_strided_heap, NULL, NULL, NULL, napi_enumerable, NULL},
      {"binaryHeap", NULL, js_binary_heap, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sumHeap", NULL, js_sum_heap, NULL, NULL, NULL, napi_enumerable, NULL},
      {"softmaxHeap", NULL, js_softmax_heap, NULL, NULL, NULL, napi_enumerable, NULL},
      {"expHeap", NULL, js_exp_heap, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gatherHeap", NULL, js_gather_heap, NULL, NULL, NULL, napi_enumerable, NULL},
      {"info", NULL, js_info, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setThreads", NULL, js_set_threads, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  CHECK(env, napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
