// Public API of src/regularizers: re-export each module here.
export {};
export * from "./dropout";
export * from "./mc-dropout";
export * from "./subnetworks";
export * from "./norm-penalties";
export * from "./weight-decay";
export * from "./constraints";
export * from "./noise";
export * from "./label-smoothing";
export * from "./activity";
export * from "./adversarial";
export * from "./semi-supervised";
export * from "./batch-norm";
export * from "./tangent-prop";
export * from "./label-noise";
export * from "./parameter-tying";
