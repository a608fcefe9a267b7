/**
 * A problem with a dataset on disk (missing shard, checksum mismatch, truncated file, wrong
 * dtype, bad manifest). Its message is one line naming the file and the problem; the CLI
 * prints it without a stack trace.
 */
export class DataError extends Error {
  override name = "DataError";
}
