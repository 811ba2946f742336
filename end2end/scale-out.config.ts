import { defineConfig } from '@playwright/test';
import base from './playwright.config';

// Scale-out (issue #7 item 5): three server processes on one fresh
// PostgreSQL database behind a round-robin proxy that sends every request to
// the next process. The seed flow (tests/team.spec.ts, unchanged) runs
// through the proxy first; then scale-out/cluster.spec.ts checks what must
// hold across processes. Needs TEST_POSTGRES_URL (scripts/postgres.sh prints
// one); without it every test is skipped and nothing is started.
//
//   TEST_POSTGRES_URL=... npx playwright test -c scale-out.config.ts
//
// Ports of its own, so it never collides with the default config's
// (3100 / 3025 / 3125): proxy 3300, servers 3301-3303, sink 3325 / 3326.
const proxyPort = Number(process.env.E2E_SCALE_OUT_PORT ?? 3300);
const firstServerPort = proxyPort + 1;
const smtpPort = Number(process.env.E2E_SCALE_OUT_SMTP_PORT ?? 3325);
const sinkHttpPort = Number(process.env.E2E_SCALE_OUT_SINK_HTTP_PORT ?? 3326);
const proxyURL = `http://127.0.0.1:${proxyPort}`;

// support/mailbox.ts reads the sink's port from here (workers inherit it).
process.env.E2E_SINK_HTTP_PORT = String(sinkHttpPort);
process.env.E2E_PROXY_URL = proxyURL;

const seedFlow = /[\\/]tests[\\/]team\.spec\.ts$/;
const acrossProcesses = /[\\/]scale-out[\\/][^\\/]+\.spec\.ts$/;
const postgres = process.env.TEST_POSTGRES_URL;
if (!postgres) {
  console.warn('scale-out: TEST_POSTGRES_URL is unset, so nothing is started and the tests are skipped.');
}

export default defineConfig({
  ...base,
  testDir: '.',
  // Its own, so it never clears the default run's results.
  outputDir: './test-results/scale-out',
  // A slow, loaded machine: three debug servers share two cores.
  timeout: 120_000,
  expect: { timeout: 20_000 },
  use: { ...base.use, baseURL: proxyURL, navigationTimeout: 45_000, actionTimeout: 30_000 },
  projects: postgres
    ? [
        // The seed flow spec as it is, every request round-robin.
        { name: 'seed-flow', testMatch: seedFlow },
        // Then the cross-process checks (they read the proxy's counts and
        // the mailbox the seed flow filled).
        { name: 'across-processes', testMatch: acrossProcesses, dependencies: ['seed-flow'] },
      ]
    : // Only the cross-process spec, which skips itself and says why.
      [{ name: 'across-processes', testMatch: acrossProcesses }],
  webServer: postgres
    ? [
        {
          command: `node support/smtp-sink.mjs ${smtpPort} ${sinkHttpPort}`,
          url: `http://127.0.0.1:${sinkHttpPort}/healthz`,
          timeout: 20_000,
          reuseExistingServer: false,
        },
        {
          command: `bash support/start-cluster.sh ${proxyPort} ${smtpPort} ${firstServerPort}`,
          // The proxy's own endpoint: it only listens once all three
          // servers answered /healthz and the migrations were checked.
          url: `${proxyURL}/__upstreams`,
          timeout: 180_000,
          reuseExistingServer: false,
          stdout: 'pipe',
          stderr: 'pipe',
          // SIGTERM, so the script's trap stops the servers and drops the
          // database.
          gracefulShutdown: { signal: 'SIGTERM', timeout: 15_000 },
        },
      ]
    : [],
});
