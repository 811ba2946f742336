import { expect, test } from '@playwright/test';
import { RegisterPage, SignInPage, verifyByLink, waitForHydration } from '../fixtures/pages';
import { linkIn, waitForMail } from '../support/mailbox';
import { expectAccessible } from '../support/axe';

const password = 'copper-kettle-lantern-9';

test('a newcomer registers, verifies the address from the email, signs in and out', async ({ page }) => {
  const email = `grace.${Date.now()}@example.com`;
  await page.goto('/register');
  await waitForHydration(page);
  await page.getByLabel('First Name').fill('Grace');
  await page.getByLabel('Last Name').fill('Hopper');
  await page.getByLabel('Email Address').fill(email);
  await page.getByLabel('Password').fill('short');
  await page.getByLabel('Password').blur();
  await expect(page.getByText('Password must be at least 12 characters.')).toBeVisible();
  await expectAccessible(page, 'Register page with a field error');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByRole('heading', { name: 'Check your email' })).toBeVisible();
  await expectAccessible(page, 'Check your email page');

  const mail = await waitForMail(email, 'Verify your email address');
  const link = linkIn(mail, '/verify-email/');
  expect(link.startsWith('http://127.0.0.1:')).toBe(true);
  // Opening the link verifies nothing: sign-in is still refused.
  await page.goto(link);
  await expect(page.getByText(email)).toBeVisible();
  await expect(page.getByRole('button', { name: 'Verify Email Address' })).toBeVisible();
  await expectAccessible(page, 'Verify Email Address page');
  const early = new SignInPage(page);
  await early.open();
  await early.signIn(email, password);
  await expect(page.getByText('Please verify your email address before signing in.')).toBeVisible();
  await expectAccessible(page, 'Sign In page refusing an unverified address');
  await page.goto(link);
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Verify Email Address' }).click();
  await expect(page.getByRole('heading', { name: 'Email address verified' })).toBeVisible();
  await expectAccessible(page, 'Email address verified page');
  await page.goto(link);
  await expect(page.getByText('This email address is already verified.')).toBeVisible();
  await page.getByRole('link', { name: 'Sign In' }).click();

  const signIn = new SignInPage(page);
  await waitForHydration(page);
  await signIn.signIn(email, password);
  // A new user without an account lands home and is told so.
  await expect(page.getByRole('heading', { level: 1, name: 'No account yet' })).toBeVisible();
  await expectAccessible(page, 'home without an account');
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Sign Out' }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
});

test('an unverified user is told to verify, and Resend sends a new working link', async ({ page }) => {
  const email = `unverified.${Date.now()}@example.com`;
  const registration = new RegisterPage(page);
  await registration.open();
  await registration.register({ firstName: 'Alan', lastName: 'Turing', email, password });
  await waitForMail(email, 'Verify your email address');

  const signIn = new SignInPage(page);
  await signIn.open();
  await signIn.signIn(email, password);
  await expect(page.getByText('Please verify your email address before signing in.')).toBeVisible();
  await page.getByRole('button', { name: 'Resend' }).click();
  await expect(page.getByRole('status')).toContainText('we have sent a new link');
  await expectAccessible(page, 'Sign In page after Resend');

  const second = await waitForMail(email, 'Verify your email address', 1);
  await verifyByLink(page, linkIn(second, '/verify-email/'));
  await signIn.open();
  await signIn.signIn(email, password);
  await expect(page.getByRole('heading', { level: 1, name: 'No account yet' })).toBeVisible();
});
