import { expect, test, type Browser, type Page } from '@playwright/test';
import {
  firstAdmin as admin,
  SignInPage,
  signInAsAdmin,
  TeamPage,
  verifyByLink,
  waitForHydration,
} from '../fixtures/pages';
import { expectAccessible } from '../support/axe';
import { linkIn, waitForMail } from '../support/mailbox';

// SPEC §8: the role chosen at invite, Remove, Decline and Last Active.

const stamp = Date.now();
const password = 'lantern-pebble-orchid-5';
const chosenAdmin = { firstName: 'Katherine', lastName: 'Johnson', email: `katherine.${stamp}@example.com` };
const leaver = { firstName: 'Dorothy', lastName: 'Vaughan', email: `dorothy.${stamp}@example.com` };

const invited = "You're invited to join Default";
const verify = 'Verify your email address';
const minute = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/;

test.describe.configure({ mode: 'serial' });

/** Opens the Invite User modal and invites `person` with `role`. */
async function inviteWithRole(page: Page, person: typeof leaver, role?: 'User' | 'Admin') {
  const team = new TeamPage(page);
  await page.getByRole('button', { name: 'Invite User', exact: true }).click();
  const dialog = team.inviteDialog();
  await expect(dialog).toBeVisible();
  const select = dialog.getByLabel('Role');
  await expect(select).toHaveValue('user');
  await expect(select.locator('option')).toHaveText(['User', 'Admin']);
  await dialog.getByLabel('First Name').fill(person.firstName);
  await dialog.getByLabel('Last Name').fill(person.lastName);
  await dialog.getByLabel('Email Address').fill(person.email);
  if (role) await select.selectOption(role);
  await expectAccessible(page, 'Invite User dialog with the Role select');
  await dialog.getByRole('button', { name: 'Invite User', exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect(team.row(person.email)).toContainText('Invited');
}

/**
 * The invited person's side, in a browser of their own: the mailed link,
 * Register, the verification link, Sign In, Accept; ends on the account's
 * home page.
 */
async function joinFromMail(browser: Browser, person: typeof leaver): Promise<Page> {
  const link = linkIn(await waitForMail(person.email, invited), '/invite/');
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(link);
  await waitForHydration(page);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByRole('heading', { name: 'Check your email' })).toBeVisible();
  await verifyByLink(page, linkIn(await waitForMail(person.email, verify), '/verify-email/'));
  await page.getByRole('link', { name: 'Sign In' }).click();
  await waitForHydration(page);
  await new SignInPage(page).signIn(person.email, password);
  await expect(page).toHaveURL(/\/invitations$/);
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Accept', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Default' })).toBeVisible();
  return page;
}

test('invited as Admin, the teammate accepts and is an Admin; Last Active shows their visit', async ({
  page,
  browser,
}) => {
  test.setTimeout(120_000);
  await signInAsAdmin(page);
  const team = new TeamPage(page);
  await team.open();
  const columns = ['Name', 'Email', 'Role', 'Status', 'Last Active', 'Actions'];
  await expect(page.getByRole('columnheader')).toHaveText(columns);

  await inviteWithRole(page, chosenAdmin, 'Admin');
  const row = team.row(chosenAdmin.email);
  await expect(row.getByRole('cell').nth(2)).toHaveText('Admin');
  await expect(row.getByRole('cell').nth(4)).toHaveText('Never');

  const theirs = await joinFromMail(browser, chosenAdmin);
  // Accept gave the invited role: the Team page is theirs too.
  const response = await theirs.goto('/team');
  expect(response?.status()).toBe(200);
  await expect(theirs.getByRole('heading', { level: 1, name: 'Team' })).toBeVisible();
  await theirs.context().close();

  await team.open();
  await expect(row.getByRole('cell').nth(2)).toHaveText('Admin');
  await expect(row.getByRole('cell').nth(3)).toHaveText('Active');
  await expect(row.getByRole('cell').nth(4)).toHaveText(minute);
  // Their own row offers no Remove; another Admin's does.
  await expect(team.action(admin.email, 'Remove')).toHaveCount(0);
  await expect(row.getByRole('button')).toHaveText(['Copy API Key', 'Refresh', 'Demote', 'Revoke', 'Remove']);
  await expectAccessible(page, 'Team page with the Last Active column');

  // Another Admin's row can be removed (the seed Admin stays the only one,
  // as the specs after this one expect).
  await team.confirmAction(chosenAdmin.email, 'Remove');
  await expect(row).toHaveCount(0);
});

test('Remove asks first; the row goes and the removed session no longer reaches the account', async ({
  page,
  browser,
}) => {
  test.setTimeout(120_000);
  await signInAsAdmin(page);
  const team = new TeamPage(page);
  await team.open();
  await inviteWithRole(page, leaver);
  await expect(team.row(leaver.email).getByRole('cell').nth(2)).toHaveText('User');
  const theirs = await joinFromMail(browser, leaver);

  await team.open();
  const row = team.row(leaver.email);
  await expect(row.getByRole('cell').nth(3)).toHaveText('Active');
  // Dismissed, nothing happens and the focus comes back.
  await team.action(leaver.email, 'Remove').click();
  const confirmation = team.confirmation();
  await expect(confirmation).toBeVisible();
  await expect(confirmation).toHaveAttribute('aria-modal', 'true');
  await expect(confirmation).toContainText(`Remove ${leaver.firstName} ${leaver.lastName} from this account?`);
  await expect(confirmation.getByRole('button', { name: 'Cancel', exact: true })).toBeFocused();
  await expectAccessible(page, 'Remove confirmation');
  await page.keyboard.press('Escape');
  await expect(confirmation).toBeHidden();
  await expect(team.action(leaver.email, 'Remove')).toBeFocused();
  await expect(row).toHaveCount(1);

  // Confirmed: the row is gone, at once and after a reload.
  await team.confirmAction(leaver.email, 'Remove');
  await expect(row).toHaveCount(0);
  await team.open();
  await expect(team.row(leaver.email)).toHaveCount(0);

  // Their session is still theirs, but the account is not.
  await theirs.reload();
  await expect(theirs.getByRole('heading', { level: 1, name: 'No account yet' })).toBeVisible();
  await expect(theirs.getByRole('heading', { level: 1, name: 'Default' })).toHaveCount(0);
  const denied = await theirs.goto('/team');
  expect(denied?.status()).toBe(403);
  await theirs.context().close();

  // The audit log keeps the removal.
  await page.goto('/audit-log');
  await expect(page.getByRole('row').filter({ hasText: 'member.remove' }).first()).toContainText(leaver.email);
});

test('Decline on /invitations: the admin sees Declined, and may resend', async ({ page, browser }) => {
  test.setTimeout(120_000);
  await signInAsAdmin(page);
  const team = new TeamPage(page);
  await team.open();
  // The removed member keeps their user: invite them again.
  await inviteWithRole(page, leaver);

  const context = await browser.newContext();
  const theirs = await context.newPage();
  const signIn = new SignInPage(theirs);
  await signIn.open();
  await signIn.signIn(leaver.email, password);
  await expect(theirs).toHaveURL(/\/invitations$/);
  await expect(theirs.getByText('You have been invited to join Default')).toBeVisible();
  await waitForHydration(theirs);
  await expect(theirs.getByRole('button', { name: 'Accept', exact: true })).toBeVisible();
  await expectAccessible(theirs, 'Invitations page with Accept and Decline');
  await theirs.getByRole('button', { name: 'Decline', exact: true }).click();
  await expect(theirs.getByText('You have no pending invitations.')).toBeVisible();

  await team.open();
  const row = team.row(leaver.email);
  await expect(row.getByRole('cell').nth(3)).toContainText('Invited');
  await expect(row.getByRole('cell').nth(3)).toContainText('Declined');
  await expect(row.getByRole('button')).toHaveText(['Resend Invite', 'Cancel Invite']);
  await expectAccessible(page, 'Team page with a declined invitation');

  // Resend: pending again, and they can accept it after all.
  await team.action(leaver.email, 'Resend Invite').click();
  await expect(row.getByRole('status')).toHaveText('Invitation sent again.');
  await expect(row.getByRole('cell').nth(3)).not.toContainText('Declined');
  await expect(row.getByRole('button')).toHaveText(['Resend Invite', 'Cancel Invite', 'Copy Invite Link']);
  await theirs.goto('/invitations');
  await waitForHydration(theirs);
  await theirs.getByRole('button', { name: 'Accept', exact: true }).click();
  await expect(theirs.getByRole('heading', { level: 1, name: 'Default' })).toBeVisible();
  await context.close();
  await team.open();
  await expect(row.getByRole('cell').nth(3)).toHaveText('Active');
});
