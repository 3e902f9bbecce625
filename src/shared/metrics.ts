import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** One registry per process; passed in, never global, so tests can build several apps. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'leadwerk_' });
  return {
    registry,
    httpRequests: new Counter({
      name: 'leadwerk_http_requests_total',
      help: 'HTTP requests by method, route and status',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'leadwerk_http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames: ['method', 'route'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    jobsCompleted: new Counter({
      name: 'leadwerk_jobs_completed_total',
      help: 'Jobs completed',
      labelNames: ['name'] as const,
      registers: [registry],
    }),
    jobsFailed: new Counter({
      name: 'leadwerk_jobs_failed_total',
      help: 'Job attempts that failed and will be retried',
      labelNames: ['name'] as const,
      registers: [registry],
    }),
    jobsDead: new Counter({
      name: 'leadwerk_jobs_dead_total',
      help: 'Jobs moved to the dead letters',
      labelNames: ['name'] as const,
      registers: [registry],
    }),
    jobsInQueue: new Gauge({
      name: 'leadwerk_jobs',
      help: 'Jobs in the queue by lane and state (read from the database at scrape time)',
      labelNames: ['lane', 'state'] as const,
      registers: [registry],
    }),
    jobDuration: new Histogram({
      name: 'leadwerk_job_duration_seconds',
      help: 'Job handler duration',
      labelNames: ['name'] as const,
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
