/*
 * Optimizer updates over the host's parameter buffers (@awn/core keeps parameters, gradients and
 * moments on the host, at capacity, so widths change without moving tensors). Pure C.
 */
#ifndef AWN_OPTIM_H
#define AWN_OPTIM_H

#include <stdint.h>

/*
 * Adam over a [rows, cols] block stored with row stride `stride` in values/m/v, its gradient dense
 * [rows, cols] in g, computed in double: g' = scale · g, m = b1·m + (1−b1)·g', v = b2·v + (1−b2)·g'², values −=
 * step · m / (√v + eps) (bias correction folded into step and eps by the caller).
 */
void awn_adam(float *values, float *m, float *v, const float *g, int64_t rows, int64_t cols, int64_t stride,
              double scale, double b1, double b2, double step, double eps);

/* Σ g² over n floats (in double), and whether every value is finite. */
double awn_sum_squares(const float *g, int64_t n, int *finite);

#endif
