import { expect, test, type Page } from '@playwright/test';
import { baseURL } from '../playwright.config';
import { signInAsAdmin } from '../fixtures/pages';
import { expectAccessible } from '../support/axe';

// Issue #16 item 7: /api/docs renders the OpenAPI document with Swagger UI,
// served from our own origin under the site's CSP (no CDN, works offline),
// and the footer links it for Admins.

/** Records every CSP violation, script error and request to another origin. */
function watch(page: Page) {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) {
      problems.push(`console: ${message.text()}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(`${baseURL}/`) && !url.startsWith('data:')) problems.push(`request to ${url}`);
  });
  return problems;
}

test('an Admin opens the API docs from the footer and finds every route of the document', async ({ page, context }) => {
  // Offline but for our own origin: a CDN would be unreachable.
  await context.route('**/*', (route) =>
    route.request().url().startsWith(`${baseURL}/`) ? route.continue() : route.abort('internetdisconnected'),
  );
  const problems = watch(page);
  await signInAsAdmin(page);

  const footer = page.getByRole('contentinfo');
  await footer.getByRole('link', { name: 'API Docs' }).click();
  await expect(page).toHaveURL(/\/api\/docs$/);
  await expect(page).toHaveTitle('Muster API');
  // Swagger UI's heading: the document's title and version.
  await expect(page.getByRole('heading', { level: 1, name: /^Muster API/ })).toBeVisible();

  // Every path of the document shows, each under its method.
  const document = await (await page.request.get('/api/v1/openapi.json')).json();
  const paths = Object.keys(document.paths);
  expect(paths).toContain('/api/v1/members');
  for (const path of paths) {
    await expect(page.locator(`.opblock-summary-path[data-path="${path}"]`).first()).toBeVisible();
  }
  for (const [path, methods] of Object.entries(document.paths as Record<string, object>)) {
    for (const method of Object.keys(methods)) {
      await expect(
        page.locator(`.opblock-${method} .opblock-summary-path[data-path="${path}"]`),
        `${method.toUpperCase()} ${path}`,
      ).toHaveCount(1);
    }
  }

  // An operation opens with its parameters and responses.
  await page.locator('.opblock-get .opblock-summary-path[data-path="/api/v1/members"]').click();
  const members = page.locator('.opblock.is-open');
  await expect(members.getByText('Parameters', { exact: true })).toBeVisible();
  await expect(members.locator('tr[data-param-name="status"]')).toBeVisible();
  await expect(members.locator('tr.response[data-code="401"]')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Authorize' })).toBeVisible();

  await expectAccessible(page, 'API docs');
  expect(problems, 'no CSP violation, script error or request to another origin').toEqual([]);

  // Back to the app.
  await page.getByRole('link', { name: 'Back to Muster' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Default' })).toBeVisible();
});

test('the API docs page is served with the site CSP and no inline script', async ({ request }) => {
  const response = await request.get('/api/docs');
  expect(response.status()).toBe(200);
  const csp = response.headers()['content-security-policy'];
  expect(csp).toContain("script-src 'self' 'nonce-");
  expect(csp).toContain("style-src 'self';");
  expect(csp).not.toContain('unsafe-inline');
  const html = await response.text();
  expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
  expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  for (const asset of ['/api-docs/swagger-ui-bundle.js', '/api-docs/swagger-ui.css', '/api-docs/muster-api-docs.js']) {
    expect((await request.get(asset)).status(), asset).toBe(200);
  }
});
