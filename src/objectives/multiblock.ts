// I-JEPA's multi-block masks (Assran et al. 2023, section 3; after the reference
// facebookresearch/ijepa src/masks/multiblock.py), drawn on the host from a key:
//   1. draw one target block size (scale, aspect ratio) and one context block size per batch;
//   2. for each sample, place M target blocks at random (they may overlap each other);
//   3. place the context block and remove every target token from it;
//   4. if fewer context tokens than the run's fixed count remain, place the blocks again;
//   5. keep a random subset of fixed size of each target block and of the context, sorted.
// Step 5 is where this differs from the reference, which trims to the batch's minimum: a
// traced graph has static shapes, so the counts are fixed once per run and one graph
// serves every batch.
import { foldIn, type HostTensor, hostTensor, type Key, permutation, uniform } from "../engine/index.ts";

/** A block on the token grid, in tokens. */
export interface Block {
  top: number;
  left: number;
  height: number;
  width: number;
}

/** A block size drawn from a scale and an aspect-ratio range. */
export interface BlockSize {
  height: number;
  width: number;
  /** The drawn fraction of the grid and height / width ratio, before rounding to tokens. */
  scale: number;
  aspect: number;
}

/**
 * The block size of fraction `scale` of a gh x gw grid at aspect ratio (height / width)
 * `aspect`: h = round(sqrt(n a)), w = round(sqrt(n / a)) with n = floor(scale gh gw),
 * clipped to the grid.
 */
export function blockSize(gh: number, gw: number, scale: number, aspect: number): BlockSize {
  const n = Math.floor(gh * gw * scale);
  const height = Math.max(1, Math.min(gh, Math.round(Math.sqrt(n * aspect))));
  const width = Math.max(1, Math.min(gw, Math.round(Math.sqrt(n / aspect))));
  return { height, width, scale, aspect };
}

/** Draws a block size with scale and aspect uniform in their ranges (u: two uniforms). */
export function drawBlockSize(
  gh: number,
  gw: number,
  scale: readonly [number, number],
  aspect: readonly [number, number],
  u: ArrayLike<number>,
): BlockSize {
  const s = scale[0] + u[0] * (scale[1] - scale[0]);
  const a = aspect[0] + u[1] * (aspect[1] - aspect[0]);
  return blockSize(gh, gw, s, a);
}

/**
 * The fewest tokens any block drawn from these ranges can hold: the run's fixed count of
 * target tokens. Exact: h * w only changes where sqrt(n a) or sqrt(n / a) crosses a half
 * integer, so every aspect interval between those crossings is tried once.
 */
export function minBlockTokens(
  gh: number,
  gw: number,
  scale: readonly [number, number],
  aspect: readonly [number, number],
): number {
  let fewest = gh * gw;
  const [a0, a1] = aspect;
  for (let n = Math.floor(gh * gw * scale[0]); n <= Math.floor(gh * gw * scale[1]); n++) {
    const cuts = [a0, a1];
    for (let x = 0.5; x <= Math.max(gh, gw) + 1; x++) {
      for (const a of [(x * x) / n, n / (x * x)]) if (a > a0 && a < a1) cuts.push(a);
    }
    cuts.sort((p, q) => p - q);
    const probes = [...cuts];
    for (let i = 1; i < cuts.length; i++) probes.push((cuts[i - 1] + cuts[i]) / 2);
    for (const a of probes) {
      const s = n / (gh * gw) + 1e-12; // a scale whose floor(gh gw s) is n
      const b = blockSize(gh, gw, s, a);
      fewest = Math.min(fewest, b.height * b.width);
    }
  }
  return fewest;
}

/** Places a block of `size` uniformly on the grid (u: two uniforms). */
export function placeBlock(gh: number, gw: number, size: BlockSize, u: ArrayLike<number>): Block {
  const top = Math.floor(u[0] * (gh - size.height + 1));
  const left = Math.floor(u[1] * (gw - size.width + 1));
  return { top, left, height: size.height, width: size.width };
}

/** Row-major token indices of a block on a grid of width gw. */
export function blockTokens(block: Block, gw: number): number[] {
  const out: number[] = [];
  for (let r = block.top; r < block.top + block.height; r++) {
    for (let c = block.left; c < block.left + block.width; c++) out.push(r * gw + c);
  }
  return out;
}

/** A uniformly random subset of `count` of `tokens`, in ascending order. */
export function chooseSorted(key: Key, tokens: readonly number[], count: number): number[] {
  if (tokens.length < count) {
    throw new Error(`chooseSorted: cannot keep ${count} of ${tokens.length} tokens`);
  }
  const order = permutation(key, tokens.length);
  const kept = Array.from({ length: count }, (_, i) => tokens[order[i]]);
  return kept.sort((p, q) => p - q);
}

/** Settings of the I-JEPA multi-block sampler; the defaults are the paper's. */
export interface MultiBlockConfig {
  /** Token grid: image height / patch and width / patch. */
  gridHeight: number;
  gridWidth: number;
  /** Target blocks per sample, M (default 4). */
  numTargets?: number;
  /** Fraction of the grid per target block (default [0.15, 0.2]). */
  targetScale?: [number, number];
  /** Height / width of target blocks (default [0.75, 1.5]). */
  targetAspect?: [number, number];
  /** Fraction of the grid in the context block before targets are removed (default [0.85, 1]). */
  contextScale?: [number, number];
  /** Fixed context tokens per sample (default: the 5th percentile of a seeded pilot draw). */
  contextTokens?: number;
  /** Fixed tokens per target block (default: the fewest any target block can hold). */
  targetTokens?: number;
}

/** One batch of masks; token indices are row-major on the grid. */
export interface MultiBlockMasks {
  /** Context token indices [B, Kc], int32, disjoint from every target block. */
  context: HostTensor;
  /** Target token indices [B, M, Kt], int32; block m of sample b is row [b, m]. */
  targets: HostTensor;
  /** The blocks drawn, for tests and pictures: per sample, M targets and the context block. */
  blocks: { targets: Block[]; context: Block }[];
  targetSize: BlockSize;
  contextSize: BlockSize;
}

export interface MultiBlockSampler {
  readonly config: Required<MultiBlockConfig>;
  /** Draws masks for a batch of `batch` samples; the same key gives the same masks. */
  sample(key: Key, batch: number): MultiBlockMasks;
}

const MAX_TRIES = 1000;
const PILOT_DRAWS = 512;
const PILOT_SEED: Key = [0x1e9a, 0x2023]; // fixed: the default context count is a function of the config

/** Context tokens left after removing the targets, or undefined when fewer than `min`. */
function drawSample(
  key: Key,
  gh: number,
  gw: number,
  numTargets: number,
  targetSize: BlockSize,
  contextSize: BlockSize,
  min: number,
): { targets: Block[]; context: Block; available: number[] } | undefined {
  const u = uniform(key, 2 * numTargets + 2);
  const targets = Array.from({ length: numTargets }, (_, m) =>
    placeBlock(gh, gw, targetSize, u.subarray(2 * m, 2 * m + 2)),
  );
  const context = placeBlock(gh, gw, contextSize, u.subarray(2 * numTargets));
  const masked = new Set(targets.flatMap((b) => blockTokens(b, gw)));
  const available = blockTokens(context, gw).filter((t) => !masked.has(t));
  return available.length >= min ? { targets, context, available } : undefined;
}

/** The 5th percentile of context tokens left over a seeded pilot of independent draws. */
function defaultContextTokens(c: Omit<Required<MultiBlockConfig>, "contextTokens">): number {
  const { gridHeight: gh, gridWidth: gw, numTargets } = c;
  const counts: number[] = [];
  for (let i = 0; i < PILOT_DRAWS; i++) {
    const k = foldIn(PILOT_SEED, i);
    const u = uniform(foldIn(k, 1), 4);
    const t = drawBlockSize(gh, gw, c.targetScale, c.targetAspect, u.subarray(0, 2));
    const x = drawBlockSize(gh, gw, c.contextScale, [1, 1], u.subarray(2, 4));
    counts.push(drawSample(k, gh, gw, numTargets, t, x, 0)!.available.length);
  }
  counts.sort((p, q) => p - q);
  return Math.max(1, counts[Math.floor(0.05 * PILOT_DRAWS)]);
}

/**
 * The I-JEPA multi-block mask sampler for a gh x gw token grid, with token counts fixed for
 * the run: context [B, Kc] and targets [B, M, Kt], so one compiled graph serves every batch.
 */
export function multiBlockSampler(config: MultiBlockConfig): MultiBlockSampler {
  const {
    gridHeight: gh,
    gridWidth: gw,
    numTargets = 4,
    targetScale = [0.15, 0.2],
    targetAspect = [0.75, 1.5],
    contextScale = [0.85, 1],
  } = config;
  if (!(Number.isInteger(gh) && Number.isInteger(gw) && gh > 0 && gw > 0)) {
    throw new Error(`multiBlockSampler: the grid ${gh} x ${gw} must be positive integers`);
  }
  const base = { gridHeight: gh, gridWidth: gw, numTargets, targetScale, targetAspect, contextScale };
  const fewest = minBlockTokens(gh, gw, targetScale, targetAspect);
  const targetTokens = config.targetTokens ?? fewest;
  if (targetTokens > fewest || targetTokens < 1) {
    throw new Error(
      `multiBlockSampler: targetTokens ${targetTokens} must be in 1..${fewest}, the fewest a target block of scale [${targetScale}] holds on a ${gh} x ${gw} grid`,
    );
  }
  const contextTokens = config.contextTokens ?? defaultContextTokens({ ...base, targetTokens });
  const resolved: Required<MultiBlockConfig> = { ...base, targetTokens, contextTokens };

  return {
    config: resolved,
    sample(key, batch) {
      // 1. One target size and one (square) context size for the whole batch.
      const u = uniform(foldIn(key, 0x5135), 4);
      const targetSize = drawBlockSize(gh, gw, targetScale, targetAspect, u.subarray(0, 2));
      const contextSize = drawBlockSize(gh, gw, contextScale, [1, 1], u.subarray(2, 4));
      const context = new Int32Array(batch * contextTokens);
      const targets = new Int32Array(batch * numTargets * targetTokens);
      const blocks: MultiBlockMasks["blocks"] = [];
      for (let b = 0; b < batch; b++) {
        const sampleKey = foldIn(key, b);
        // 2-4. Place targets and context until enough context tokens remain.
        let drawn: ReturnType<typeof drawSample>;
        for (let attempt = 0; !drawn; attempt++) {
          if (attempt === MAX_TRIES) {
            throw new Error(
              `multiBlockSampler: no placement left ${contextTokens} context tokens in ${MAX_TRIES} tries; lower contextTokens`,
            );
          }
          drawn = drawSample(
            foldIn(sampleKey, 2 * attempt),
            gh,
            gw,
            numTargets,
            targetSize,
            contextSize,
            contextTokens,
          );
        }
        // 5. Fixed-size random subsets, sorted.
        const choiceKey = foldIn(sampleKey, 2 * MAX_TRIES + 1);
        context.set(
          chooseSorted(foldIn(choiceKey, numTargets), drawn.available, contextTokens),
          b * contextTokens,
        );
        drawn.targets.forEach((block, m) => {
          const kept = chooseSorted(foldIn(choiceKey, m), blockTokens(block, gw), targetTokens);
          targets.set(kept, (b * numTargets + m) * targetTokens);
        });
        blocks.push({ targets: drawn.targets, context: drawn.context });
      }
      return {
        context: hostTensor([batch, contextTokens], context, "int32"),
        targets: hostTensor([batch, numTargets, targetTokens], targets, "int32"),
        blocks,
        targetSize,
        contextSize,
      };
    },
  };
}
