/*
 * Node-API entry points of the non-matMul kernels (ops.h). Each operand is (typed array, byte
 * offset); see glue.h for why.
 */
#include <limits.h>
#include <string.h>

#include "glue.h"
#include "ops.h"

#define ARGS(n)                                                                 \
  size_t argc = (n);                                                            \
  napi_value argv[(n)];                                                         \
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));             \
  if (argc < (n)) FAIL(env, "%s expects %d arguments, got %zu", __func__ + 3, (n), argc)

/* transpose(x, xOff, y, yOff, desc, rank): desc = [shape..., perm...] (Float64Array). */
static napi_value js_transpose(napi_env env, napi_callback_info info) {
  ARGS(6);
  int64_t rank;
  CHECK(env, awn_get_i64(env, argv[5], &rank));
  if (rank < 1 || rank > AWN_MAX_RANK) FAIL(env, "transpose: rank %lld not in 1..%d", (long long)rank, AWN_MAX_RANK);
  int64_t desc[2 * AWN_MAX_RANK];
  if (!awn_get_desc(env, argv[4], 2 * rank, desc)) FAIL(env, "transpose: bad descriptor");
  int perm[AWN_MAX_RANK];
  int seen = 0;
  int64_t total = 1;
  for (int i = 0; i < rank; i++) {
    total *= desc[i];
    const int64_t p = desc[rank + i];
    if (p >= rank || (seen & (1 << p))) FAIL(env, "transpose: bad permutation");
    seen |= 1 << p;
    perm[i] = (int)p;
  }
  const float *x = awn_operand(env, argv, 0, total, "transpose x");
  if (!x) return NULL;
  float *y = awn_operand(env, argv, 2, total, "transpose y");
  if (!y) return NULL;
  if (total > 0) awn_transpose(x, y, (int)rank, desc, perm);
  return NULL;
}

/*
 * copyStrided(x, xOff, y, yOff, desc, rank): desc = [dims..., xStrides..., yStrides...] (elements);
 * the general strided copy behind Slice, SplitV and Concat.
 */
static napi_value js_copy_strided(napi_env env, napi_callback_info info) {
  ARGS(6);
  int64_t rank;
  CHECK(env, awn_get_i64(env, argv[5], &rank));
  if (rank < 0 || rank > AWN_MAX_RANK) FAIL(env, "copyStrided: rank %lld not in 0..%d", (long long)rank, AWN_MAX_RANK);
  int64_t desc[3 * AWN_MAX_RANK];
  if (!awn_get_desc(env, argv[4], 3 * rank, desc)) FAIL(env, "copyStrided: bad descriptor");
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
  const float *x = awn_operand(env, argv, 0, x_max + 1, "copyStrided x");
  if (!x) return NULL;
  float *y = awn_operand(env, argv, 2, y_max + 1, "copyStrided y");
  if (!y) return NULL;
  awn_copy_strided(x, y, (int)rank, dims, xs, ys);
  return NULL;
}

/* binary(op, a, aOff, b, bOff, y, yOff, desc, rank): desc = [out..., aStrides..., bStrides...]. */
static napi_value js_binary(napi_env env, napi_callback_info info) {
  ARGS(9);
  int64_t op, rank;
  CHECK(env, awn_get_i64(env, argv[0], &op));
  CHECK(env, awn_get_i64(env, argv[8], &rank));
  if (op < AWN_ADD || op > AWN_BINARY_LAST) FAIL(env, "binary: bad op %lld", (long long)op);
  if (rank < 0 || rank > AWN_MAX_RANK) FAIL(env, "binary: rank %lld not in 0..%d", (long long)rank, AWN_MAX_RANK);
  int64_t desc[3 * AWN_MAX_RANK];
  if (!awn_get_desc(env, argv[7], 3 * rank, desc)) FAIL(env, "binary: bad descriptor");
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
  const float *a = awn_operand(env, argv, 1, a_max + 1, "binary a");
  if (!a) return NULL;
  const float *b = awn_operand(env, argv, 3, b_max + 1, "binary b");
  if (!b) return NULL;
  float *y = awn_operand(env, argv, 5, total, "binary y");
  if (!y) return NULL;
  awn_binary((int)op, a, b, y, (int)rank, out, as, bs);
  return NULL;
}

static bool dims_ok(const int64_t *d, int n) {
  for (int i = 0; i < n; i++)
    if (d[i] < 0 || d[i] > INT32_MAX) return false;
  return true;
}

/* sum(x, xOff, y, yOff, outer, r, inner[, scale]): y[o, i] = scale · Σ_r x[o, r, i] (Mean: 1/r). */
static napi_value js_sum(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 7) FAIL(env, "sum expects 7 or 8 arguments, got %zu", argc);
  double scale = 1.0;
  if (argc >= 8) CHECK(env, napi_get_value_double(env, argv[7], &scale));
  int64_t d[3];
  for (int i = 0; i < 3; i++) CHECK(env, awn_get_i64(env, argv[4 + i], &d[i]));
  if (!dims_ok(d, 3)) FAIL(env, "sum: bad dims");
  if (d[0] * d[2] == 0) return NULL;
  const float *x = awn_operand(env, argv, 0, d[0] * d[1] * d[2], "sum x");
  if (!x) return NULL;
  float *y = awn_operand(env, argv, 2, d[0] * d[2], "sum y");
  if (!y) return NULL;
  if (d[1] == 0) {
    memset(y, 0, (size_t)(d[0] * d[2]) * sizeof(float));
  } else {
    awn_sum(x, y, d[0], d[1], d[2]);
    if (scale != 1.0) awn_scale(y, d[0] * d[2], (float)scale);
  }
  return NULL;
}

/* rowwise(kind, x, xOff, y, yOff, rows, cols): row-wise softmax (0) or row maximum (1). */
static napi_value js_rowwise(napi_env env, napi_callback_info info) {
  ARGS(7);
  int64_t kind, d[2];
  CHECK(env, awn_get_i64(env, argv[0], &kind));
  for (int i = 0; i < 2; i++) CHECK(env, awn_get_i64(env, argv[5 + i], &d[i]));
  if (kind < 0 || kind > 1) FAIL(env, "rowwise: bad kind %lld", (long long)kind);
  if (!dims_ok(d, 2)) FAIL(env, "rowwise: bad dims");
  if (d[0] == 0 || (d[1] == 0 && kind == 0)) return NULL;
  if (d[1] == 0) FAIL(env, "rowwise: max over an empty row");
  const float *x = awn_operand(env, argv, 1, d[0] * d[1], "rowwise x");
  if (!x) return NULL;
  float *y = awn_operand(env, argv, 3, kind == 1 ? d[0] : d[0] * d[1], "rowwise y");
  if (!y) return NULL;
  if (kind == 0) awn_softmax(x, y, d[0], d[1]);
  else awn_row_max(x, y, d[0], d[1]);
  return NULL;
}

/* unary(op, x, xOff, y, yOff, count): the element-wise functions of ops.h's awn_unary_op. */
static napi_value js_unary(napi_env env, napi_callback_info info) {
  ARGS(6);
  int64_t op, count;
  CHECK(env, awn_get_i64(env, argv[0], &op));
  CHECK(env, awn_get_i64(env, argv[5], &count));
  if (op < AWN_EXP || op > AWN_UNARY_LAST) FAIL(env, "unary: bad op %lld", (long long)op);
  if (count <= 0) return NULL;
  const float *x = awn_operand(env, argv, 1, count, "unary x");
  if (!x) return NULL;
  float *y = awn_operand(env, argv, 3, count, "unary y");
  if (!y) return NULL;
  awn_unary((int)op, x, y, count);
  return NULL;
}

/* gather(x, xOff, idx, idxOff, y, yOff, outer, n, inner, count): int32 indices along one axis. */
static napi_value js_gather(napi_env env, napi_callback_info info) {
  ARGS(10);
  int64_t d[4];
  for (int i = 0; i < 4; i++) CHECK(env, awn_get_i64(env, argv[6 + i], &d[i]));
  if (!dims_ok(d, 4)) FAIL(env, "gather: bad dims");
  const int64_t outer = d[0], n = d[1], inner = d[2], count = d[3];
  if (outer * count * inner == 0) return NULL;
  const float *x = awn_operand(env, argv, 0, outer * n * inner, "gather x");
  if (!x) return NULL;
  const int32_t *idx = awn_operand(env, argv, 2, count, "gather indices");
  if (!idx) return NULL;
  float *y = awn_operand(env, argv, 4, outer * count * inner, "gather y");
  if (!y) return NULL;
  const int bad = awn_gather(x, idx, y, outer, n, inner, count);
  if (bad) FAIL(env, "GatherV2: the index value %d is not in [0, %lld]", idx[bad - 1], (long long)(n - 1));
  return NULL;
}

napi_status awn_define_ops(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"transpose", NULL, js_transpose, NULL, NULL, NULL, napi_enumerable, NULL},
      {"copyStrided", NULL, js_copy_strided, NULL, NULL, NULL, napi_enumerable, NULL},
      {"binary", NULL, js_binary, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sum", NULL, js_sum, NULL, NULL, NULL, napi_enumerable, NULL},
      {"rowwise", NULL, js_rowwise, NULL, NULL, NULL, napi_enumerable, NULL},
      {"unary", NULL, js_unary, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gather", NULL, js_gather, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
