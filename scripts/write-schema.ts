// Writes schemas/rnn-spec.schema.json from the spec's one schema (src/protocol/specSchema.ts) (npm run schema); a unit test
// fails when the file and the code disagree.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runSpecJsonSchema } from '../src/protocol/specSchema';

const out = path.join(__dirname, '..', 'schemas', 'rnn-spec.schema.json');
fs.writeFileSync(out, JSON.stringify(runSpecJsonSchema(), null, 2) + '\n');
console.log(`wrote ${out}`);
