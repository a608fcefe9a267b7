// Statistics of the JEPA mask samplers over many seeded draws: block scales and aspect
// ratios in their ranges, context disjoint from targets, fixed counts, same key same masks.
import assert from "node:assert/strict";
import { test } from "node:test";
import { foldIn, keyFromSeed } from "../src/engine/index.ts";
import {
  type Block,
  blockSize,
  minBlockTokens,
  multiBlock3dSampler,
  multiBlockSampler,
  VJEPA_MASKS,
} from "../src/objectives/index.ts";

const inside = (b: Block, gw: number, t: number) => {
  const r = Math.floor(t / gw);
  const c = t % gw;
  return r >= b.top && r < b.top + b.height && c >= b.left && c < b.left + b.width;
};

const rows = (data: unknown, width: number) =>
  Array.from({ length: (data as Int32Array).length / width }, (_, i) =>
    Array.from((data as Int32Array).subarray(i * width, (i + 1) * width)),
  );

const sortedUnique = (xs: number[]) => xs.every((v, i) => i === 0 || v > xs[i - 1]);

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** A block's height and width are sqrt(n a) and sqrt(n / a) rounded, n = floor(scale * tokens). */
function assertRounded(
  size: { height: number; width: number; scale: number; aspect: number },
  tokens: number,
) {
  const n = Math.floor(tokens * size.scale);
  assert.ok(Math.abs(size.height - Math.sqrt(n * size.aspect)) <= 0.5 + 1e-9, `height ${size.height}`);
  assert.ok(Math.abs(size.width - Math.sqrt(n / size.aspect)) <= 0.5 + 1e-9, `width ${size.width}`);
}

test("minBlockTokens is the exact minimum over a dense sweep of scales and aspect ratios", () => {
  for (const [gh, gw] of [
    [8, 8],
    [14, 14],
    [6, 10],
  ]) {
    let fewest = Infinity;
    for (let i = 0; i <= 300; i++) {
      for (let j = 0; j <= 300; j++) {
        const b = blockSize(gh, gw, 0.15 + (0.05 * i) / 300, 0.75 + (0.75 * j) / 300);
        fewest = Math.min(fewest, b.height * b.width);
      }
    }
    assert.equal(minBlockTokens(gh, gw, [0.15, 0.2], [0.75, 1.5]), fewest, `grid ${gh}x${gw}`);
  }
});

test("I-JEPA multi-block: scales, aspect ratios, disjoint context, fixed counts over 2,000 samples", () => {
  const gh = 14;
  const gw = 14;
  const n = gh * gw;
  const sampler = multiBlockSampler({ gridHeight: gh, gridWidth: gw });
  const { numTargets: m, targetTokens: kt, contextTokens: kc } = sampler.config;
  assert.equal(m, 4);
  assert.equal(kt, minBlockTokens(gh, gw, [0.15, 0.2], [0.75, 1.5]));
  assert.ok(kc >= 20 && kc < n * 0.85, `context tokens ${kc}`);
  const drawnScales: number[] = [];
  const areas: number[] = [];
  const ratios: number[] = [];
  const contextAreas: number[] = [];
  const contextShares: number[] = [];
  const key = keyFromSeed(3);
  for (let step = 0; step < 250; step++) {
    const masks = sampler.sample(foldIn(key, step), 8);
    assert.deepEqual(masks.context.shape, [8, kc]);
    assert.deepEqual(masks.targets.shape, [8, m, kt]);
    assert.equal(masks.context.dtype, "int32");
    const { scale, aspect, height, width } = masks.targetSize;
    assert.ok(scale >= 0.15 && scale <= 0.2, `target scale ${scale}`);
    assert.ok(aspect >= 0.75 && aspect <= 1.5, `target aspect ${aspect}`);
    assertRounded(masks.targetSize, n);
    drawnScales.push(scale);
    areas.push((height * width) / n);
    ratios.push(height / width);
    assert.ok(masks.contextSize.scale >= 0.85 && masks.contextSize.scale <= 1);
    contextAreas.push((masks.contextSize.height * masks.contextSize.width) / n);
    const context = rows(masks.context.data, kc);
    const targets = rows(masks.targets.data, kt);
    masks.blocks.forEach((blocks, b) => {
      assert.equal(blocks.targets.length, m);
      for (const t of context[b]) {
        assert.ok(inside(blocks.context, gw, t), "context token outside the context block");
        assert.ok(!blocks.targets.some((blk) => inside(blk, gw, t)), "context token inside a target block");
      }
      assert.ok(sortedUnique(context[b]));
      contextShares.push(kc / (blocks.context.height * blocks.context.width));
      blocks.targets.forEach((blk, j) => {
        const row = targets[b * m + j];
        assert.ok(sortedUnique(row));
        assert.ok(
          row.every((t) => inside(blk, gw, t)),
          "target token outside its block",
        );
        assert.equal(blk.height * blk.width >= kt, true);
      });
    });
  }
  // Rounding to whole tokens moves area and aspect a little off the drawn values.
  assert.ok(
    Math.min(...areas) >= 0.12 && Math.max(...areas) <= 0.22,
    `areas ${Math.min(...areas)}..${Math.max(...areas)}`,
  );
  assert.ok(
    Math.min(...ratios) >= 0.6 && Math.max(...ratios) <= 1.8,
    `ratios ${Math.min(...ratios)}..${Math.max(...ratios)}`,
  );
  assert.ok(Math.abs(mean(drawnScales) - 0.175) < 0.005, `mean drawn scale ${mean(drawnScales)}`);
  assert.ok(Math.abs(mean(areas) - 0.175) < 0.015, `mean target area ${mean(areas)}`);
  assert.ok(Math.min(...contextAreas) >= 0.8 && Math.max(...contextAreas) <= 1, "context block scale");
  // Targets of scale 0.15-0.2 leave a real share of the context block.
  assert.ok(mean(contextShares) > 0.2, `context share ${mean(contextShares)}`);
});

test("I-JEPA multi-block: the same key gives the same masks; another key does not", () => {
  const sampler = multiBlockSampler({ gridHeight: 8, gridWidth: 8 });
  const a = sampler.sample(keyFromSeed(11), 16);
  const b = multiBlockSampler({ gridHeight: 8, gridWidth: 8 }).sample(keyFromSeed(11), 16);
  const c = sampler.sample(keyFromSeed(12), 16);
  assert.deepEqual(a.context.data, b.context.data);
  assert.deepEqual(a.targets.data, b.targets.data);
  assert.notDeepEqual(a.targets.data, c.targets.data);
  // Sizes are drawn per batch, so across batches they vary.
  const sizes = new Set(
    Array.from({ length: 40 }, (_, s) => {
      const t = sampler.sample(foldIn(keyFromSeed(1), s), 1).targetSize;
      return `${t.height}x${t.width}`;
    }),
  );
  assert.ok(sizes.size >= 2, `target sizes seen: ${[...sizes]}`);
});

test("I-JEPA multi-block: impossible fixed counts are refused with the fix", () => {
  assert.throws(
    () => multiBlockSampler({ gridHeight: 8, gridWidth: 8, targetTokens: 60 }),
    /targetTokens 60 must be in 1\.\./,
  );
  const tooMany = multiBlockSampler({ gridHeight: 8, gridWidth: 8, contextTokens: 64 });
  assert.throws(() => tooMany.sample(keyFromSeed(0), 1), /lower contextTokens/);
});

test("V-JEPA 3-D multi-block: 8 blocks at 0.15 and 2 at 0.7 over every tubelet, disjoint, fixed counts", () => {
  const duration = 4;
  const gh = 14;
  const gw = 14;
  const plane = gh * gw;
  const sampler = multiBlock3dSampler({ duration, gridHeight: gh, gridWidth: gw });
  assert.deepEqual(
    sampler.masks.map((k) => [k.name, k.numBlocks]),
    [
      ["short_range", 8],
      ["long_range", 2],
    ],
  );
  const targetShare: Record<string, number[]> = { short_range: [], long_range: [] };
  const key = keyFromSeed(5);
  for (let step = 0; step < 40; step++) {
    const kinds = sampler.sample(foldIn(key, step), 4);
    kinds.forEach((kind, i) => {
      const spec = sampler.masks[i];
      const { contextTokens: kc, targetTokens: kt } = spec;
      assert.deepEqual(kind.context.shape, [4, kc]);
      assert.deepEqual(kind.targets.shape, [4, kt]);
      const area = (kind.size.height * kind.size.width) / plane;
      const want = VJEPA_MASKS[i].spatialScale[0];
      assert.ok(Math.abs(area - want) < 0.05, `${kind.name} block area ${area}`);
      assert.ok(
        kind.size.aspect >= 0.75 && kind.size.aspect <= 1.5,
        `${kind.name} aspect ${kind.size.aspect}`,
      );
      assertRounded(kind.size, plane);
      const context = rows(kind.context.data, kc);
      const targets = rows(kind.targets.data, kt);
      kind.blocks.forEach((blocks, b) => {
        assert.equal(blocks.length, spec.numBlocks);
        for (const blk of blocks) assert.deepEqual([blk.start, blk.length], [0, duration]); // full temporal extent
        const masked = (t: number) => blocks.some((blk) => inside(blk, gw, t % plane));
        assert.ok(
          context[b].every((t) => !masked(t)),
          "context token inside a block",
        );
        assert.ok(targets[b].every(masked), "target token outside every block");
        assert.ok(sortedUnique(context[b]) && sortedUnique(targets[b]));
        let union = 0;
        for (let t = 0; t < plane; t++) if (masked(t)) union++;
        targetShare[kind.name].push(union / plane);
      });
    });
  }
  // Eight blocks of 0.15 cover about 1 - 0.85^8 ~ 0.7 of the frame; two of 0.7 more.
  const short = mean(targetShare.short_range);
  const long = mean(targetShare.long_range);
  assert.ok(short > 0.55 && short < 0.85, `short-range target share ${short}`);
  assert.ok(long > 0.75 && long < 0.98, `long-range target share ${long}`);
});

test("V-JEPA 3-D multi-block: same key same masks, and the kinds draw independently", () => {
  const config = { duration: 2, gridHeight: 8, gridWidth: 8 };
  const a = multiBlock3dSampler(config).sample(keyFromSeed(9), 3);
  const b = multiBlock3dSampler(config).sample(keyFromSeed(9), 3);
  const c = multiBlock3dSampler(config).sample(keyFromSeed(10), 3);
  a.forEach((kind, i) => {
    assert.deepEqual(kind.context.data, b[i].context.data);
    assert.deepEqual(kind.targets.data, b[i].targets.data);
  });
  assert.notDeepEqual(a[0].targets.data, c[0].targets.data);
});
