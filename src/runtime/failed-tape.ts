/**
 * Cleaning up after a gradient computation whose function throws.
 *
 * tfjs keeps the tensors each taped op saves for its backward pass outside
 * every tidy scope and disposes them only at the end of the backward pass
 * (tfjs-core `Engine.gradients`). When the forward function throws, the tape
 * is dropped with those tensors still alive: every failed step of a training
 * loop leaks them. `recordTape()` called inside the forward function remembers
 * the active tape; `releaseTape()` in the error path disposes what it saved.
 */
import * as tf from "@tensorflow/tfjs";

interface TapeNode {
  saved?: tf.Tensor[];
}
/** The part of tfjs-core's engine state used here (not in the public typings). */
interface EngineWithTape {
  state?: { activeTape?: TapeNode[] | null };
}

/** The tape being recorded right now (call it from inside the function being differentiated). */
export function recordTape(): TapeNode[] | null {
  return (tf.engine() as unknown as EngineWithTape).state?.activeTape ?? null;
}

/** Dispose the tensors a dropped tape saved for a backward pass that never ran. */
export function releaseTape(tape: TapeNode[] | null): void {
  if (!tape) return;
  for (const node of tape) if (node.saved) tf.dispose(node.saved);
}
