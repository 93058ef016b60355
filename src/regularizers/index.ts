// Public API of src/regularizers: re-export each module here.
export {};
