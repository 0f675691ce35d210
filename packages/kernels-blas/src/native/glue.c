#include "glue.h"

#include <string.h>

void awn_throw_pending_or(napi_env env, const char *msg) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, NULL, msg);
}

napi_status awn_get_i64(napi_env env, napi_value v, int64_t *out) { return napi_get_value_int64(env, v, out); }

napi_status awn_get_bool(napi_env env, napi_value v, int *out) {
  bool b = false;
  napi_status s = napi_get_value_bool(env, v, &b);
  *out = b ? 1 : 0;
  return s;
}

bool awn_get_buf(napi_env env, napi_value v, awn_buf *out) {
  bool is_typed = false;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed) return false;
  napi_typedarray_type type;
  napi_value buffer;
  size_t length, offset;
  void *data;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, &buffer, &offset) != napi_ok) return false;
  size_t elem;
  switch (type) {
    case napi_uint8_array: elem = 1; break;
    case napi_float32_array:
    case napi_int32_array: elem = 4; break;
    default: return false;
  }
  out->base = data;
  out->len = length * elem;
  return true;
}

bool awn_in_buf(const awn_buf *b, int64_t off, int64_t count) {
  return off >= 0 && (off & 3) == 0 && count >= 0 && off + count * 4 <= (int64_t)b->len &&
         ((uintptr_t)(b->base + off) & 3) == 0;
}

void *awn_operand(napi_env env, napi_value *argv, int i, int64_t count, const char *what) {
  awn_buf b;
  int64_t off;
  char msg[160];
  if (!awn_get_buf(env, argv[i], &b)) {
    snprintf(msg, sizeof msg, "%s must be a Uint8Array, Float32Array or Int32Array", what);
    napi_throw_type_error(env, NULL, msg);
    return NULL;
  }
  if (awn_get_i64(env, argv[i + 1], &off) != napi_ok) {
    awn_throw_pending_or(env, "awn_blas: offset must be a number");
    return NULL;
  }
  if (!awn_in_buf(&b, off, count)) {
    snprintf(msg, sizeof msg, "%s: operand outside its array (%lld floats at byte %lld of %zu)", what,
             (long long)count, (long long)off, b.len);
    napi_throw_range_error(env, NULL, msg);
    return NULL;
  }
  /* An empty typed array may have no data pointer; a zero-length operand is never dereferenced. */
  static float empty;
  return b.base ? (void *)(b.base + off) : (void *)&empty;
}

bool awn_get_f64(napi_env env, napi_value v, const double **data, size_t *len) {
  bool is_typed = false;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed) return false;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  void *d;
  if (napi_get_typedarray_info(env, v, &type, len, &d, &buffer, &offset) != napi_ok || type != napi_float64_array) return false;
  *data = d;
  return true;
}

bool awn_get_desc(napi_env env, napi_value v, int64_t count, int64_t *out) {
  const double *d;
  size_t len;
  if (!awn_get_f64(env, v, &d, &len) || (int64_t)len < count) return false;
  for (int64_t i = 0; i < count; i++) {
    if (!(d[i] >= 0) || d[i] > 9.0e15) return false;
    out[i] = (int64_t)d[i];
  }
  return true;
}
