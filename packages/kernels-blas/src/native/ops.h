/*
 * Element-wise, reduction, transpose and softmax kernels on dense float32 data, used by the addon
 * to replace tfjs wasm kernels (Transpose, Add/Sub/Multiply/RealDiv with broadcasting, Sum over a
 * contiguous block of axes, Softmax over the last axis). Pure C, no Node-API types.
 */
#ifndef AWN_OPS_H
#define AWN_OPS_H

#include <stdint.h>

#define AWN_MAX_RANK 8

enum awn_binary_op {
  AWN_ADD = 0, AWN_SUB = 1, AWN_MUL = 2, AWN_DIV = 3, AWN_MAXIMUM = 4, AWN_MINIMUM = 5, AWN_SQDIFF = 6,
  AWN_BINARY_LAST = AWN_SQDIFF
};

/* Element-wise functions of unary.c. STEP is tfjs's Step with alpha 0 (x > 0 ? 1 : 0, NaN stays NaN). */
enum awn_unary_op {
  AWN_EXP = 0, AWN_LOG = 1, AWN_NEG = 2, AWN_SQRT = 3, AWN_RSQRT = 4, AWN_SQUARE = 5, AWN_RELU = 6,
  AWN_STEP = 7, AWN_RECIPROCAL = 8, AWN_UNARY_LAST = AWN_RECIPROCAL
};

/*
 * y[i0*ys0 + i1*ys1 + …] = x[i0*xs0 + i1*xs1 + …] over dims[0..rank): transposes, slices and
 * concatenation pieces are all this copy with different strides and base pointers.
 */
void awn_copy_strided(const float *x, float *y, int rank, const int64_t *dims, const int64_t *xs,
                      const int64_t *ys);

/* y = transpose(x, perm); shape is x's, rank <= AWN_MAX_RANK, y dense. */
void awn_transpose(const float *x, float *y, int rank, const int64_t *shape, const int *perm);

/*
 * y[out] = a[..] op b[..] with numpy broadcasting: out holds the output dims, as/bs the element
 * strides of a and b per output dim (0 where broadcast). y dense.
 */
void awn_binary(int op, const float *a, const float *b, float *y, int rank, const int64_t *out,
                const int64_t *as, const int64_t *bs);

/* y[o, i] = sum_r x[o, r, i] for x dense [outer, r, inner]. */
void awn_sum(const float *x, float *y, int64_t outer, int64_t r, int64_t inner);

/* y *= s over n floats. */
void awn_scale(float *y, int64_t n, float s);

/* Row-wise softmax of x dense [rows, cols]. */
void awn_softmax(const float *x, float *y, int64_t rows, int64_t cols);

/* y[o] = max_c x[o, c] of x dense [rows, cols], cols >= 1 (NaN if the row has one, as tfjs). */
void awn_row_max(const float *x, float *y, int64_t rows, int64_t cols);

/* y = op(x) over n floats (unary.c). */
void awn_unary(int op, const float *x, float *y, int64_t n);

/* Shared by softmax and exp (unary.c): y[j] = exp(x[j] - m), 0 below -87. */
void awn_exp_shifted(const float *x, float *y, int64_t n, float m);

/* y = exp(x) elementwise (vectorised; |relative error| < 3e-7; < -87.3 → 0, > 88.72 → inf). */
void awn_exp(const float *x, float *y, int64_t n);

/*
 * y[o, i, :] = x[o, idx[i], :] for x dense [outer, n, inner]. Returns 0, or 1 + the position of
 * the first index outside [0, n) (nothing written then).
 */
int awn_gather(const float *x, const int32_t *idx, float *y, int64_t outer, int64_t n, int64_t inner,
               int64_t count);

#endif
