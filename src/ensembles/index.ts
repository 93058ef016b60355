// Public API of src/ensembles: re-export each module here.
export * from "./bootstrap";
export * from "./error-analysis";
export * from "./bagging";
