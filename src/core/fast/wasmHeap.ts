// Float32Array blocks inside the wasm kernel's memory: the fused kernel keeps its work buffers
// (and a copy of the recurrent weights) there, so the wasm GEMM and gate maths read and write
// them in place instead of copying each operand in and out per call. First fit over a free list
// with coalescing; the memory grows on demand. A block whose view is garbage-collected without
// free() is reclaimed by a FinalizationRegistry.

/** The slice of WebAssembly.Memory used here. */
export interface WasmMemory {
  buffer: ArrayBufferLike;
  grow(pages: number): number;
}

const PAGE = 65536;
const align16 = (bytes: number): number => (bytes + 15) & ~15;

export class WasmHeap {
  /** Free blocks [at, at + size) sorted by address, never adjacent (coalesced). */
  private readonly freeList: { at: number; size: number }[] = [];
  /** Size of each block handed out, by address. */
  private readonly used = new Map<number, number>();
  /** The buffers this memory has had (a shared memory's buffer object changes when it grows). */
  private readonly buffers = new WeakSet<object>();
  private end: number;
  private readonly reclaim = new FinalizationRegistry<number>((at) => this.release(at));

  constructor(
    private readonly memory: WasmMemory,
    /** First free byte (the module's __heap_base). */
    start: number,
  ) {
    this.end = align16(start);
    this.buffers.add(memory.buffer);
  }

  /** The memory's current buffer (remembered, so views on it are recognised as this heap's). */
  buffer(): ArrayBufferLike {
    const b = this.memory.buffer;
    this.buffers.add(b);
    return b;
  }

  /** Whether `a` is a view into this memory (its byteOffset is then its address). */
  owns(a: ArrayBufferView): boolean {
    return this.buffers.has(a.buffer);
  }

  /**
   * `n` zeroed floats in this memory, 16-byte aligned; a plain Float32Array when the memory
   * cannot grow that far (the kernel then copies that operand, as for any outside array).
   */
  alloc(n: number): Float32Array {
    const view = this.reserve(n);
    if (this.owns(view)) this.reclaim.register(view, view.byteOffset, view);
    return view;
  }

  /**
   * Like alloc, but the block stays taken for the life of the memory even when its view is
   * dropped (state the module itself uses: the worker's job slot and stack).
   */
  reserve(n: number): Float32Array {
    const at = this.take(align16(Math.max(4 * n, 16)));
    if (at < 0) return new Float32Array(n);
    const view = new Float32Array(this.buffer(), at, n);
    view.fill(0);
    return view;
  }

  /** Gives back a block from alloc() (other arrays are ignored). */
  free(a: Float32Array): void {
    if (!this.owns(a) || !this.used.has(a.byteOffset)) return;
    this.reclaim.unregister(a);
    this.release(a.byteOffset);
  }

  /** Bytes handed out and not freed. */
  usedBytes(): number {
    let s = 0;
    for (const v of this.used.values()) s += v;
    return s;
  }

  private take(size: number): number {
    const k = this.freeList.findIndex((b) => b.size >= size);
    if (k >= 0) {
      const b = this.freeList[k];
      const at = b.at;
      if (b.size === size) this.freeList.splice(k, 1);
      else {
        b.at += size;
        b.size -= size;
      }
      this.used.set(at, size);
      return at;
    }
    const at = this.end;
    const need = at + size;
    const have = this.memory.buffer.byteLength;
    if (need > have) {
      try {
        this.memory.grow(Math.ceil((need - have) / PAGE));
      } catch {
        return -1; // past the module's maximum memory
      }
    }
    this.end = need;
    this.used.set(at, size);
    return at;
  }

  private release(at: number): void {
    const size = this.used.get(at);
    if (size === undefined) return;
    this.used.delete(at);
    let k = this.freeList.findIndex((b) => b.at > at);
    if (k < 0) k = this.freeList.length;
    this.freeList.splice(k, 0, { at, size });
    // Coalesce with the next block, then with the previous one.
    const next = this.freeList[k + 1];
    if (next && at + size === next.at) {
      this.freeList[k].size += next.size;
      this.freeList.splice(k + 1, 1);
    }
    const prev = this.freeList[k - 1];
    if (prev && prev.at + prev.size === at) {
      prev.size += this.freeList[k].size;
      this.freeList.splice(k, 1);
      k--;
    }
    // A free block at the top goes back to the unused end.
    const last = this.freeList[this.freeList.length - 1];
    if (last && last.at + last.size === this.end) {
      this.end = last.at;
      this.freeList.pop();
    }
  }
}
