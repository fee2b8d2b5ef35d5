/**
 * A progress bar on stderr: redrawn in place on a terminal, a line every ~10% otherwise. It also
 * hears when an optimization run stopped early (StepInfo.stopped: it diverged and kept its best
 * image), and says so in one line when the bar is done, even with --quiet.
 */
import { printable } from '../errors.js';

export class Progress {
  /** The first early stop heard of: the step and why. */
  stopped: { step: number; reason: string } | null = null;
  private lastPct = -1;
  private readonly tty = Boolean(process.stderr.isTTY);
  private readonly start = performance.now();

  constructor(
    private label: string,
    private readonly total: number,
    private readonly quiet = false,
  ) {
    // Labels carry layer names from the model file.
    this.label = printable(label);
  }

  update(done: number, extra = ''): void {
    if (this.quiet) return;
    const pct = Math.min(100, Math.floor((100 * done) / Math.max(1, this.total)));
    const secs = ((performance.now() - this.start) / 1000).toFixed(1);
    if (this.tty) {
      const width = 30;
      const fill = Math.round((width * pct) / 100);
      process.stderr.write(
        `\r${this.label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${pct}% ${secs}s ${extra}   `,
      );
    } else if (pct >= this.lastPct + 10 || done === this.total) {
      process.stderr.write(`${this.label} ${pct}% ${secs}s ${extra}\n`);
      this.lastPct = pct;
    }
  }

  /** Records an early stop reported by a step (see optimize/loop.ts). */
  note(info: { stopped?: { step: number; reason: string } }): void {
    if (info.stopped && !this.stopped)
      this.stopped = { step: info.stopped.step, reason: info.stopped.reason };
  }

  done(): void {
    if (!this.quiet && this.tty) process.stderr.write('\n');
    if (this.stopped)
      process.stderr.write(
        `${this.label}: stopped at step ${this.stopped.step} of ${this.total}: ${printable(this.stopped.reason)}; the best image from the steps before is kept and written\n`,
      );
  }
}
