/*
 * Element-wise functions: exp (a vectorised polynomial, shared with softmax), and the cheap
 * functions a Transformer step runs over whole activations (relu and its gradient's step, neg,
 * square, sqrt/rsqrt of LayerNorm's variance, reciprocal, log). The tfjs cpu backend runs these as
 * JS loops calling a closure per element.
 */
#include <math.h>
#include <string.h>

#include "ops.h"
#include "simd.h"

/*
 * y[j] = exp(x[j] - m): 2^k · p(r) with k = round((x-m)/ln 2), r the remainder (|r| ≤ ln2/2) split
 * over a two-part ln 2, p a degree-6 Taylor polynomial (relative error < 2e-7). Arguments below
 * -87 (exp < 1.7e-38, the float32 denormal range) give exactly 0, as the attention mask relies on.
 * Branch-free so it vectorises; glibc's expf does not.
 */
AWN_CLONES void awn_exp_shifted(const float *restrict x, float *restrict y, int64_t n, float m) {
  for (int64_t j = 0; j < n; j++) {
    const float v0 = x[j] - m;
    const float v = v0 < -87.0f ? -87.0f : (v0 > 88.0f ? 88.0f : v0);
    const float k = (v * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    const float r = (v - k * 0.693145751953125f) - k * 1.428606765330187e-06f;
    float p = 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    const int32_t bits = ((int32_t)k + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    const float e = p * scale;
    y[j] = v0 < -87.0f ? 0.0f : e;
  }
}


/*
 * y = exp(x), the scheme of exp_shifted over the whole float32 range: 2^k is applied as two
 * factors 2^(k>>1) · 2^(k-(k>>1)) so k = 128 (x up to 88.72) stays finite. Below -87.3 the result
 * is 0 (true values there are float32 denormals), above 88.72283 +inf, NaN stays NaN.
 */
AWN_CLONES void awn_exp(const float *restrict x, float *restrict y, int64_t n) {
  for (int64_t j = 0; j < n; j++) {
    const float v0 = x[j];
    const float v = v0 < -87.3f ? -87.3f : (v0 > 88.72283f ? 88.72283f : v0);
    const float k = (v * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    const float r = (v - k * 0.693145751953125f) - k * 1.428606765330187e-06f;
    float p = 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    const int32_t ki = (int32_t)k;
    const int32_t k1 = ki >> 1;
    const int32_t b1 = (k1 + 127) << 23, b2 = (ki - k1 + 127) << 23;
    float s1, s2;
    memcpy(&s1, &b1, sizeof s1);
    memcpy(&s2, &b2, sizeof s2);
    float e = (p * s1) * s2;
    e = v0 > 88.72283f ? INFINITY : e;
    e = v0 < -87.3f ? 0.0f : e;
    y[j] = v0 != v0 ? v0 : e;
  }
}

#define UNARY_LOOP(EXPR)                               \
  do {                                                 \
    for (int64_t j = 0; j < n; j++) {                  \
      const float u = x[j];                            \
      y[j] = (EXPR);                                   \
    }                                                  \
  } while (0)

AWN_CLONES void awn_unary(int op, const float *restrict x, float *restrict y, int64_t n) {
  switch (op) {
    case AWN_EXP: awn_exp(x, y, n); break;
    case AWN_LOG: UNARY_LOOP(logf(u)); break;
    case AWN_NEG: UNARY_LOOP(-u); break;
    case AWN_SQRT: UNARY_LOOP(sqrtf(u)); break;
    case AWN_RSQRT: UNARY_LOOP(1.0f / sqrtf(u)); break;
    case AWN_SQUARE: UNARY_LOOP(u * u); break;
    /* NaN stays NaN in both, as in tfjs. */
    case AWN_RELU: UNARY_LOOP(u < 0.0f ? 0.0f : u); break;
    case AWN_STEP: UNARY_LOOP(u != u ? u : (u > 0.0f ? 1.0f : 0.0f)); break;
    default: UNARY_LOOP(1.0f / u); break;
  }
}
