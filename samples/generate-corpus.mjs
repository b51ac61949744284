// Writes samples/corpus.txt: a self-written, seeded grammar of logbook prose (with quoted speech
// and nested parentheses) interleaved with small indented code listings (brackets, blocks), so a
// char-level model has long-range structure to learn: open quotes, bracket depth, indentation.
// Usage: node samples/generate-corpus.mjs  (deterministic; the output is committed)
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let s = 12345;
const rnd = () => {
  s = (s + 0x6d2b79f5) >>> 0;
  let t = s;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (a) => a[Math.floor(rnd() * a.length)];
const cap = (x) => x[0].toUpperCase() + x.slice(1);

const names = ['Anna', 'Tomas', 'the keeper', 'old Maren', 'the boy', 'the pilot', 'Ilse'];
const winds = ['north', 'west', 'south', 'east', 'north-west'];
const seas = { north: 'rough', west: 'calm', south: 'slow', east: 'grey', 'north-west': 'restless' };
const things = ['the lamp', 'the bell', 'the boat', 'the rope', 'the stove', 'the clock', 'the logbook', 'the window'];
const verbs = ['mended', 'checked', 'cleaned', 'painted', 'wound', 'tied', 'lit', 'watched'];
const times = ['at dusk', 'before noon', 'early', 'late', 'at first light', 'after supper'];
const says = ['said', 'asked', 'called', 'whispered', 'answered'];
const remarks = [
  'it will pass by morning',
  'the glass is falling again',
  'nobody comes out here in this weather',
  'we should have brought more oil',
  'that gull has been here for a week',
  'count the ships, not the waves',
  'the light must never go out',
];

function aside(depth) {
  const inner = depth < 1 && rnd() < 0.3 ? ` ${aside(depth + 1)}` : '';
  return `(${pick(['as usual', 'twice', 'for the third time', 'without a word', 'in the rain', 'slowly'])}${inner})`;
}

function speech() {
  const who = pick(names);
  const r = pick(remarks);
  return rnd() < 0.5 ? `"${cap(r)}," ${pick(says)} ${who}.` : `${cap(who)} ${pick(says)}: "${cap(r)}."`;
}

function entry(day) {
  const w = pick(winds);
  const parts = [`Day ${day}. The wind came from the ${w}, the sea was ${seas[w]}, and the lamp was lit ${w.startsWith('north') ? 'early' : 'at dusk'}.`];
  const n = 2 + Math.floor(rnd() * 4);
  for (let i = 0; i < n; i++) {
    const r = rnd();
    if (r < 0.35) parts.push(speech());
    else if (r < 0.7) parts.push(`${cap(pick(names))} ${pick(verbs)} ${pick(things)} ${pick(times)} ${aside(0)}.`);
    else parts.push(`${cap(pick(things))} was ${pick(['fine', 'cold', 'wet', 'broken again', 'quiet'])}; ${pick(names)} ${pick(verbs)} it ${pick(times)}.`);
  }
  return parts.join(' ');
}

function listing(k) {
  const fn = pick(['tally', 'summarise', 'check_log', 'count_winds', 'lamp_hours']);
  const key = pick(winds);
  const lines = [
    `def ${fn}_${k}(entries, limit=${1 + Math.floor(rnd() * 9)}):`,
    `    counts = {"${key}": 0, "other": 0}`,
    `    for day, (wind, sea) in enumerate(entries):`,
    `        if wind == "${key}" and sea in ["${seas[key]}", "${pick(Object.values(seas))}"]:`,
    `            counts["${key}"] += 1`,
  ];
  if (rnd() < 0.6) lines.push(`            if counts["${key}"] > limit:`, `                return (day, counts["${key}"])`);
  lines.push(`        else:`, `            counts["other"] += ${1 + Math.floor(rnd() * 3)}`);
  if (rnd() < 0.5) lines.push(`    notes = [(w, s) for (w, s) in entries[:limit] if w != "${pick(winds)}"]`, `    counts["notes"] = len(notes)`);
  lines.push(`    return counts`);
  return lines.join('\n');
}

const out = [];
let day = 1;
let bytes = 0;
while (bytes < 40000) {
  const para = [];
  for (let i = 0; i < 3; i++) para.push(entry(day++));
  out.push(para.join(' '));
  if (day % 4 === 1) out.push(listing(day));
  bytes = out.join('\n\n').length;
}
const here = dirname(fileURLToPath(import.meta.url));
writeFileSync(join(here, 'corpus.txt'), out.join('\n\n') + '\n');
console.log(`wrote corpus.txt (${bytes} characters)`);
