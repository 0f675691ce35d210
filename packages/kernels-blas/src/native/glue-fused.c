/*
 * Node-API entry points of the fused kernels (fused.h). Each operand is (typed array, byte offset);
 * see glue.h for why. Sizes are checked against every array before a kernel runs.
 */
#include <limits.h>

#include "fused.h"
#include "glue.h"

#define ARGS(n)                                                                 \
  size_t argc = (n);                                                            \
  napi_value argv[(n)];                                                         \
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));             \
  if (argc < (n)) FAIL(env, "%s expects %d arguments, got %zu", __func__ + 3, (n), argc)

/* Reads `n` sizes from argv[first..]; false unless each is in [0, INT32_MAX]. */
static bool get_dims(napi_env env, napi_value *argv, int first, int n, int64_t *out) {
  for (int i = 0; i < n; i++) {
    if (awn_get_i64(env, argv[first + i], &out[i]) != napi_ok) return false;
    if (out[i] < 0 || out[i] > INT32_MAX) return false;
  }
  return true;
}

#define OPERAND(var, type, i, count, what)                 \
  type *var = awn_operand(env, argv, (i), (count), (what)); \
  if (!var) return NULL

/* layerNorm(x, g, b, y, xhat, rstd (each + offset), rows, d, eps). */
static napi_value js_layer_norm(napi_env env, napi_callback_info info) {
  ARGS(15);
  int64_t dim[2];
  double eps;
  if (!get_dims(env, argv, 12, 2, dim)) FAIL(env, "layerNorm: bad dims");
  CHECK(env, napi_get_value_double(env, argv[14], &eps));
  const int64_t rows = dim[0], d = dim[1];
  if (rows * d == 0) return NULL;
  OPERAND(x, const float, 0, rows * d, "layerNorm x");
  OPERAND(g, const float, 2, d, "layerNorm gamma");
  OPERAND(b, const float, 4, d, "layerNorm beta");
  OPERAND(y, float, 6, rows * d, "layerNorm y");
  OPERAND(xhat, float, 8, rows * d, "layerNorm xhat");
  OPERAND(rstd, float, 10, rows, "layerNorm rstd");
  awn_layer_norm(x, g, b, y, xhat, rstd, rows, d, (float)eps);
  return NULL;
}

/* layerNormGrad(dy, xhat, rstd, g, dx, dg, db (each + offset), rows, d). */
static napi_value js_layer_norm_grad(napi_env env, napi_callback_info info) {
  ARGS(16);
  int64_t dim[2];
  if (!get_dims(env, argv, 14, 2, dim)) FAIL(env, "layerNormGrad: bad dims");
  const int64_t rows = dim[0], d = dim[1];
  if (d == 0) return NULL;
  OPERAND(dy, const float, 0, rows * d, "layerNormGrad dy");
  OPERAND(xhat, const float, 2, rows * d, "layerNormGrad xhat");
  OPERAND(rstd, const float, 4, rows, "layerNormGrad rstd");
  OPERAND(g, const float, 6, d, "layerNormGrad gamma");
  OPERAND(dx, float, 8, rows * d, "layerNormGrad dx");
  OPERAND(dg, float, 10, d, "layerNormGrad dgamma");
  OPERAND(db, float, 12, d, "layerNormGrad dbeta");
  awn_layer_norm_grad(dy, xhat, rstd, g, dx, dg, db, rows, d);
  return NULL;
}

/* causalSoftmax(x, xOff, y, yOff, batch, t). */
static napi_value js_causal_softmax(napi_env env, napi_callback_info info) {
  ARGS(6);
  int64_t dim[2];
  if (!get_dims(env, argv, 4, 2, dim)) FAIL(env, "causalSoftmax: bad dims");
  const int64_t n = dim[0] * dim[1] * dim[1];
  if (n == 0) return NULL;
  OPERAND(x, const float, 0, n, "causalSoftmax x");
  OPERAND(y, float, 2, n, "causalSoftmax y");
  awn_causal_softmax(x, y, dim[0], dim[1]);
  return NULL;
}

/* softmaxGrad(y, yOff, dy, dyOff, dx, dxOff, rows, cols, causalT): causalT 0 for full rows. */
static napi_value js_softmax_grad(napi_env env, napi_callback_info info) {
  ARGS(9);
  int64_t dim[3];
  if (!get_dims(env, argv, 6, 3, dim)) FAIL(env, "softmaxGrad: bad dims");
  const int64_t n = dim[0] * dim[1];
  if (dim[2] > 0 && dim[2] != dim[1]) FAIL(env, "softmaxGrad: causal rows must be square");
  if (n == 0) return NULL;
  OPERAND(y, const float, 0, n, "softmaxGrad y");
  OPERAND(dy, const float, 2, n, "softmaxGrad dy");
  OPERAND(dx, float, 4, n, "softmaxGrad dx");
  awn_softmax_grad(y, dy, dx, dim[0], dim[1], dim[2]);
  return NULL;
}

/* softmaxXent(x, labels, p, loss (each + offset), rows, v). */
static napi_value js_softmax_xent(napi_env env, napi_callback_info info) {
  ARGS(10);
  int64_t dim[2];
  if (!get_dims(env, argv, 8, 2, dim) || dim[1] == 0) FAIL(env, "softmaxXent: bad dims");
  const int64_t rows = dim[0], v = dim[1];
  if (rows == 0) return NULL;
  OPERAND(x, const float, 0, rows * v, "softmaxXent logits");
  OPERAND(labels, const int32_t, 2, rows, "softmaxXent labels");
  OPERAND(p, float, 4, rows * v, "softmaxXent p");
  OPERAND(loss, float, 6, rows, "softmaxXent loss");
  awn_softmax_xent(x, labels, p, loss, rows, v);
  return NULL;
}

/* softmaxXentGrad(p, labels, dloss, dx (each + offset), rows, v). */
static napi_value js_softmax_xent_grad(napi_env env, napi_callback_info info) {
  ARGS(10);
  int64_t dim[2];
  if (!get_dims(env, argv, 8, 2, dim)) FAIL(env, "softmaxXentGrad: bad dims");
  const int64_t rows = dim[0], v = dim[1];
  if (rows * v == 0) return NULL;
  OPERAND(p, const float, 0, rows * v, "softmaxXentGrad p");
  OPERAND(labels, const int32_t, 2, rows, "softmaxXentGrad labels");
  OPERAND(dloss, const float, 4, rows, "softmaxXentGrad dloss");
  OPERAND(dx, float, 6, rows * v, "softmaxXentGrad dx");
  awn_softmax_xent_grad(p, labels, dloss, dx, rows, v);
  return NULL;
}

/* biasReluScale(z, b, f, y, a (each + offset), n, w). */
static napi_value js_bias_relu_scale(napi_env env, napi_callback_info info) {
  ARGS(12);
  int64_t dim[2];
  if (!get_dims(env, argv, 10, 2, dim)) FAIL(env, "biasReluScale: bad dims");
  const int64_t n = dim[0], w = dim[1];
  if (n * w == 0) return NULL;
  OPERAND(z, const float, 0, n * w, "biasReluScale z");
  OPERAND(b, const float, 2, w, "biasReluScale bias");
  OPERAND(f, const float, 4, w, "biasReluScale f");
  OPERAND(y, float, 6, n * w, "biasReluScale y");
  OPERAND(a, float, 8, n * w, "biasReluScale a");
  awn_bias_relu_scale(z, b, f, y, a, n, w);
  return NULL;
}

/* biasReluScaleGrad(dy, a, f, dz, db, df (each + offset), n, w). */
static napi_value js_bias_relu_scale_grad(napi_env env, napi_callback_info info) {
  ARGS(14);
  int64_t dim[2];
  if (!get_dims(env, argv, 12, 2, dim)) FAIL(env, "biasReluScaleGrad: bad dims");
  const int64_t n = dim[0], w = dim[1];
  if (w == 0) return NULL;
  OPERAND(dy, const float, 0, n * w, "biasReluScaleGrad dy");
  OPERAND(a, const float, 2, n * w, "biasReluScaleGrad a");
  OPERAND(f, const float, 4, w, "biasReluScaleGrad f");
  OPERAND(dz, float, 6, n * w, "biasReluScaleGrad dz");
  OPERAND(db, float, 8, w, "biasReluScaleGrad db");
  OPERAND(df, float, 10, w, "biasReluScaleGrad df");
  awn_bias_relu_scale_grad(dy, a, f, dz, db, df, n, w);
  return NULL;
}

/* embeddingGrad(dy, ids, dtable (each + offset), n, d, vocab). */
static napi_value js_embedding_grad(napi_env env, napi_callback_info info) {
  ARGS(9);
  int64_t dim[3];
  if (!get_dims(env, argv, 6, 3, dim)) FAIL(env, "embeddingGrad: bad dims");
  const int64_t n = dim[0], d = dim[1], vocab = dim[2];
  if (vocab * d == 0) return NULL;
  OPERAND(dy, const float, 0, n * d, "embeddingGrad dy");
  OPERAND(ids, const int32_t, 2, n, "embeddingGrad ids");
  OPERAND(dt, float, 4, vocab * d, "embeddingGrad dtable");
  const int bad = awn_embedding_grad(dy, ids, dt, n, d, vocab);
  if (bad) FAIL(env, "embedding gradient: id %d is not in [0, %lld]", ids[bad - 1], (long long)(vocab - 1));
  return NULL;
}

napi_status awn_define_fused(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"layerNorm", NULL, js_layer_norm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"layerNormGrad", NULL, js_layer_norm_grad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"causalSoftmax", NULL, js_causal_softmax, NULL, NULL, NULL, napi_enumerable, NULL},
      {"softmaxGrad", NULL, js_softmax_grad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"softmaxXent", NULL, js_softmax_xent, NULL, NULL, NULL, napi_enumerable, NULL},
      {"softmaxXentGrad", NULL, js_softmax_xent_grad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"biasReluScale", NULL, js_bias_relu_scale, NULL, NULL, NULL, napi_enumerable, NULL},
      {"biasReluScaleGrad", NULL, js_bias_relu_scale_grad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"embeddingGrad", NULL, js_embedding_grad, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
