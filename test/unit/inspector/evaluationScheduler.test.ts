// When the inspector evaluates a document: pending asks replace each other, an ask during a request
// waits for it, answers to requests made before a drop or re-target are stale, and new weights ask
// for an evaluation at most once per refresh interval.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { EvaluationScheduler } from '../../../src/extension/inspector/evaluationScheduler';

interface Doc {
  uri: string;
}

/** A scheduler whose evaluations are requests the test answers (answer()); `live` as given. */
function harness(t: TestContext, live: (s: Doc) => boolean = () => true) {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const answers: (() => void)[] = [];
  const fresh: (() => boolean)[] = [];
  const scheduler: EvaluationScheduler<Doc> = new EvaluationScheduler<Doc>(
    (s) =>
      void scheduler.run(s, (isFresh) => {
        fresh.push(isFresh);
        return new Promise<void>((resolve) => answers.push(resolve));
      }),
    live,
  );
  /** Answer the oldest open request and let the scheduler see it. */
  const answer = async (): Promise<void> => {
    answers.shift()?.();
    for (let k = 0; k < 5; k++) await Promise.resolve();
  };
  return { scheduler, fresh, answer, tick: (ms: number) => t.mock.timers.tick(ms) };
}

const doc: Doc = { uri: 'file:///a.txt' };

test('a later ask replaces a pending one', (t) => {
  const h = harness(t);
  h.scheduler.schedule(doc, 100);
  h.scheduler.schedule(doc, 500);
  h.tick(100);
  assert.equal(h.fresh.length, 0, 'the first ask was replaced');
  h.tick(400);
  assert.equal(h.fresh.length, 1);
  h.tick(1000);
  assert.equal(h.fresh.length, 1);
});

test('asks made while a request runs give one more evaluation, when it returns', async (t) => {
  const h = harness(t);
  h.scheduler.schedule(doc, 0);
  h.tick(0);
  assert.equal(h.fresh.length, 1);
  h.scheduler.schedule(doc, 0);
  h.tick(0);
  h.scheduler.schedule(doc, 10);
  h.tick(10);
  assert.equal(h.fresh.length, 1, 'no second request while one is in flight');
  await h.answer();
  h.tick(0);
  assert.equal(h.fresh.length, 2, 'the asks made meanwhile run once');
  await h.answer();
  h.tick(1000);
  assert.equal(h.fresh.length, 2);
});

test('an ask made during a request of a session no longer inspected is not run', async (t) => {
  let live = true;
  const h = harness(t, () => live);
  h.scheduler.schedule(doc, 0);
  h.tick(0);
  h.scheduler.schedule(doc, 0);
  h.tick(0);
  live = false;
  await h.answer();
  h.tick(1000);
  assert.equal(h.fresh.length, 1);
});

test('answers to requests made before a re-target or drop are stale; a drop cancels the pending ask', async (t) => {
  const h = harness(t);
  h.scheduler.schedule(doc, 0);
  h.tick(0);
  assert.equal(h.fresh[0](), true);
  h.scheduler.retarget(doc.uri);
  assert.equal(h.fresh[0](), false);
  await h.answer();

  h.scheduler.schedule(doc, 0);
  h.tick(0);
  assert.equal(h.fresh[1](), true);
  h.scheduler.schedule(doc, 50);
  h.scheduler.drop(doc.uri);
  assert.equal(h.fresh[1](), false);
  await h.answer();
  h.tick(1000);
  assert.equal(h.fresh.length, 2, 'the ask pending at the drop never ran');
});

test('new weights ask for an evaluation a refresh interval after the last one started, unless one is pending', async (t) => {
  const h = harness(t);
  h.scheduler.schedule(doc, 1000);
  h.tick(1000);
  await h.answer();
  h.tick(1000); // now 2000; the last request started at 1000
  h.scheduler.refresh(doc, 5000);
  h.tick(3999);
  assert.equal(h.fresh.length, 1);
  h.tick(1);
  assert.equal(h.fresh.length, 2, 'evaluated at 6000');
  await h.answer();

  h.scheduler.schedule(doc, 10_000);
  h.scheduler.refresh(doc, 0);
  h.tick(9999);
  assert.equal(h.fresh.length, 2, 'a pending ask is not brought forward');
  h.tick(1);
  assert.equal(h.fresh.length, 3);
});
