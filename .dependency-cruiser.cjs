/**
 * The dependency rules of docs/ARCHITECTURE.md, checked in `npm test`:
 * no cycles; another module only through its index.ts; shared/ never imports a module;
 * the admin UI never imports server code.
 */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'modules-only-through-index',
      comment: "A module uses another module only through that module's index.ts.",
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/' },
      to: { path: '^src/modules/([^/]+)/', pathNot: ['^src/modules/$1/', '^src/modules/[^/]+/index\\.ts$'] },
    },
    {
      name: 'entry-points-use-module-index',
      comment: 'app, server and CLI code reach modules through their index.ts too.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/modules/' },
      to: { path: '^src/modules/[^/]+/', pathNot: '^src/modules/[^/]+/index\\.ts$' },
    },
    {
      name: 'shared-never-imports-modules',
      severity: 'error',
      from: { path: '^src/shared/' },
      to: { path: '^src/(modules|modules\\.ts|app\\.ts|server\\.ts|cli\\.ts|ops/)' },
    },
    { name: 'web-not-server', severity: 'error', from: { path: '^web/' }, to: { path: '^src/' } },
    { name: 'no-unresolvable', severity: 'error', from: {}, to: { couldNotResolve: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
