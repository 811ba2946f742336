import { expect, test, type Page } from '@playwright/test';
import { baseURL } from '../playwright.config';
import { RegisterPage, SignInPage, verifyByLink, waitForHydration } from '../fixtures/pages';
import { expectAccessible } from '../support/axe';
import { linkIn, waitForMail } from '../support/mailbox';

// Issue #16 item 7: /api/docs renders the OpenAPI document with Swagger UI,
// served from our own origin under the site's CSP (no CDN, works offline),
// and the footer links it for Admins. Katherine registers herself and
// becomes an Admin by creating an account, so this spec never touches the
// Default account or /setup (foundation.spec needs a fresh server there).

const stamp = Date.now();
const katherine = {
  firstName: 'Katherine',
  lastName: 'Johnson',
  email: `katherine.docs.${stamp}@example.com`,
  password: 'orbit-slate-meadow-8',
};

/**
 * Katherine registers, verifies and signs in: no account yet, so no Admin
 * and no "API Docs" link; then she creates one and is its Admin.
 */
async function katherineBecomesAnAdmin(page: Page) {
  const registration = new RegisterPage(page);
  await registration.open();
  await registration.register(katherine);
  await verifyByLink(page, linkIn(await waitForMail(katherine.email, 'Verify your email address'), '/verify-email/'));
  const signIn = new SignInPage(page);
  await signIn.open();
  await signIn.signIn(katherine.email, katherine.password);
  await expect(page.getByRole('heading', { level: 1, name: 'No account yet' })).toBeVisible();
  await waitForHydration(page);
  await expect(page.getByRole('link', { name: 'API Docs' })).toHaveCount(0);
  await page.getByRole('button', { name: /Switch Account/ }).click();
  await page.getByRole('menu').getByRole('menuitem', { name: 'New Account' }).click();
  await page.getByLabel('Account Name').fill(`Docs ${stamp}`);
  await page.getByRole('button', { name: 'Create Account' }).click();
  await expect(page.getByRole('heading', { level: 1, name: `Docs ${stamp}` })).toBeVisible();
}

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
  test.setTimeout(120_000);
  // Offline but for our own origin: a CDN would be unreachable.
  await context.route('**/*', (route) =>
    route.request().url().startsWith(`${baseURL}/`) ? route.continue() : route.abort('internetdisconnected'),
  );
  await katherineBecomesAnAdmin(page);
  const problems = watch(page);

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
  await expect(page.getByRole('heading', { level: 1, name: `Docs ${stamp}` })).toBeVisible();
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
