#!/usr/bin/env node
// The `leadwerk` command. Runs the compiled server (npm install builds it; `npm run build` rebuilds).
await import('../dist/src/main.js');
