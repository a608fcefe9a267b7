// Datasets on disk: byte-identical collection (reruns, worker counts), corruption reports
// naming the shard, resume after a crash, clip batches, and the CLI's one-line errors.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { collectInMemory, DataError, sampleClips } from "../src/data/index.ts";
import { collect, openDataset, validateDataset } from "../src/data/node.ts";

const root = mkdtempSync(join(tmpdir(), "jepa-data-test-"));
after(() => rmSync(root, { recursive: true, force: true }));

const ARGS = { episodes: 24, steps: 8, seed: 5, shardEpisodes: 6 } as const;
const collectTo = (name: string, workers: number) =>
  collect("two-rooms", { size: 32 }, "explore", { ...ARGS, workers, out: join(root, name) });

/** Every file of a folder, name -> bytes. */
function files(dir: string): Map<string, Buffer> {
  return new Map(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))]));
}

test("the same collection twice, and with 1 or 2 workers, gives byte-identical files", async () => {
  await collectTo("a", 1);
  await collectTo("b", 1);
  const r = await collectTo("c", 2);
  assert.equal(r.collectedShards, 4);
  const a = files(join(root, "a"));
  assert.deepEqual([...a.keys()].sort(), [
    "manifest.json",
    "shard-00000.bin",
    "shard-00001.bin",
    "shard-00002.bin",
    "shard-00003.bin",
  ]);
  for (const other of ["b", "c"]) {
    const b = files(join(root, other));
    assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
    for (const [name, bytes] of a) assert.ok(bytes.equals(b.get(name)!), `${other}/${name} differs`);
  }
});

test("a dataset on disk holds the same episodes as collectInMemory", () => {
  const disk = openDataset(join(root, "a"));
  const memory = collectInMemory("two-rooms", { size: 32 }, "explore", ARGS);
  assert.equal(disk.episodes, 24);
  assert.deepEqual(disk.info, memory.info);
  for (const i of [0, 7, 23]) assert.deepEqual(disk.episode(i), memory.episode(i));
  const m = disk.manifest;
  assert.deepEqual(m.fields.observations, { dtype: "uint8", shape: [9, 2, 32, 32] });
  assert.deepEqual(m.fields.actions, { dtype: "float32", shape: [8, 2] });
  assert.deepEqual(m.fields.states, { dtype: "float32", shape: [9, 4] });
});

test("corrupt shards fail with one line naming the shard and the problem; the others still load", async () => {
  const dir = join(root, "corrupt");
  await collect("two-rooms", { size: 32 }, "explore", { ...ARGS, out: dir });
  const shard = (k: number) => join(dir, `shard-0000${k}.bin`);
  truncateSync(shard(1), 1000);
  const bytes = readFileSync(shard(2));
  bytes[bytes.length >> 1] ^= 0x40;
  writeFileSync(shard(2), bytes);
  rmSync(shard(3));
  const expect = (k: number, pattern: RegExp) =>
    assert.throws(
      () => openDataset(dir, { shards: [k] }),
      (err: Error) => {
        assert.ok(err instanceof DataError, `shard ${k}: not a DataError`);
        assert.ok(!err.message.includes("\n"), "the message is one line");
        assert.match(err.message, new RegExp(`shard-0000${k}\\.bin`));
        assert.match(err.message, pattern);
        return true;
      },
    );
  expect(1, /truncated file: 1000 of \d+ bytes/);
  expect(2, /checksum mismatch/);
  expect(3, /missing shard/);
  assert.throws(() => openDataset(dir), /shard-00001\.bin: truncated/);
  const good = openDataset(dir, { shards: [0] });
  assert.equal(good.episodes, 6);
  const report = validateDataset(dir);
  assert.deepEqual(report.goodShards, [0]);
  assert.equal(report.problems.length, 3);

  // The CLI: exit 2, one `jepa: ...` line per bad shard, no stack trace.
  const cli = spawnSync(process.execPath, ["bin/jepa.mjs", "inspect", "--data", dir], { encoding: "utf8" });
  assert.equal(cli.status, 2);
  const lines = cli.stderr.trim().split("\n");
  assert.equal(lines.length, 3, cli.stderr);
  for (const line of lines) assert.match(line, /^jepa: .*shard-0000[123]\.bin: (truncated|checksum|missing)/);
  assert.match(cli.stdout, /shards {7}3 of 4 listed|shards {7}4 of 4 listed, 1 valid/);

  // Rerunning the collection repairs exactly the bad shards, to the original bytes.
  const resumed = await collect("two-rooms", { size: 32 }, "explore", { ...ARGS, out: dir });
  assert.deepEqual([resumed.resumedShards, resumed.collectedShards], [1, 3]);
  const a = files(join(root, "a"));
  for (const [name, b] of files(dir)) assert.ok(b.equals(a.get(name)!), `${name} differs after resume`);
});

test("a bad manifest (wrong dtype, missing, foreign collection) is a one-line DataError", async () => {
  const dir = join(root, "dtype");
  await collect("two-rooms", { size: 32 }, "explore", { ...ARGS, episodes: 6, out: dir });
  const path = join(dir, "manifest.json");
  const manifest = JSON.parse(readFileSync(path, "utf8"));
  manifest.fields.actions.dtype = "float64";
  writeFileSync(path, JSON.stringify(manifest));
  assert.throws(
    () => openDataset(dir),
    /manifest\.json: wrong dtype for actions: "float64", expected "float32"/,
  );
  assert.throws(() => openDataset(join(root, "nothing-here")), /no manifest\.json/);
  await assert.rejects(
    collect("two-rooms", { size: 32 }, "explore", { ...ARGS, seed: 6, out: join(root, "a") }),
    /holds a different collection/,
  );
  const cli = spawnSync(process.execPath, ["bin/jepa.mjs", "inspect", "--data", dir], { encoding: "utf8" });
  assert.equal(cli.status, 2);
  assert.match(cli.stderr.trim(), /^jepa: [^\n]*wrong dtype for actions[^\n]*$/);
});

test("a crashed collection leaves its finished shards loadable", async () => {
  const dir = join(root, "crash");
  await collect("two-rooms", { size: 32 }, "explore", { ...ARGS, out: dir });
  // What a crash after shards 0 and 2 leaves: their entries, complete false, a stray temp file.
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  manifest.shards = manifest.shards.filter((s: { index: number }) => s.index === 0 || s.index === 2);
  manifest.complete = false;
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
  rmSync(join(dir, "shard-00001.bin"));
  writeFileSync(join(dir, ".shard-00001.bin.abcd.tmp"), "partial");
  const partial = openDataset(dir);
  assert.equal(partial.episodes, 12);
  assert.deepEqual([partial.episode(0).index, partial.episode(6).index], [0, 12]);
  const resumed = await collect("two-rooms", { size: 32 }, "explore", { ...ARGS, out: dir });
  assert.deepEqual([resumed.resumedShards, resumed.collectedShards], [2, 2]);
  assert.ok(!readdirSync(dir).some((f) => f.endsWith(".tmp")));
  assert.equal(openDataset(dir).episodes, 24);
});

test("sampleClips is a pure function of (seed, step) and slices episodes faithfully", () => {
  const data = collectInMemory("two-rooms", { size: 32 }, "explore", ARGS);
  const opts = { seed: 1, step: 7, batch: 5, length: 4 };
  const a = sampleClips(data, opts);
  assert.deepEqual(sampleClips(data, opts), a);
  assert.notDeepEqual(sampleClips(data, { ...opts, step: 8 }).episodes, a.episodes);
  assert.equal(a.observations.length, 5 * 4 * 2 * 32 * 32);
  assert.equal(a.actions.length, 5 * 3 * 2);
  assert.equal(a.states.length, 5 * 4 * 4);
  const frame = 2 * 32 * 32;
  const e = data.episode(a.episodes[2]);
  const start = a.starts[2];
  for (const k of [0, 100, 3 * frame + 17]) {
    assert.equal(a.observations[2 * 4 * frame + k], e.observations[start * frame + k] / 255);
  }
  assert.deepEqual(a.states.subarray(2 * 16, 3 * 16), e.states.subarray(start * 4, (start + 4) * 4));
  assert.deepEqual(a.actions.subarray(2 * 6, 3 * 6), e.actions.subarray(start * 2, (start + 3) * 2));
  assert.throws(() => sampleClips(data, { ...opts, length: 10 }), /clip length 10 must be in 1\.\.9/);
});
