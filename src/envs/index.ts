// Public face of src/envs (see DESIGN.md).
export {};
