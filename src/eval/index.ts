// Public face of src/eval (browser-safe): the protocols of PROTOCOLS.md as typed reports.
export {
  compileGradLatentWorld,
  type DifferentiableCost,
  type GradientBoundOptions,
  type GradLatentWorld,
  gradientBoundPlanner,
  withGradient,
} from "./gd-planner.ts";
export { compileLatentWorld, type LatentPlannerOptions, type LatentWorld } from "./latent-planner.ts";
export {
  covarianceError,
  fitLinear,
  type LinearFit,
  orthogonalityError,
  procrustes,
  svdSmall,
} from "./linear-fit.ts";
export {
  evaluateP1,
  P1_DEFAULTS,
  P1_GD_DEFAULTS,
  type P1Episode,
  type P1Report,
  type P1Settings,
  p1Groups,
} from "./p1-two-rooms.ts";
export {
  evaluateP2,
  latentP2World,
  movesToTargets,
  oracleP2World,
  P2_DEFAULTS,
  P2_QUICK,
  type P2Episode,
  type P2EpisodeSpec,
  type P2Options,
  type P2Report,
  type P2Settings,
  type P2View,
  type P2World,
  pushTPoseError,
  sampleP2Episode,
} from "./p2-push-t.ts";
export {
  buildP3Run,
  constantThenCosine,
  embedP3,
  evaluateP3,
  identifiabilityMetrics,
  P3_DEFAULTS,
  type P3Metrics,
  type P3Options,
  type P3Regulariser,
  type P3Report,
  type P3SeedResult,
  type P3Settings,
  tInterval,
} from "./p3-identifiability.ts";
export {
  evaluateP3Sweep,
  P3_METRIC_BETTER,
  P3_SWEEP_ALPHAS,
  P3_SWEEP_BASELINES,
  type P3Peak,
  type P3SweepOptions,
  type P3SweepReport,
  type P3SweepRow,
  p3SweepKey,
  p3SweepPeak,
  p3SweepTable,
  renderP3SweepHtml,
} from "./p3-sweep.ts";
export { linearProbe, type ProbeResult } from "./linear-probe.ts";
export {
  contentFeatures,
  evaluateMcJepaProbe,
  flowError,
  MC_PROBE_DEFAULTS,
  MC_PROBE_QUICK,
  type McJepaProbeReport,
  type McJepaProbeSettings,
  trainMcJepa,
} from "./mc-jepa-probe.ts";
export {
  type AugmentOptions,
  augmentView,
  endPointError,
  SPRITE_BACKGROUND,
  shortcutFeatures,
  type SpriteClipOptions,
  type SpriteClips,
  spriteClips,
  spriteMask,
} from "./mc-jepa-sprites.ts";
export {
  type BootstrapOptions,
  bootstrapMeanInterval,
  bootstrapRatioInterval,
  discordantPairs,
  mcnemarExact,
  pairedDifference,
} from "./paired-tests.ts";
export {
  applyRidge,
  classificationProbe,
  fitRidge,
  type LatentPca,
  latentPca,
  lowShotIndices,
  meanVariance,
  nearestNeighbours,
  type RegressionScore,
  type RidgeProbe,
  regressionProbe,
  regressionScore,
  rolloutErrorCurve,
  takeRows,
} from "./probes.ts";
export { meanOf, wilsonInterval } from "./stats.ts";
export { linePlot, pca2, type Series, scatterPlot } from "./svg-plot.ts";
export {
  evaluateP4,
  P4_DEFAULTS,
  P4_QUICK,
  type P4Cell,
  type P4Options,
  type P4Report,
  type P4Settings,
  p4Table,
  runStressEpisode,
} from "./p4-stress.ts";
export {
  evaluateP5,
  P5_DEFAULTS,
  P5_QUICK,
  type P5Options,
  type P5Report,
  type P5Settings,
  p5Preset,
  stackFrames,
} from "./p5-video.ts";
export {
  buildGenerativeRun,
  evaluateP6,
  firstEpisodes,
  generativeConfig,
  P6_DEFAULTS,
  type P6Model,
  type P6Options,
  type P6Report,
  type P6Run,
  type P6Settings,
  p6Table,
  trainingFlopsPerStep,
} from "./p6-generative.ts";
