import { expect, test } from '@playwright/test';
import { RegisterPage, SignInPage, verifyByLink, waitForHydration } from '../fixtures/pages';
import { expectAccessible } from '../support/axe';
import { linkIn, waitForMail } from '../support/mailbox';

const oldPassword = 'copper-kettle-lantern-9';
const reset = 'Reset your password';
const answer = 'If an account exists for that address, we sent a link to reset the password.';

/** A verified user, registered and verified as a visitor would. */
async function registeredUser(page: import('@playwright/test').Page, email: string) {
  const registration = new RegisterPage(page);
  await registration.open();
  await registration.register({ firstName: 'Grace', lastName: 'Hopper', email, password: oldPassword });
  const mail = await waitForMail(email, 'Verify your email address');
  await verifyByLink(page, linkIn(mail, '/verify-email/'));
}

test('a user who forgot the password gets a link by mail, sets a new one, and other sessions end', async ({
  page,
  browser,
}) => {
  test.setTimeout(90_000);
  const email = `forgetful.${Date.now()}@example.com`;
  await registeredUser(page, email);

  // A session opened elsewhere before the reset.
  const elsewhere = await browser.newContext();
  const other = await elsewhere.newPage();
  const otherSignIn = new SignInPage(other);
  await otherSignIn.open();
  await otherSignIn.signIn(email, oldPassword);
  await expect(other.getByRole('heading', { level: 1, name: 'No account yet' })).toBeVisible();

  // Sign In → "Forgot password?" → "Send Reset Link".
  const signIn = new SignInPage(page);
  await signIn.open();
  await page.getByRole('link', { name: 'Forgot password?' }).click();
  await expect(page).toHaveURL(/\/forgot-password$/);
  await expect(page.getByRole('main')).toBeVisible();
  await waitForHydration(page);
  await expectAccessible(page, 'Forgot password page');
  await page.getByLabel('Email Address').fill(email);
  await page.getByRole('button', { name: 'Send Reset Link' }).click();
  await expect(page.getByText(answer)).toBeVisible();
  await expectAccessible(page, 'Forgot password answer');

  // The link from the mail shows the form; opening it changes nothing.
  const mail = await waitForMail(email, reset);
  const link = linkIn(mail, '/reset-password/');
  expect(link.startsWith('http://127.0.0.1:')).toBe(true);
  await page.goto(link);
  await expect(page.getByRole('main')).toBeVisible();
  await expect(page.getByText(email)).toBeVisible();
  await waitForHydration(page);
  const newPassword = page.getByLabel('New Password');
  await newPassword.fill('short');
  await newPassword.blur();
  await expect(page.getByText('Password must be at least 12 characters.')).toBeVisible();
  await expectAccessible(page, 'Reset password form with a field error');
  await newPassword.fill('amber-falcon-meadow-42');
  await page.getByRole('button', { name: 'Reset Password' }).click();

  // Back on Sign In, which says so; the new password works.
  await expect(page).toHaveURL(/\/sign-in\?reset=1$/);
  await expect(page.getByText('Your password has been reset.')).toBeVisible();
  await expectAccessible(page, 'Sign-in page after a reset');
  await waitForHydration(page);
  await signIn.signIn(email, oldPassword);
  await expect(page.getByText('Incorrect email address or password.')).toBeVisible();
  await signIn.open();
  await signIn.signIn(email, 'amber-falcon-meadow-42');
  await expect(page.getByRole('heading', { level: 1, name: 'No account yet' })).toBeVisible();

  // The session opened before the reset is over.
  await other.reload();
  await expect(other).toHaveURL(/\/sign-in/);
  await elsewhere.close();

  // The link is used up, and the address got the notice.
  await page.goto(link);
  await expect(page.getByText('This reset link no longer works')).toBeVisible();
  await expect(page.getByRole('link', { name: 'Ask for a new link' })).toHaveAttribute('href', '/forgot-password');
  await expectAccessible(page, 'Used reset link');
  await waitForMail(email, 'Your password was changed');
});

test('the reset works before hydration too (plain form posts)', async ({ browser }) => {
  const email = `nojs.${Date.now()}@example.com`;
  const setup = await browser.newContext();
  await registeredUser(await setup.newPage(), email);
  await setup.close();

  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/forgot-password');
  await page.getByLabel('Email Address').fill(email);
  await page.getByRole('button', { name: 'Send Reset Link' }).click();
  await expect(page.getByText(answer)).toBeVisible();
  // An unknown address: the very same answer.
  await page.goto('/forgot-password');
  await page.getByLabel('Email Address').fill(`nobody.${Date.now()}@example.com`);
  await page.getByRole('button', { name: 'Send Reset Link' }).click();
  await expect(page.getByText(answer)).toBeVisible();

  const mail = await waitForMail(email, reset);
  await page.goto(linkIn(mail, '/reset-password/'));
  await page.getByLabel('New Password').fill('quiet-harbour-lantern-8');
  await page.getByRole('button', { name: 'Reset Password' }).click();
  await expect(page.getByText('Your password has been reset.')).toBeVisible();
  await page.getByLabel('Email Address').fill(email);
  await page.getByLabel('Password', { exact: true }).fill('quiet-harbour-lantern-8');
  await page.getByRole('button', { name: 'Sign In' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'No account yet' })).toBeVisible();
  await context.close();
});
