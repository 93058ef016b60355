// Public API of src/data: re-export each module here.
export type { LabeledData, GeneratorOptions } from "./types";
export * from "./two-moons";
export * from "./circles";
export * from "./spirals";
export * from "./xor";
export * from "./blobs";
export * from "./regularization-exercise";
export * from "./d2l-linear";
export * from "./polynomial";
export * from "./digits";
export { trainTestSplit, type XY } from "./split";
export * from "./standardize";
export * from "./one-hot";
export * from "./batches";
export * from "./related-tasks";
export { type ImageSet, type ImagePart, type ImageSetOptions } from "./image-sets";
export * from "./mnist";
export * from "./fashion-mnist";
