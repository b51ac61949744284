// One walk over the typed arrays of a value made of plain objects and arrays (a TraceSnapshot, a
// hydrate message): for measuring it (typedBytes), packing it into one buffer (packTypedArrays,
// for the webview) and splitting it into JSON + binary (the run folder's splitBinary).

/** Deepest nesting followed (a hydrate message's saturation arrays sit at depth 8). */
const MAX_DEPTH = 32;

/** Every typed array in `x`, in walk order (objects by key order, arrays by index). */
export function collectTypedArrays(x: unknown): ArrayBufferView[] {
  const out: ArrayBufferView[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (ArrayBuffer.isView(v)) out.push(v);
    else if (v !== null && typeof v === 'object' && depth < MAX_DEPTH) for (const c of Array.isArray(v) ? v : Object.values(v)) walk(c, depth + 1);
  };
  walk(x, 0);
  return out;
}

/**
 * A copy of `x` with each typed array replaced by `onTyped(a)` and every other leaf by
 * `onLeaf(v)` (default: itself). Objects and arrays are rebuilt; nothing in `x` is modified.
 */
export function mapTypedArrays(x: unknown, onTyped: (a: ArrayBufferView) => unknown, onLeaf: (v: unknown) => unknown = (v) => v): unknown {
  const walk = (v: unknown, depth: number): unknown => {
    if (ArrayBuffer.isView(v)) return onTyped(v);
    if (v === null || typeof v !== 'object' || depth >= MAX_DEPTH) return onLeaf(v);
    if (Array.isArray(v)) return v.map((c) => walk(c, depth + 1));
    return Object.fromEntries(Object.entries(v).map(([k, c]) => [k, walk(c, depth + 1)]));
  };
  return walk(x, 0);
}

/** Bytes held by the typed arrays of a value. */
export function typedBytes(x: unknown): number {
  return collectTypedArrays(x).reduce((n, a) => n + a.byteLength, 0);
}

type Ctor = new (buffer: ArrayBuffer, byteOffset: number, length: number) => ArrayBufferView & { set(a: ArrayLike<number>): void; length: number };

/**
 * A copy of `x` whose typed arrays are all views into one new ArrayBuffer (each aligned to its
 * element size). Why: VS Code passes each distinct ArrayBuffer of a webview message as its own
 * argument of an extension-host RPC call, whose argument count is one byte; past 253 buffers the
 * rest arrive as `undefined` and the webview rebuilds those arrays with length 0. One buffer per
 * message keeps every message far from that limit however many snapshots, layers or runs it holds.
 */
export function packTypedArrays<T>(x: T): T {
  const arrays = collectTypedArrays(x);
  const offsets = new Map<ArrayBufferView, number>();
  let size = 0;
  for (const a of arrays) {
    if (offsets.has(a)) continue;
    const el = (a as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
    size = Math.ceil(size / el) * el;
    offsets.set(a, size);
    size += a.byteLength;
  }
  const buffer = new ArrayBuffer(size);
  const copies = new Map<ArrayBufferView, ArrayBufferView>();
  return mapTypedArrays(x, (a) => {
    let c = copies.get(a);
    if (!c) {
      if (a instanceof DataView) {
        new Uint8Array(buffer, offsets.get(a)!, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
        c = new DataView(buffer, offsets.get(a)!, a.byteLength);
      } else {
        const ctor = a.constructor as Ctor;
        const view = new ctor(buffer, offsets.get(a)!, (a as unknown as { length: number }).length);
        view.set(a as unknown as ArrayLike<number>);
        c = view;
      }
      copies.set(a, c);
    }
    return c;
  }) as T;
}
