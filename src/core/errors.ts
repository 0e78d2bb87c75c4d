/** The kit's two error kinds that the CLI reports in one line with exit code 2 (no stack trace). */

/** Error for bad input that the CLI reports in one line with exit code 2 (no stack trace). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Error for a missing, truncated or altered data file; names the file. */
export class DataError extends Error {
  override name = 'DataError';
}
