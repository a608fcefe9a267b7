// Process settings that ONNX Runtime needs on glibc machines (see DESIGN.md, "Process
// settings"): without raised malloc thresholds a training step runs ~4x slower from page
// faults on freshly mmap'd memory. Node cannot call mallopt, so the variable must be set
// before Node starts: every launcher (CLI, tests, benchmarks) re-executes itself with it.
export const GLIBC_TUNABLES = "glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=4294967296";

/** The environment for a child Node process, with the malloc tunables merged in. */
export function tunedEnv(env = process.env) {
  const current = env.GLIBC_TUNABLES ?? "";
  if (current.includes("glibc.malloc.mmap_threshold")) return { ...env };
  return { ...env, GLIBC_TUNABLES: current ? `${current}:${GLIBC_TUNABLES}` : GLIBC_TUNABLES };
}
