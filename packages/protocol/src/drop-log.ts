/**
 * Counts dropped messages by code and logs only the first `burst` of each code per interval, then
 * one line with how many more were dropped: a flood of junk costs a few log lines, not one each.
 */
export class DropLog {
  readonly counts = new Map<string, number>();
  private readonly windows = new Map<string, { since: number; logged: number; suppressed: number }>();

  constructor(
    private readonly write: (fields: Record<string, unknown>, line: string) => void,
    private readonly intervalMs = 10_000,
    private readonly burst = 5,
  ) {}

  record(code: string, line: string, fields: Record<string, unknown> = {}, now = performance.now()): void {
    let window = this.windows.get(code);
    if (window === undefined || now - window.since >= this.intervalMs) {
      if (window) this.summarize(code, window);
      window = { since: now, logged: 0, suppressed: 0 };
      this.windows.set(code, window);
    }
    this.counts.set(code, (this.counts.get(code) ?? 0) + 1);
    if (window.logged < this.burst) {
      window.logged++;
      this.write({ code, ...fields }, line);
    } else window.suppressed++;
  }

  /** Logs what was suppressed in windows that are over (all of them with `all`: at close). */
  flush(now = performance.now(), all = false): void {
    for (const [code, window] of this.windows) {
      if (!all && now - window.since < this.intervalMs) continue;
      this.summarize(code, window);
      this.windows.delete(code);
    }
  }

  private summarize(code: string, window: { suppressed: number }): void {
    if (window.suppressed === 0) return;
    this.write(
      { code, suppressed: window.suppressed, total: this.counts.get(code) },
      `dropped ${window.suppressed} more ${code} messages without logging each (${this.counts.get(code)} in all)`,
    );
    window.suppressed = 0;
  }
}
