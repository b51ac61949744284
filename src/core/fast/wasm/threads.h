/* One worker thread beside the caller over this module's shared memory (threads.c): the caller
 * posts a job (job_post), does its own share, then waits for the worker's (job_join). Built with
 * -matomics: the module's memory is a shared WebAssembly.Memory the worker instantiates too. */
#ifndef THREADS_H
#define THREADS_H

#define JOB_SGEMM 1

/* The one job slot, in shared memory (the JavaScript side allocates job_bytes() for it). */
typedef struct {
  int seq;   /* bumped by the caller for each job; the worker waits on it */
  int done;  /* set to seq by the worker when its share is finished; the caller waits on it */
  int ready; /* 1 while the worker's loop runs, -1 once it has stopped */
  int quit;  /* set with a last seq: the worker's loop returns */
  int kind;  /* JOB_* */
  int jobs;  /* shares the worker has run (tests read it) */
  /* JOB_SGEMM: the worker's columns [j0, j1) (sgemm.c's sgemm_cols). */
  int ta, tb, M, N, K, lda, ldb, ldc, j0, j1;
  const float *A, *B;
  float *C, *tscratch, *pack;
  float beta;
} job_t;

int job_worker_ready(job_t *job);
/* Hands the filled-in job to the worker; returns its sequence number for job_join. */
int job_post(job_t *job);
/* Returns once the worker has finished job `seq`. */
void job_join(job_t *job, int seq);
/* The worker's share of a JOB_SGEMM (sgemm.c). */
void job_run_sgemm(const job_t *job);

#endif
