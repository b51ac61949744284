// When each inspected document is evaluated: a later ask replaces a pending one, an ask made while
// a request runs waits for it to return, and the answer to a request made before the document was
// dropped or re-targeted is ignored. No vscode: the timing is unit-tested.

interface DocumentState {
  timer: ReturnType<typeof setTimeout> | undefined;
  inFlight: boolean;
  /** Another evaluation was asked for while one ran: run it when that one returns. */
  again: boolean;
  lastStart: number;
  /** Bumped when the document is dropped or re-targeted; answers to older requests are ignored. */
  generation: number;
}

export class EvaluationScheduler<S extends { readonly uri: string }> {
  private readonly docs = new Map<string, DocumentState>();

  /**
   * `evaluate` is called when an evaluation of s is due and none is in flight; it hands the
   * request to run(). `live` says whether s is still the inspected session of its document.
   */
  constructor(
    private readonly evaluate: (s: S) => void,
    private readonly live: (s: S) => boolean,
  ) {}

  private state(key: string): DocumentState {
    let d = this.docs.get(key);
    if (!d) {
      d = { timer: undefined, inFlight: false, again: false, lastStart: 0, generation: 0 };
      this.docs.set(key, d);
    }
    return d;
  }

  /** Ask for an evaluation in `delayMs`; a later ask replaces an earlier pending one. */
  schedule(s: S, delayMs: number): void {
    const d = this.state(s.uri);
    if (d.timer) clearTimeout(d.timer);
    d.timer = setTimeout(() => {
      d.timer = undefined;
      if (d.inFlight) d.again = true;
      else this.evaluate(s);
    }, delayMs);
  }

  /** The model improved: evaluate again `everyMs` after the last request started, unless one is pending. */
  refresh(s: S, everyMs: number): void {
    const d = this.state(s.uri);
    if (d.timer) return;
    this.schedule(s, Math.max(0, d.lastStart + everyMs - Date.now()));
  }

  /**
   * Run one request for s. `request` gets `fresh()`, whether its answer still counts (the document
   * was not dropped or re-targeted since). An ask made meanwhile runs when it returns, if s is live.
   */
  async run(s: S, request: (fresh: () => boolean) => Promise<void>): Promise<void> {
    const d = this.state(s.uri);
    const generation = d.generation;
    d.inFlight = true;
    d.lastStart = Date.now();
    try {
      await request(() => generation === d.generation);
    } finally {
      d.inFlight = false;
      if (d.again && this.live(s)) {
        d.again = false;
        this.schedule(s, 0);
      }
    }
  }

  /** The document now reads with another run: answers to requests made before are ignored. */
  retarget(key: string): void {
    const d = this.docs.get(key);
    if (d) {
      d.generation++;
      d.again = false;
    }
  }

  /** The document is no longer inspected: cancel what is pending and ignore what is in flight. */
  drop(key: string): void {
    const d = this.docs.get(key);
    if (d?.timer) {
      clearTimeout(d.timer);
      d.timer = undefined;
    }
    this.retarget(key);
  }

  dispose(): void {
    for (const d of this.docs.values()) if (d.timer) clearTimeout(d.timer);
  }
}
