/**
 * reglab's elementwise kernels as WebAssembly SIMD on the wasm backend's own
 * heap (the module imports tfjs-backend-wasm's WebAssembly.Memory; assembled
 * by src/kernels/wasm-asm.ts): 4 float32 lanes per instruction where a
 * JavaScript loop does one. Every lane operation (add, mul, div, sqrt) is
 * IEEE float32 with round-to-nearest, the same as the scalar float32
 * arithmetic it replaces, and sums run in the same order, so results are
 * bit-identical. `simdKernels(memory)` returns null where WebAssembly SIMD
 * is unavailable and callers keep their JS loop.
 *
 * Pointers are byte addresses on the heap; `bytes` is a multiple of 16 (the
 * caller does the last length % 4 elements).
 */
import {
  block, br, brIf, F32, f32, f32x4, get, I32, i32, instantiate, loop, moduleBytes, set, V128, v128,
  type Code, type Func, type ValType, type WasmMemory,
} from "./wasm-asm";

export type { WasmMemory };

/** adam(w, g, m, v, w2, m2, v2, bytes, b1, b2, c1, c2, omb1, omb2, eps, negLr): tfjs's Adam update (src/kernels/adam.ts). */
export type AdamSimd = (
  w: number, g: number, m: number, v: number, w2: number, m2: number, v2: number, bytes: number,
  b1: number, b2: number, c1: number, c2: number, omb1: number, omb2: number, eps: number, negLr: number,
) => void;
/**
 * adamL2(..., l2): the same update with the gradient g + w·l2 (an L2
 * penalty's, added as train adds it), returning sum_i w_i² of the weights
 * before the update, summed in index order in float32 as tf.sum(tf.square(w)).
 */
export type AdamL2Simd = (
  w: number, g: number, m: number, v: number, w2: number, m2: number, v2: number, bytes: number,
  b1: number, b2: number, c1: number, c2: number, omb1: number, omb2: number, eps: number, negLr: number, l2: number,
) => number;
/** reluGrad(g, a, m, out, bytes, scale): out = a > 0 ? g * m * scale : 0 (m: the dropout mask). */
export type ReluGradSimd = (g: number, a: number, m: number, out: number, bytes: number, scale: number) => void;
/** reluGradNoMask(g, a, out, bytes, scale): out = a > 0 ? g * scale : 0. */
export type ReluGradNoMaskSimd = (g: number, a: number, out: number, bytes: number, scale: number) => void;
/** colSums(x, out, rows, rowBytes, bytes): out[j] = sum_r x[r, j] over the first bytes/4 columns, rows in order (as tf.sum(x, 0)). */
export type ColSumsSimd = (x: number, out: number, rows: number, rowBytes: number, bytes: number) => void;

export interface SimdKernels {
  adam: AdamSimd;
  adamL2: AdamL2Simd;
  reluGrad: ReluGradSimd;
  reluGradNoMask: ReluGradNoMaskSimd;
  colSums: ColSumsSimd;
}

const { splat, sqrt, add, mul, div, gt, extractLane } = f32x4;
const load = v128.load();
const store = v128.store();
/** Pushes pointer + offset (both locals). */
const at = (ptr: number, off: number): Code => [...get(ptr), ...get(off), ...i32.add];

/** for (off = 0; off < bytes; off += 16) step. */
function byteLoop(off: number, bytes: number, ...step: Code[]): Code {
  return block(loop(get(off), get(bytes), i32.geU, brIf(1), ...step, get(off), i32.const(16), i32.add, set(off), br(0)));
}

/** relu gradient: params g, a, [m], out, bytes, scale; locals off, S (splat scale), Z (zeros). */
function reluGradFunc(withMask: boolean): Func {
  const np = withMask ? 6 : 5;
  const [G, A, M, OUT, BYTES, SCALE] = withMask ? [0, 1, 2, 3, 4, 5] : [0, 1, -1, 2, 3, 4];
  const [off, S, Z] = [np, np + 1, np + 2];
  const product = withMask
    ? [...at(G, off), ...load, ...at(M, off), ...load, ...mul, ...get(S), ...mul]
    : [...at(G, off), ...load, ...get(S), ...mul];
  return {
    name: withMask ? "reluGrad" : "reluGradNoMask",
    params: [...Array<ValType>(np - 1).fill(I32), F32],
    locals: [I32, V128, V128],
    body: [
      get(SCALE), splat, set(S), v128.zero, set(Z),
      byteLoop(off, BYTES, at(OUT, off), product, at(A, off), load, get(Z), gt, v128.and, store),
    ],
  };
}

/** Adam: params 0-6 pointers, 7 bytes, 8-15 f32 scalars (16 l2 with `withL2`); then the offset, splats, g, m, v, w, the sum. */
function adamFunc(withL2: boolean): Func {
  const np = withL2 ? 17 : 16;
  const off = np;
  const S = (k: number) => np + 1 + k; // b1 b2 c1 c2 omb1 omb2 eps negLr [l2]
  const [G, M, V, W, SUM] = [np + 10, np + 11, np + 12, np + 13, np + 14];
  const splats = withL2 ? 9 : 8;
  const gradient = withL2
    ? [
      ...at(0, off), ...load, ...set(W),
      ...at(1, off), ...load, ...get(W), ...get(S(8)), ...mul, ...add, ...set(G),
      // sum += w0², w1², w2², w3² in index order (float32), as tf.sum(tf.square(w)) does.
      ...get(W), ...get(W), ...mul, ...set(M),
      ...[0, 1, 2, 3].flatMap((lane) => [...get(SUM), ...get(M), ...extractLane(lane), ...f32.add, ...set(SUM)]),
    ]
    : [...at(0, off), ...load, ...set(W), ...at(1, off), ...load, ...set(G)];
  const step: Code[] = [
    gradient,
    [...at(2, off), ...load, ...get(S(0)), ...mul, ...get(G), ...get(S(2)), ...mul, ...add, ...set(M)],
    [...at(3, off), ...load, ...get(S(1)), ...mul, ...get(G), ...get(G), ...mul, ...get(S(3)), ...mul, ...add, ...set(V)],
    [...at(5, off), ...get(M), ...store, ...at(6, off), ...get(V), ...store],
    [...at(4, off), ...get(M), ...get(S(4)), ...div, ...get(V), ...get(S(5)), ...div, ...sqrt, ...get(S(6)), ...add, ...div],
    [...get(S(7)), ...mul, ...get(W), ...add, ...store],
  ];
  return {
    name: withL2 ? "adamL2" : "adam",
    params: [...Array<ValType>(8).fill(I32), ...Array<ValType>(np - 8).fill(F32)],
    locals: [I32, ...Array<ValType>(9 + 4).fill(V128), F32],
    body: [
      ...Array.from({ length: splats }, (_, k) => [...get(8 + k), ...splat, ...set(S(k))]),
      f32.const0, set(SUM),
      byteLoop(off, 7, ...step),
      ...(withL2 ? [get(SUM)] : []),
    ],
    result: withL2 ? F32 : undefined,
  };
}

/** Column sums: for each row in order, out[0..bytes) += row (4 columns at a time); out starts at 0. */
function colSumsFunc(): Func {
  const [X, OUT, ROWS, ROWBYTES, BYTES, R, off, ROW] = [0, 1, 2, 3, 4, 5, 6, 7];
  return {
    name: "colSums",
    params: [I32, I32, I32, I32, I32],
    locals: [I32, I32, I32],
    body: [
      i32.const(0), set(off),
      byteLoop(off, BYTES, at(OUT, off), v128.zero, store),
      get(X), set(ROW), i32.const(0), set(R),
      block(
        loop(
          get(R), get(ROWS), i32.geU, brIf(1),
          i32.const(0), set(off),
          byteLoop(off, BYTES, at(OUT, off), at(OUT, off), load, at(ROW, off), load, add, store),
          get(ROW), get(ROWBYTES), i32.add, set(ROW),
          get(R), i32.const(1), i32.add, set(R),
          br(0),
        ),
      ),
    ],
  };
}

let bytes: Uint8Array | null = null;
const cache = new WeakMap<WasmMemory, SimdKernels | null>();

/** The kernels bound to `memory`, or null where WebAssembly SIMD is not supported. */
export function simdKernels(memory: WasmMemory): SimdKernels | null {
  if (cache.has(memory)) return cache.get(memory)!;
  bytes ??= moduleBytes([adamFunc(false), adamFunc(true), reluGradFunc(true), reluGradFunc(false), colSumsFunc()]);
  const e = instantiate(bytes, memory);
  const k = e
    ? {
      adam: e.adam as AdamSimd,
      adamL2: e.adamL2 as AdamL2Simd,
      reluGrad: e.reluGrad as ReluGradSimd,
      reluGradNoMask: e.reluGradNoMask as ReluGradNoMaskSimd,
      colSums: e.colSums as ColSumsSimd,
    }
    : null;
  cache.set(memory, k);
  return k;
}
