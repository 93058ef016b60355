/**
 * A small WebAssembly SIMD module, assembled here byte by byte, that runs
 * reglab's elementwise kernels on the wasm backend's own heap (it imports
 * tfjs-backend-wasm's WebAssembly.Memory): 4 float32 lanes per instruction
 * where a JavaScript loop does one. Every lane operation (add, mul, div,
 * sqrt) is IEEE float32 with round-to-nearest, the same as the scalar
 * float32 arithmetic it replaces, so results are bit-identical.
 *
 * Kept deliberately tiny (Adam's update, the ReLU/dropout gradient);
 * `simdKernels(memory)` returns null
 * where WebAssembly SIMD is unavailable and callers keep their JS loop.
 */

/** adam(w, g, m, v, w2, m2, v2, bytes, b1, b2, c1, c2, omb1, omb2, eps, negLr): byte offsets, bytes a multiple of 16. */
export type AdamSimd = (
  w: number, g: number, m: number, v: number, w2: number, m2: number, v2: number, bytes: number,
  b1: number, b2: number, c1: number, c2: number, omb1: number, omb2: number, eps: number, negLr: number,
) => void;

/** reluGrad(g, a, m, out, bytes, scale): out = a > 0 ? g * m * scale : 0 (m: the dropout mask). */
export type ReluGradSimd = (g: number, a: number, m: number, out: number, bytes: number, scale: number) => void;
/** reluGradNoMask(g, a, out, bytes, scale): out = a > 0 ? g * scale : 0. */
export type ReluGradNoMaskSimd = (g: number, a: number, out: number, bytes: number, scale: number) => void;

export interface SimdKernels {
  adam: AdamSimd;
  reluGrad: ReluGradSimd;
  reluGradNoMask: ReluGradNoMaskSimd;
}

/** The part of the WebAssembly API used here (tsconfig's ES2022 lib has no WebAssembly types). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
declare const WebAssembly: {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
};

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

const vec = (items: number[][]): number[] => [...leb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];
const name = (s: string): number[] => [...leb(s.length), ...Array.from(Buffer.from(s, "utf8"))];

// Instructions used below.
const get = (i: number) => [0x20, ...leb(i)];
const set = (i: number) => [0x21, ...leb(i)];
const simd = (op: number) => [0xfd, ...leb(op)];
const load = [...simd(0x00), 0x00, 0x00];
const store = [...simd(0x0b), 0x00, 0x00];
const splat = simd(0x13);
const [sqrt, add, mul, div] = [simd(0xe3), simd(0xe4), simd(0xe6), simd(0xe7)];
const [gt, and] = [simd(0x44), simd(0x4e)];

/**
 * A loop over `bytes` (param `bytesParam`) in steps of 16 with the offset in
 * local `off`; `step` is the body, `setup` runs once before the loop.
 */
function loopBody(locals: number[][], setup: number[], bytesParam: number, off: number, step: number[]): number[] {
  const code = [
    ...setup,
    0x02, 0x40, 0x03, 0x40,
    ...get(off), ...get(bytesParam), 0x4f, 0x0d, 0x01, // break when off >= bytes
    ...step,
    ...get(off), 0x41, 0x10, 0x6a, ...set(off),
    0x0c, 0x00, 0x0b, 0x0b,
    0x0b,
  ];
  const body = [...vec(locals), ...code];
  return [...leb(body.length), ...body];
}

/** relu gradient: params g, a, [m], out, bytes, scale; locals off, S (splat scale), Z (zeros). */
function reluGradBody(withMask: boolean): number[] {
  const np = withMask ? 6 : 5;
  const [G, A, M, OUT, BYTES, SCALE] = withMask ? [0, 1, 2, 3, 4, 5] : [0, 1, -1, 2, 3, 4];
  const [off, S, Z] = [np, np + 1, np + 2];
  const at = (ptr: number) => [...get(ptr), ...get(off), 0x6a];
  const setup = [...get(SCALE), ...splat, ...set(S), 0x43, 0x00, 0x00, 0x00, 0x00, ...splat, ...set(Z)];
  const product = withMask ? [...at(G), ...load, ...at(M), ...load, ...mul, ...get(S), ...mul] : [...at(G), ...load, ...get(S), ...mul];
  const step = [...at(OUT), ...product, ...at(A), ...load, ...get(Z), ...gt, ...and, ...store];
  return loopBody([[...leb(1), I32], [...leb(2), V128]], setup, BYTES, off, step);
}

/** The adam body: params 0-6 pointers, 7 bytes, 8-15 f32 scalars; local 16 the offset, 17-24 splats, 25-27 g, m, v. */
function adamBody(): number[] {
  const off = 16;
  const S = (k: number) => 17 + k; // b1 b2 c1 c2 omb1 omb2 eps negLr
  const [G, M, V] = [25, 26, 27];
  const at = (ptr: number) => [...get(ptr), ...get(off), 0x6a];
  const code = [
    ...Array.from({ length: 8 }, (_, k) => [...get(8 + k), ...splat, ...set(S(k))]).flat(),
    0x02, 0x40, 0x03, 0x40,
    ...get(off), ...get(7), 0x4f, 0x0d, 0x01, // break when off >= bytes
    ...at(1), ...load, ...set(G),
    ...at(2), ...load, ...get(S(0)), ...mul, ...get(G), ...get(S(2)), ...mul, ...add, ...set(M),
    ...at(3), ...load, ...get(S(1)), ...mul, ...get(G), ...get(G), ...mul, ...get(S(3)), ...mul, ...add, ...set(V),
    ...at(5), ...get(M), ...store,
    ...at(6), ...get(V), ...store,
    ...at(4),
    ...get(M), ...get(S(4)), ...div, ...get(V), ...get(S(5)), ...div, ...sqrt, ...get(S(6)), ...add, ...div, ...get(S(7)), ...mul,
    ...at(0), ...load, ...add, ...store,
    ...get(off), 0x41, 0x10, 0x6a, ...set(off),
    0x0c, 0x00, 0x0b, 0x0b,
    0x0b,
  ];
  const locals = vec([[...leb(1), I32], [...leb(11), V128]]);
  const body = [...locals, ...code];
  return [...leb(body.length), ...body];
}

function moduleBytes(): Uint8Array {
  const fnType = (i32s: number, f32s: number) => [0x60, ...vec([...Array(i32s).fill([I32]), ...Array(f32s).fill([F32])]), ...vec([])];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([fnType(8, 8), fnType(5, 1), fnType(4, 1)])),
    ...section(2, vec([[...name("env"), ...name("memory"), 0x02, 0x00, 0x01]])),
    ...section(3, vec([[0x00], [0x01], [0x02]])),
    ...section(7, vec([[...name("adam"), 0x00, 0x00], [...name("reluGrad"), 0x00, 0x01], [...name("reluGradNoMask"), 0x00, 0x02]])),
    ...section(10, vec([adamBody(), reluGradBody(true), reluGradBody(false)])),
  ]);
}

const cache = new WeakMap<WasmMemory, SimdKernels | null>();

/** The kernels bound to `memory`, or null where WebAssembly SIMD is not supported. */
export function simdKernels(memory: WasmMemory): SimdKernels | null {
  if (cache.has(memory)) return cache.get(memory)!;
  let k: SimdKernels | null = null;
  const bytes = moduleBytes();
  if (WebAssembly.validate(bytes)) {
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    const e = inst.exports;
    k = { adam: e.adam as AdamSimd, reluGrad: e.reluGrad as ReluGradSimd, reluGradNoMask: e.reluGradNoMask as ReluGradNoMaskSimd };
  }
  cache.set(memory, k);
  return k;
}
