import cliProgress from 'cli-progress';

export interface ProgressValues {
  elapsedS: number;
  ok: number;
  errors: number;
  fault: string;
}

/** A progress bar on a terminal; plain periodic lines otherwise (CI logs, pipes). */
export class Progress {
  private readonly bar: cliProgress.SingleBar | undefined;
  private readonly totalS: number;
  private readonly write: (line: string) => void;
  private lastLineAtS = -Infinity;
  private readonly plainEveryS: number;

  constructor(options: { totalS: number; label: string; mode: 'auto' | 'none'; write?: (line: string) => void }) {
    this.totalS = options.totalS;
    this.write = options.write ?? ((line) => process.stdout.write(`${line}\n`));
    this.plainEveryS = Math.max(5, Math.round(options.totalS / 20));
    if (options.mode === 'auto' && process.stdout.isTTY === true) {
      this.bar = new cliProgress.SingleBar(
        {
          format: `${options.label} [{bar}] {elapsed}/{total_s}s | ok {ok} | errors {errors} | fault {fault}`,
          hideCursor: true,
          barsize: 30,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(Math.max(1, Math.round(options.totalS)), 0, { elapsed: 0, total_s: Math.round(options.totalS), ok: 0, errors: 0, fault: '-' });
    } else if (options.mode === 'none') {
      this.lastLineAtS = Infinity;
    }
  }

  update(values: ProgressValues): void {
    const payload = { elapsed: Math.round(values.elapsedS), total_s: Math.round(this.totalS), ok: values.ok, errors: values.errors, fault: values.fault };
    if (this.bar !== undefined) {
      this.bar.update(Math.min(Math.round(values.elapsedS), Math.round(this.totalS)), payload);
      return;
    }
    if (values.elapsedS - this.lastLineAtS >= this.plainEveryS) {
      this.lastLineAtS = values.elapsedS;
      this.write(
        `[${payload.elapsed}/${payload.total_s}s] ok ${values.ok} errors ${values.errors} fault ${values.fault}`,
      );
    }
  }

  stop(): void {
    this.bar?.stop();
  }
}
