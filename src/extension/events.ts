// A minimal event emitter with the same listener shape as vscode.Event, so the RunStore and the
// trainer client can be used (and unit-tested) without the vscode module.

/** Anything with a dispose(); structurally compatible with vscode.Disposable. */
export interface Disposable {
  dispose(): void;
}

/** Subscribe with a listener; dispose the result to unsubscribe (same shape as vscode.Event). */
export type Event<T> = (listener: (e: T) => unknown, thisArgs?: unknown, disposables?: Disposable[]) => Disposable;

export class Emitter<T> {
  private listeners = new Set<(e: T) => unknown>();

  readonly event: Event<T> = (listener, thisArgs, disposables) => {
    const bound = thisArgs === undefined ? listener : listener.bind(thisArgs);
    this.listeners.add(bound);
    const d: Disposable = { dispose: () => void this.listeners.delete(bound) };
    disposables?.push(d);
    return d;
  };

  /** Call every listener; one throwing listener does not stop the others (it is reported). */
  fire(e: T): void {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch (err) {
        console.error('RNN Debugger: event listener failed', err);
      }
    }
  }

  get hasListeners(): boolean {
    return this.listeners.size > 0;
  }

  dispose(): void {
    this.listeners.clear();
  }
}

/** A bag of disposables with one lifetime (the extension's, or one training run's). */
export class DisposableStore implements Disposable {
  private items: Disposable[] = [];
  private disposed = false;

  add<D extends Disposable>(d: D): D {
    if (this.disposed) d.dispose();
    else this.items.push(d);
    return d;
  }

  dispose(): void {
    this.disposed = true;
    for (const d of this.items.splice(0).reverse()) {
      try {
        d.dispose();
      } catch (err) {
        console.error('RNN Debugger: dispose failed', err);
      }
    }
  }
}
