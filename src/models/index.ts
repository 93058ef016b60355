// Public API of src/models: re-export each module here.
export {};
export * from "./mlp";
export * from "./multitask";
export * from "./parameter-count";
