// The inspector's settings (package.json contributes them under rnnDebugger.inspector.*): the
// keys, declared once, and readers with their defaults.

import * as vscode from 'vscode';

/** Setting keys, declared once. */
export const INSPECTOR_SETTINGS = {
  section: 'rnnDebugger.inspector',
  threshold: 'threshold',
  maxCharacters: 'maxCharacters',
  refreshSeconds: 'refreshSeconds',
  autoInspect: 'autoInspect',
} as const;

function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(INSPECTOR_SETTINGS.section);
}

/** A unit is "on" at a character when its value (times its sign) is at least this. */
export function threshold(): number {
  return config().get<number>(INSPECTOR_SETTINGS.threshold, 0.3);
}

/** Store the threshold in the workspace's settings (the user's when no folder is open). */
export async function setThreshold(value: number): Promise<void> {
  const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await config().update(INSPECTOR_SETTINGS.threshold, value, target);
}

/** Most characters evaluated at once (a window of a longer document). */
export function maxCharacters(): number {
  return Math.max(100, config().get<number>(INSPECTOR_SETTINGS.maxCharacters, 4000));
}

/** Least time between two evaluations a run's new weights ask for, in ms. */
export function refreshMs(): number {
  return 1000 * config().get<number>(INSPECTOR_SETTINGS.refreshSeconds, 5);
}

/** Tint the open training file of every live text run without being asked. */
export function autoInspect(): boolean {
  return config().get<boolean>(INSPECTOR_SETTINGS.autoInspect, true);
}
