#ifndef AWN_SIMD_H
#define AWN_SIMD_H

/*
 * Hot loops are compiled three times (AVX-512F, AVX2, baseline x86-64) and picked at load time
 * by the dynamic loader from the CPU's features (GCC function multiversioning; "arch=" clones would
 * dispatch on the CPU model name and miss e.g. Cooper Lake), so the addon stays portable while using
 * the wide vectors this machine has. Other compilers/targets get the plain function.
 */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define AWN_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define AWN_CLONES
#endif

#endif
