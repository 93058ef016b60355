/**
 * One cell as a notebook stores it: the client runs the code and hands over
 * the request's iopub messages; an OutputCollector turns them into nbformat
 * outputs as they arrive. The protocol client knows nothing of notebooks —
 * this is the seam between the two.
 */
import { ExecuteAbortedError, type ExecuteOptions, type ExecuteReply, KernelClient, TimeoutError } from "../protocol/client";
import { DisplayRegistry, NbOutput, OutputCollector, finalizeOutputs } from "./outputs";

export interface CellResult extends ExecuteReply {
  outputs: NbOutput[];
}

export interface CellOptions extends Omit<ExecuteOptions, "onIopub"> {
  /** Each output as it is created or grows (a stream output is reported again as text is appended). */
  onOutput?: (o: NbOutput) => void;
  /** Where display_ids live; default: one registry per client, shared by all its cells (one notebook run). */
  displays?: DisplayRegistry;
}

/** The client's timeout or abort, with the cell's outputs: `outputs` so far (live), `settled` when it ends. */
export class CellWaitError extends Error {
  constructor(
    readonly reason: "timeout" | "aborted",
    readonly outputs: NbOutput[],
    readonly settled: Promise<CellResult>,
    readonly waitError: TimeoutError | ExecuteAbortedError,
  ) {
    super(waitError.message);
    this.name = "CellWaitError";
  }
}

const registries = new WeakMap<KernelClient, DisplayRegistry>();

/** The display_id registry a client's cells share by default. */
export function displaysOf(kc: KernelClient): DisplayRegistry {
  let r = registries.get(kc);
  if (!r) registries.set(kc, (r = new DisplayRegistry()));
  return r;
}

/**
 * Run `code` and build its outputs. Rejects as `kc.execute` does, except that
 * a timeout or abort becomes a {@link CellWaitError} carrying the outputs.
 */
export async function executeCell(kc: KernelClient, code: string, opts: CellOptions = {}): Promise<CellResult> {
  const { onOutput, displays, ...rest } = opts;
  const collector = new OutputCollector(displays ?? displaysOf(kc), onOutput);
  const withOutputs = (r: ExecuteReply): CellResult => ({ ...r, outputs: finalizeOutputs(collector.outputs) });
  try {
    return withOutputs(await kc.execute(code, { ...rest, onIopub: (m) => collector.handle(m) }));
  } catch (e) {
    if ((e instanceof TimeoutError || e instanceof ExecuteAbortedError) && e.settled) {
      const reason = e instanceof TimeoutError ? "timeout" : "aborted";
      const settled = e.settled.then(withOutputs);
      // A caller may walk away from a cell it stopped waiting for; if the kernel then dies, that is
      // reported through kc.exited, so this copy of the rejection needs no handler of its own.
      settled.catch(() => undefined);
      throw new CellWaitError(reason, collector.outputs, settled, e);
    }
    throw e;
  }
}
