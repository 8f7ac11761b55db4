export interface RestartPolicy {
  /** Delay before the first restart; doubles for each rapid crash. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A run at least this long counts as healthy and resets the crash count. */
  resetAfterMs: number;
  /** More rapid crashes than this in a row and the instance is marked failed. */
  maxRapidCrashes: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  baseDelayMs: 250,
  maxDelayMs: 10_000,
  resetAfterMs: 30_000,
  maxRapidCrashes: 5,
};

/** Wait before restart number `crash` (1-based) in a run of rapid crashes: base × 2^(crash-1), capped. */
export function restartDelay(crash: number, policy: RestartPolicy = DEFAULT_RESTART_POLICY): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, crash - 1));
}
