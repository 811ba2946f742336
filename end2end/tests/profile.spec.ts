import { expect, test, type Browser, type Page } from '@playwright/test';
import {
  RegisterPage,
  SignInPage,
  signInAsAdmin,
  TeamPage,
  verifyByLink,
  waitForHydration,
} from '../fixtures/pages';
import { expectAccessible } from '../support/axe';
import { linkIn, waitForMail } from '../support/mailbox';

const stamp = Date.now();
const verify = 'Verify your email address';

test.describe.configure({ mode: 'serial' });

type Person = { firstName: string; lastName: string; email: string; password: string };

function person(name: string): Person {
  return {
    firstName: 'Katherine',
    lastName: 'Johnson',
    email: `${name}.${stamp}@example.com`,
    password: 'orbit-chalk-window-61',
  };
}

/** Registers and verifies `who` in a context of their own, signed in. */
async function registered(browser: Browser, who: Person): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await new RegisterPage(page).open();
  await new RegisterPage(page).register(who);
  await verifyByLink(page, linkIn(await waitForMail(who.email, verify), '/verify-email/'));
  await signIn(page, who.email, who.password);
  return page;
}

async function signIn(page: Page, email: string, password: string) {
  const form = new SignInPage(page);
  await form.open();
  await form.signIn(email, password);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await expect(page).not.toHaveURL(/\/sign-in/);
}

/** Opens `/profile` from the header's "Profile" link, hydrated. */
async function openProfile(page: Page) {
  await page.getByRole('banner').getByRole('link', { name: 'Profile', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Profile' })).toBeVisible();
  await waitForHydration(page);
}

function section(page: Page, name: string) {
  return page.getByRole('region', { name, exact: true });
}

test('the profile is only for signed-in users and its sections come in order', async ({ page, browser }) => {
  await page.goto('/profile');
  await expect(page).toHaveURL(/\/sign-in\?next=\/profile$/);
  const me = await registered(browser, person('order'));
  await openProfile(me);
  await expectAccessible(me, 'Profile page without an account');
  await expect(me.getByRole('heading', { level: 2 })).toHaveText([
    'Your Details',
    'Email Address',
    'Password',
    'Sessions',
    'API Key',
  ]);
  await me.context().close();
});

test('details are checked and saved, and the header shows the new name', async ({ browser }) => {
  const who = person('details');
  const me = await registered(browser, who);
  await openProfile(me);
  const details = section(me, 'Your Details');
  await expect(details.getByLabel('First Name')).toHaveValue(who.firstName);
  await details.getByLabel('First Name').fill('');
  await details.getByLabel('First Name').blur();
  await expect(details.getByText('First name is required.')).toBeVisible();
  await expectAccessible(me, 'Profile details with a field error');
  await details.getByLabel('First Name').fill('Katie');
  await details.getByLabel('Last Name').fill('Goble');
  await details.getByRole('button', { name: 'Save' }).click();
  await expect(details.getByRole('status')).toHaveText('Your details were saved.');
  await expect(me.getByRole('banner')).toContainText('Katie Goble');
  await me.reload();
  await expect(me.getByRole('banner')).toContainText('Katie Goble');
  await me.context().close();
});

test('a password change keeps this session and ends the others', async ({ browser }) => {
  const who = person('password');
  const me = await registered(browser, who);
  const otherContext = await browser.newContext();
  const other = await otherContext.newPage();
  await signIn(other, who.email, who.password);
  await openProfile(me);
  const password = section(me, 'Password');
  await password.getByLabel('Current Password').fill('not-my-password-1');
  await password.getByLabel('New Password').fill('sunrise-pepper-kettle-88');
  await password.getByRole('button', { name: 'Change Password' }).click();
  await expect(password.getByText('The current password is not correct.')).toBeVisible();
  await expectAccessible(me, 'Profile password with a wrong current password');
  await password.getByLabel('Current Password').fill(who.password);
  await password.getByRole('button', { name: 'Change Password' }).click();
  await expect(password.getByRole('status')).toContainText('Your password was changed.');
  await waitForMail(who.email, 'Your Muster password was changed');
  await other.goto('/profile');
  await expect(other).toHaveURL(/\/sign-in\?next=\/profile$/);
  await me.reload();
  await expect(me.getByRole('heading', { level: 1, name: 'Profile' })).toBeVisible();
  await signIn(other, who.email, 'sunrise-pepper-kettle-88');
  await me.context().close();
  await otherContext.close();
});

test('a session signed out from the Sessions list is sent to sign in on its next navigation', async ({
  browser,
}) => {
  const who = person('sessions');
  const a = await registered(browser, who);
  const contextB = await browser.newContext();
  const b = await contextB.newPage();
  await signIn(b, who.email, who.password);
  await openProfile(a);
  const sessions = section(a, 'Sessions');
  const rows = sessions.getByRole('row');
  // A header row and two sessions, this one marked.
  await expect(rows).toHaveCount(3);
  await expect(sessions.getByRole('row').filter({ hasText: 'This session' })).toContainText('Chrome on Linux');
  await expectAccessible(a, 'Profile with two sessions');
  const otherRow = sessions.getByRole('row').filter({ hasNotText: 'This session' }).filter({ has: a.getByRole('button', { name: 'Sign Out', exact: true }) });
  await otherRow.getByRole('button', { name: 'Sign Out', exact: true }).click();
  await expect(sessions.getByRole('status')).toHaveText('The session was signed out.');
  await expect(rows).toHaveCount(2);
  await b.goto('/');
  await expect(b).toHaveURL(/\/sign-in\?next=\/$/);

  // Sign Out Everywhere Else.
  await signIn(b, who.email, who.password);
  await a.reload();
  await waitForHydration(a);
  await expect(rows).toHaveCount(3);
  await sessions.getByRole('button', { name: 'Sign Out Everywhere Else' }).click();
  await expect(sessions.getByRole('status')).toHaveText('Your other sessions were signed out.');
  await expect(rows).toHaveCount(2);
  await b.goto('/profile');
  await expect(b).toHaveURL(/\/sign-in\?next=\/profile$/);
  await a.context().close();
  await contextB.close();
});

test('an email change applies from the link in the mail, and the old address is told', async ({ browser }) => {
  const who = person('email');
  const me = await registered(browser, who);
  const newEmail = `moved.${stamp}@example.com`;
  await openProfile(me);
  const email = section(me, 'Email Address');
  await email.getByLabel('New Email Address').fill(newEmail);
  await email.getByLabel('Current Password').fill(who.password);
  await email.getByRole('button', { name: 'Change Email' }).click();
  await expect(email.getByRole('status')).toHaveText('We sent a link to the new address.');

  const mail = await waitForMail(newEmail, 'Confirm your new email address');
  const link = linkIn(mail, '/confirm-email/');
  await me.goto(link);
  await expect(me.getByText(newEmail)).toBeVisible();
  await expectAccessible(me, 'Confirm new email page');
  await waitForHydration(me);
  await me.getByRole('button', { name: 'Confirm Email Address' }).click();
  await expect(me.getByRole('heading', { name: 'Email address changed' })).toBeVisible();
  await waitForMail(who.email, 'Your Muster email address was changed');
  await me.goto('/profile');
  await expect(section(me, 'Email Address')).toContainText(newEmail);
  await me.context().close();
});

test('a member copies and refreshes their own key, and leaves the account', async ({ page, browser }) => {
  test.setTimeout(120_000);
  const who = person('leave');
  const context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
  const me = await context.newPage();
  await new RegisterPage(me).open();
  await new RegisterPage(me).register(who);
  await verifyByLink(me, linkIn(await waitForMail(who.email, verify), '/verify-email/'));

  await signInAsAdmin(page);
  const team = new TeamPage(page);
  await team.open();
  await team.invite(who);
  await waitForMail(who.email, "You're invited to join Default");
  const signInForm = new SignInPage(me);
  await signInForm.open();
  await signInForm.signIn(who.email, who.password);
  await expect(me.getByText('You have been invited to join Default')).toBeVisible();
  await waitForHydration(me);
  await me.getByRole('button', { name: 'Accept' }).click();
  await expect(me.getByRole('heading', { level: 1, name: 'Default' })).toBeVisible();

  await openProfile(me);
  const key = section(me, 'API Key');
  await expect(key).toContainText('Never used');
  await expectAccessible(me, 'Profile of a member');
  await key.getByRole('button', { name: 'Copy API Key' }).click();
  await expect(key.getByRole('status')).toHaveText('Copied');
  const first = await me.evaluate(() => navigator.clipboard.readText());
  expect(first).toMatch(/^mst_/);
  await key.getByRole('button', { name: 'Refresh' }).click();
  const dialog = me.getByRole('alertdialog');
  await expect(dialog).toBeVisible();
  await expectAccessible(me, 'Own key Refresh confirmation');
  await dialog.getByRole('button', { name: 'Refresh', exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect(key.getByRole('status')).toContainText('The old key no longer works.');
  const second = await me.evaluate(() => navigator.clipboard.readText());
  expect(second).toMatch(/^mst_/);
  expect(second).not.toBe(first);

  await section(me, 'Leave Account').getByRole('button', { name: 'Leave Account' }).click();
  const leave = me.getByRole('alertdialog');
  await expect(leave).toBeVisible();
  await expectAccessible(me, 'Leave Account confirmation');
  await leave.getByRole('button', { name: 'Leave', exact: true }).click();
  await expect(me.getByRole('heading', { level: 1, name: 'No account yet' })).toBeVisible();
  await expect(me).toHaveURL(/\/$/);
  await context.close();

  await team.open();
  await expect(team.row(who.email)).toHaveCount(0);
});

test('the last active admin is told they cannot leave', async ({ page }) => {
  await signInAsAdmin(page);
  await openProfile(page);
  await section(page, 'Leave Account').getByRole('button', { name: 'Leave Account' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Leave', exact: true }).click();
  await expect(section(page, 'Leave Account').getByRole('alert')).toHaveText(
    'You are the last active admin of this account. Promote someone else to admin before you leave.',
  );
  await expectAccessible(page, 'Leave Account refused for the last admin');
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1, name: 'Default' })).toBeVisible();
});
