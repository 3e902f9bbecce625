import { defineJob } from '../../shared/jobs/index.js';
import type { AppDeps } from '../../shared/module.js';
import { REPERMISSION_MAIL_JOB } from './job-refs.js';
import { sendRequestMail } from './mail.jobs.js';
import { REPERMISSION_TEMPLATE_ID, renderRepermissionMail } from './mail-content.js';

/** The re-permission mail of one request: like the double opt-in mail, on the bulk lane. */
export const repermissionMailJob = (deps: AppDeps) =>
  defineJob({
    ...REPERMISSION_MAIL_JOB,
    handler: (payload, ctx) =>
      sendRequestMail(deps, ctx, payload, {
        templateId: REPERMISSION_TEMPLATE_ID,
        render: renderRepermissionMail,
        keyPrefix: 'consent.repermission',
        lane: 'bulk',
        event: 'consent.repermission-mail',
      }),
  });
