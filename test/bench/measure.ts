// Timing of one benchmark measurement: p50 and p99 of n timed runs after a few untimed ones.
// Its own module, so that a section runnable on its own (console.ts) needs no import of the list.

export interface Measurement {
  name: string;
  p50_ms: number;
  p99_ms: number;
  n: number;
  /**
   * CPU time of the whole process (every thread: main and the database worker) per timed run, in
   * µs: what the operation costs the machine, which a loaded machine's queueing leaves mostly alone.
   */
  cpu_us?: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

export async function measure(name: string, n: number, run: (i: number) => Promise<unknown>, warmup = Math.min(50, n)): Promise<Measurement> {
  for (let i = 0; i < warmup; i++) await run(-1 - i);
  const times: number[] = [];
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await run(i);
    times.push(performance.now() - start);
  }
  const cpu = process.cpuUsage(cpuBefore);
  times.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 1000) / 1000;
  return { name, p50_ms: round(percentile(times, 50)), p99_ms: round(percentile(times, 99)), n, cpu_us: Math.round((cpu.user + cpu.system) / n) };
}
