// Public face of src/engine (browser-safe). Node-only parts: ./node.ts.
export { grad, valueAndGrad } from "./autodiff.ts";
export { type Backend, type Compiled, compile, type Executable, referenceBackend } from "./backend.ts";
export {
  allocate,
  type DType,
  type HostTensor,
  hostTensor,
  isFloat,
  type Storage,
  sizeOf,
  toFloat64,
} from "./dtype.ts";
export { type EmitOptions, toOnnx } from "./emit-onnx.ts";
export { type InterpretOptions, interpret } from "./interpreter.ts";
export { constant, Graph, type Node, placeholder, ShapeError, Tensor } from "./ir.ts";
export {
  importOnnx,
  type OnnxImport,
  OnnxImportError,
  type OnnxImportOptions,
  type OnnxValueInfo,
  supportedOnnxOps,
} from "./onnx-import.ts";
export { decodeModel, encodeModel } from "./onnx-proto.ts";
export * as ops from "./ops.ts";
export { type OrtBackendOptions, type OrtModule, ortBackend } from "./ort-backend.ts";
export {
  cloneTree,
  flattenTree,
  isHostTensor,
  layoutOf,
  mapTree,
  type ParamLayout,
  packTree,
  type Tree,
  unflattenTree,
  unpackSymbolic,
  unpackTree,
} from "./params.ts";
export {
  foldIn,
  type Key,
  keyFromSeed,
  normal,
  normalInto,
  permutation,
  philox,
  randint,
  split,
  uniform,
} from "./random.ts";
export { registeredOps } from "./registry.ts";
export {
  bfloat16ToFloat32,
  decodeSafetensors,
  encodeSafetensors,
  encodeSafetensorsParts,
  float16ToFloat32,
  float32ToBfloat16,
  float32ToFloat16,
  type HalfTensor,
  MAX_HEADER_BYTES,
  type SafeTensor,
  SafetensorsError,
  toFloat32Tensor,
} from "./safetensors.ts";
export { type InputSpec, type TensorRecord, type TensorSpec, type Traced, trace } from "./trace.ts";
export {
  compileTrainStep,
  type EmaOptions,
  type GraphOptimizer,
  type LossFn,
  type LossOutput,
  type StepContext,
  type TrainState,
  type TrainStep,
  type TrainStepOptions,
} from "./train-step.ts";
