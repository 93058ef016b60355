// Public API of src/display: rich display of values (display(x), MIME bundles).
export { display, toMimeBundle, tensorText, frameTable, type ResultBundle } from "./rich";
export { CapturedOutput, type CapturedItem } from "./capture";
