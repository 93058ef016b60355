// Public API of src/frames: re-export each module here.
export {};
