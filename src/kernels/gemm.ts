/**
 * A float32 matrix product in WebAssembly SIMD on the wasm backend's heap,
 * for the dense layers of reglab's hand-derived training step:
 *
 *   C[i, j] = act( bias[j] + sum_{k=0}^{K-1} A(i, k) · B[k, j] )      (k in increasing order)
 *
 * with A(i, k) read through strides (so Xᵀ·dZ needs no transposed copy of X),
 * B row-major, and act the identity or relu. Each output is accumulated in
 * float32, one product (rounded) added at a time, in increasing k, starting
 * from the bias (or 0): the order XNNPACK's f32 GEMM micro-kernels use in
 * tfjs-backend-wasm, so results are bit-identical to tf.matMul /
 * tf.fused.matMul there (tested in test/unit/kernels/gemm.test.ts).
 *
 * Why not XNNPACK itself: tfjs 4.22 packs the right operand into a new
 * XNNPACK operator on every call (the weights change every step) and
 * transposes operands explicitly; for the MLP's shapes that overhead was a
 * third of the matmul time (BENCHMARKS.md, "Training speed II").
 *
 * Register blocking: 4 rows × 8 columns (8 accumulators of 4 lanes) per
 * micro-kernel; edge tiles of 4 columns and of 1-3 columns (partial loads
 * and stores), and single rows.
 */
import {
  block, br, brIf, f32, f32x4, get, i32, I32, ifElse, ifThen, instantiate, loop, moduleBytes, set, V128, v128,
  type Code, type Func, type ValType, type WasmMemory,
} from "./wasm-asm";

/** gemm(a, b, c, bias, m, n, k, sai, sak, ldb, ldc, flags): addresses in bytes, strides in elements; flags 1 bias, 2 relu. */
export type GemmFn = (
  a: number, b: number, c: number, bias: number, m: number, n: number, k: number,
  sai: number, sak: number, ldb: number, ldc: number, flags: number,
) => void;
/** transpose(src, dst, rows, cols): dst[j, i] = src[i, j] for a row-major rows × cols src. */
export type TransposeFn = (src: number, dst: number, rows: number, cols: number) => void;

export const GEMM_BIAS = 1;
export const GEMM_RELU = 2;

// gemm's parameters, then its locals.
const [A, B, C, BIAS, M, N, K, SAI, SAK, LDB, LDC, FLAGS] = Array.from({ length: 12 }, (_, i) => i);
const [I0, J0, KK, REM] = [12, 13, 14, 15];
const PA = (r: number) => 16 + r; // row r's first element of A in this row block
const P = (r: number) => 20 + r; // row r's running pointer along k
const PB = 24;
const PC = (r: number) => 25 + r; // row r's first element of C
const ACC = (r: number, v: number) => 29 + 2 * r + v;
const [VB0, VB1, VA, ZERO] = [37, 38, 39, 40];
const GEMM_LOCALS: ValType[] = [...Array<ValType>(17).fill(I32), ...Array<ValType>(12).fill(V128)];

/** Columns a micro-kernel covers: 8 or 4 (full vectors) or 1-3 (one partial vector). */
type Cols = 8 | 4 | 1 | 2 | 3;

const jBytes = (): Code => [...get(J0), ...i32.const(2), ...i32.shl];

/** Pushes the vector at `addr` (code pushing an address) + 16·v, as much of it as `cols` covers, zeros beyond. */
function loadCols(addr: Code, cols: Cols, v: number): Code {
  if (cols === 8 || cols === 4) return [...addr, ...v128.load(16 * v)];
  if (cols === 1) return [...addr, ...v128.load32Zero()];
  if (cols === 2) return [...addr, ...v128.load64Zero()];
  return [...addr, ...v128.load64Zero(), ...addr, ...f32.load(8), ...f32x4.replaceLane(2)];
}

function storeCols(addr: Code, value: Code, cols: Cols, v: number): Code {
  if (cols === 8 || cols === 4) return [...addr, ...value, ...v128.store(16 * v)];
  if (cols === 1) return [...addr, ...value, ...v128.store32Lane(0, 0)];
  const low = [...addr, ...value, ...v128.store64Lane(0, 0)];
  return cols === 2 ? low : [...low, ...addr, ...value, ...f32x4.extractLane(2), ...f32.store(8)];
}

/** One rows × cols tile at rows I0.., columns J0..: accumulate over k, relu if asked, store. */
function microKernel(rows: number, cols: Cols): Code {
  const nv = cols === 8 ? 2 : 1;
  const vb = [VB0, VB1];
  const biasAddr = [...get(BIAS), ...jBytes(), ...i32.add];
  const initB = Array.from({ length: nv }, (_, v) => [...loadCols(biasAddr, cols, v), ...set(vb[v])]);
  const initZ = Array.from({ length: nv }, (_, v) => [...get(ZERO), ...set(vb[v])]);
  const code: Code[] = [
    // The bias (or zeros) into VB, then into every accumulator.
    [...get(FLAGS), ...i32.const(1), ...i32.and],
    ifElse(initB, initZ),
    ...Array.from({ length: rows }, (_, r) => Array.from({ length: nv }, (_, v) => [...get(vb[v]), ...set(ACC(r, v))]).flat()),
    ...Array.from({ length: rows }, (_, r) => [...get(PA(r)), ...set(P(r))]),
    [...get(B), ...jBytes(), ...i32.add, ...set(PB)],
    block(
      get(K), i32.eqz, brIf(0),
      get(K), set(KK),
      loop(
        ...Array.from({ length: nv }, (_, v) => [...loadCols(get(PB), cols, v), ...set(vb[v])]),
        ...Array.from({ length: rows }, (_, r) => [
          ...get(P(r)), ...v128.load32Splat(), ...set(VA),
          ...Array.from({ length: nv }, (_, v) => [
            ...get(ACC(r, v)), ...get(VA), ...get(vb[v]), ...f32x4.mul, ...f32x4.add, ...set(ACC(r, v)),
          ]).flat(),
          ...get(P(r)), ...get(SAK), ...i32.add, ...set(P(r)),
        ]),
        [...get(PB), ...get(LDB), ...i32.add, ...set(PB)],
        [...get(KK), ...i32.const(1), ...i32.sub, ...set(KK)],
        get(KK), brIf(0),
      ),
    ),
    [...get(FLAGS), ...i32.const(2), ...i32.and],
    ifThen(
      ...Array.from({ length: rows }, (_, r) =>
        Array.from({ length: nv }, (_, v) => [...get(ZERO), ...get(ACC(r, v)), ...f32x4.pmax, ...set(ACC(r, v))]).flat(),
      ),
    ),
    ...Array.from({ length: rows }, (_, r) =>
      Array.from({ length: nv }, (_, v) => storeCols([...get(PC(r)), ...jBytes(), ...i32.add], get(ACC(r, v)), cols, v)).flat(),
    ),
  ];
  return code.flat();
}

/** Every column tile of a block of `rows` rows starting at I0 (8 at a time, then 4, then 1-3). */
function columnTiles(rows: number): Code {
  const remIs = (r: Cols): Code => [...get(REM), ...i32.const(r), ...i32.eq];
  return [
    ...i32.const(0), ...set(J0),
    ...block(
      loop(
        get(J0), i32.const(8), i32.add, get(N), i32.gtU, brIf(1),
        microKernel(rows, 8),
        get(J0), i32.const(8), i32.add, set(J0),
        br(0),
      ),
    ),
    ...get(J0), ...i32.const(4), ...i32.add, ...get(N), ...i32.leU,
    ...ifThen(microKernel(rows, 4), get(J0), i32.const(4), i32.add, set(J0)),
    ...get(N), ...get(J0), ...i32.sub, ...set(REM),
    ...([1, 2, 3] as const).flatMap((r) => [...remIs(r), ...ifThen(microKernel(rows, r))]),
  ];
}

/** Row blocks of `rows` rows from I0 while they fit. */
function rowBlocks(rows: number): Code {
  const rowAddr = (base: number, stride: number, r: number): Code => [
    ...get(base), ...get(I0), ...i32.const(r), ...i32.add, ...get(stride), ...i32.mul, ...i32.add,
  ];
  return block(
    loop(
      get(I0), i32.const(rows), i32.add, get(M), i32.gtU, brIf(1),
      ...Array.from({ length: rows }, (_, r) => [...rowAddr(A, SAI, r), ...set(PA(r)), ...rowAddr(C, LDC, r), ...set(PC(r))]),
      columnTiles(rows),
      get(I0), i32.const(rows), i32.add, set(I0),
      br(0),
    ),
  );
}

function gemmFunc(): Func {
  const toBytes = (p: number): Code => [...get(p), ...i32.const(2), ...i32.shl, ...set(p)];
  return {
    name: "gemm",
    params: Array<ValType>(12).fill(I32),
    locals: GEMM_LOCALS,
    body: [toBytes(SAI), toBytes(SAK), toBytes(LDB), toBytes(LDC), v128.zero, set(ZERO), i32.const(0), set(I0), rowBlocks(4), rowBlocks(1)],
  };
}

// transpose's parameters, then its locals.
const [SRC, DST, ROWS, COLS, TI, TJ, PS, PD, STEP, ROWB, R4, C4] = Array.from({ length: 12 }, (_, i) => i);
const TV = (q: number) => 12 + q; // 4 rows loaded, then 4 half-transposed

/** for (v = from; v < to; v += by) body, with from/to as code. */
function forRange(v: number, from: Code, to: Code, by: number, ...body: Code[]): Code {
  return [...from, ...set(v), ...block(loop(get(v), to, i32.geU, brIf(1), ...body, get(v), i32.const(by), i32.add, set(v), br(0)))];
}

/** dst[j, i] = src[i, j] one element at a time over rows [i0, i1) × cols [j0, j1). */
function scalarRect(i0: Code, i1: Code, j0: Code, j1: Code): Code {
  const addr = (base: number, x: number, stride: number, y: number): Code => [
    ...get(base), ...get(x), ...get(stride), ...i32.mul, ...get(y), ...i32.add, ...i32.const(2), ...i32.shl, ...i32.add,
  ];
  return forRange(TI, i0, i1, 1, forRange(TJ, j0, j1, 1, addr(DST, TJ, ROWS, TI), addr(SRC, TI, COLS, TJ), f32.load(), f32.store()));
}

/** 4 × 4 blocks with shuffles (two rounds of interleaving), the edges one element at a time. */
function transposeFunc(): Func {
  const floats = (fs: number[]): number[] => fs.flatMap((f) => [4 * f, 4 * f + 1, 4 * f + 2, 4 * f + 3]);
  const shuffle = (x: number, y: number, fs: number[]): Code => [...get(x), ...get(y), ...v128.shuffle(floats(fs))];
  const [LO, HI] = [[0, 4, 1, 5], [2, 6, 3, 7]];
  const [FIRST, SECOND] = [[0, 1, 4, 5], [2, 3, 6, 7]];
  const step = (p: number, stride: number): Code => [...get(p), ...get(stride), ...i32.add, ...set(p)];
  const tile: Code[] = [
    [...get(SRC), ...get(TI), ...get(COLS), ...i32.mul, ...get(TJ), ...i32.add, ...i32.const(2), ...i32.shl, ...i32.add, ...set(PS)],
    [...get(DST), ...get(TJ), ...get(ROWS), ...i32.mul, ...get(TI), ...i32.add, ...i32.const(2), ...i32.shl, ...i32.add, ...set(PD)],
    ...[0, 1, 2, 3].map((q) => [...(q ? step(PS, ROWB) : []), ...get(PS), ...v128.load(), ...set(TV(q))]),
    // Rows 0,1 and 2,3 interleaved, then the halves paired: columns of the block.
    [...shuffle(TV(0), TV(1), LO), ...shuffle(TV(0), TV(1), HI), ...shuffle(TV(2), TV(3), LO), ...shuffle(TV(2), TV(3), HI)],
    [...set(TV(7)), ...set(TV(6)), ...set(TV(5)), ...set(TV(4))],
    [...shuffle(TV(4), TV(6), FIRST), ...set(TV(0)), ...shuffle(TV(4), TV(6), SECOND), ...set(TV(1))],
    [...shuffle(TV(5), TV(7), FIRST), ...set(TV(2)), ...shuffle(TV(5), TV(7), SECOND), ...set(TV(3))],
    ...[0, 1, 2, 3].map((q) => [...(q ? step(PD, STEP) : []), ...get(PD), ...get(TV(q)), ...v128.store()]),
  ];
  const mask4 = (p: number): Code => [...get(p), ...i32.const(-4), ...i32.and];
  return {
    name: "transpose",
    params: [I32, I32, I32, I32],
    locals: [...Array<ValType>(8).fill(I32), ...Array<ValType>(8).fill(V128)],
    body: [
      get(ROWS), i32.const(2), i32.shl, set(STEP),
      get(COLS), i32.const(2), i32.shl, set(ROWB),
      mask4(ROWS), set(R4), mask4(COLS), set(C4),
      // Destination rows outermost, so stores run along them: the other order (stores 1 KB apart) took 73 µs at 256², this 20.
      forRange(TJ, i32.const(0), get(C4), 4, forRange(TI, i32.const(0), get(R4), 4, ...tile)),
      scalarRect(get(R4), get(ROWS), i32.const(0), get(COLS)),
      scalarRect(i32.const(0), get(R4), get(C4), get(COLS)),
    ],
  };
}

export interface GemmKernels {
  gemm: GemmFn;
  transpose: TransposeFn;
}

let bytes: Uint8Array | null = null;
const cache = new WeakMap<WasmMemory, GemmKernels | null>();

/** The GEMM and transpose bound to `memory`, or null where WebAssembly SIMD is not supported. */
export function gemmKernels(memory: WasmMemory): GemmKernels | null {
  if (cache.has(memory)) return cache.get(memory)!;
  bytes ??= moduleBytes([gemmFunc(), transposeFunc()]);
  const e = instantiate(bytes, memory);
  const k = e ? { gemm: e.gemm as GemmFn, transpose: e.transpose as TransposeFn } : null;
  cache.set(memory, k);
  return k;
}
