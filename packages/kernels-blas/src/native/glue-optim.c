/* Node-API entry points of the optimizer kernels (optim.h); buffers are Float32Arrays. */
#include <math.h>

#include "glue.h"
#include "optim.h"

#define ARGS(n)                                                                 \
  size_t argc = (n);                                                            \
  napi_value argv[(n)];                                                         \
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));             \
  if (argc < (n)) FAIL(env, "%s expects %d arguments, got %zu", __func__ + 3, (n), argc)

/*
 * adam(values, m, v, grad, gradOffset, rows, cols, stride, scale, beta1, beta2, step, eps): the
 * parameter's block at the start of values/m/v (row stride `stride`), its gradient `rows · cols`
 * floats from element gradOffset of grad.
 */
static napi_value js_adam(napi_env env, napi_callback_info info) {
  ARGS(13);
  int64_t d[4];
  double c[5];
  for (int i = 0; i < 4; i++) CHECK(env, awn_get_i64(env, argv[4 + i], &d[i]));
  for (int i = 0; i < 5; i++) CHECK(env, napi_get_value_double(env, argv[8 + i], &c[i]));
  const int64_t off = d[0], rows = d[1], cols = d[2], stride = d[3];
  if (off < 0 || rows < 0 || cols < 0 || stride < cols) FAIL(env, "adam: bad layout");
  if (rows * cols == 0) return NULL;
  awn_buf bx, bm, bv, bg;
  if (!awn_get_buf(env, argv[0], &bx) || !awn_get_buf(env, argv[1], &bm) || !awn_get_buf(env, argv[2], &bv) ||
      !awn_get_buf(env, argv[3], &bg))
    FAIL(env, "adam: values, m, v and grad must be Float32Arrays");
  const int64_t span = (rows - 1) * stride + cols;
  if (!awn_in_buf(&bx, 0, span) || !awn_in_buf(&bm, 0, span) || !awn_in_buf(&bv, 0, span) ||
      !awn_in_buf(&bg, 4 * off, rows * cols))
    FAIL(env, "adam: a buffer is smaller than the parameter's layout");
  awn_adam((float *)bx.base, (float *)bm.base, (float *)bv.base, (const float *)bg.base + off, rows, cols, stride,
           c[0], c[1], c[2], c[3], c[4]);
  return NULL;
}

/* sumSquares(grad) → Σ g² (double), or NaN when some value is not finite. */
static napi_value js_sum_squares(napi_env env, napi_callback_info info) {
  ARGS(1);
  awn_buf b;
  if (!awn_get_buf(env, argv[0], &b)) FAIL(env, "sumSquares: grad must be a Float32Array");
  int finite = 1;
  const double s = awn_sum_squares((const float *)b.base, (int64_t)(b.len / 4), &finite);
  napi_value out;
  CHECK(env, napi_create_double(env, finite ? s : NAN, &out));
  return out;
}

napi_status awn_define_optim(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"adam", NULL, js_adam, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sumSquares", NULL, js_sum_squares, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
