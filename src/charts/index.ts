// Public API of src/charts: re-export each module here.
export {};
