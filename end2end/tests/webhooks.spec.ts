import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test, type Page } from '@playwright/test';
import { signInAsAdmin, waitForHydration } from '../fixtures/pages';
import { expectAccessible } from '../support/axe';

// SPEC §10: /settings/webhooks. A receiver on loopback (the test server
// runs with WEBHOOK_ALLOW_PRIVATE=true) gets the test event, signed with
// the secret the page showed; the delivery log shows it; the secret is
// rotated and the endpoint deleted, each after a confirmation.

type Received = { headers: IncomingMessage['headers']; body: string };

const received: Received[] = [];
let receiver: Server;
let receiverUrl: string;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook-${Date.now()}`;
});

test.afterAll(async () => {
  await new Promise((resolve) => receiver.close(resolve));
});

/** Standard Webhooks: v1, base64 HMAC-SHA256 of "id.timestamp.body" with the decoded secret. */
function expectedSignature(secret: string, request: Received): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signed = `${request.headers['webhook-id']}.${request.headers['webhook-timestamp']}.${request.body}`;
  return `v1,${createHmac('sha256', key).update(signed).digest('base64')}`;
}

function endpoint(page: Page) {
  return page.getByRole('region', { name: receiverUrl });
}

async function open(page: Page) {
  await page.goto('/settings/webhooks');
  await expect(page.getByRole('heading', { level: 1, name: 'Webhooks' })).toBeVisible();
  await waitForHydration(page);
}

test('an admin adds an endpoint, sends a test event, sees it delivered, rotates the secret and deletes it', async ({
  page,
}) => {
  await signInAsAdmin(page);
  await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Webhooks' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Webhooks' })).toBeVisible();
  await open(page);
  await expectAccessible(page, 'Webhooks page');

  // The form says what is wrong, field by field.
  await page.getByRole('button', { name: 'Add Endpoint' }).click();
  const form = page.getByRole('form', { name: 'New endpoint' });
  await form.getByLabel('Endpoint URL').fill('ftp://example.com/');
  await form.getByRole('button', { name: 'Add Endpoint' }).click();
  await expect(form.getByText('The URL must start with https:// or http://.')).toBeVisible();
  await form.getByLabel('Endpoint URL').fill(receiverUrl);
  await form.getByRole('button', { name: 'Add Endpoint' }).click();
  await expect(form.getByText('Choose at least one event.')).toBeVisible();
  await expectAccessible(page, 'Add Endpoint form with errors');
  await form.getByLabel('member.invited').check();
  await form.getByLabel('member.removed').check();
  await form.getByRole('button', { name: 'Add Endpoint' }).click();

  // The secret is shown once; the endpoint is listed with its events.
  await expect(page.getByText('Endpoint added.')).toBeVisible();
  const secret = await page.getByLabel('Signing secret').inputValue();
  expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  await expect(endpoint(page)).toBeVisible();
  await expect(endpoint(page)).toContainText('Events: member.invited, member.removed');

  // Send Test Event: signed with that secret; the log shows it delivered.
  await endpoint(page).getByRole('button', { name: 'Send Test Event' }).click();
  await expect(endpoint(page).getByText('Test event queued.')).toBeVisible();
  await expect.poll(() => received.length, { timeout: 15_000 }).toBe(1);
  const test = received[0];
  expect(JSON.parse(test.body).type).toBe('webhook.test');
  expect(test.headers['webhook-signature']).toBe(expectedSignature(secret, test));
  await expect(async () => {
    await open(page);
    const row = endpoint(page).getByRole('row').filter({ hasText: 'webhook.test' });
    await expect(row.getByRole('cell').nth(2)).toHaveText('200', { timeout: 1000 });
    await expect(row.getByRole('cell').nth(3)).toHaveText('1');
    await expect(row.getByRole('cell').nth(4)).toHaveText('delivered');
  }).toPass({ timeout: 15_000 });
  await expectAccessible(page, 'Webhooks page with a delivery');

  // Rotate Secret asks first; the next event is signed with the new one.
  await endpoint(page).getByRole('button', { name: 'Rotate Secret' }).click();
  const rotate = page.getByRole('alertdialog', { name: "Rotate this endpoint's secret?" });
  await expect(rotate).toBeVisible();
  await expectAccessible(page, 'Rotate Secret confirmation');
  await rotate.getByRole('button', { name: 'Rotate Secret' }).click();
  await expect(rotate).toBeHidden();
  await expect(endpoint(page).getByText(/new secret was created|Copy it from the field below/)).toBeVisible();
  await endpoint(page).getByRole('button', { name: 'Copy Secret' }).click();
  await expect(endpoint(page).getByText(/^Copied$|Copy it from the field below/)).toBeVisible();
  await endpoint(page).getByRole('button', { name: 'Send Test Event' }).click();
  await expect.poll(() => received.length, { timeout: 15_000 }).toBe(2);
  expect(received[1].headers['webhook-signature']).not.toBe(expectedSignature(secret, received[1]));

  // Delete asks first; then the endpoint is gone.
  await endpoint(page).getByRole('button', { name: 'Delete' }).click();
  const confirm = page.getByRole('alertdialog', { name: 'Delete this endpoint?' });
  await confirm.getByRole('button', { name: 'Delete' }).click();
  await expect(endpoint(page)).toHaveCount(0);
  await open(page);
  await expect(endpoint(page)).toHaveCount(0);
});
