// A minimal stand-in for the `vscode` module that lets the real bundled activate() run in plain
// Node and records the commands it registers. Every other API is a permissive proxy: any member
// can be read, called or constructed and returns another proxy; assignments are kept. Enough for
// checks on what activate() declares, nothing more (behaviour is tested end to end in VS Code).

import Module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function permissive(name: string, onRegister: (id: string) => void): unknown {
  const store: Record<string | symbol, unknown> = {};
  const target = function () { /* callable and constructible */ };
  return new Proxy(target, {
    set(_t, prop, value) { store[prop] = value; return true; },
    get(t, prop) {
      if (prop in store) return store[prop];
      if (prop === 'prototype') return t.prototype;
      if (prop === 'then') return undefined; // not a thenable: awaiting it must not hang
      if (prop === Symbol.toPrimitive) return () => '';
      if (prop === Symbol.iterator) return function* () { /* empty */ };
      // No folder open: activation lists the runs of the extension's storage folder (none).
      if (name === 'vscode.workspace' && prop === 'workspaceFolders') return undefined;
      if (name === 'vscode.commands' && (prop === 'registerCommand' || prop === 'registerTextEditorCommand')) {
        return (id: string) => { onRegister(id); return permissive('disposable', onRegister); };
      }
      return permissive(`${name}.${String(prop)}`, onRegister);
    },
    apply() { return permissive(`${name}()`, onRegister); },
    construct() { return permissive(`new ${name}`, onRegister) as object; },
  });
}

/** The namespaces and classes the extension imports from `vscode` (the bundle copies own keys). */
const NAMESPACES = ('window workspace commands languages extensions env l10n Uri Disposable Range Position EventEmitter TreeItem ' +
  'ThemeColor ThemeIcon Hover MarkdownString Diagnostic DiagnosticSeverity QuickPickItemKind StatusBarAlignment ConfigurationTarget ' +
  'ViewColumn TreeItemCollapsibleState ProgressLocation DecorationRangeBehavior debug DebugAdapterInlineImplementation').split(' ');

/**
 * Loads `bundle` (e.g. dist/extension.js) with `require('vscode')` answered by the recording stub,
 * runs its activate() and returns the command ids it registered, in order.
 */
export function activateRecording(bundle: string, extensionPath: string): string[] {
  const registered: string[] = [];
  const vscode = Object.fromEntries(NAMESPACES.map((n) => [n, permissive(`vscode.${n}`, (id) => registered.push(id))]));
  const mod = Module as unknown as { _load(request: string, ...rest: unknown[]): unknown };
  const original = mod._load;
  mod._load = function (request: string, ...rest: unknown[]) {
    return request === 'vscode' ? vscode : original.call(this, request, ...rest);
  };
  try {
    const ext = Module.createRequire(bundle)(bundle) as { activate(ctx: unknown): unknown };
    ext.activate({
      subscriptions: [],
      extensionPath,
      extensionUri: permissive('extensionUri', () => {}),
      globalStorageUri: { fsPath: join(tmpdir(), 'rnn-debugger-manifest-test-storage') },
      workspaceState: permissive('workspaceState', () => {}),
      globalState: permissive('globalState', () => {}),
      asAbsolutePath: (p: string) => `${extensionPath}/${p}`,
    });
  } finally {
    mod._load = original;
  }
  return registered;
}
