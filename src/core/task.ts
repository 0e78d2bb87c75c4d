/** What a parallel task gets besides its input (see parallel.ts and tasks.ts). */
export interface TaskContext {
  /** Report units of work done (e.g. clips), for the parent's progress bar. */
  progress: (units: number) => void;
}

/** A task: a plain function of plain-data (structured-clone safe) input, deterministic in that input. */
export type Task = (input: unknown, ctx: TaskContext) => unknown | Promise<unknown>;
