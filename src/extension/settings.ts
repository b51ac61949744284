// The host's settings reader: typed values with the defaults of settingKeys.ts, so no other file
// spells a setting key.

import * as vscode from 'vscode';
import { DEFAULTS, KEYS, SECTION, type HostSettings, type Setting } from './settingKeys';

export { DEFAULTS, SECTION, Setting, type HostSettings } from './settingKeys';

export function readSettings(scope?: vscode.ConfigurationScope): HostSettings {
  const c = vscode.workspace.getConfiguration(SECTION, scope);
  const out = { ...DEFAULTS } as Record<keyof HostSettings, unknown>;
  for (const [k, key] of Object.entries(KEYS) as [keyof HostSettings, Setting][]) {
    const v = c.get(key);
    if (v !== undefined && v !== null && typeof v === typeof DEFAULTS[k]) out[k] = v;
  }
  return out as HostSettings;
}
