// The manifest and the code agree: every command the extension registers is declared (with the
// category and, for palette commands, a title), every setting the host reads is declared with the
// same default, and the spec schema the manifest points *.rnn.json files at exists.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { settingDefaults } from '../../../src/extension/settingKeys';

const ROOT = join(__dirname, '..', '..', '..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [readFileSync(join(dir, e.name), 'utf8')] : []);
}

test('every registered command is declared in package.json with the RNN Debugger category', () => {
  const declared = new Map<string, { category?: string; title?: string }>(manifest.contributes.commands.map((c: { command: string }) => [c.command, c]));
  const text = sources(join(ROOT, 'src', 'extension')).join('\n');
  // Command ids are registered either literally or through the Command constant of commands.ts.
  const ids = new Set<string>();
  for (const m of text.matchAll(/registerCommand\(\s*'([^']+)'/g)) ids.add(m[1]);
  for (const m of text.matchAll(/^\s+[A-Z]\w*: '(rnnDebugger\.[\w.]+)',$/gm)) ids.add(m[1]);
  assert.ok(ids.has('rnnDebugger.train') && ids.has('rnnDebugger.stop'), `the scan found too few commands: ${[...ids].join(', ')}`);
  const missing = [...ids].filter((id) => id.split('.').length >= 2 && !declared.has(id) && !/inspecting|training|running|paused|hasRuns|panel$|units$|runs$|diagnostics$/.test(id));
  assert.deepEqual(missing, [], 'registered but not declared in contributes.commands');
  for (const [id, c] of declared) assert.equal(c.category, 'RNN Debugger', `${id} has no category`);
});

test('the palette offers Train, Stop, Pause, Resume, Show Panel, Open Run, Compare Runs and Export Run', () => {
  const titles = manifest.contributes.commands.map((c: { title: string }) => c.title);
  for (const t of ['Train RNN', 'Stop Training', 'Pause Training', 'Resume Training', 'Show Panel', 'Open Run…', 'Compare Runs', 'Export Run']) {
    assert.ok(titles.includes(t), `no command titled "${t}"`);
  }
  const hidden = new Set(manifest.contributes.menus.commandPalette.filter((m: { when: string }) => m.when === 'false').map((m: { command: string }) => m.command));
  for (const id of ['rnnDebugger.train', 'rnnDebugger.stop', 'rnnDebugger.openRun']) assert.ok(!hidden.has(id), `${id} is hidden from the palette`);
});

test('every setting the host reads is declared with the same default', () => {
  const props = manifest.contributes.configuration.properties as Record<string, { default: unknown }>;
  for (const [key, value] of Object.entries(settingDefaults())) {
    assert.ok(props[key], `setting ${key} is read by the host but not declared`);
    assert.deepEqual(props[key].default, value, `setting ${key}: package.json default differs from the code's`);
  }
});

test('settings that choose where files go or how processes start are not taken from an untrusted workspace', () => {
  const props = manifest.contributes.configuration.properties as Record<string, { scope?: string; description: string }>;
  const restricted = new Set<string>(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations ?? []);
  // A setting that names a place on disk, a port, a program, process arguments or which native
  // module loads: a workspace must not set it before it is trusted.
  const sensitive = Object.keys(props).filter((k) => /folder|path|port|node|exec|program|args|command|backend/i.test(k));
  for (const k of ['rnnDebugger.runsFolder', 'rnnDebugger.trainer.debugPort', 'rnnDebugger.backend']) assert.ok(sensitive.includes(k), `${k} should count as sensitive`);
  for (const k of sensitive) {
    assert.ok(props[k].scope === 'machine' || restricted.has(k), `${k} must be "scope": "machine" or listed in capabilities.untrustedWorkspaces.restrictedConfigurations`);
  }
  for (const k of restricted) assert.ok(props[k], `restrictedConfigurations names ${k}, which is not a setting`);
});

test('*.rnn.json files are validated against the bundled schema, and the serializer can revive the panel', () => {
  const v = manifest.contributes.jsonValidation.find((j: { fileMatch: string }) => j.fileMatch === '*.rnn.json');
  assert.ok(v, 'no jsonValidation entry for *.rnn.json');
  assert.ok(existsSync(join(ROOT, v.url)), `${v.url} does not exist`);
  assert.ok(manifest.activationEvents.includes('onWebviewPanel:rnnDebugger.panel'), 'the panel serializer needs onWebviewPanel activation');
  const ignore = readFileSync(join(ROOT, '.vscodeignore'), 'utf8');
  assert.match(ignore, /schemas/, '.vscodeignore must keep the schema in the package');
});
