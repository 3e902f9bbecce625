import { runCli } from './cli.js';

// Entry point of the `leadwerk` command and of `npm start` (= `leadwerk serve`).
await runCli(process.argv);
