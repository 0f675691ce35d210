/*
 * Fused LayerNorm, causal softmax and softmax cross-entropy (fused.h). Each row is read a small
 * fixed number of times and every loop runs over contiguous floats, 16 lanes at a time where it
 * reduces; the element-wise loops are left to GCC's vectoriser in each AWN_CLONES clone.
 */
#include "fused.h"

#include <math.h>
#include <string.h>

#include "ops.h"
#include "simd.h"

typedef float v16f __attribute__((vector_size(64)));

static inline float hsum(const v16f *acc) {
  float s = 0;
  for (int t = 0; t < 16; t++) s += (*acc)[t];
  return s;
}

AWN_CLONES static float sum_of(const float *restrict x, int64_t n) {
  v16f acc = {0};
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    v16f v;
    memcpy(&v, x + j, sizeof v);
    acc += v;
  }
  float s = hsum(&acc);
  for (; j < n; j++) s += x[j];
  return s;
}

AWN_CLONES static float dot_of(const float *restrict x, const float *restrict y, int64_t n) {
  v16f acc = {0};
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    v16f a, b;
    memcpy(&a, x + j, sizeof a);
    memcpy(&b, y + j, sizeof b);
    acc += a * b;
  }
  float s = hsum(&acc);
  for (; j < n; j++) s += x[j] * y[j];
  return s;
}

/* Largest of x[0..n), n >= 1; NaN if any is NaN (as tfjs's max, and so the softmax row is NaN). */
static float max_of(const float *x, int64_t n) {
  float m = x[0];
  int nan = 0;
  for (int64_t j = 0; j < n; j++) {
    m = x[j] > m ? x[j] : m;
    nan |= x[j] != x[j];
  }
  return nan ? NAN : m;
}

AWN_CLONES void awn_layer_norm(const float *x, const float *g, const float *b, float *y, float *xhat, float *rstd,
                               int64_t rows, int64_t d, float eps) {
  const float inv_d = 1.0f / (float)d;
  for (int64_t r = 0; r < rows; r++) {
    const float *restrict xr = x + r * d;
    float *restrict hr = xhat + r * d;
    float *restrict yr = y + r * d;
    const float mean = sum_of(xr, d) * inv_d;
    for (int64_t j = 0; j < d; j++) hr[j] = xr[j] - mean;
    const float rs = 1.0f / sqrtf(dot_of(hr, hr, d) * inv_d + eps);
    rstd[r] = rs;
    for (int64_t j = 0; j < d; j++) {
      const float h = hr[j] * rs;
      hr[j] = h;
      yr[j] = h * g[j] + b[j];
    }
  }
}

AWN_CLONES void awn_layer_norm_grad(const float *dy, const float *xhat, const float *rstd, const float *restrict g,
                                    float *dx, float *restrict dg, float *restrict db, int64_t rows, int64_t d) {
  const float inv_d = 1.0f / (float)d;
  memset(dg, 0, (size_t)d * sizeof(float));
  memset(db, 0, (size_t)d * sizeof(float));
  for (int64_t r = 0; r < rows; r++) {
    const float *restrict dyr = dy + r * d;
    const float *restrict hr = xhat + r * d;
    float *restrict dxr = dx + r * d;
    /* dx first holds gy = dy · g, then the result. */
    for (int64_t j = 0; j < d; j++) {
      dxr[j] = dyr[j] * g[j];
      dg[j] += dyr[j] * hr[j];
      db[j] += dyr[j];
    }
    const float mg = sum_of(dxr, d) * inv_d;
    const float mgh = dot_of(dxr, hr, d) * inv_d;
    const float rs = rstd[r];
    for (int64_t j = 0; j < d; j++) dxr[j] = rs * (dxr[j] - mg - hr[j] * mgh);
  }
}

AWN_CLONES static void scale_into(float *restrict y, int64_t n, float s) {
  for (int64_t j = 0; j < n; j++) y[j] *= s;
}

/* Softmax of x[0..n) into y (n >= 1). */
static void softmax_row(const float *x, float *y, int64_t n) {
  awn_exp_shifted(x, y, n, max_of(x, n));
  scale_into(y, n, 1.0f / sum_of(y, n));
}

void awn_causal_softmax(const float *x, float *y, int64_t batch, int64_t t) {
  for (int64_t bi = 0; bi < batch; bi++) {
    for (int64_t i = 0; i < t; i++) {
      const int64_t o = (bi * t + i) * t;
      softmax_row(x + o, y + o, i + 1);
      memset(y + o + i + 1, 0, (size_t)(t - i - 1) * sizeof(float));
    }
  }
}

AWN_CLONES static void softmax_grad_row(const float *restrict y, const float *restrict dy, float *restrict dx,
                                        int64_t n) {
  const float s = dot_of(dy, y, n);
  for (int64_t j = 0; j < n; j++) dx[j] = y[j] * (dy[j] - s);
}

void awn_softmax_grad(const float *y, const float *dy, float *dx, int64_t rows, int64_t cols, int64_t causal_t) {
  for (int64_t r = 0; r < rows; r++) {
    const int64_t o = r * cols;
    const int64_t n = causal_t > 0 ? r % causal_t + 1 : cols;
    softmax_grad_row(y + o, dy + o, dx + o, n);
    if (n < cols) memset(dx + o + n, 0, (size_t)(cols - n) * sizeof(float));
  }
}

void awn_softmax_xent(const float *x, const int32_t *labels, float *p, float *loss, int64_t rows, int64_t v) {
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * v;
    float *pr = p + r * v;
    const float m = max_of(xr, v);
    awn_exp_shifted(xr, pr, v, m);
    const float s = sum_of(pr, v);
    scale_into(pr, v, 1.0f / s);
    const int32_t l = labels[r];
    loss[r] = l >= 0 && l < v ? (m + logf(s)) - xr[l] : 0.0f;
  }
}

AWN_CLONES void awn_softmax_xent_grad(const float *p, const int32_t *labels, const float *dloss, float *dx,
                                      int64_t rows, int64_t v) {
  for (int64_t r = 0; r < rows; r++) {
    const float *restrict pr = p + r * v;
    float *restrict dr = dx + r * v;
    const int32_t l = labels[r];
    if (l < 0 || l >= v) {
      memset(dr, 0, (size_t)v * sizeof(float));
      continue;
    }
    const float g = dloss[r];
    for (int64_t j = 0; j < v; j++) dr[j] = g * pr[j];
    dr[l] -= g;
  }
}

AWN_CLONES static void add_row(float *restrict y, const float *restrict x, int64_t n) {
  for (int64_t j = 0; j < n; j++) y[j] += x[j];
}

int awn_embedding_grad(const float *dy, const int32_t *ids, float *dtable, int64_t n, int64_t d, int64_t vocab) {
  for (int64_t r = 0; r < n; r++)
    if (ids[r] < 0 || ids[r] >= vocab) return (int)r + 1;
  memset(dtable, 0, (size_t)(vocab * d) * sizeof(float));
  for (int64_t r = 0; r < n; r++) add_row(dtable + (int64_t)ids[r] * d, dy + r * d, d);
  return 0;
}

AWN_CLONES void awn_bias_relu_scale(const float *z, const float *b, const float *f, float *y, float *a, int64_t n,
                                    int64_t w) {
  for (int64_t r = 0; r < n; r++) {
    const float *restrict zr = z + r * w;
    float *restrict yr = y + r * w;
    float *restrict ar = a + r * w;
    for (int64_t j = 0; j < w; j++) {
      const float t = zr[j] + b[j];
      const float u = t < 0.0f ? 0.0f : t; /* NaN stays NaN, as tfjs's relu */
      ar[j] = u;
      yr[j] = u * f[j];
    }
  }
}

AWN_CLONES void awn_bias_relu_scale_grad(const float *dy, const float *a, const float *restrict f, float *dz,
                                         float *restrict db, float *restrict df, int64_t n, int64_t w) {
  memset(db, 0, (size_t)w * sizeof(float));
  memset(df, 0, (size_t)w * sizeof(float));
  for (int64_t r = 0; r < n; r++) {
    const float *restrict gr = dy + r * w;
    const float *restrict ar = a + r * w;
    float *restrict dr = dz + r * w;
    for (int64_t j = 0; j < w; j++) {
      const float g = ar[j] > 0.0f ? gr[j] * f[j] : 0.0f;
      dr[j] = g;
      db[j] += g;
      df[j] += gr[j] * ar[j];
    }
  }
}
