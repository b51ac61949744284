// The panel's only way out: acquireVsCodeApi() typed so postMessage accepts FromWebviewMessage
// alone; in the standalone report (no VS Code) a tiny adapter reads the embedded run data instead.

import type { FromWebviewMessage, HydrateMessage, RunData } from '../src/protocol/webview';
import { decodeRunJson } from '../src/protocol/runDataCodec';

/** What the panel may say to its host. */
export interface PanelHost {
  postMessage(message: FromWebviewMessage): void;
  /** Set in the standalone report: the data to show, in place of a host that answers `ready`. */
  readonly embedded?: HydrateMessage;
}

/** Shape of the JSON the report embeds in <script type="application/json" id="run-data">. */
export interface EmbeddedRunData { runs: RunData[] }

/** Connects to VS Code, or, in the standalone report, to the embedded run data. */
export function connectHost(): PanelHost {
  const embedded = document.getElementById('run-data');
  if (embedded && embedded.getAttribute('type') === 'application/json') {
    const data = decodeRunJson<EmbeddedRunData>(embedded.textContent ?? '{"runs":[]}');
    const runs = data.runs;
    return {
      postMessage: () => undefined,
      embedded: {
        type: 'hydrate', runs,
        shownRunIds: runs.slice(0, 2).map((r) => r.status.id),
        selection: { layer: 0, unit: 0, step: null },
      },
    };
  }
  if (typeof acquireVsCodeApi !== 'function') throw new Error('not running inside a VS Code webview and no embedded run data');
  const api = acquireVsCodeApi();
  return { postMessage: (m: FromWebviewMessage) => api.postMessage(m) };
}
