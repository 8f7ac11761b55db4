#!/usr/bin/env node
// Tiny launcher: `--version` answers without loading the CLI; everything else runs dist/cli.js.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  const { version } = await import("../dist/version.js");
  process.stdout.write(`${version}\n`);
} else {
  const { main } = await import("../dist/cli.js");
  await main(args);
}
