// Public API of src/training: re-export each module here.
export * from "./train";
export * from "./callbacks";
export * from "./history";
export * from "./losses";
export * from "./optimizers";
export * from "./early-stopping";
