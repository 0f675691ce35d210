/*
 * Helpers shared by the Node-API entry points (addon.c, glue-*.c). Every operand is passed from JS
 * as a pair (typed array, byte offset): the wasm backend passes its heap (one Uint8Array over wasm
 * memory) and the tensor's offset in it, the cpu backend passes the tensor's own Float32Array /
 * Int32Array and 0. The same C kernel serves both, and every range is checked against the array it
 * lies in before any kernel runs, so a wrong offset throws instead of scribbling over memory.
 */
#ifndef AWN_GLUE_H
#define AWN_GLUE_H

#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CHECK(env, call)                                                        \
  do {                                                                          \
    if ((call) != napi_ok) {                                                    \
      awn_throw_pending_or(env, "awn_blas: Node-API call failed: " #call);      \
      return NULL;                                                              \
    }                                                                           \
  } while (0)

#define FAIL(env, ...)                                                          \
  do {                                                                          \
    char msg_[256];                                                             \
    snprintf(msg_, sizeof msg_, __VA_ARGS__);                                   \
    napi_throw_range_error(env, NULL, msg_);                                    \
    return NULL;                                                                \
  } while (0)

/* A typed array's bytes (already advanced by its own byteOffset) and byte length. */
typedef struct {
  uint8_t *base;
  size_t len;
} awn_buf;

void awn_throw_pending_or(napi_env env, const char *msg);
napi_status awn_get_i64(napi_env env, napi_value v, int64_t *out);
napi_status awn_get_bool(napi_env env, napi_value v, int *out);

/* Any Uint8Array, Float32Array or Int32Array as raw bytes; false for anything else. */
bool awn_get_buf(napi_env env, napi_value v, awn_buf *out);

/* true when `count` 4-byte elements starting at byte `off` lie inside `b` (off 4-aligned). */
bool awn_in_buf(const awn_buf *b, int64_t off, int64_t count);

/*
 * Reads argv[i] (array) and argv[i + 1] (byte offset), checks that `count` floats fit, and returns
 * the address; NULL after throwing when they do not (the caller returns NULL at once).
 */
void *awn_operand(napi_env env, napi_value *argv, int i, int64_t count, const char *what);

/* `count` doubles of a Float64Array descriptor as non-negative int64s; false when malformed. */
bool awn_get_desc(napi_env env, napi_value v, int64_t count, int64_t *out);

/* A Float64Array's data and length; false when v is not one. */
bool awn_get_f64(napi_env env, napi_value v, const double **data, size_t *len);

#endif
