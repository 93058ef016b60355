/**
 * Composing wasm kernels inside a kernel. A kernel function receives and
 * returns TensorInfos (not Tensors): calling tf ops there would record on the
 * gradient tape and in the caller's tidy scope. So composite kernels call the
 * backend's own kernels directly, and every intermediate, untracked by the
 * engine, is freed here when the composite returns (or throws).
 */
import * as tf from "@tensorflow/tfjs";

type Inputs = Record<string, tf.TensorInfo>;

/** What a kernel function receives (tfjs types `backend` as `{}`). */
export type KernelArgs = Parameters<tf.KernelFunc>[0];
type Attrs = Record<string, unknown>;

/** The data-management part of a tfjs backend that the composites need. */
interface Disposer {
  disposeData(dataId: tf.DataId): boolean;
}

export class KernelCalls {
  private readonly temps: tf.TensorInfo[] = [];

  constructor(
    private readonly backend: KernelArgs["backend"],
    private readonly backendName: string,
  ) {}

  /** Run kernel `name` of this backend; its output is freed with the others unless returned. */
  run(name: string, inputs: Inputs, attrs: Attrs = {}): tf.TensorInfo {
    const kernel = tf.getKernel(name, this.backendName);
    if (!kernel) throw new Error(`reglab: the ${this.backendName} backend has no ${name} kernel`);
    // The registry types attrs as NamedAttrMap; our attrs are plain values of the same kinds.
    const out = kernel.kernelFunc({ inputs, backend: this.backend, attrs: attrs as tf.NamedAttrMap });
    if (Array.isArray(out)) throw new Error(`reglab: kernel ${name} returned several outputs where one was expected`);
    this.temps.push(out);
    return out;
  }

  /** Free every intermediate except `result`, and return it. */
  finish(result: tf.TensorInfo): tf.TensorInfo {
    const i = this.temps.indexOf(result);
    if (i >= 0) this.temps.splice(i, 1);
    return result;
  }

  dispose(): void {
    // Reshape and Identity outputs share their input's buffer (reference counted): each free is one decrement.
    for (const t of this.temps.splice(0)) (this.backend as unknown as Disposer).disposeData(t.dataId);
  }
}

/** Run `body` with a KernelCalls; intermediates are freed whatever happens, the returned one is kept. */
export function composite(backend: KernelArgs["backend"], backendName: string, body: (k: KernelCalls) => tf.TensorInfo): tf.TensorInfo {
  const k = new KernelCalls(backend, backendName);
  try {
    return k.finish(body(k));
  } finally {
    k.dispose();
  }
}
