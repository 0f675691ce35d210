/*
 * Batched, broadcasting single-precision matrix product over CBLAS, with an optional bias row and
 * a cheap activation applied in place. Pure C with no Node-API types so it can be reasoned about
 * (and tested through the addon) independently of the JS glue.
 */
#ifndef AWN_GEMM_H
#define AWN_GEMM_H

#include <stdint.h>

/* Ranks above this are rejected by the glue; tfjs tensors rarely exceed rank 6. */
#define AWN_MAX_BATCH_RANK 16

enum awn_activation { AWN_ACT_LINEAR = 0, AWN_ACT_RELU = 1, AWN_ACT_RELU6 = 2 };

typedef struct {
  int trans_a;
  int trans_b;
  int64_t m, n, k;
  /* Output batch dims and, per dim, the element stride of A's and B's matrices (0 = broadcast). */
  int rank;
  int64_t out_dims[AWN_MAX_BATCH_RANK];
  int64_t a_strides[AWN_MAX_BATCH_RANK];
  int64_t b_strides[AWN_MAX_BATCH_RANK];
  /* NULL, or bias_len == 1 (scalar) or bias_len == n (one value per output column). */
  const float *bias;
  int64_t bias_len;
  int activation;
} awn_gemm_desc;

/* Number of output matrices (product of out_dims). */
int64_t awn_batch_count(const awn_gemm_desc *d);

/* Largest element offset of any batch matrix of A (which = 0) or B (which = 1), for bounds checks. */
int64_t awn_max_batch_offset(const awn_gemm_desc *d, int which);

/* C[batch] = act(op(A[batch]) * op(B[batch]) + bias); C is dense [batch..., m, n], row-major. */
void awn_batched_gemm(const awn_gemm_desc *d, const float *a, const float *b, float *c);

#endif
