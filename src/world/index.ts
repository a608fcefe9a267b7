// Public face of src/world (see DESIGN.md).
export {};
