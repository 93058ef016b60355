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
export {
  publish,
  isHeadless,
  JUPYTER_DISPLAY,
  type MimeBundle,
  type DisplayContent,
} from "./display/transport";
