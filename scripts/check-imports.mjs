// Checks the import table of DESIGN.md: which folder of src/ may import which, and that a
// folder is entered only through its public faces: index.ts (browser-safe) or node.ts
// (Node-only: files, workers, native runtime). Exits 1 on a violation.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative, sep } from "node:path";

const ALLOWED = {
  engine: [],
  nn: ["engine"],
  optim: ["engine"],
  objectives: ["engine", "nn"],
  world: ["engine", "nn"],
  planners: ["engine"],
  envs: [],
  data: ["envs", "engine"],
  train: ["engine", "nn", "optim", "objectives", "world", "planners", "envs", "data"],
  eval: ["engine", "nn", "optim", "objectives", "world", "planners", "envs", "data", "train"],
  cli: ["*"],
};

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : path.endsWith(".ts") ? [path] : [];
  });
}

const problems = [];
const importRe = /(?:import|export)\s[^'"]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
for (const file of walk("src")) {
  const folder = relative("src", file).split(sep)[0];
  const rules = ALLOWED[folder];
  if (!rules) {
    problems.push(`${file}: folder src/${folder} is not in the import table of DESIGN.md`);
    continue;
  }
  const text = readFileSync(file, "utf8");
  if (file.endsWith("index.ts") && /from\s+["']node:/.test(text)) {
    problems.push(`${file}: index.ts must stay browser-safe; move Node-only exports to node.ts`);
  }
  for (const m of text.matchAll(importRe)) {
    const spec = m[1] ?? m[2];
    if (!spec.startsWith(".")) continue;
    const target = normalize(join(dirname(file), spec));
    const rel = relative("src", target).split(sep);
    if (rel[0] === "..") {
      problems.push(`${file}: imports ${spec}, outside src/`);
      continue;
    }
    const other = rel[0];
    if (other === folder) continue;
    if (!rules.includes("*") && !rules.includes(other)) {
      problems.push(`${file}: src/${folder} may not import src/${other} (DESIGN.md import table)`);
    }
    if (!(rel.length === 2 && (rel[1] === "index.ts" || rel[1] === "node.ts"))) {
      problems.push(`${file}: imports ${spec}; import src/${other} through its index.ts or node.ts`);
    }
  }
}
if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log("imports: ok");
