// Public API of src/augmentation: re-export each module here.
export { checkImages, type BatchTransform, type TrainBatch, type WarpOptions, type Interpolation, type FillMode } from "./images";
export * from "./random-shift";
export * from "./random-rotation";
export * from "./random-zoom";
export * from "./random-flip";
export * from "./random-noise";
export * from "./cutout";
export * from "./compose";
