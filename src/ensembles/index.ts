// Public API of src/ensembles: re-export each module here.
export {};
