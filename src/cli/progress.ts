/**
 * A one-line progress display for long CLI stages: stage name, percent, rate and ETA.
 * Redraws in place on a TTY and prints a line every few seconds otherwise (CI logs).
 */
export interface ProgressOptions {
  /** Unit shown with the rate, e.g. "frames" or "steps". */
  unit?: string;
  /** Where to draw; stderr keeps stdout clean for `--json` output. */
  stream?: NodeJS.WriteStream;
  /** Seconds between lines when the stream is not a TTY. */
  logEvery?: number;
}

export interface Progress {
  /** Set the number of finished items and an optional status text (e.g. loss terms). */
  update(done: number, status?: string): void;
  /** Draw the final line and return the elapsed seconds. */
  finish(status?: string): number;
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s < 60) return `${s.toFixed(0)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

export function progress(stage: string, total: number, opts: ProgressOptions = {}): Progress {
  const { unit = "items", stream = process.stderr, logEvery = 5 } = opts;
  const start = performance.now();
  const tty = Boolean(stream.isTTY);
  let lastLog = -Infinity;
  let done = 0;
  let status = "";

  const line = (): string => {
    const elapsed = (performance.now() - start) / 1000;
    const rate = done / Math.max(elapsed, 1e-9);
    const pct = total > 0 ? (100 * done) / total : 100;
    const eta = done > 0 ? (total - done) / rate : Number.NaN;
    const rateText = rate >= 100 ? rate.toFixed(0) : rate.toFixed(2);
    return `[${stage}] ${pct.toFixed(0).padStart(3)}% ${done}/${total} ${rateText} ${unit}/s, eta ${formatSeconds(eta)}${status ? ` | ${status}` : ""}`;
  };
  const draw = (force: boolean): void => {
    const now = performance.now() / 1000;
    if (tty) stream.write(`\r\x1b[2K${line()}`);
    else if (force || now - lastLog >= logEvery) {
      stream.write(`${line()}\n`);
      lastLog = now;
    }
  };

  return {
    update(n, s) {
      done = n;
      if (s !== undefined) status = s;
      draw(false);
    },
    finish(s) {
      done = total;
      if (s !== undefined) status = s;
      draw(true);
      if (tty) stream.write("\n");
      return (performance.now() - start) / 1000;
    },
  };
}
