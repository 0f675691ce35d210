#include "gemm.h"

#include <cblas.h>
#include <string.h>

int64_t awn_batch_count(const awn_gemm_desc *d) {
  int64_t count = 1;
  for (int i = 0; i < d->rank; i++) count *= d->out_dims[i];
  return count;
}

int64_t awn_max_batch_offset(const awn_gemm_desc *d, int which) {
  const int64_t *strides = which == 0 ? d->a_strides : d->b_strides;
  int64_t off = 0;
  for (int i = 0; i < d->rank; i++) {
    if (d->out_dims[i] > 0) off += (d->out_dims[i] - 1) * strides[i];
  }
  return off;
}

/* Seeds C with the bias (so sgemm can accumulate into it with beta = 1) or leaves it to beta = 0. */
static float seed_bias(const awn_gemm_desc *d, float *c) {
  if (d->bias == NULL) return 0.0f;
  const int64_t m = d->m, n = d->n;
  if (d->bias_len == 1) {
    const float v = d->bias[0];
    for (int64_t i = 0; i < m * n; i++) c[i] = v;
  } else {
    for (int64_t i = 0; i < m; i++) memcpy(c + i * n, d->bias, (size_t)n * sizeof(float));
  }
  return 1.0f;
}

static void activate(int activation, float *c, int64_t size) {
  if (activation == AWN_ACT_RELU) {
    for (int64_t i = 0; i < size; i++) c[i] = c[i] > 0.0f ? c[i] : 0.0f;
  } else if (activation == AWN_ACT_RELU6) {
    for (int64_t i = 0; i < size; i++) {
      const float v = c[i] > 0.0f ? c[i] : 0.0f;
      c[i] = v < 6.0f ? v : 6.0f;
    }
  }
}

static void one_gemm(const awn_gemm_desc *d, const float *a, const float *b, float *c) {
  const int64_t m = d->m, n = d->n, k = d->k;
  const float beta = seed_bias(d, c);
  if (k == 0) {
    /* An empty sum: BLAS would reject lda = 0, and the answer is just the bias (or zero). */
    if (beta == 0.0f) memset(c, 0, (size_t)(m * n) * sizeof(float));
  } else {
    /* Row-major leading dimensions are the stored row lengths; max(1, .) keeps BLAS's checks happy
       for degenerate 1-wide matrices. */
    const int64_t lda = d->trans_a ? m : k;
    const int64_t ldb = d->trans_b ? k : n;
    cblas_sgemm(CblasRowMajor, d->trans_a ? CblasTrans : CblasNoTrans,
                d->trans_b ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k, 1.0f, a,
                (int)(lda > 1 ? lda : 1), b, (int)(ldb > 1 ? ldb : 1), beta, c, (int)(n > 1 ? n : 1));
  }
  activate(d->activation, c, m * n);
}

void awn_batched_gemm(const awn_gemm_desc *d, const float *a, const float *b, float *c) {
  if (d->m == 0 || d->n == 0) return;
  const int64_t count = awn_batch_count(d);
  const int64_t c_step = d->m * d->n;
  /* Odometer over the output batch dims, carrying A's and B's offsets along (0 stride = broadcast). */
  int64_t index[AWN_MAX_BATCH_RANK] = {0};
  int64_t a_off = 0, b_off = 0;
  for (int64_t batch = 0; batch < count; batch++) {
    one_gemm(d, a + a_off, b + b_off, c + batch * c_step);
    for (int dim = d->rank - 1; dim >= 0; dim--) {
      if (++index[dim] < d->out_dims[dim]) {
        a_off += d->a_strides[dim];
        b_off += d->b_strides[dim];
        break;
      }
      a_off -= (d->out_dims[dim] - 1) * d->a_strides[dim];
      b_off -= (d->out_dims[dim] - 1) * d->b_strides[dim];
      index[dim] = 0;
    }
  }
}
