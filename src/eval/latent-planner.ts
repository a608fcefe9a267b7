// A trained world model as a planner's world: compiled graphs that embed one observation and
// score a population of action sequences by the distance of their predicted final embedding
// to a goal embedding. Parameters are baked into the graphs as constants.
import {
  type Backend,
  compile,
  constant,
  type HostTensor,
  hostTensor,
  mapTree,
  type Tensor,
  type Tree,
} from "../engine/index.ts";
import { type CostAccumulation, type CostFn, compileRolloutCost } from "../planners/index.ts";
import { encode, predict, type WorldModelConfig, type WorldModelParams } from "../world/index.ts";

export interface LatentPlannerOptions {
  population: number;
  horizon: number;
  backend: Backend;
  /** Score the final predicted embedding ("final", default) or the sum over the horizon ("sum"). */
  accumulate?: CostAccumulation;
}

export interface LatentWorld {
  /** How the cost scores a rollout: the final embedding's distance, or the sum over the horizon. */
  readonly accumulate?: CostAccumulation;
  embed(observation: Uint8Array): Promise<Float32Array>;
  costFor(z0: Float32Array, goal: Float32Array): CostFn;
  release(): Promise<void>;
}

export async function compileLatentWorld(
  params: Tree<HostTensor>,
  config: WorldModelConfig,
  opts: LatentPlannerOptions,
): Promise<LatentWorld> {
  const { population, horizon, backend, accumulate } = opts;
  const constants = () => mapTree(params, (t) => constant(t)) as unknown as WorldModelParams<Tensor>;
  const [c, h, w] = config.observation;
  const encoder = await compile(
    (i) => encode(constants(), i.obs, config),
    { obs: { shape: [1, c, h, w] } },
    backend,
  );
  let inGraph: WorldModelParams<Tensor> | undefined;
  const cost = await compileRolloutCost(
    (z, a) => {
      inGraph ??= constants();
      return predict(inGraph, z, a, config);
    },
    { population, horizon, actionDim: config.actionDim, latentShape: [config.embedDim], backend, accumulate },
  );
  return {
    accumulate: accumulate ?? "final",
    async embed(observation) {
      const x = hostTensor(
        [1, c, h, w],
        Float32Array.from(observation, (v) => v / 255),
      );
      return (await encoder.run({ obs: x })).output.data as Float32Array;
    },
    costFor: (z0, goal) => cost.costFor(z0, goal),
    async release() {
      await encoder.release();
      await cost.release();
    },
  };
}
