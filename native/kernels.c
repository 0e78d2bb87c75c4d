/*
 * The kit's wasm kernels for the U-Net's elementwise work (src/gpu/fused.ts registers them as tfjs kernels).
 *
 * Fused GroupNorm -> FiLM -> SiLU, forward and backward, on NHWC images x [N, P, C] (P = H*W pixels, channels
 * innermost), G groups of C/G channels, and a FiLM modulation per clip: frames n of clip b = n / (N/B) share
 * scale[b], shift[b] (B = 0: no FiLM).
 *
 *   forward:  u = ((x - mean_g) * rstd_g * gamma + beta) * (1 + scale) + shift;  out = act ? u * sigmoid(u) : u
 *   backward: du = dy * SiLU'(u); dshift = sum du; dscale = sum du * y (y = xhat * gamma + beta);
 *             dbeta = sum du (1 + scale); dgamma = sum du (1 + scale) xhat;
 *             dx = rstd * (dxhat - mean_g(dxhat) - xhat * mean_g(dxhat * xhat)),  dxhat = du (1 + scale) gamma
 *
 * Each image costs two passes for its statistics and one (forward) or two (backward) for the rest, where the
 * tfjs chain makes about ten. Built to wasm32 with SIMD128 (native/build.sh) and run inside the tfjs wasm
 * backend's own memory: every pointer is an offset into it and scratch (10 C floats) is passed in. The module
 * has no data section (src/gpu/fused.ts refuses one: it would be written into the tfjs heap) and uses no stack
 * (its one global, the linker's stack pointer, is never read; the test checks the disassembly).
 */
#include <wasm_simd128.h>

typedef float f32;

/* exp(x) for |x| <= 87 (clamped outside): 2^n * p(r), r = x - n ln 2, p a degree-6 Taylor polynomial. */
static inline v128_t vexp(v128_t x) {
  x = wasm_f32x4_min(wasm_f32x4_max(x, wasm_f32x4_splat(-87.0f)), wasm_f32x4_splat(87.0f));
  v128_t n = wasm_f32x4_nearest(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)));
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
  v128_t p = wasm_f32x4_splat(1.0f / 720.0f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 120.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 24.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 6.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(0.5f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f));
  v128_t e = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(p, e);
}

static inline v128_t vsigmoid(v128_t u) {
  return wasm_f32x4_div(wasm_f32x4_splat(1.0f), wasm_f32x4_add(wasm_f32x4_splat(1.0f), vexp(wasm_f32x4_neg(u))));
}

static inline f32 ssigmoid(f32 u) { return wasm_f32x4_extract_lane(vsigmoid(wasm_f32x4_splat(u)), 0); }

/* Per-channel mean mc[c] and 1/std rc[c] of channel c's group, for one image x [P, C]; acc: C floats. */
static void group_stats(const f32 *x, int P, int C, int G, f32 eps, f32 *acc, f32 *mc, f32 *rc) {
  const int Cg = C / G;
  const f32 count = (f32)P * (f32)Cg;
  for (int c = 0; c < C; c++) acc[c] = 0.0f;
  for (int p = 0; p < P; p++) {
    const f32 *row = x + (long)p * C;
    int c = 0;
    for (; c + 4 <= C; c += 4) wasm_v128_store(acc + c, wasm_f32x4_add(wasm_v128_load(acc + c), wasm_v128_load(row + c)));
    for (; c < C; c++) acc[c] += row[c];
  }
  for (int g = 0; g < G; g++) {
    f32 s = 0.0f;
    for (int c = g * Cg; c < (g + 1) * Cg; c++) s += acc[c];
    for (int c = g * Cg; c < (g + 1) * Cg; c++) mc[c] = s / count;
  }
  for (int c = 0; c < C; c++) acc[c] = 0.0f;
  for (int p = 0; p < P; p++) {
    const f32 *row = x + (long)p * C;
    int c = 0;
    for (; c + 4 <= C; c += 4) {
      v128_t d = wasm_f32x4_sub(wasm_v128_load(row + c), wasm_v128_load(mc + c));
      wasm_v128_store(acc + c, wasm_f32x4_add(wasm_v128_load(acc + c), wasm_f32x4_mul(d, d)));
    }
    for (; c < C; c++) {
      f32 d = row[c] - mc[c];
      acc[c] += d * d;
    }
  }
  for (int g = 0; g < G; g++) {
    f32 s = 0.0f;
    for (int c = g * Cg; c < (g + 1) * Cg; c++) s += acc[c];
    f32 r = 1.0f / __builtin_sqrtf(s / count + eps);
    for (int c = g * Cg; c < (g + 1) * Cg; c++) rc[c] = r;
  }
}

/* Coefficients of u = x * a + b for one image: a = rstd gamma k, b = (beta - mean rstd gamma) k + shift, k = 1 + scale. */
static void coefficients(const f32 *gamma, const f32 *beta, const f32 *scale, const f32 *shift, const f32 *mc, const f32 *rc, int C, f32 *k, f32 *a, f32 *b) {
  for (int c = 0; c < C; c++) {
    k[c] = scale ? 1.0f + scale[c] : 1.0f;
    a[c] = rc[c] * gamma[c] * k[c];
    b[c] = (beta[c] - mc[c] * rc[c] * gamma[c]) * k[c] + (shift ? shift[c] : 0.0f);
  }
}

/* Forward. scratch: 6 C floats. B = 0 without FiLM (scale, shift ignored). */
void gn_forward(const f32 *x, const f32 *gamma, const f32 *beta, const f32 *scale, const f32 *shift, f32 *out, f32 *scratch,
                int N, int P, int C, int G, int B, int act, f32 eps) {
  f32 *acc = scratch, *mc = scratch + C, *rc = scratch + 2 * C, *k = scratch + 3 * C, *a = scratch + 4 * C, *b = scratch + 5 * C;
  const int FB = B > 0 ? N / B : N;
  for (int n = 0; n < N; n++) {
    const f32 *xi = x + (long)n * P * C;
    f32 *oi = out + (long)n * P * C;
    const int clip = n / FB;
    group_stats(xi, P, C, G, eps, acc, mc, rc);
    coefficients(gamma, beta, B > 0 ? scale + (long)clip * C : 0, B > 0 ? shift + (long)clip * C : 0, mc, rc, C, k, a, b);
    for (int p = 0; p < P; p++) {
      const f32 *row = xi + (long)p * C;
      f32 *orow = oi + (long)p * C;
      int c = 0;
      for (; c + 4 <= C; c += 4) {
        v128_t u = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(row + c), wasm_v128_load(a + c)), wasm_v128_load(b + c));
        wasm_v128_store(orow + c, act ? wasm_f32x4_mul(u, vsigmoid(u)) : u);
      }
      for (; c < C; c++) {
        f32 u = row[c] * a[c] + b[c];
        orow[c] = act ? u * ssigmoid(u) : u;
      }
    }
  }
}

/*
 * Backward: dx [N, P, C]; dgamma, dbeta [C]; dscale, dshift [B, C] (B > 0). Overwrites all of them.
 * scratch: 10 C floats.
 */
void gn_backward(const f32 *x, const f32 *gamma, const f32 *beta, const f32 *scale, const f32 *shift, const f32 *dy,
                 f32 *dx, f32 *dgamma, f32 *dbeta, f32 *dscale, f32 *dshift, f32 *scratch,
                 int N, int P, int C, int G, int B, int act, f32 eps) {
  f32 *acc = scratch, *mc = scratch + C, *rc = scratch + 2 * C, *k = scratch + 3 * C, *a = scratch + 4 * C, *b = scratch + 5 * C;
  f32 *s1 = scratch + 6 * C, *s2 = scratch + 7 * C, *m1 = scratch + 8 * C, *m2 = scratch + 9 * C;
  const int FB = B > 0 ? N / B : N;
  const int Cg = C / G;
  const f32 count = (f32)P * (f32)Cg;
  for (int c = 0; c < C; c++) dgamma[c] = dbeta[c] = 0.0f;
  for (int i = 0; i < B * C; i++) dscale[i] = dshift[i] = 0.0f;
  for (int n = 0; n < N; n++) {
    const f32 *xi = x + (long)n * P * C;
    const f32 *dyi = dy + (long)n * P * C;
    f32 *dxi = dx + (long)n * P * C;
    const int clip = n / FB;
    group_stats(xi, P, C, G, eps, acc, mc, rc);
    coefficients(gamma, beta, B > 0 ? scale + (long)clip * C : 0, B > 0 ? shift + (long)clip * C : 0, mc, rc, C, k, a, b);
    for (int c = 0; c < C; c++) s1[c] = s2[c] = 0.0f;
    /* Pass A: du (kept in dx), and its sums per channel: s1 = sum du, s2 = sum du * xhat. */
    for (int p = 0; p < P; p++) {
      const f32 *row = xi + (long)p * C;
      const f32 *dyrow = dyi + (long)p * C;
      f32 *dxrow = dxi + (long)p * C;
      int c = 0;
      for (; c + 4 <= C; c += 4) {
        v128_t xv = wasm_v128_load(row + c);
        v128_t du = wasm_v128_load(dyrow + c);
        if (act) {
          v128_t u = wasm_f32x4_add(wasm_f32x4_mul(xv, wasm_v128_load(a + c)), wasm_v128_load(b + c));
          v128_t s = vsigmoid(u);
          v128_t one = wasm_f32x4_splat(1.0f);
          du = wasm_f32x4_mul(du, wasm_f32x4_mul(s, wasm_f32x4_add(one, wasm_f32x4_mul(u, wasm_f32x4_sub(one, s)))));
        }
        v128_t xhat = wasm_f32x4_mul(wasm_f32x4_sub(xv, wasm_v128_load(mc + c)), wasm_v128_load(rc + c));
        wasm_v128_store(dxrow + c, du);
        wasm_v128_store(s1 + c, wasm_f32x4_add(wasm_v128_load(s1 + c), du));
        wasm_v128_store(s2 + c, wasm_f32x4_add(wasm_v128_load(s2 + c), wasm_f32x4_mul(du, xhat)));
      }
      for (; c < C; c++) {
        f32 du = dyrow[c];
        if (act) {
          f32 u = row[c] * a[c] + b[c];
          f32 s = ssigmoid(u);
          du *= s * (1.0f + u * (1.0f - s));
        }
        f32 xhat = (row[c] - mc[c]) * rc[c];
        dxrow[c] = du;
        s1[c] += du;
        s2[c] += du * xhat;
      }
    }
    /* Parameter gradients and the group means of dxhat and dxhat * xhat. */
    for (int c = 0; c < C; c++) {
      if (B > 0) {
        dshift[clip * C + c] += s1[c];
        dscale[clip * C + c] += gamma[c] * s2[c] + beta[c] * s1[c];
      }
      dbeta[c] += k[c] * s1[c];
      dgamma[c] += k[c] * s2[c];
      a[c] = k[c] * gamma[c]; /* a now holds dxhat / du */
    }
    for (int g = 0; g < G; g++) {
      f32 t1 = 0.0f, t2 = 0.0f;
      for (int c = g * Cg; c < (g + 1) * Cg; c++) {
        t1 += a[c] * s1[c];
        t2 += a[c] * s2[c];
      }
      for (int c = g * Cg; c < (g + 1) * Cg; c++) {
        m1[c] = t1 / count;
        m2[c] = t2 / count;
      }
    }
    /* Pass B: dx = rstd (a du - m1 - xhat m2), du read back from dx. */
    for (int p = 0; p < P; p++) {
      const f32 *row = xi + (long)p * C;
      f32 *dxrow = dxi + (long)p * C;
      int c = 0;
      for (; c + 4 <= C; c += 4) {
        v128_t xhat = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(row + c), wasm_v128_load(mc + c)), wasm_v128_load(rc + c));
        v128_t d = wasm_f32x4_sub(wasm_f32x4_mul(wasm_v128_load(a + c), wasm_v128_load(dxrow + c)), wasm_v128_load(m1 + c));
        d = wasm_f32x4_sub(d, wasm_f32x4_mul(xhat, wasm_v128_load(m2 + c)));
        wasm_v128_store(dxrow + c, wasm_f32x4_mul(wasm_v128_load(rc + c), d));
      }
      for (; c < C; c++) {
        f32 xhat = (row[c] - mc[c]) * rc[c];
        dxrow[c] = rc[c] * (a[c] * dxrow[c] - m1[c] - xhat * m2[c]);
      }
    }
  }
}

/*
 * Channel concatenation of NHWC images, [P, C1] + [P, C2] -> [P, C1 + C2] (P = N*H*W pixels), and its gradient,
 * the split back into the two parts: the U-Net decoder's skip connections. tfjs's wasm backend runs the split as
 * a gather on the channel axis (~10 ms per call at the U-Net's sizes); here it is two copies per pixel.
 */
void concat_channels(const f32 *a, const f32 *b, f32 *out, int P, int C1, int C2) {
  const int C = C1 + C2;
  for (int p = 0; p < P; p++) {
    __builtin_memcpy(out + (long)p * C, a + (long)p * C1, (unsigned long)C1 * sizeof(f32));
    __builtin_memcpy(out + (long)p * C + C1, b + (long)p * C2, (unsigned long)C2 * sizeof(f32));
  }
}

void split_channels(const f32 *y, f32 *a, f32 *b, int P, int C1, int C2) {
  const int C = C1 + C2;
  for (int p = 0; p < P; p++) {
    __builtin_memcpy(a + (long)p * C1, y + (long)p * C, (unsigned long)C1 * sizeof(f32));
    __builtin_memcpy(b + (long)p * C2, y + (long)p * C + C1, (unsigned long)C2 * sizeof(f32));
  }
}
