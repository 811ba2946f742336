import { expect, test } from '@playwright/test';
import { firstAdmin as admin, SetupPage, SignInPage, waitForHydration } from '../fixtures/pages';
import { expectAccessible } from '../support/axe';

test.describe.configure({ mode: 'serial' });

test('the first admin is created through setup and lands on the account home', async ({ page }) => {
  const setup = new SetupPage(page);
  await setup.open();

  // Inline validation runs in the browser before anything is sent.
  await page.getByLabel('Email Address').fill('not-an-email');
  await page.getByLabel('Email Address').blur();
  await expect(page.getByText('Enter an email address like name@example.com.')).toBeVisible();
  await expectAccessible(page, 'Setup page with a field error');

  await setup.createAdmin(admin);
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Default' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Administration' })).toBeVisible();
  await expectAccessible(page, 'account home');

  // Setup is closed once an admin exists.
  await page.goto('/setup');
  await expect(page.getByText('An admin already exists.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Create Admin' })).toHaveCount(0);
  await expectAccessible(page, 'Setup page, closed');
});

test('an admin signs out, signs back in, and reaches Team from the left nav', async ({ page }) => {
  const signIn = new SignInPage(page);
  await signIn.open();
  await signIn.signIn(admin.email, admin.password);
  await expect(page.getByRole('heading', { level: 1, name: 'Default' })).toBeVisible();
  await waitForHydration(page);

  await page.getByRole('button', { name: 'Sign Out' }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await page.goto('/');
  await expect(page).toHaveURL(/\/sign-in\?next=/);

  await signIn.open('/sign-in?next=/team');
  await signIn.signIn(admin.email, 'wrong-password-123');
  await expect(page.getByRole('alert').filter({ hasText: 'Incorrect email address or password.' })).toBeVisible();
  await expectAccessible(page, 'Sign In page with a wrong password');
  await signIn.signIn(admin.email, admin.password);
  await expect(page).toHaveURL(/\/team$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Team' })).toBeVisible();

  // The account name is the "Switch Account" menu button (SPEC §9); Home
  // is its own link.
  await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Home' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Default' })).toBeVisible();
  await page.getByRole('navigation').getByRole('link', { name: 'Team' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Team' })).toBeVisible();
});

test('the page is hydrated: the password toggle reacts without a reload', async ({ page }) => {
  const signIn = new SignInPage(page);
  await signIn.open();
  await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
  const password = page.getByLabel('Password');
  await password.fill('secret value 123');
  await expect(password).toHaveAttribute('type', 'password');
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(password).toHaveAttribute('type', 'text');
  await expect(page.getByRole('button', { name: 'Hide' })).toHaveAttribute('aria-pressed', 'true');
  expect(await page.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(42);
});

test('a page that does not exist answers 404 with an accessible page', async ({ page }) => {
  const response = await page.goto('/no-such-page');
  expect(response?.status()).toBe(404);
  await expectAccessible(page, 'not found page');
});
