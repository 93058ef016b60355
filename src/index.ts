/**
 * reglab: the library chapter notebooks import.
 *
 * `import { seed, useBackend, tf } from "reglab"` works from any notebook
 * run on the reglab kernel.
 */
import * as tf from "@tensorflow/tfjs";

export { tf };
export { seed, getSeed, unseed, rng, type Rng } from "./random/seed";
export { useBackend, currentBackend, availableBackends, type BackendName, type BackendChoice } from "./backend";
export { publish, isHeadless, JUPYTER_DISPLAY, type MimeBundle, type DisplayContent } from "./display/transport";

// Each area keeps its own barrel so that modules can be added without
// touching this file.
export * from "./display";
export * from "./data";
export * from "./training";
export * from "./regularizers";
export * from "./ensembles";
export * from "./models";
export * from "./charts";
export * from "./frames";
export * from "./augmentation";
export * as linalg from "./linalg";
export { interruptGuard, InterruptedError } from "./runtime/interrupt";
export { clearOutput, input, StdinNotAllowedError } from "./runtime/kernel-io";
