// compileTrainStep: one ONNX graph per training step. Parameters, optimizer moments and the
// batch go in; new parameters, new moments, the loss and its named terms come out.
//   1. Trace: unpack the flat parameter buffer into the user's tree (slice + reshape views).
//   2. Forward: the loss function returns { loss, terms }.
//   3. Backward: gradients of each leaf, concatenated into one flat [P] gradient.
//   4. Update: the optimizer (graph code) maps params, grads and its state to new ones.
//   5. EMA (optional): a running average of a contiguous subtree (a JEPA target encoder).

import { grad } from "./autodiff.ts";
import type { Backend, Executable } from "./backend.ts";
import type { HostTensor } from "./dtype.ts";
import type { Tensor } from "./ir.ts";
import { add, concat, mul, reshape, slice, sub } from "./ops.ts";
import {
  layoutOf,
  type ParamLayout,
  packTree,
  type Tree,
  unflattenTree,
  unpackSymbolic,
  unpackTree,
} from "./params.ts";
import { type InputSpec, type TensorRecord, trace } from "./trace.ts";

/** What a loss function sees besides its parameters and batch. */
export interface StepContext {
  /** The 1-based step number as a float32 scalar (for schedules). */
  step: Tensor;
  /** The EMA tree, when the step keeps one (e.g. I-JEPA's target encoder). */
  ema?: Tree<Tensor>;
}

export interface LossOutput {
  loss: Tensor;
  terms?: Record<string, Tensor>;
}

export type LossFn = (params: Tree<Tensor>, batch: TensorRecord, ctx: StepContext) => LossOutput;

/** An optimizer written as graph code over flat [P] buffers (see src/optim). */
export interface GraphOptimizer {
  /** Names of its per-parameter state buffers, each [P] float32 and zero at the start. */
  slots: string[];
  update(args: {
    params: Tensor;
    grads: Tensor;
    state: Record<string, Tensor>;
    step: Tensor;
    layout: ParamLayout;
  }): { params: Tensor; state: Record<string, Tensor>; terms?: Record<string, Tensor> };
}

export interface EmaOptions {
  /** Top-level key of the parameter tree to average (its leaves are contiguous in the buffer). */
  of: string;
  /** Momentum as graph code of the step, e.g. linear 0.996 -> 1 (src/optim). */
  momentum: (step: Tensor) => Tensor;
}

export interface TrainStepOptions {
  backend: Backend;
  ema?: EmaOptions;
}

/** The complete state of a training step, for checkpoints (copies, safe to keep). */
export interface TrainState {
  step: number;
  params: Float32Array;
  slots: Record<string, Float32Array>;
  ema?: Float32Array;
}

export interface TrainStep {
  readonly layout: ParamLayout;
  readonly step: number;
  /** Runs one step on a batch; parameters and state are updated in place. */
  run(batch: Record<string, HostTensor>): Promise<{ loss: number; terms: Record<string, number> }>;
  /** The current parameters as a tree of host tensors (views; copy before the next run to keep them). */
  params(): Tree<HostTensor>;
  emaParams(): Tree<HostTensor> | undefined;
  getState(): TrainState;
  setState(state: TrainState): void;
  release(): Promise<void>;
}

function emaRange(layout: ParamLayout, key: string): { start: number; end: number; layout: ParamLayout } {
  const entries = layout.entries.filter((e) => e.path === key || e.path.startsWith(`${key}.`));
  if (entries.length === 0) throw new Error(`ema.of: the parameter tree has no key "${key}"`);
  const start = entries[0].offset;
  const last = entries[entries.length - 1];
  const end = last.offset + last.size;
  const sub = entries.map((e) => ({ ...e, path: e.path.slice(key.length + 1), offset: e.offset - start }));
  return { start, end, layout: { entries: sub, total: end - start } };
}

/** Compiles loss + gradient + optimizer update (+ EMA) into one graph on `backend`. */
export async function compileTrainStep(
  lossFn: LossFn,
  initialParams: Tree<HostTensor>,
  optimizer: GraphOptimizer,
  batchSpec: InputSpec,
  opts: TrainStepOptions,
): Promise<TrainStep> {
  const { backend, ema } = opts;
  const layout = layoutOf(initialParams);
  const P = layout.total;
  const template = initialParams;
  const range = ema ? emaRange(layout, ema.of) : undefined;
  const emaTemplate = ema ? (initialParams as Record<string, Tree<HostTensor>>)[ema.of] : undefined;
  for (const reserved of ["params", "step", "ema", ...optimizer.slots.map((s) => `slot_${s}`)]) {
    if (reserved in batchSpec)
      throw new Error(`batch input "${reserved}" clashes with a train-step input; rename it`);
  }

  let termNames: string[] = [];
  const spec: InputSpec = { params: { shape: [P] }, step: { shape: [] }, ...batchSpec };
  for (const s of optimizer.slots) spec[`slot_${s}`] = { shape: [P] };
  if (range) spec.ema = { shape: [range.end - range.start] };

  const traced = trace((inputs) => {
    const leaves = layout.entries.map((e) =>
      reshape(slice(inputs.params, 0, e.offset, e.offset + e.size), e.shape),
    );
    const tree = unflattenTree(template, leaves) as Tree<Tensor>;
    const batch: TensorRecord = {};
    for (const k of Object.keys(batchSpec)) batch[k] = inputs[k];
    const emaTree = range ? unpackSymbolic(inputs.ema, range.layout, emaTemplate!) : undefined;
    const { loss, terms = {} } = lossFn(tree, batch, { step: inputs.step, ema: emaTree });
    if (loss.size !== 1)
      throw new Error(`the loss must be a scalar but has shape [${loss.shape}]; reduce it with .mean()`);
    const scalarLoss = reshape(loss, []);
    const leafGrads = grad(scalarLoss, leaves);
    const flatGrad = concat(
      leafGrads.map((g) => reshape(g, [-1])),
      0,
    );
    const state: Record<string, Tensor> = {};
    for (const s of optimizer.slots) state[s] = inputs[`slot_${s}`];
    const upd = optimizer.update({
      params: inputs.params,
      grads: flatGrad,
      state,
      step: inputs.step,
      layout,
    });
    const outputs: TensorRecord = { new_params: upd.params, loss: scalarLoss };
    for (const s of optimizer.slots) outputs[`new_slot_${s}`] = upd.state[s];
    if (range && ema) {
      const m = ema.momentum(inputs.step);
      const source = slice(upd.params, 0, range.start, range.end);
      outputs.new_ema = add(mul(inputs.ema, m), mul(source, sub(1, m)));
    }
    const allTerms = { ...terms, ...(upd.terms ?? {}) };
    termNames = Object.keys(allTerms);
    for (const [k, v] of Object.entries(allTerms)) outputs[`term_${k}`] = reshape(v, []);
    return outputs;
  }, spec);
  const exe: Executable = await backend.load(traced);

  // Double-buffered state: inputs of one run are never outputs of the same run (ENGINE-NOTES pitfall 7).
  const host = (data: Float32Array): HostTensor => ({ shape: [data.length], dtype: "float32", data });
  let params: Float32Array = packTree(initialParams, layout);
  let slots: Record<string, Float32Array> = Object.fromEntries(
    optimizer.slots.map((s) => [s, new Float32Array(P)]),
  );
  let emaBuf: Float32Array | undefined = range ? params.slice(range.start, range.end) : undefined;
  let spare = {
    params: new Float32Array(P),
    slots: Object.fromEntries(optimizer.slots.map((s) => [s, new Float32Array(P)])) as Record<
      string,
      Float32Array
    >,
    ema: range ? new Float32Array(range.end - range.start) : undefined,
  };
  let step = 0;
  const stepTensor: HostTensor = { shape: [], dtype: "float32", data: new Float32Array(1) };

  return {
    layout,
    get step() {
      return step;
    },
    async run(batch) {
      (stepTensor.data as Float32Array)[0] = step + 1;
      const feeds: Record<string, HostTensor> = { ...batch, params: host(params), step: stepTensor };
      for (const s of optimizer.slots) feeds[`slot_${s}`] = host(slots[s]);
      if (emaBuf) feeds.ema = host(emaBuf);
      const outputs: Record<string, HostTensor> = { new_params: host(spare.params) };
      for (const s of optimizer.slots) outputs[`new_slot_${s}`] = host(spare.slots[s]);
      if (spare.ema) outputs.new_ema = host(spare.ema);
      const result = await exe.run(feeds, outputs);
      const old = { params, slots, ema: emaBuf };
      params = result.new_params.data as Float32Array;
      slots = Object.fromEntries(
        optimizer.slots.map((s) => [s, result[`new_slot_${s}`].data as Float32Array]),
      );
      emaBuf = range ? (result.new_ema.data as Float32Array) : undefined;
      spare = old as typeof spare;
      step++;
      const terms: Record<string, number> = {};
      for (const k of termNames) terms[k] = Number(result[`term_${k}`].data[0]);
      return { loss: Number(result.loss.data[0]), terms };
    },
    params: () => unpackTree(params, layout, template),
    emaParams: () => (range && emaBuf ? unpackTree(emaBuf, range.layout, emaTemplate!) : undefined),
    getState: () => ({
      step,
      params: params.slice(),
      slots: Object.fromEntries(Object.entries(slots).map(([k, v]) => [k, v.slice()])),
      ema: emaBuf?.slice(),
    }),
    setState(state) {
      if (state.params.length !== P) {
        throw new Error(
          `state has ${state.params.length} parameters but this model has ${P}; check the config`,
        );
      }
      step = state.step;
      params = state.params.slice();
      for (const s of optimizer.slots) {
        if (!state.slots[s]) throw new Error(`state lacks optimizer slot "${s}"`);
        slots[s] = state.slots[s].slice();
      }
      if (range) {
        if (!state.ema) throw new Error("state lacks the EMA buffer this step keeps");
        emaBuf = state.ema.slice();
      }
    },
    release: () => exe.release(),
  };
}
