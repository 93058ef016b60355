// Public API of src/data: re-export each module here.
export {};
