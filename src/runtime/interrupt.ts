/**
 * Cooperative interruption for long async work (training loops, sweeps).
 *
 * A kernel interrupt stops a synchronous loop (SIGINT) or abandons the
 * cell's pending await, but an async loop such as `await train(...)` would
 * go on in the background, printing into later cells and holding the CPU.
 * The kernel therefore counts interrupts on a global; long loops take a
 * guard when they start and call it once per step, so they stop at the
 * next step boundary with the model in a consistent state.
 */

const COUNTER = Symbol.for("reglab.interrupts");

type Holder = Record<symbol, number | undefined>;

/** How many interrupts the kernel has delivered in this process. */
export function interruptCount(): number {
  return (globalThis as unknown as Holder)[COUNTER] ?? 0;
}

/** Called by the kernel (or a test) to interrupt running guarded loops. */
export function requestInterrupt(): void {
  const g = globalThis as unknown as Holder;
  g[COUNTER] = (g[COUNTER] ?? 0) + 1;
}

export class InterruptedError extends Error {
  constructor(what: string) {
    super(`${what} was interrupted`);
    this.name = "InterruptedError";
  }
}

/**
 * A check to call once per step: it throws InterruptedError when an
 * interrupt arrived after the guard was taken.
 *
 * @example const check = interruptGuard("training"); for (...) { step(); check(); }
 */
export function interruptGuard(what: string): () => void {
  const start = interruptCount();
  return () => {
    if (interruptCount() !== start) throw new InterruptedError(what);
  };
}
