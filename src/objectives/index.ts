// Public face of src/objectives (see DESIGN.md).
export {};
