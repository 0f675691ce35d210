/*
 * Fused kernels of a Transformer training step: each replaces a chain of element-wise/reduction
 * kernels (and the intermediates tfjs keeps for their gradients) with one pass over the rows.
 * Pure C, no Node-API types; entry points in glue-fused.c.
 */
#ifndef AWN_FUSED_H
#define AWN_FUSED_H

#include <stdint.h>

/*
 * LayerNorm over the last axis of x [rows, d]: xhat = (x − mean) · rstd with rstd = 1/√(var + eps),
 * y = xhat · g + b. xhat and rstd [rows] are what the backward pass needs.
 */
void awn_layer_norm(const float *x, const float *g, const float *b, float *y, float *xhat, float *rstd,
                    int64_t rows, int64_t d, float eps);

/*
 * Its closed-form backward: with gy = dy · g, dx = rstd · (gy − mean(gy) − xhat · mean(gy · xhat)),
 * dg = Σ_rows dy · xhat, db = Σ_rows dy.
 */
void awn_layer_norm_grad(const float *dy, const float *xhat, const float *rstd, const float *g, float *dx,
                         float *dg, float *db, int64_t rows, int64_t d);

/*
 * Causal softmax of scores x [batch, t, t]: row i is the softmax of x[i, 0..i]; y[i, j > i] = 0
 * (what adding a −1e9 mask above the diagonal and a softmax give, without the mask).
 */
void awn_causal_softmax(const float *x, float *y, int64_t batch, int64_t t);

/*
 * Softmax backward over rows of [rows, cols]: dx = y · (dy − Σ_j dy·y). With causal set, rows are
 * the [batch, t, t] rows of awn_causal_softmax and only columns j ≤ i are read (the rest of dx is 0).
 */
void awn_softmax_grad(const float *y, const float *dy, float *dx, int64_t rows, int64_t cols, int64_t causal_t);

/*
 * Softmax cross-entropy of logits [rows, v] against int32 labels [rows]: loss[r] = logsumexp(x_r) −
 * x_r[label], p = softmax(x_r) kept for the backward. A label outside [0, v) gives loss 0 (tfjs's
 * oneHot gives an all-zero row).
 */
void awn_softmax_xent(const float *x, const int32_t *labels, float *p, float *loss, int64_t rows, int64_t v);

/* Its backward: dx[r] = dloss[r] · (p[r] − onehot(label[r])); 0 for a label outside [0, v). */
void awn_softmax_xent_grad(const float *p, const int32_t *labels, const float *dloss, float *dx, int64_t rows,
                           int64_t v);

/*
 * An adaptive FFN's activation (docs/method.md): a = relu(z + b), y = a · f for z [n, w], bias b
 * and importance f [w]. a is what the backward needs.
 */
void awn_bias_relu_scale(const float *z, const float *b, const float *f, float *y, float *a, int64_t n, int64_t w);

/* Its backward: dz = dy · f where a > 0 (else 0), db = Σ_rows dz, df = Σ_rows dy · a. */
void awn_bias_relu_scale_grad(const float *dy, const float *a, const float *f, float *dz, float *db, float *df,
                              int64_t n, int64_t w);

/*
 * Embedding gradient: dtable [vocab, d] = Σ over rows r with ids[r] = v of dy[r] (zero elsewhere).
 * Returns 0, or 1 + the position of the first id outside [0, vocab) (nothing written then).
 */
int awn_embedding_grad(const float *dy, const int32_t *ids, float *dtable, int64_t n, int64_t d, int64_t vocab);

#endif
