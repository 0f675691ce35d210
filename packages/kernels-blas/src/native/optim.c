/* Adam and the gradient's norm/finiteness check over host buffers (optim.h). */
#include "optim.h"

#include <math.h>
#include <string.h>

#include "simd.h"

/*
 * In double, as @awn/core's JavaScript loop computes it (so both give the same float32 results):
 * the parameter update uses the unrounded moments.
 */
AWN_CLONES static void adam_row(float *restrict x, float *restrict m, float *restrict v, const float *restrict g,
                                int64_t n, double scale, double b1, double b2, double step, double eps) {
  const double c1 = 1.0 - b1, c2 = 1.0 - b2;
  for (int64_t j = 0; j < n; j++) {
    const double gj = (double)g[j] * scale;
    const double mj = b1 * (double)m[j] + c1 * gj;
    const double vj = b2 * (double)v[j] + c2 * gj * gj;
    m[j] = (float)mj;
    v[j] = (float)vj;
    x[j] = (float)((double)x[j] - step * mj / (sqrt(vj) + eps));
  }
}

void awn_adam(float *values, float *m, float *v, const float *g, int64_t rows, int64_t cols, int64_t stride,
              double scale, double b1, double b2, double step, double eps) {
  if (stride == cols) {
    adam_row(values, m, v, g, rows * cols, scale, b1, b2, step, eps);
    return;
  }
  for (int64_t i = 0; i < rows; i++)
    adam_row(values + i * stride, m + i * stride, v + i * stride, g + i * cols, cols, scale, b1, b2, step, eps);
}

typedef double v8d __attribute__((vector_size(64)));

/*
 * Σ g² in double, 8 lanes at a time; *bad gets Σ (g − g), which is 0 unless some value is NaN or
 * ±inf. (The JavaScript loop sums in order; the lanes change the rounding by ~1e-16 relative.)
 */
AWN_CLONES static double block_sq(const float *restrict g, int64_t n, double *bad) {
  v8d s = {0}, b = {0};
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    v8d x;
    for (int t = 0; t < 8; t++) x[t] = (double)g[j + t];
    s += x * x;
    b += x - x;
  }
  double st = 0, bt = 0;
  for (int t = 0; t < 8; t++) {
    st += s[t];
    bt += b[t];
  }
  for (; j < n; j++) {
    st += (double)g[j] * g[j];
    bt += (double)g[j] - g[j];
  }
  *bad = bt;
  return st;
}

double awn_sum_squares(const float *g, int64_t n, int *finite) {
  double total = 0;
  int ok = 1;
  for (int64_t i = 0; i < n; i += 4096) {
    double bad;
    total += block_sq(g + i, n - i < 4096 ? n - i : 4096, &bad);
    ok &= bad == 0.0;
  }
  *finite = ok;
  return total;
}
