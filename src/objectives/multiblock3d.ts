// V-JEPA's 3-D multi-block masks (Bardes et al. 2024, section 3.2; after the reference
// facebookresearch/jepa src/masks/multiblock3d.py). A clip of T frames in tubelets of 2 is
// a duration x gh x gw token grid. Each mask kind is drawn on its own:
//   1. draw one block size per batch (spatial scale and aspect ratio, temporal extent);
//   2. for each sample, place N blocks at random; the target is the union of the blocks;
//   3. the context is every other token (so context and target are complements);
//   4. if either has fewer tokens than the run's fixed count, place the blocks again;
//   5. keep a random subset of fixed size of each, sorted.
// The paper's defaults are two kinds: "short_range", 8 blocks of spatial scale 0.15, and
// "long_range", 2 blocks of 0.7, both spanning every frame. As in multiblock.ts, counts are
// fixed once per run (the reference trims to each batch's minimum) so one graph serves a run.
import { foldIn, type HostTensor, hostTensor, type Key, uniform } from "../engine/index.ts";
import {
  type Block,
  type BlockSize,
  blockTokens,
  chooseSorted,
  drawBlockSize,
  placeBlock,
} from "./multiblock.ts";

/** One kind of 3-D mask. */
export interface TubeMaskSpec {
  /** Names the loss term of this kind, e.g. "short_range". */
  name: string;
  /** Blocks per sample whose union is the target. */
  numBlocks: number;
  /** Fraction of the spatial grid per block. */
  spatialScale: [number, number];
  /** Height / width of a block (default [0.75, 1.5]). */
  aspect?: [number, number];
  /** Fraction of the tubelets a block spans (default [1, 1]: the full clip). */
  temporalScale?: [number, number];
  /** Fixed counts (default: the 5th percentile of a seeded pilot draw). */
  contextTokens?: number;
  targetTokens?: number;
}

/** The mask kinds of V-JEPA: 8 blocks at 0.15 and 2 at 0.7, over the full temporal extent. */
export const VJEPA_MASKS: readonly TubeMaskSpec[] = [
  { name: "short_range", numBlocks: 8, spatialScale: [0.15, 0.15] },
  { name: "long_range", numBlocks: 2, spatialScale: [0.7, 0.7] },
];

export interface MultiBlock3dConfig {
  /** Tubelets per clip: frames / tubelet size. */
  duration: number;
  gridHeight: number;
  gridWidth: number;
  masks?: readonly TubeMaskSpec[];
}

/** A block of tubelets: a 2-D block spanning tubelets start .. start + length - 1. */
export interface TubeBlock extends Block {
  start: number;
  length: number;
}

/** One kind's masks for a batch; token index = tubelet * gh * gw + row * gw + column. */
export interface TubeMasks {
  name: string;
  /** Context token indices [B, Kc], int32. */
  context: HostTensor;
  /** Target token indices [B, Kt], int32, disjoint from the context. */
  targets: HostTensor;
  size: BlockSize & { length: number };
  blocks: TubeBlock[][];
}

export interface MultiBlock3dSampler {
  /** Each kind with its fixed counts resolved. */
  readonly masks: (Required<TubeMaskSpec> & { contextTokens: number; targetTokens: number })[];
  readonly duration: number;
  readonly gridHeight: number;
  readonly gridWidth: number;
  /** Draws every kind's masks for a batch; the same key gives the same masks. */
  sample(key: Key, batch: number): TubeMasks[];
}

const MAX_TRIES = 1000;
const PILOT_DRAWS = 256;
const PILOT_SEED: Key = [0x3d3d, 0x2024];

type Grid = { duration: number; gh: number; gw: number };

/** Draws a block size: spatial (scale, aspect) and a temporal length (u: three uniforms). */
function drawTubeSize(g: Grid, spec: Required<TubeMaskSpec>, u: ArrayLike<number>) {
  const size = drawBlockSize(g.gh, g.gw, spec.spatialScale, spec.aspect, [u[0], u[1]]);
  const [t0, t1] = spec.temporalScale;
  const length = Math.max(1, Math.floor(g.duration * (t0 + u[2] * (t1 - t0))));
  return { ...size, length };
}

/** Places the blocks; returns them with the target (union) and context (complement) tokens. */
function placeTubes(key: Key, g: Grid, size: BlockSize & { length: number }, numBlocks: number) {
  const u = uniform(key, 3 * numBlocks);
  const plane = g.gh * g.gw;
  const masked = new Uint8Array(g.duration * plane);
  const blocks: TubeBlock[] = [];
  for (let n = 0; n < numBlocks; n++) {
    const block = placeBlock(g.gh, g.gw, size, u.subarray(3 * n, 3 * n + 2));
    const start = Math.floor(u[3 * n + 2] * (g.duration - size.length + 1));
    blocks.push({ ...block, start, length: size.length });
    const cells = blockTokens(block, g.gw);
    for (let t = start; t < start + size.length; t++) for (const c of cells) masked[t * plane + c] = 1;
  }
  const targets: number[] = [];
  const context: number[] = [];
  for (let i = 0; i < masked.length; i++) (masked[i] ? targets : context).push(i);
  return { blocks, targets, context };
}

/** 5th percentiles of context and target counts over a seeded pilot. */
function pilotCounts(g: Grid, spec: Required<TubeMaskSpec>): { context: number; target: number } {
  const context: number[] = [];
  const target: number[] = [];
  for (let i = 0; i < PILOT_DRAWS; i++) {
    const k = foldIn(PILOT_SEED, i);
    const drawn = placeTubes(k, g, drawTubeSize(g, spec, uniform(foldIn(k, 1), 3)), spec.numBlocks);
    context.push(drawn.context.length);
    target.push(drawn.targets.length);
  }
  const pick = (xs: number[]) => Math.max(1, xs.sort((p, q) => p - q)[Math.floor(0.05 * PILOT_DRAWS)]);
  return { context: pick(context), target: pick(target) };
}

/**
 * V-JEPA's 3-D multi-block sampler over a duration x gh x gw grid of tubelet tokens, each
 * kind with fixed counts: context [B, Kc] and targets [B, Kt].
 */
export function multiBlock3dSampler(config: MultiBlock3dConfig): MultiBlock3dSampler {
  const { duration, gridHeight: gh, gridWidth: gw, masks = VJEPA_MASKS } = config;
  const g: Grid = { duration, gh, gw };
  const resolved = masks.map((m) => {
    const spec = { aspect: [0.75, 1.5], temporalScale: [1, 1], ...m } as Required<TubeMaskSpec>;
    const pilot =
      m.contextTokens === undefined || m.targetTokens === undefined ? pilotCounts(g, spec) : undefined;
    return {
      ...spec,
      contextTokens: m.contextTokens ?? pilot!.context,
      targetTokens: m.targetTokens ?? pilot!.target,
    };
  });
  return {
    masks: resolved,
    duration,
    gridHeight: gh,
    gridWidth: gw,
    sample(key, batch) {
      return resolved.map((spec, kind) => {
        const kindKey = foldIn(key, kind);
        const { contextTokens: kc, targetTokens: kt } = spec;
        // 1. One block size per batch.
        const size = drawTubeSize(g, spec, uniform(foldIn(kindKey, 0x5135), 3));
        const context = new Int32Array(batch * kc);
        const targets = new Int32Array(batch * kt);
        const blocks: TubeBlock[][] = [];
        for (let b = 0; b < batch; b++) {
          const sampleKey = foldIn(kindKey, b);
          // 2-4. Place blocks until both sides hold their fixed counts.
          let drawn: ReturnType<typeof placeTubes> | undefined;
          for (let attempt = 0; !drawn; attempt++) {
            if (attempt === MAX_TRIES) {
              throw new Error(
                `multiBlock3dSampler: "${spec.name}" found no placement with ${kc} context and ${kt} target tokens in ${MAX_TRIES} tries; lower contextTokens or targetTokens`,
              );
            }
            const d = placeTubes(foldIn(sampleKey, 2 * attempt), g, size, spec.numBlocks);
            if (d.context.length >= kc && d.targets.length >= kt) drawn = d;
          }
          // 5. Fixed-size random subsets, sorted.
          const choiceKey = foldIn(sampleKey, 2 * MAX_TRIES + 1);
          context.set(chooseSorted(foldIn(choiceKey, 0), drawn.context, kc), b * kc);
          targets.set(chooseSorted(foldIn(choiceKey, 1), drawn.targets, kt), b * kt);
          blocks.push(drawn.blocks);
        }
        return {
          name: spec.name,
          context: hostTensor([batch, kc], context, "int32"),
          targets: hostTensor([batch, kt], targets, "int32"),
          size,
          blocks,
        };
      });
    },
  };
}
