/**
 * Choosing the TensorFlow.js backend.
 *
 * `auto` prefers native TensorFlow (tfjs-node-gpu, then tfjs-node) when it
 * is really installed, then WebAssembly (ships inside its npm package, works
 * offline), then the pure-JS cpu backend. Note that the danfojs-node install
 * recipe aliases `@tensorflow/tfjs-node` to plain tfjs, so a successful
 * `require` is not enough: the `tensorflow` backend must have registered.
 */
import * as tf from "@tensorflow/tfjs";
import path from "path";
import { patchWasmKernels } from "./wasm-kernels";

export type BackendName = "auto" | "tensorflow" | "wasm" | "cpu";

export interface BackendChoice {
  /** The backend tfjs now runs on. */
  backend: Exclude<BackendName, "auto">;
  /** One line: what was chosen and why. */
  reason: string;
}

const NAMES: readonly BackendName[] = ["auto", "tensorflow", "wasm", "cpu"];

/** Which native package provided `tensorflow`, if any (for messages). */
let nativePackage: string | null = null;
let wasmLoaded = false;

function tryNative(): { ok: true; pkg: string } | { ok: false; why: string } {
  if (tf.findBackendFactory("tensorflow")) {
    return { ok: true, pkg: nativePackage ?? "tfjs-node" };
  }
  const tried: string[] = [];
  for (const pkg of ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"]) {
    try {
      require.resolve(pkg);
    } catch {
      tried.push(`${pkg} not installed`);
      continue;
    }
    try {
      require(pkg);
    } catch (e) {
      tried.push(`${pkg} failed to load (${firstLine(e)})`);
      continue;
    }
    if (tf.findBackendFactory("tensorflow")) {
      nativePackage = pkg;
      return { ok: true, pkg };
    }
    tried.push(`${pkg} has no native binding (it is plain tfjs)`);
  }
  return { ok: false, why: tried.join("; ") };
}

function loadWasm(): void {
  if (wasmLoaded) return;
  const wasm = require("@tensorflow/tfjs-backend-wasm") as typeof import("@tensorflow/tfjs-backend-wasm");
  // Point at the .wasm files inside the installed package: no network needed.
  const dir = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"));
  wasm.setWasmPaths(dir + path.sep);
  patchWasmKernels();
  wasmLoaded = true;
}

function firstLine(e: unknown): string {
  const s = e instanceof Error ? e.message : String(e);
  return s.split("\n")[0].slice(0, 160);
}

async function activate(name: "tensorflow" | "wasm" | "cpu"): Promise<void> {
  if (name === "wasm") loadWasm();
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tfjs could not initialise the ${name} backend`);
  await tf.ready();
  if (name === "cpu") {
    // The cpu backend prints a multi-line "install tfjs-node" banner into the
    // first cell that writes a tensor; useBackend already says which backend runs.
    (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  }
}

/**
 * Switch tfjs to a backend. `auto` (the default; env `REGLAB_BACKEND`
 * overrides it) tries tensorflow (native), then wasm, then cpu, and prints
 * one line saying which it chose and why (pass `{ quiet: true }` to skip it).
 *
 * @example await useBackend()        // auto
 * @example await useBackend("cpu")   // the reference JS backend
 */
export async function useBackend(name?: BackendName, options: { quiet?: boolean } = {}): Promise<BackendChoice> {
  const requested = name ?? envBackend() ?? "auto";
  if (!NAMES.includes(requested)) {
    throw new Error(`Unknown backend "${String(requested)}". Choose one of: ${NAMES.join(", ")}.`);
  }
  let choice: BackendChoice;
  if (requested === "tensorflow") {
    const native = tryNative();
    if (!native.ok) {
      throw new Error(
        `The tensorflow backend is not available: ${native.why}. ` +
          "Install @tensorflow/tfjs-node (or -gpu, with CUDA 11.2 and cuDNN 8.1) at version 4.22.0, or use 'wasm'.",
      );
    }
    await activate("tensorflow");
    choice = { backend: "tensorflow", reason: `native TensorFlow from ${native.pkg}` };
  } else if (requested === "wasm" || requested === "cpu") {
    await activate(requested);
    choice = { backend: requested, reason: "requested" };
  } else {
    choice = await auto();
  }
  if (!options.quiet) console.log(`reglab: backend ${choice.backend} (${choice.reason})`);
  return choice;
}

async function auto(): Promise<BackendChoice> {
  const native = tryNative();
  if (native.ok) {
    try {
      await activate("tensorflow");
      return { backend: "tensorflow", reason: `auto: native TensorFlow from ${native.pkg}` };
    } catch (e) {
      return fallback(`${native.pkg} failed to start (${firstLine(e)})`);
    }
  }
  return fallback(native.why);
}

async function fallback(whyNotNative: string): Promise<BackendChoice> {
  try {
    await activate("wasm");
    return { backend: "wasm", reason: `auto: ${whyNotNative}; WebAssembly with SIMD, ${wasmThreads()} thread(s)` };
  } catch (e) {
    await activate("cpu");
    return { backend: "cpu", reason: `auto: ${whyNotNative}; wasm failed (${firstLine(e)}); pure JS cpu is slow` };
  }
}

function wasmThreads(): number {
  try {
    const wasm = require("@tensorflow/tfjs-backend-wasm") as typeof import("@tensorflow/tfjs-backend-wasm");
    return wasm.getThreadsCount();
  } catch {
    return 1;
  }
}

function envBackend(): BackendName | undefined {
  const v = process.env.REGLAB_BACKEND?.trim().toLowerCase();
  return v ? (v as BackendName) : undefined;
}

/** The backend tfjs runs on now. */
export function currentBackend(): string {
  return tf.getBackend();
}

/** Backends that can be used here, for `%backend` and error messages. */
export function availableBackends(): Array<Exclude<BackendName, "auto">> {
  const out: Array<Exclude<BackendName, "auto">> = [];
  if (tryNative().ok) out.push("tensorflow");
  try {
    require.resolve("@tensorflow/tfjs-backend-wasm");
    out.push("wasm");
  } catch {
    // not installed
  }
  out.push("cpu");
  return out;
}
