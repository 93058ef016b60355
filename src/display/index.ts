// Public API of src/display: rich display of values (display(x), MIME bundles).
export { display, toMimeBundle, tensorText, type ResultBundle } from "./rich";
export { registerRenderer, type ValueRenderer } from "./renderers";
export { CapturedOutput, type CapturedItem } from "./capture";
