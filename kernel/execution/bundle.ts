/**
 * The MIME bundle for a cell's last value (its `execute_result`): delegates
 * to src/display/rich.ts (self-rendering objects, DataFrames, tensors, text).
 */
export { toMimeBundle, type ResultBundle } from "../../src/display/rich";
