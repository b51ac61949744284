// Headless command line: `rnn-debugger train` runs an experiment and writes its run folder;
// `rnn-debugger trace` evaluates a saved char-level run on a text file and writes the full
// per-timestep trace; `rnn-debugger report` writes a run's self-contained HTML report (the panel's
// own code, viewable in any browser). Exit codes: 0 done, 1 the run failed, 2 bad input.

import { DataError } from './core/data';
import { SpecError } from './core/spec';
import { parseFlags, UsageError, type CliIO } from './cli/flags';
import { report } from './cli/report';
import { trace } from './cli/trace';
import { train } from './cli/train';

export const HELP = `rnn-debugger: train recurrent networks and record what happens inside them.

Usage:
  rnn-debugger train [options]      train and write a run folder
  rnn-debugger trace --run <dir> --text <file> [--out trace.json] [--jacobian]
                                    evaluate a saved character-level run on a text file
  rnn-debugger report --run <dir> [--out report.html]
                                    write the run's standalone HTML report (any browser, offline)
  rnn-debugger --help

train options (each overrides the spec file):
  --spec <f.rnn.json>   experiment file (see schemas/rnn-spec.schema.json)
  --data <path>         text file (character-level) or .csv file (next-value regression)
  --task <name>         adding | copy | delayed-recall (synthetic long-memory task)
  --cell <kind>         lstm | gru | rnn | lstm-no-output-gate | lstm-no-input-gate | lstm-forget-only
  --hidden <N>          units per layer          --layers <N>     stacked layers (1-3)
  --steps <N>           optimisation steps       --lr <x>         learning rate
  --optimizer <name>    adam | sgd | rmsprop     --batch <N>      batch size
  --seq <N>             BPTT window (text/CSV) or task length T (tasks)
  --clip <x|none>       clip the global gradient norm
  --backend <name>      auto | webgpu | tensorflow-gpu | tensorflow | wasm | cpu
  --seed <N>            seed of data, initialisation and batching
  --trace-every <N>     record a full trace snapshot every N steps
  --out <dir>           parent folder of the run folder (default runs/)
  --quiet               print only the backend and the final line
  --no-report           do not write report.html into the run folder at the end

Exit codes: 0 completed or stopped (Ctrl-C), 1 the run failed, 2 bad input.`;

/** Runs the CLI with `args` (without node and the script); returns the exit code. */
export async function main(args: string[], io: CliIO = { out: (l) => console.log(l), err: (l) => console.error(l) }, cwd = process.cwd()): Promise<number> {
  try {
    const [command, ...rest] = args;
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      io.out(HELP);
      return command === undefined ? 2 : 0;
    }
    const flags = parseFlags(rest);
    if (flags.help) {
      io.out(HELP);
      return 0;
    }
    if (command === 'train') return await train(flags, io, cwd);
    if (command === 'trace') return await trace(flags, io, cwd);
    if (command === 'report') return await report(flags, io, cwd);
    throw new UsageError(`unknown command '${command}' (train, trace or report; see --help)`);
  } catch (e) {
    if (e instanceof UsageError || e instanceof SpecError || e instanceof DataError) {
      io.err(`rnn-debugger: ${e.message}`);
      return 2;
    }
    io.err(`rnn-debugger: ${(e as Error).stack ?? e}`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
