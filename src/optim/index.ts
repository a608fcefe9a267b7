// Public face of src/optim (see DESIGN.md).
export {};
