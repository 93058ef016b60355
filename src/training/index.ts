// Public API of src/training: re-export each module here.
export {};
