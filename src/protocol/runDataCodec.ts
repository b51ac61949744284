// JSON encoding of run data that keeps typed arrays (as base64) and non-finite numbers (NaN,
// ±Infinity) intact. The standalone report embeds runs this way; the panel decodes them.

type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array | Uint32Array | Int16Array | Uint16Array | Int8Array;
const TYPED: Record<string, new (b: ArrayBuffer) => TypedArray> = {
  Float32Array, Float64Array, Int32Array, Uint8Array, Uint32Array, Int16Array, Uint16Array, Int8Array,
};

function toBase64(bytes: Uint8Array): string {
  let s = '';
  const chunk = 0x8000;
  for (let k = 0; k < bytes.length; k += chunk) s += String.fromCharCode(...bytes.subarray(k, k + chunk));
  return btoa(s);
}

function fromBase64(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let k = 0; k < s.length; k++) out[k] = s.charCodeAt(k);
  return out;
}

/** JSON text of a value; typed arrays become {"$typed": kind, "base64": …}, NaN {"$num": "NaN"}. */
export function encodeRunJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) return { $num: String(v) };
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      const kind = v.constructor.name;
      if (!(kind in TYPED)) throw new Error(`cannot encode ${kind}`);
      return { $typed: kind, base64: toBase64(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
    }
    return v;
  });
}

/** The inverse of encodeRunJson. */
export function decodeRunJson<T>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.$num === 'string') return Number(o.$num);
      if (typeof o.$typed === 'string' && typeof o.base64 === 'string') {
        const Ctor = TYPED[o.$typed];
        if (!Ctor) throw new Error(`unknown typed array ${o.$typed}`);
        const bytes = fromBase64(o.base64);
        // Copy into a fresh buffer: the view must be aligned for its element size.
        return new Ctor(bytes.slice().buffer);
      }
    }
    return v;
  }) as T;
}

/** JSON text safe to place inside <script type="application/json">: no "</script", no "<!--". */
export function escapeForScriptTag(json: string): string {
  return json.replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
