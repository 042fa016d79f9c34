// Operator CLI (`npm run mdr -- <command>`): tenants, principals, which tenants an expert serves,
// and API tokens, against the same database the service uses (DATABASE_URL, or the embedded PGlite
// database in DATA_DIR). Human-readable output by default, `--json` for scripts. This is only the
// entry point: the commands live in src/cli/run.ts (runCli), which tests also run in-process.
import { runCli } from './cli/run';

runCli(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
}).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`mdr: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
