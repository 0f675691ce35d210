#include "ops.h"

#include <math.h>
#include <string.h>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "simd.h"

/* 16 floats as one GCC vector (split into whatever registers the clone's ISA has). */
typedef float v16f __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));

static inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* y[i, j] = x[i + j*sj] (R x C): a true transpose (rows of y are columns of x). 4x4 SSE blocks
 * inside 32x32 tiles; the ragged edges element by element. */
static void transpose2d(const float *restrict x, float *restrict y, int64_t R, int64_t C, int64_t sj,
                        int64_t ldy) {
  enum { T = 32 };
  for (int64_t i0 = 0; i0 < R; i0 += T) {
    const int64_t i1 = min64(R, i0 + T);
    for (int64_t j0 = 0; j0 < C; j0 += T) {
      const int64_t j1 = min64(C, j0 + T);
      int64_t i = i0;
#if defined(__SSE__)
      for (; i + 4 <= i1; i += 4) {
        int64_t j = j0;
        for (; j + 4 <= j1; j += 4) {
          __m128 r0 = _mm_loadu_ps(x + i + (j + 0) * sj);
          __m128 r1 = _mm_loadu_ps(x + i + (j + 1) * sj);
          __m128 r2 = _mm_loadu_ps(x + i + (j + 2) * sj);
          __m128 r3 = _mm_loadu_ps(x + i + (j + 3) * sj);
          _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
          _mm_storeu_ps(y + (i + 0) * ldy + j, r0);
          _mm_storeu_ps(y + (i + 1) * ldy + j, r1);
          _mm_storeu_ps(y + (i + 2) * ldy + j, r2);
          _mm_storeu_ps(y + (i + 3) * ldy + j, r3);
        }
        for (; j < j1; j++)
          for (int64_t p = 0; p < 4; p++) y[(i + p) * ldy + j] = x[i + p + j * sj];
      }
#endif
      for (; i < i1; i++)
        for (int64_t j = j0; j < j1; j++) y[i * ldy + j] = x[i + j * sj];
    }
  }
}

/* y[i*ti + j*tj] = x[i*si + j*sj] (R x C), in tiles so both sides stay in L1. */
static void copy2d(const float *restrict x, float *restrict y, int64_t R, int64_t C, int64_t si,
                   int64_t sj, int64_t ti, int64_t tj) {
  if (sj == 1 && tj == 1) {
    for (int64_t i = 0; i < R; i++) memcpy(y + i * ti, x + i * si, (size_t)C * sizeof(float));
    return;
  }
  if (si == 1 && tj == 1) {
    transpose2d(x, y, R, C, sj, ti);
    return;
  }
  if (sj == 1 && ti == 1) {
    transpose2d(x, y, C, R, si, tj); /* the same transpose seen from the other side */
    return;
  }
  enum { T = 32 };
  for (int64_t i0 = 0; i0 < R; i0 += T) {
    const int64_t i1 = min64(R, i0 + T);
    for (int64_t j0 = 0; j0 < C; j0 += T) {
      const int64_t j1 = min64(C, j0 + T);
      for (int64_t i = i0; i < i1; i++)
        for (int64_t j = j0; j < j1; j++) y[i * ti + j * tj] = x[i * si + j * sj];
    }
  }
}

void awn_copy_strided(const float *x, float *y, int rank, const int64_t *dims, const int64_t *xs,
                      const int64_t *ys) {
  /* Collapse: drop size-1 dims, merge neighbours that are contiguous in both x and y. */
  int64_t od[AWN_MAX_RANK], sx[AWN_MAX_RANK], sy[AWN_MAX_RANK];
  int r = 0;
  int64_t total = 1;
  for (int i = 0; i < rank; i++) {
    total *= dims[i];
    if (dims[i] == 1) continue;
    if (r > 0 && sx[r - 1] == xs[i] * dims[i] && sy[r - 1] == ys[i] * dims[i]) {
      od[r - 1] *= dims[i];
      sx[r - 1] = xs[i];
      sy[r - 1] = ys[i];
    } else {
      od[r] = dims[i];
      sx[r] = xs[i];
      sy[r] = ys[i];
      r++;
    }
  }
  if (total == 0) return;
  if (r == 0) {
    y[0] = x[0];
    return;
  }
  if (r == 1) {
    if (sx[0] == 1 && sy[0] == 1) {
      memcpy(y, x, (size_t)od[0] * sizeof(float));
    } else {
      for (int64_t j = 0; j < od[0]; j++) y[j * sy[0]] = x[j * sx[0]];
    }
    return;
  }
  /* Outer odometer over dims 0..r-3; a tiled 2-D copy over the last two. */
  const int64_t R = od[r - 2], C = od[r - 1];
  int64_t outer = 1;
  for (int i = 0; i < r - 2; i++) outer *= od[i];
  int64_t idx[AWN_MAX_RANK] = {0};
  int64_t xo = 0, yo = 0;
  for (int64_t o = 0; o < outer; o++) {
    copy2d(x + xo, y + yo, R, C, sx[r - 2], sx[r - 1], sy[r - 2], sy[r - 1]);
    for (int d = r - 3; d >= 0; d--) {
      xo += sx[d];
      yo += sy[d];
      if (++idx[d] < od[d]) break;
      xo -= sx[d] * od[d];
      yo -= sy[d] * od[d];
      idx[d] = 0;
    }
  }
}

void awn_transpose(const float *x, float *y, int rank, const int64_t *shape, const int *perm) {
  int64_t in_stride[AWN_MAX_RANK], dims[AWN_MAX_RANK], xs[AWN_MAX_RANK], ys[AWN_MAX_RANK];
  int64_t total = 1;
  for (int i = rank - 1; i >= 0; i--) {
    in_stride[i] = total;
    total *= shape[i];
  }
  int64_t out_total = 1;
  for (int i = rank - 1; i >= 0; i--) {
    dims[i] = shape[perm[i]];
    xs[i] = in_stride[perm[i]];
    ys[i] = out_total;
    out_total *= dims[i];
  }
  awn_copy_strided(x, y, rank, dims, xs, ys);
}

#define BINARY_LOOPS(EXPR)                                                                        \
  do {                                                                                            \
    if (sa == 1 && sb == 1) {                                                                     \
      for (int64_t j = 0; j < n; j++) { const float u = pa[j], v = pb[j]; py[j] = (EXPR); }      \
    } else if (sa == 1 && sb == 0) {                                                              \
      const float v = pb[0];                                                                      \
      for (int64_t j = 0; j < n; j++) { const float u = pa[j]; py[j] = (EXPR); }                  \
    } else if (sa == 0 && sb == 1) {                                                              \
      const float u = pa[0];                                                                      \
      for (int64_t j = 0; j < n; j++) { const float v = pb[j]; py[j] = (EXPR); }                  \
    } else {                                                                                      \
      for (int64_t j = 0; j < n; j++) { const float u = pa[j * sa], v = pb[j * sb]; py[j] = (EXPR); } \
    }                                                                                             \
  } while (0)

AWN_CLONES static void binary_row(int op, const float *restrict pa, const float *restrict pb, float *restrict py,
                       int64_t n, int64_t sa, int64_t sb) {
  switch (op) {
    case AWN_ADD: BINARY_LOOPS(u + v); break;
    case AWN_SUB: BINARY_LOOPS(u - v); break;
    case AWN_MUL: BINARY_LOOPS(u * v); break;
    case AWN_DIV: BINARY_LOOPS(u / v); break;
    /* NaN propagates as in tfjs's cpu kernels (Math.max/min). */
    case AWN_MAXIMUM: BINARY_LOOPS(u != u || v != v ? u + v : (u > v ? u : v)); break;
    case AWN_MINIMUM: BINARY_LOOPS(u != u || v != v ? u + v : (u < v ? u : v)); break;
    default: BINARY_LOOPS((u - v) * (u - v)); break;
  }
}

void awn_binary(int op, const float *a, const float *b, float *y, int rank, const int64_t *out,
                const int64_t *as, const int64_t *bs) {
  int64_t od[AWN_MAX_RANK], sa[AWN_MAX_RANK], sb[AWN_MAX_RANK];
  int r = 0;
  int64_t total = 1;
  for (int i = 0; i < rank; i++) {
    total *= out[i];
    if (out[i] == 1) continue;
    /* Merge into the previous dim when both operands continue it (strides line up, incl. 0). */
    if (r > 0 && sa[r - 1] == as[i] * out[i] && sb[r - 1] == bs[i] * out[i]) {
      od[r - 1] *= out[i];
      sa[r - 1] = as[i];
      sb[r - 1] = bs[i];
    } else {
      od[r] = out[i];
      sa[r] = as[i];
      sb[r] = bs[i];
      r++;
    }
  }
  if (total == 0) return;
  if (r == 0) {
    binary_row(op, a, b, y, 1, 0, 0);
    return;
  }
  const int64_t n = od[r - 1];
  int64_t rows = total / n;
  int64_t idx[AWN_MAX_RANK] = {0};
  int64_t ao = 0, bo = 0;
  for (int64_t o = 0; o < rows; o++) {
    binary_row(op, a + ao, b + bo, y + o * n, n, sa[r - 1], sb[r - 1]);
    for (int d = r - 2; d >= 0; d--) {
      ao += sa[d];
      bo += sb[d];
      if (++idx[d] < od[d]) break;
      ao -= sa[d] * od[d];
      bo -= sb[d] * od[d];
      idx[d] = 0;
    }
  }
}

AWN_CLONES static float row_sum(const float *restrict x, int64_t n) {
  v16f acc = {0};
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    v16f v;
    memcpy(&v, x + j, sizeof v);
    acc += v;
  }
  float s = 0;
  for (; j < n; j++) s += x[j];
  for (int t = 0; t < 16; t++) s += acc[t];
  return s;
}

AWN_CLONES void awn_sum(const float *x, float *y, int64_t outer, int64_t r, int64_t inner) {
  if (inner == 1) {
    for (int64_t o = 0; o < outer; o++) y[o] = row_sum(x + o * r, r);
    return;
  }
  for (int64_t o = 0; o < outer; o++) {
    float *restrict yo = y + o * inner;
    const float *xo = x + o * r * inner;
    memset(yo, 0, (size_t)inner * sizeof(float));
    for (int64_t k = 0; k < r; k++) {
      const float *restrict xr = xo + k * inner;
      for (int64_t i = 0; i < inner; i++) yo[i] += xr[i];
    }
  }
}

/* Largest entry of x[0..n), n >= 1 (NaNs ignored unless all are NaN), 16 lanes at a time. */
AWN_CLONES static float row_max(const float *restrict x, int64_t n) {
  float m = x[0];
  int64_t j = 0;
  if (n >= 16) {
    v16f acc;
    memcpy(&acc, x, sizeof acc);
    for (j = 16; j + 16 <= n; j += 16) {
      v16f v;
      memcpy(&v, x + j, sizeof v);
      const v16i gt = v > acc;
      acc = (v16f)(((v16i)v & gt) | ((v16i)acc & ~gt));
    }
    for (int t = 0; t < 16; t++) m = acc[t] > m ? acc[t] : m;
  }
  for (; j < n; j++) m = x[j] > m ? x[j] : m;
  return m;
}

AWN_CLONES static void scale_row(float *restrict y, int64_t n, float s) {
  for (int64_t j = 0; j < n; j++) y[j] *= s;
}

void awn_scale(float *y, int64_t n, float s) { scale_row(y, n, s); }

void awn_row_max(const float *x, float *y, int64_t rows, int64_t cols) {
  for (int64_t o = 0; o < rows; o++) {
    const float *xr = x + o * cols;
    float m = row_max(xr, cols);
    for (int64_t j = 0; j < cols; j++)
      if (xr[j] != xr[j]) {
        m = xr[j];
        break;
      }
    y[o] = m;
  }
}

void awn_softmax(const float *x, float *y, int64_t rows, int64_t cols) {
  if (cols == 0) return;
  for (int64_t o = 0; o < rows; o++) {
    const float *xr = x + o * cols;
    float *yr = y + o * cols;
    awn_exp_shifted(xr, yr, cols, row_max(xr, cols));
    scale_row(yr, cols, 1.0f / row_sum(yr, cols));
  }
}

int awn_gather(const float *x, const int32_t *idx, float *y, int64_t outer, int64_t n, int64_t inner,
               int64_t count) {
  for (int64_t i = 0; i < count; i++)
    if (idx[i] < 0 || idx[i] >= n) return (int)i + 1;
  for (int64_t o = 0; o < outer; o++) {
    const float *xo = x + o * n * inner;
    float *yo = y + o * count * inner;
    for (int64_t i = 0; i < count; i++) memcpy(yo + i * inner, xo + (int64_t)idx[i] * inner, (size_t)inner * sizeof(float));
  }
  return 0;
}
