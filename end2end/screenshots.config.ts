import { defineConfig } from '@playwright/test';
import base from './playwright.config';

// `make screenshots`: the README's pictures, taken from a fresh server (the
// default config's web servers) by screenshots/readme.spec.ts and written to
// docs/screenshots/, so they show what the code does today.
//
//   npx playwright test -c screenshots.config.ts
export default defineConfig({
  ...base,
  testDir: './screenshots',
  outputDir: './test-results/screenshots',
  use: { ...base.use, viewport: { width: 1280, height: 800 }, colorScheme: 'light' },
});
