/**
 * A tiny WebAssembly assembler: the encodings reglab's hand-written kernels
 * (src/kernels/simd.ts, src/kernels/gemm.ts) are built from, so a module is
 * assembled in memory at load time with no toolchain and no binary in the
 * repository. Instructions are byte arrays; `fn` and `moduleBytes` wrap them.
 * Encodings: the WebAssembly core and SIMD specifications (binary format).
 */

import { setFlagsFromString } from "node:v8";

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof F32 | typeof V128;
export type Code = number[];

/** Unsigned LEB128. */
export function leb(n: number): Code {
  const out: Code = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (for i32.const). */
export function sleb(n: number): Code {
  const out: Code = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}

export const vec = (items: Code[]): Code => [...leb(items.length), ...items.flat()];
const section = (id: number, body: Code): Code => [id, ...leb(body.length), ...body];
const name = (s: string): Code => [...leb(s.length), ...Array.from(Buffer.from(s, "utf8"))];

// Variables and control.
export const get = (i: number): Code => [0x20, ...leb(i)];
export const set = (i: number): Code => [0x21, ...leb(i)];
export const tee = (i: number): Code => [0x22, ...leb(i)];
/** block ... end; `br(0)` inside leaves it. */
export const block = (...body: Code[]): Code => [0x02, 0x40, ...body.flat(), 0x0b];
/** loop ... end; `br(0)` inside jumps back to its start. */
export const loop = (...body: Code[]): Code => [0x03, 0x40, ...body.flat(), 0x0b];
export const ifThen = (...body: Code[]): Code => [0x04, 0x40, ...body.flat(), 0x0b];
export const ifElse = (then: Code[], otherwise: Code[]): Code => [0x04, 0x40, ...then.flat(), 0x05, ...otherwise.flat(), 0x0b];
export const br = (depth: number): Code => [0x0c, ...leb(depth)];
export const brIf = (depth: number): Code => [0x0d, ...leb(depth)];

// i32 and f32 scalars.
export const i32 = {
  const: (n: number): Code => [0x41, ...sleb(n)],
  eqz: [0x45],
  eq: [0x46],
  ne: [0x47],
  ltU: [0x49],
  gtU: [0x4b],
  leU: [0x4d],
  geU: [0x4f],
  add: [0x6a],
  sub: [0x6b],
  mul: [0x6c],
  and: [0x71],
  shl: [0x74],
};
export const f32 = {
  load: (offset = 0): Code => [0x2a, 0x02, ...leb(offset)],
  store: (offset = 0): Code => [0x38, 0x02, ...leb(offset)],
  const0: [0x43, 0x00, 0x00, 0x00, 0x00],
  add: [0x92],
  mul: [0x94],
};

// SIMD (opcode after the 0xfd prefix, then a memory argument or lane where the instruction has one).
const simd = (op: number, ...imm: Code[]): Code => [0xfd, ...leb(op), ...imm.flat()];
const mem = (offset: number): Code => [0x00, ...leb(offset)];
export const v128 = {
  load: (offset = 0): Code => simd(0x00, mem(offset)),
  load32Splat: (offset = 0): Code => simd(0x09, mem(offset)),
  store: (offset = 0): Code => simd(0x0b, mem(offset)),
  load32Zero: (offset = 0): Code => simd(0x5c, mem(offset)),
  load64Zero: (offset = 0): Code => simd(0x5d, mem(offset)),
  store32Lane: (offset: number, lane: number): Code => simd(0x5a, mem(offset), [lane]),
  store64Lane: (offset: number, lane: number): Code => simd(0x5b, mem(offset), [lane]),
  and: simd(0x4e),
  zero: simd(0x0c, Array(16).fill(0)),
  /** i8x16.shuffle with 16 byte-lane indices (0-15 the first operand, 16-31 the second). */
  shuffle: (lanes: number[]): Code => simd(0x0d, lanes),
};
export const f32x4 = {
  splat: simd(0x13),
  extractLane: (lane: number): Code => simd(0x1f, [lane]),
  replaceLane: (lane: number): Code => simd(0x20, [lane]),
  gt: simd(0x44),
  sqrt: simd(0xe3),
  add: simd(0xe4),
  mul: simd(0xe6),
  div: simd(0xe7),
  /** pmax(a, b) = a < b ? b : a (so pmax(0, x) is relu, 0 for NaN). */
  pmax: simd(0xeb),
};

/** A function: its parameter types, its extra locals (types in order) and its body. */
export interface Func {
  name: string;
  params: ValType[];
  locals: ValType[];
  body: Code[];
  /** The one result, if any (left on the stack by `body`). */
  result?: ValType;
}

function funcBody(f: Func): Code {
  const locals = vec(f.locals.map((t) => [...leb(1), t]));
  const body = [...locals, ...f.body.flat(), 0x0b];
  return [...leb(body.length), ...body];
}

/** A module that imports `env.memory` and exports `funcs`. */
export function moduleBytes(funcs: Func[]): Uint8Array {
  const types = funcs.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.result ? [[f.result]] : [])]);
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([[...name("env"), ...name("memory"), 0x02, 0x00, 0x01]])),
    ...section(3, vec(funcs.map((_, i) => leb(i)))),
    ...section(7, vec(funcs.map((f, i) => [...name(f.name), 0x00, ...leb(i)]))),
    ...section(10, vec(funcs.map(funcBody))),
  ]);
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

/** Whether node was started with dynamic tiering off (`_` and `-` are the same to V8; NODE_OPTIONS cannot carry it). */
function tieringOffByUser(): boolean {
  return process.execArgv.some((w) => w.replace(/_/g, "-") === "--no-wasm-dynamic-tiering");
}

/**
 * The module's exports bound to `memory`, or null where the engine rejects it (no SIMD).
 *
 * Compiled straight to V8's optimizing tier: by default V8 first runs wasm
 * from its baseline compiler and re-compiles a function only once it is hot,
 * which for these kernels took the first 3-5 training epochs (each 1.5-2.5x
 * slower). The flag is read when a module is compiled, so it is set for this
 * compile only and restored.
 */
export function instantiate(bytes: Uint8Array, memory: WasmMemory): Record<string, unknown> | null {
  if (!WebAssembly.validate(bytes)) return null;
  // V8 has no flag getter: a user who turned tiering off (node --no-wasm-dynamic-tiering) keeps it off.
  const restore = !tieringOffByUser();
  setFlagsFromString("--no-wasm-dynamic-tiering");
  let module: object;
  try {
    module = new WebAssembly.Module(bytes);
  } finally {
    if (restore) setFlagsFromString("--wasm-dynamic-tiering");
  }
  return new WebAssembly.Instance(module, { env: { memory } }).exports;
}
