import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/**
 * Writes `data` to `path` atomically: to a temporary file in the same folder, flushed to
 * disk, then renamed over the target. A crash leaves either the old file or the new one,
 * never a partial file. Chunks are written in order (for large buffers split in parts).
 */
export function writeFileAtomic(path: string, data: Uint8Array | string | (Uint8Array | string)[]): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString("hex")}.tmp`);
  const parts = Array.isArray(data) ? data : [data];
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "w");
    for (const part of parts) {
      const bytes = typeof part === "string" ? Buffer.from(part, "utf8") : part;
      let offset = 0;
      while (offset < bytes.byteLength) offset += writeSync(fd, bytes, offset, bytes.byteLength - offset);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOSPC") throw new Error(`out of disk space while writing ${path}; free space and retry`);
    throw err;
  }
}
