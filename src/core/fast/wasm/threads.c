/* The worker's loop and the caller's post/join for threads.h. The worker spins briefly on the
 * job counter (jobs come every few microseconds during a training pass), then sleeps in
 * memory.atomic.wait32 so an idle worker costs almost nothing. The caller only spins while the
 * worker finishes its share (about as long as the caller's own): with Node 20 a
 * memory.atomic.wait32 on the main thread was seen to stay asleep though the value had changed
 * (hangs in tests), so the main thread never sleeps in the module. */
#include "threads.h"

#define EXPORT(name) __attribute__((export_name(name)))
/* Polls before sleeping: about 50–100 µs of spinning on these machines. */
#define SPINS (1 << 14)

static inline int load(int *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static inline void store(int *p, int v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }
static inline void notify(int *p) { __builtin_wasm_memory_atomic_notify(p, 1); }

/* The worker's sleeps are bounded (1 ms): a wake-up that went missing would cost a millisecond,
 * never a hang. */
#define SLEEP_NS 1000000LL

/* Returns the value of *p once it differs from `old` (spinning, then sleeping). */
static int wait_change(int *p, int old) {
  int v;
  for (int spin = 0; (v = load(p)) == old; spin++)
    if (spin >= SPINS) {
      __builtin_wasm_memory_atomic_wait32(p, old, SLEEP_NS);
      spin = 0;
    }
  return v;
}

EXPORT("job_bytes")
int job_bytes(void) { return sizeof(job_t); }

int job_worker_ready(job_t *job) { return load(&job->ready) == 1; }

int job_post(job_t *job) {
  int seq = job->seq + 1;
  store(&job->seq, seq);
  notify(&job->seq);
  return seq;
}

void job_join(job_t *job, int seq) {
  while (load(&job->done) != seq) continue;
}

/* Asks the worker's loop to return (the JavaScript side then ends the worker thread). */
EXPORT("job_quit")
void job_quit(job_t *job) {
  store(&job->quit, 1);
  job_post(job);
}

/* The worker thread's whole life: run each posted job's share until asked to quit. */
EXPORT("worker_loop")
void worker_loop(job_t *job) {
  int seen = load(&job->seq);
  store(&job->ready, 1);
  notify(&job->ready);
  for (;;) {
    seen = wait_change(&job->seq, seen);
    if (load(&job->quit)) break;
    if (job->kind == JOB_SGEMM) job_run_sgemm(job);
    job->jobs++;
    store(&job->done, seen);
    notify(&job->done);
  }
  store(&job->ready, -1);
  notify(&job->ready);
}
