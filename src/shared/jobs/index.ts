export {
  defineJob,
  type EnqueueOptions,
  JOBS_CHANNEL,
  type JobContext,
  type JobDefinition,
  type JobInfo,
  JobQueue,
  LANES,
  type Lane,
  PermanentJobError,
} from './queue.js';
export { asRecurring, type RecurringJob, scheduleRecurring } from './recurring.js';
export { JobWorker, type WorkerOptions } from './worker.js';
