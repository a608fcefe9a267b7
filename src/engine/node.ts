// Node-only public face of src/engine (file system, native runtime). index.ts stays
// browser-safe; code that needs Node imports from here.
export { writeFileAtomic } from "./atomic-file.ts";
export { importOnnxFile } from "./onnx-import-file.ts";
export { checkProcessSettings, nodeBackend } from "./ort-node.ts";
export { loadSafetensors, saveSafetensors } from "./safetensors-file.ts";
