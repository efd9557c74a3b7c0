/**
 * Progress bars on stderr, one line per stage. On a terminal the line redraws in place; in a log
 * (CI, a file) it prints at 25 % steps so the log stays short.
 */
export class Progress {
  private current: string | null = null;
  private lastQuarter = -1;
  private readonly started = new Map<string, number>();
  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {}

  update(stage: string, done: number, total: number): void {
    if (stage !== this.current) {
      if (this.current) this.out.write(this.out.isTTY ? '\n' : '');
      this.current = stage;
      if (!this.started.has(stage)) {
        this.lastQuarter = -1;
        this.started.set(stage, Date.now());
      }
    }
    const width = 28;
    const frac = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(frac * width);
    const secs = ((Date.now() - (this.started.get(stage) ?? Date.now())) / 1000).toFixed(1);
    const line = `${stage.padEnd(34)} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${String(done).padStart(6)}/${total} ${secs} dtk`;
    if (this.out.isTTY) {
      this.out.write(`\r${line}`);
      if (done >= total) {
        this.out.write('\n');
        this.current = null;
      }
    } else {
      const q = Math.floor(frac * 4);
      if (q > this.lastQuarter) {
        this.lastQuarter = q;
        this.out.write(`${line}\n`);
      }
      if (done >= total) this.current = null;
    }
  }

  line(msg: string): void {
    if (this.current && this.out.isTTY) this.out.write('\n');
    this.current = null;
    this.out.write(`${msg}\n`);
  }
}
