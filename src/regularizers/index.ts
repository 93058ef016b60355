// Public API of src/regularizers: re-export each module here.
export {};
export * from "./dropout";
export * from "./mc-dropout";
export * from "./subnetworks";
