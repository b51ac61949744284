// The manifest and the code agree: the commands the bundled activate() registers are exactly the
// declared ones (each with the category and, for palette commands, a title), every setting the host reads is declared with the
// same default, and the spec schema the manifest points *.rnn.json files at exists.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { settingDefaults } from '../../../src/extension/settingKeys';
import { activateRecording } from './recordingVscode';

const ROOT = join(__dirname, '..', '..', '..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

test('every declared command is registered by activate(), and every registered command is declared', () => {
  // The real bundle's activate(), run against a recording vscode stub: what the extension
  // registers at run time, however the ids are spelled in the source.
  const bundle = join(ROOT, 'dist', 'extension.js');
  assert.ok(existsSync(bundle), 'dist/extension.js is missing: run npm run build first');
  const registered = activateRecording(bundle, ROOT);
  const declared = new Map<string, { category?: string; title?: string }>(manifest.contributes.commands.map((c: { command: string }) => [c.command, c]));
  assert.equal(new Set(registered).size, registered.length, `registered twice: ${registered.filter((id, k) => registered.indexOf(id) !== k).join(', ')}`);
  assert.deepEqual(registered.filter((id) => !declared.has(id)), [], 'registered but not declared in contributes.commands');
  assert.deepEqual([...declared.keys()].filter((id) => !registered.includes(id)), [], 'declared in contributes.commands but never registered');
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
