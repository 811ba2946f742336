import { defineConfig } from '@playwright/test';

// The server under test: a debug build (`cargo xtask build`), on its own
// port, with a fresh SQLite database in a temporary folder for each run.
const port = Number(process.env.E2E_PORT ?? 3100);
export const baseURL = `http://127.0.0.1:${port}`;
// A real SMTP server (support/smtp-sink.mjs) the app sends to; tests read
// the mail over its HTTP port.
const smtpPort = Number(process.env.E2E_SINK_SMTP_PORT ?? 3025);
const sinkHttpPort = Number(process.env.E2E_SINK_HTTP_PORT ?? 3125);

export default defineConfig({
  testDir: './tests',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    baseURL,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: [
    {
      command: `node support/smtp-sink.mjs ${smtpPort} ${sinkHttpPort}`,
      url: `http://127.0.0.1:${sinkHttpPort}/healthz`,
      timeout: 20_000,
      reuseExistingServer: false,
    },
    {
      command: `bash support/start-server.sh ${port} ${smtpPort}`,
      url: `${baseURL}/healthz`,
      timeout: 60_000,
      reuseExistingServer: false,
      stdout: 'pipe',
      stderr: 'pipe',
    },
  ],
});
