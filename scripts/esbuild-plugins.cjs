// esbuild plugins shared by scripts/build.mjs and serverless.yml (custom.esbuild.plugins), so the
// deployed bundle stays byte for byte the tested one (test/deploy/package.test.ts).
//
// zod re-exports every locale (`export * as locales`), which esbuild cannot tree-shake out of a
// namespace: 260 KiB of the 560 KiB bundle were error messages in 40+ languages the controller never
// uses. The controller only reads zod's English default, so the locale index resolves to English.
const path = require('node:path');

/** @type {import('esbuild').Plugin} */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
      if (!/[\\/]zod[\\/]v4[\\/](classic|core)$/.test(args.resolveDir)) return undefined;
      return { path: path.join(args.resolveDir, '../locales/en-only.js'), namespace: 'zod-en' };
    });
    build.onLoad({ filter: /.*/, namespace: 'zod-en' }, (args) => ({
      contents: "export { default as en } from './en.js';\n",
      resolveDir: path.dirname(args.path),
      loader: 'js',
    }));
  },
};

module.exports = [zodEnglishOnly];
