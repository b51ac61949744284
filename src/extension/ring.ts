// A bounded FIFO ("ring buffer") that keeps the newest items: by count, and optionally by an
// estimated byte budget (trace snapshots of T = 1000, H = 256 weigh megabytes each).

export class Ring<T> {
  private items: T[] = [];
  private start = 0;
  private bytes = 0;
  /** Items evicted so far (the UI can say "older snapshots are on disk"). */
  dropped = 0;

  constructor(
    readonly capacity: number,
    private readonly sizeOf?: (item: T) => number,
    readonly byteBudget = Number.POSITIVE_INFINITY,
  ) {
    if (!(capacity >= 1)) throw new Error(`ring capacity must be ≥ 1, got ${capacity}`);
  }

  get length(): number {
    return this.items.length - this.start;
  }

  get byteSize(): number {
    return this.bytes;
  }

  push(...xs: T[]): void {
    for (const x of xs) {
      this.items.push(x);
      this.bytes += this.sizeOf?.(x) ?? 0;
      // Evict the oldest while over budget, but always keep the newest item.
      while (this.length > this.capacity || (this.length > 1 && this.bytes > this.byteBudget)) this.evict();
    }
    // Compact lazily so push stays amortised O(1).
    if (this.start > 1024 && this.start * 2 > this.items.length) {
      this.items = this.items.slice(this.start);
      this.start = 0;
    }
  }

  private evict(): void {
    const x = this.items[this.start];
    this.items[this.start] = undefined as unknown as T;
    this.start++;
    this.dropped++;
    this.bytes -= this.sizeOf?.(x) ?? 0;
  }

  /** Oldest first. */
  toArray(): T[] {
    return this.items.slice(this.start);
  }

  last(): T | undefined {
    return this.length ? this.items[this.items.length - 1] : undefined;
  }

  clear(): void {
    this.items = [];
    this.start = 0;
    this.bytes = 0;
  }
}

export { typedBytes } from '../protocol/trace';
