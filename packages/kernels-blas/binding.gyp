{
  "targets": [
    {
      "target_name": "awn_blas",
      "sources": ["src/native/addon.c", "src/native/glue.c", "src/native/glue-ops.c", "src/native/gemm.c", "src/native/ops.c", "src/native/unary.c", "src/native/fused.c", "src/native/glue-fused.c", "src/native/optim.c", "src/native/glue-optim.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-std=c11", "-O3", "-fno-trapping-math", "-fno-math-errno", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "include_dirs": ["/usr/include/x86_64-linux-gnu/openblas-pthread", "/usr/include/openblas"],
      "libraries": ["-lopenblas"]
    }
  ]
}
