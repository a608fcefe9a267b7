import {
  type Env,
  PERTURBATIONS,
  type PerturbationKind,
  perturb,
  sampleEvalEpisode,
  TwoRooms,
} from "../envs/index.ts";
import type { LatentWorld } from "./latent-planner.ts";
import {
  type CostOf,
  P1_DEFAULTS,
  type P1Settings,
  p1Planner,
  planEpisodes,
  runP1Episode,
} from "./p1-two-rooms.ts";
import {
  bootstrapMeanInterval,
  bootstrapRatioInterval,
  discordantPairs,
  pairedDifference,
} from "./paired-tests.ts";
import { wilsonInterval } from "./stats.ts";

export interface P4Settings extends P1Settings {
  perturbations: PerturbationKind[];
  severities: number[];
  /** Held-out frames for the representation sensitivity. */
  sensitivityFrames: number;
  /** Show the planner a perturbed goal image too (the perturbation is on every observation). */
  perturbGoal: boolean;
  bootstrapResamples: number;
}

export const P4_DEFAULTS: P4Settings = {
  ...P1_DEFAULTS,
  perturbations: [...PERTURBATIONS],
  severities: [1, 2, 3, 4, 5],
  sensitivityFrames: 64,
  perturbGoal: true,
  bootstrapResamples: 2000,
};

/** P4 reduced for tests and `--quick` (report protocol "p4-stress-quick"): not a P4 result. */
export const P4_QUICK: Partial<P4Settings> = {
  episodes: 4,
  severities: [1, 3, 5],
  horizon: 10,
  population: 32,
  iterations: 3,
  elites: 4,
  sensitivityFrames: 16,
  bootstrapResamples: 500,
};

/** One (perturbation, severity) cell of the table. */
export interface P4Cell {
  perturbation: PerturbationKind;
  severity: number;
  successPerturbed: number;
  ci95Perturbed: [number, number];
  /** Perturbed minus clean success, over paired episodes. */
  difference: number;
  ci95Difference: [number, number];
  /** Two-sided exact McNemar p-value; b = clean-only successes, c = perturbed-only. */
  mcnemarP: number;
  discordant: { b: number; c: number };
  sensitivity: number;
  /** Success of each episode, in the order of `seeds`. */
  outcomes: boolean[];
}

export interface P4Report {
  protocol: string;
  settings: P4Settings;
  seeds: number[];
  metrics: Record<string, number>;
  ci95: Record<string, [number, number]>;
  clean: boolean[];
  cells: P4Cell[];
  /** Median embedding distance between different clean frames (the sensitivity's unit). */
  frameDistanceMedian: number;
}

export interface P4Options {
  /** Report name (default "p4-stress"; reduced settings should say so, e.g. "p4-stress-quick"). */
  protocol?: string;
  /** A reference model's P4 report on the same episodes: adds the relative corruption failure. */
  reference?: P4Report;
  onEpisode?: (done: number, total: number, label: string) => void;
}

interface EpisodeOutcome {
  success: boolean;
  finalDistance: number;
  steps: number;
}

const cellName = (kind: string, severity: number) => `${kind}/s${severity}`;

/** Seed of P1 episode e (as evaluateP1 draws them). */
const episodeSeed = (s: P1Settings, e: number) => s.seed * 100_000 + e;

/** Builds the episode's env: TwoRooms, perturbed when a cell is given. */
function episodeEnv(s: P4Settings, cell?: { kind: PerturbationKind; severity: number }): Env {
  const base = new TwoRooms({ size: s.imageSize });
  return cell ? perturb(base, { kind: cell.kind, severity: cell.severity, seed: s.seed }) : base;
}

/** One P1 episode, clean or through a perturbation of every observation (the goal image too when perturbGoal). */
export async function runStressEpisode(
  world: LatentWorld,
  s: P4Settings,
  e: number,
  cell?: { kind: PerturbationKind; severity: number },
  costOf: CostOf = (z0, goal) => world.costFor(z0, goal),
): Promise<EpisodeOutcome> {
  const view = cell && {
    wrap: (env: Env) => perturb(env, { kind: cell.kind, severity: cell.severity, seed: s.seed }),
    goal: s.perturbGoal,
  };
  const ep = await runP1Episode(world, s, p1Planner(s, s.imageSize / 65), e, costOf, view);
  return { success: ep.success, finalDistance: ep.finalDistance, steps: ep.steps };
}

const distance = (a: Float32Array, b: Float32Array) => {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += (a[j] - b[j]) ** 2;
  return Math.sqrt(s);
};

const median = (xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};

/** Held-out states for the sensitivity: start states of episodes after the evaluation seeds. */
function sensitivityStates(s: P4Settings): { seed: number; state: Float64Array }[] {
  return Array.from({ length: s.sensitivityFrames }, (_, i) => {
    const seed = episodeSeed(s, 50_000 + i);
    return { seed, state: sampleEvalEpisode(seed, { size: s.imageSize }).start };
  });
}

async function embedState(
  world: LatentWorld,
  env: Env,
  seed: number,
  state: Float64Array,
): Promise<Float32Array> {
  env.reset({ seed });
  env.setState(state);
  return Float32Array.from(await world.embed(env.render()));
}

/**
 * Runs P4 on a compiled latent world (see compileLatentWorld; its population and horizon must
 * match the settings). Every cell reuses the clean run's episodes, so differences are paired.
 */
export async function evaluateP4(
  world: LatentWorld,
  settings: Partial<P4Settings> = {},
  opts: P4Options = {},
): Promise<P4Report> {
  const s: P4Settings = { ...P4_DEFAULTS, ...settings };
  const { protocol = "p4-stress", reference, onEpisode } = opts;
  const total = s.episodes * (1 + s.perturbations.length * s.severities.length);
  let done = 0;
  const seeds = Array.from({ length: s.episodes }, (_, e) => episodeSeed(s, e));
  // Each cell's episodes plan in lockstep when the world has a grouped cost (planEpisodes).
  const runCell = async (cell?: { kind: PerturbationKind; severity: number }) =>
    (
      await planEpisodes(
        world,
        s,
        s.episodes,
        (e, costOf) => runStressEpisode(world, s, e, cell, costOf),
        () => onEpisode?.(++done, total, cell ? cellName(cell.kind, cell.severity) : "clean"),
      )
    ).map((o) => o.success);
  const clean = await runCell();

  // The sensitivity's unit: how far apart different clean frames sit in embedding space.
  const states = sensitivityStates(s);
  const cleanEnv = episodeEnv(s);
  const cleanZ: Float32Array[] = [];
  for (const { seed, state } of states) cleanZ.push(await embedState(world, cleanEnv, seed, state));
  const frameDistanceMedian = median(cleanZ.map((z, i) => distance(z, cleanZ[(i + 1) % cleanZ.length])));

  const cells: P4Cell[] = [];
  for (const kind of s.perturbations) {
    for (const severity of s.severities) {
      const outcomes = await runCell({ kind, severity });
      const env = episodeEnv(s, { kind, severity });
      let shift = 0;
      for (let i = 0; i < states.length; i++) {
        shift += distance(cleanZ[i], await embedState(world, env, states[i].seed, states[i].state));
      }
      const k = outcomes.filter(Boolean).length;
      const paired = pairedDifference(clean, outcomes, {
        seed: s.seed,
        resamples: s.bootstrapResamples,
      });
      cells.push({
        perturbation: kind,
        severity,
        successPerturbed: k / s.episodes,
        ci95Perturbed: wilsonInterval(k, s.episodes),
        difference: paired.difference,
        ci95Difference: paired.ci95,
        mcnemarP: paired.pValue,
        discordant: discordantPairs(clean, outcomes),
        sensitivity: shift / states.length / (frameDistanceMedian || 1),
        outcomes,
      });
    }
  }
  return summarise(protocol, s, seeds, clean, cells, frameDistanceMedian, reference);
}

/** Per-episode failure averaged over cells: mean corruption failure is their mean. */
function episodeFailures(cells: P4Cell[], episodes: number): number[] {
  return Array.from(
    { length: episodes },
    (_, e) => cells.reduce((a, c) => a + (c.outcomes[e] ? 0 : 1), 0) / Math.max(cells.length, 1),
  );
}

function summarise(
  protocol: string,
  s: P4Settings,
  seeds: number[],
  clean: boolean[],
  cells: P4Cell[],
  frameDistanceMedian: number,
  reference?: P4Report,
): P4Report {
  const n = clean.length;
  const kClean = clean.filter(Boolean).length;
  const failures = episodeFailures(cells, n);
  const mcf = failures.reduce((a, b) => a + b, 0) / Math.max(n, 1);
  const metrics: Record<string, number> = {
    success_clean: kClean / n,
    mean_corruption_failure: mcf,
    mean_sensitivity: cells.reduce((a, c) => a + c.sensitivity, 0) / Math.max(cells.length, 1),
  };
  const ci95: Record<string, [number, number]> = {
    success_clean: wilsonInterval(kClean, n),
    mean_corruption_failure: bootstrapMeanInterval(failures, {
      seed: s.seed,
      resamples: s.bootstrapResamples,
    }),
  };
  for (const c of cells) {
    const name = cellName(c.perturbation, c.severity);
    metrics[`${name}/success`] = c.successPerturbed;
    metrics[`${name}/difference`] = c.difference;
    metrics[`${name}/mcnemar_p`] = c.mcnemarP;
    metrics[`${name}/sensitivity`] = c.sensitivity;
    ci95[`${name}/success`] = c.ci95Perturbed;
    ci95[`${name}/difference`] = c.ci95Difference;
  }
  if (reference) {
    const same = reference.seeds.length === seeds.length && reference.seeds.every((v, i) => v === seeds[i]);
    if (!same)
      throw new Error("P4 reference report ran other episodes; evaluate both models with the same settings");
    const refFailures = episodeFailures(reference.cells, n);
    const refMcf = refFailures.reduce((a, b) => a + b, 0) / n;
    metrics.reference_mean_corruption_failure = refMcf;
    if (refMcf > 0) {
      metrics.relative_mean_corruption_failure = mcf / refMcf;
      ci95.relative_mean_corruption_failure = bootstrapRatioInterval(failures, refFailures, {
        seed: s.seed,
        resamples: s.bootstrapResamples,
      });
    }
    // ImageNet-C's mCE: per perturbation, summed failures over severities relative to the
    // reference's, then averaged over perturbations (perturbations the reference never fails are skipped).
    const ratios: number[] = [];
    for (const kind of s.perturbations) {
      const sum = (cs: P4Cell[]) =>
        cs.filter((c) => c.perturbation === kind).reduce((a, c) => a + 1 - c.successPerturbed, 0);
      const ref = sum(reference.cells);
      if (ref > 0) ratios.push(sum(cells) / ref);
    }
    if (ratios.length) metrics.mce = ratios.reduce((a, b) => a + b, 0) / ratios.length;
  }
  return { protocol, settings: s, seeds, metrics, ci95, clean, cells, frameDistanceMedian };
}

/** The P4 table as Markdown: one row per cell. */
export function p4Table(report: P4Report): string {
  const pct = (v: number) => `${(100 * v).toFixed(0)}%`;
  const rows = report.cells.map(
    (c) =>
      `| ${c.perturbation} | ${c.severity} | ${pct(report.metrics.success_clean)} | ${pct(c.successPerturbed)} | ${(100 * c.difference).toFixed(0)} [${(100 * c.ci95Difference[0]).toFixed(0)}, ${(100 * c.ci95Difference[1]).toFixed(0)}] | ${c.mcnemarP.toPrecision(2)} | ${c.sensitivity.toFixed(3)} |`,
  );
  return [
    "| perturbation | severity | success clean | success perturbed | difference, pts [95% CI] | McNemar p | sensitivity |",
    "|---|---|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}
