/**
 * The kit's error kinds that the CLI reports in one line without a stack trace: UsageError and DataError with exit
 * code 2 (bad input), IoError with exit code 1 (the machine failed a read or write: a full disk, a lost mount).
 */

/** Error for bad input that the CLI reports in one line with exit code 2 (no stack trace). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Error for a missing, truncated or altered data file; names the file. */
export class DataError extends Error {
  override name = 'DataError';
}

/** Error for a failed write or read of the machine (ENOSPC, EIO, ...); names the path. Exit code 1, one line. */
export class IoError extends Error {
  override name = 'IoError';
}
