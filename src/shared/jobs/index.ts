export {
  type BatchJobContext,
  defineJob,
  type EnqueueOptions,
  JOBS_CHANNEL,
  type JobContext,
  type JobDefinition,
  type JobInfo,
  JobQueue,
  jobRow,
  LANES,
  type Lane,
  notifyIfIdle,
  notifyIfIdleThrottled,
  PermanentJobError,
  WAKE_THROTTLE_MS,
} from './queue.js';
export { asRecurring, type RecurringJob, scheduleRecurring } from './recurring.js';
export { JobWorker, type WorkerOptions } from './worker.js';
