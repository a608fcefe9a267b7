// Public face of src/envs (see DESIGN.md): the env contract, the worlds of PROTOCOLS.md,
// their data policies, factors of variation and pixel perturbations. Browser-safe.

export {
  BouncingSprites,
  type BouncingSpritesOptions,
  type SpriteAppearance,
  type SpriteShape,
} from "./bouncing-sprites.ts";
export { type CheckEnvOptions, checkEnv } from "./check-env.ts";
export type {
  ActionSpace,
  Env,
  FactorSpec,
  FactorValue,
  ObservationSpace,
  ResetOptions,
  ResetResult,
  StepResult,
} from "./env.ts";
export { resolveFactors } from "./env.ts";
export {
  type CouplingFlow,
  couplingFlow,
  type GaussianLatentBatch,
  type GaussianLatentOptions,
  generalisedNormal,
  logGamma,
  MIXINGS,
  type Mixing,
  mixLatent,
  sampleGaussianLatent,
} from "./gaussian-latent.ts";
export {
  FACTOR_PERTURBATIONS,
  type FactorPerturbation,
  PERTURBATIONS,
  type PerturbationKind,
  type PerturbFrameOptions,
  type PerturbOptions,
  PIXEL_PERTURBATIONS,
  type PixelPerturbation,
  perturb,
  perturbedFactors,
  perturbFrame,
  SEVERITY,
  shiftColour,
} from "./perturb.ts";
export {
  MAZES,
  POINT_MAZE_PHYSICS,
  PointMaze,
  type PointMazeOptions,
  pointMazeExplorer,
  pointMazeSuccess,
} from "./point-maze.ts";
export { type Policy, type PolicyFactory, uniformPolicy } from "./policy.ts";
export {
  blockToWorld,
  distanceToT,
  PUSH_T,
  PushT,
  type PushTOptions,
  pushTSuccess,
  T_BOXES,
  T_OUTLINE,
} from "./push-t.ts";
export { type PushTPusherOptions, pushTPusher } from "./push-t-pusher.ts";
export { deriveSeed, mix32, Random, wrapAngle } from "./random.ts";
export { toRgb } from "./raster.ts";
export {
  ENV_NAMES,
  type EnvName,
  type EnvOptionsByName,
  makeEnv,
  makePolicy,
  POLICY_NAMES,
  type PolicyName,
} from "./registry.ts";
export {
  generateShapes,
  SHAPE_AREAS,
  SHAPE_CLASSES,
  SHAPE_INSIDE,
  Shapes,
  type ShapesDataset,
  type ShapesOptions,
} from "./shapes.ts";
export {
  moveWithContact,
  P1,
  roomOf,
  TwoRooms,
  type TwoRoomsOptions,
  twoRoomsObstacles,
  twoRoomsSuccess,
} from "./two-rooms.ts";
export { P1_BUDGET, sampleEvalEpisode, type TwoRoomsEvalEpisode } from "./two-rooms-eval.ts";
export { type TwoRoomsExplorerOptions, twoRoomsExplorer } from "./two-rooms-explorer.ts";
