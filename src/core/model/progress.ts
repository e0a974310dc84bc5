/** A batch of re-runs as it goes: the counts, the tokens, and the line the CLI and the extension show. */
export interface Progress {
  total: number;
  done: number;
  skipped: number;
  failed: number;
  tokens: number;
  startedAt: number;
}

/** "12/40: 9 done, 3 skipped, 0 failed · 25.1 records/min · 310 tokens/s · ETA 1m07s" */
export function progressLine(p: Progress, now: number = performance.now()): string {
  const min = (now - p.startedAt) / 60_000;
  const perMin = min > 0 ? p.done / min : 0;
  const left = p.total - p.done - p.skipped - p.failed;
  const eta = perMin > 0 ? Math.round((left / perMin) * 60) : undefined;
  const tps = min > 0 ? p.tokens / (min * 60) : 0;
  const etaText = eta === undefined ? '?' : `${Math.floor(eta / 60)}m${String(eta % 60).padStart(2, '0')}s`;
  return `${p.done + p.skipped + p.failed}/${p.total}: ${p.done} done, ${p.skipped} skipped, ${p.failed} failed · ${perMin.toFixed(
    1,
  )} records/min · ${tps.toFixed(0)} tokens/s · ETA ${etaText}`;
}
