// Installs a .vsix the way VS Code does: the zip's extension/ folder becomes
// <extensionsDir>/<publisher>.<name>-<version>[-<target>]/. A small zip reader (central
// directory + raw inflate) so no unzip tool or extra package is needed.
// Usage: node scripts/install-vsix.mjs <file.vsix> <extensionsDir>   (prints the folder)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

/** Entries of a zip archive: name → bytes. */
export function readZip(buf) {
  // End of central directory: signature 0x06054b50 within the last 64 KiB + 22 bytes.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  if (eocd < 0) throw new Error('not a zip archive (no end of central directory)');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out = new Map();
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const method = buf.readUInt16LE(p + 10), csize = buf.readUInt32LE(p + 20);
    const nlen = buf.readUInt16LE(p + 28), xlen = buf.readUInt16LE(p + 30), clen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nlen);
    p += 46 + nlen + xlen + clen;
    if (name.endsWith('/')) continue;
    const data = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(data, data + csize);
    if (method === 0) out.set(name, Buffer.from(raw));
    else if (method === 8) out.set(name, inflateRawSync(raw));
    else throw new Error(`${name}: unsupported zip method ${method}`);
  }
  return out;
}

/** Unpacks `vsix` into `extensionsDir` as VS Code would; returns the extension's folder. */
export function installVsix(vsix, extensionsDir) {
  const entries = readZip(readFileSync(vsix));
  const pkg = JSON.parse(entries.get('extension/package.json')?.toString('utf8') ?? 'null');
  if (!pkg) throw new Error(`${vsix} holds no extension/package.json`);
  const manifest = entries.get('extension.vsixmanifest')?.toString('utf8') ?? '';
  const target = /TargetPlatform="([^"]+)"/.exec(manifest)?.[1];
  const dir = resolve(extensionsDir, `${pkg.publisher}.${pkg.name}-${pkg.version}${target ? `-${target}` : ''}`);
  for (const [name, bytes] of entries) {
    if (!name.startsWith('extension/')) continue;
    const file = resolve(dir, name.slice('extension/'.length));
    if (!file.startsWith(dir + sep)) throw new Error(`${name} escapes the extension folder`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, bytes, { mode: 0o755 });
  }
  return dir;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [vsix, dir] = process.argv.slice(2);
  if (!vsix || !dir) {
    console.error('usage: node scripts/install-vsix.mjs <file.vsix> <extensionsDir>');
    process.exit(2);
  }
  console.log(installVsix(vsix, dir));
}
