// Timing helpers shared by the benchmark workloads (same method as ../shared/reference/workloads.py).

export interface Timing {
  ms_median: number;
  ms_min: number;
  ms_max: number;
  reps: number;
  samples: number[];
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Runs `fn` `warmup` times untimed, then `reps` times timed. */
export async function timed(fn: () => Promise<unknown> | unknown, reps: number, warmup = 2): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return {
    ms_median: median(samples),
    ms_min: Math.min(...samples),
    ms_max: Math.max(...samples),
    reps,
    samples,
  };
}

/** A benchmark workload: `setup` builds everything once and returns the function one call times. */
export interface Workload {
  name: string;
  /** Calls of `run` per timed rep block relative to the reference (predictor_batch uses 20x). */
  repsScale?: number;
  /** Timed calls per round regardless of --reps (slow workloads). */
  fixedReps?: number;
  /** false: there is no PyTorch counterpart in ../shared/reference/workloads.py. */
  reference?: boolean;
  /** The PyTorch workload to time beside this one when its name differs (a floor or a variant). */
  referenceName?: string;
  /** Work items per call, to report a rate (e.g. frames per second). */
  units?: { name: string; perRun: number };
  setup(): Promise<{ run: () => Promise<unknown>; release(): Promise<void> }>;
}
