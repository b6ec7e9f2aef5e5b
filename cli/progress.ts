/**
 * The one stderr progress display of every long-running command (verify, export, package, who):
 * on a terminal one line rewritten in place (at most every `minTtyIntervalMs`, milestones always);
 * otherwise (CI logs, a pipe) a `progress: ...` line for each milestone and every `every` updates,
 * so logs stay short. stdout stays for the answer only.
 */
export interface ProgressSink {
  /** `milestone`: a state change (query submitted, N more digests), always shown. */
  update(line: string, milestone?: boolean): void;
  /** Clears the terminal line, if one was drawn. */
  done(): void;
}

export const silentProgress: ProgressSink = { update: () => undefined, done: () => undefined };

export interface StderrLike {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface StderrProgressOptions {
  /** Non-terminal: print every Nth non-milestone update (Infinity: milestones only). */
  every?: number;
  /** Terminal: redraw at most this often, except for milestones. */
  minTtyIntervalMs?: number;
  clock?: () => number;
}

export class StderrProgress implements ProgressSink {
  private calls = 0;
  private lastDraw = -Infinity;
  private drawn = false;
  private readonly every: number;
  private readonly minTtyIntervalMs: number;
  private readonly clock: () => number;

  constructor(
    private readonly stderr: StderrLike,
    options: StderrProgressOptions = {},
  ) {
    this.every = options.every ?? 10;
    this.minTtyIntervalMs = options.minTtyIntervalMs ?? 200;
    this.clock = options.clock ?? Date.now;
  }

  update(line: string, milestone = false): void {
    this.calls++;
    if (this.stderr.isTTY) {
      const now = this.clock();
      if (!milestone && now - this.lastDraw < this.minTtyIntervalMs) return;
      this.lastDraw = now;
      this.stderr.write(`\r${line}\u001b[K`);
      this.drawn = true;
    } else if (milestone || this.calls % this.every === 0) {
      this.stderr.write(`progress: ${line}\n`);
    }
  }

  done(): void {
    if (this.drawn) this.stderr.write("\r\u001b[K");
    this.drawn = false;
  }
}

/** The verifier's progress counters (cloudtrail/verify VerifyProgress), structurally. */
export interface DigestWalkProgress {
  region: string;
  digestsChecked: number;
  logFilesChecked: number;
  uncompressedLogBytes: number;
}

/**
 * Verification progress on a sink: every update on a terminal, a line per `everyDigests` digests
 * elsewhere (a short run stays quiet).
 */
export function digestWalkReporter(sink: ProgressSink, everyDigests: number, label = ""): (p: DigestWalkProgress) => void {
  let lastReported = 0;
  return (p) => {
    const mib = (p.uncompressedLogBytes / (1024 * 1024)).toFixed(1);
    const milestone = p.digestsChecked >= lastReported + everyDigests;
    if (milestone) lastReported = p.digestsChecked;
    sink.update(`${label}${p.region}: ${p.digestsChecked} digests, ${p.logFilesChecked} log files, ${mib} MiB verified`, milestone);
  };
}
