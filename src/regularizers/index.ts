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
export * from "./parameter-tying";
