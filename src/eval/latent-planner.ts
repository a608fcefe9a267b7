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
import {
  type CostAccumulation,
  type CostFn,
  compileGroupedCost,
  compileRolloutCost,
  type GroupedCost,
  type LatentStep,
} from "../planners/index.ts";
import { encode, predict, type WorldModelConfig, type WorldModelParams } from "../world/index.ts";

export interface LatentPlannerOptions {
  population: number;
  horizon: number;
  backend: Backend;
  /** Score the final predicted embedding ("final", default) or the sum over the horizon ("sum"). */
  accumulate?: CostAccumulation;
  /**
   * Also compile a cost that scores this many planning problems (episodes) in one graph run
   * (`grouped`), for evaluations that plan several episodes in lockstep. Default 1 (none).
   */
  groups?: number;
}

export interface LatentWorld {
  /** How the cost scores a rollout: the final embedding's distance, or the sum over the horizon. */
  readonly accumulate?: CostAccumulation;
  embed(observation: Uint8Array): Promise<Float32Array>;
  costFor(z0: Float32Array, goal: Float32Array): CostFn;
  /** The same cost for `groups` problems per graph run (see CostBatcher), when compiled with groups > 1. */
  readonly grouped?: GroupedCost;
  release(): Promise<void>;
}

export async function compileLatentWorld(
  params: Tree<HostTensor>,
  config: WorldModelConfig,
  opts: LatentPlannerOptions,
): Promise<LatentWorld> {
  const { population, horizon, backend, accumulate, groups = 1 } = opts;
  const constants = () => mapTree(params, (t) => constant(t)) as unknown as WorldModelParams<Tensor>;
  const [c, h, w] = config.observation;
  const encoder = await compile(
    (i) => encode(constants(), i.obs, config),
    { obs: { shape: [1, c, h, w] } },
    backend,
  );
  // One set of graph constants per compiled graph.
  const stepFn = (): LatentStep => {
    let inGraph: WorldModelParams<Tensor> | undefined;
    return (z, a) => {
      inGraph ??= constants();
      return predict(inGraph, z, a, config);
    };
  };
  const costOptions = {
    population,
    horizon,
    actionDim: config.actionDim,
    latentShape: [config.embedDim],
    backend,
    accumulate,
  };
  const cost = await compileRolloutCost(stepFn(), costOptions);
  const grouped = groups > 1 ? await compileGroupedCost(stepFn(), { ...costOptions, groups }) : undefined;
  // Episodes planned in lockstep embed concurrently: one encoder run at a time.
  let queue: Promise<unknown> = Promise.resolve();
  return {
    accumulate: accumulate ?? "final",
    grouped,
    embed(observation) {
      const x = hostTensor(
        [1, c, h, w],
        Float32Array.from(observation, (v) => v / 255),
      );
      const next = queue.then(async () => (await encoder.run({ obs: x })).output.data as Float32Array);
      queue = next.catch(() => undefined);
      return next;
    },
    costFor: (z0, goal) => cost.costFor(z0, goal),
    async release() {
      await encoder.release();
      await cost.release();
      await grouped?.release();
    },
  };
}
