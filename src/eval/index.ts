// Public face of src/eval (see DESIGN.md).
export {};
