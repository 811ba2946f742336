import { expect, test, type Browser, type Page } from '@playwright/test';
import {
  firstAdmin as admin,
  RegisterPage,
  SignInPage,
  signInAsAdmin,
  TeamPage,
  verifyByLink,
  waitForHydration,
} from '../fixtures/pages';
import { linkIn, waitForMail } from '../support/mailbox';
import { expectAccessible } from '../support/axe';

const stamp = Date.now();
const member = {
  firstName: 'Grace',
  lastName: 'Hopper',
  email: `grace.hopper.${stamp}@example.com`,
  password: 'compass-meadow-quartz-4',
};
const second = { firstName: 'Alan', lastName: 'Turing', email: `alan.turing.${stamp}@example.com` };

const invited = "You're invited to join Default";
const verify = 'Verify your email address';

test.describe.configure({ mode: 'serial' });

/** Signs the member in, in a browser context of their own. */
async function signInAsMember(browser: Browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const signIn = new SignInPage(page);
  await signIn.open();
  await signIn.signIn(member.email, member.password);
  await expect(page.getByRole('heading', { level: 1, name: 'Default' })).toBeVisible();
  return page;
}

async function clipboard(page: Page): Promise<string> {
  return page.evaluate(() => navigator.clipboard.readText());
}

test('an admin invites a teammate, who registers, verifies, signs in and accepts', async ({
  page,
  browser,
}) => {
  test.setTimeout(120_000);
  await signInAsAdmin(page);

  // Team, beneath Administration on the left.
  const nav = page.getByRole('navigation', { name: 'Administration' });
  await nav.getByRole('link', { name: 'Team', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Team' })).toBeVisible();
  for (const column of ['Name', 'Email', 'Role', 'Status', 'Actions']) {
    await expect(page.getByRole('columnheader', { name: column, exact: true })).toBeVisible();
  }
  await expect(page.getByText('Page 1 of 1')).toBeVisible();
  const team = new TeamPage(page);
  await expect(team.row(admin.email)).toContainText('Active');
  await expectAccessible(page, 'Team page');

  // Invite User opens a modal; focus is inside and stays inside.
  const opener = page.getByRole('button', { name: 'Invite User', exact: true });
  await opener.click();
  const dialog = team.inviteDialog();
  await expect(dialog).toBeVisible();
  await expect(dialog).toHaveAttribute('aria-modal', 'true');
  await expect(dialog.getByLabel('First Name')).toBeFocused();
  await expectAccessible(page, 'Invite User dialog');
  await dialog.getByRole('button', { name: 'Invite User', exact: true }).focus();
  await page.keyboard.press('Tab');
  await expect(dialog.getByLabel('First Name')).toBeFocused();
  await page.keyboard.press('Shift+Tab');
  await expect(dialog.getByRole('button', { name: 'Invite User', exact: true })).toBeFocused();
  // A click beside it neither closes it nor takes the focus away.
  await page.mouse.click(5, 5);
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Invite User', exact: true })).toBeFocused();
  // Escape closes it and gives the focus back.
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(opener).toBeFocused();

  // The details, checked field by field.
  await opener.click();
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Invite User', exact: true }).click();
  await expect(dialog.getByText('First name is required.')).toBeVisible();
  await expect(dialog.getByText('Last name is required.')).toBeVisible();
  await expect(dialog.getByLabel('First Name')).toBeFocused();
  await dialog.getByLabel('First Name').fill(member.firstName);
  await dialog.getByLabel('Last Name').fill(member.lastName);
  await dialog.getByLabel('Email Address').fill('not-an-email');
  await dialog.getByLabel('Email Address').blur();
  await expect(dialog.getByText('Enter an email address like name@example.com.')).toBeVisible();
  await expect(dialog.getByText('First name is required.')).toBeHidden();
  await expectAccessible(page, 'Invite User dialog with a field error');
  await dialog.getByLabel('Email Address').fill(member.email);
  await dialog.getByRole('button', { name: 'Invite User', exact: true }).click();
  await expect(dialog).toBeHidden();
  // The row is there at once, at the top, as Invited.
  const row = team.row(member.email);
  await expect(row).toContainText(`${member.firstName} ${member.lastName}`);
  await expect(row).toContainText('Invited');
  await expect(page.getByRole('row').nth(1)).toContainText(member.email);
  await expect(row.getByRole('button')).toHaveText(['Resend Invite', 'Cancel Invite', 'Copy Invite Link']);
  await expect(opener).toBeFocused();

  // The invitation email leads to the registration form, prefilled.
  const invitation = await waitForMail(member.email, invited);
  const link = linkIn(invitation, '/invite/');
  const inviteeContext = await browser.newContext();
  const invitee = await inviteeContext.newPage();
  await invitee.goto(link);
  await expect(invitee.getByRole('heading', { name: 'You have been invited to join Default' })).toBeVisible();
  await waitForHydration(invitee);
  await expect(invitee.getByLabel('First Name')).toHaveValue(member.firstName);
  await expect(invitee.getByLabel('Last Name')).toHaveValue(member.lastName);
  await expect(invitee.getByLabel('Email Address')).toHaveValue(member.email);
  await expect(invitee.getByLabel('Email Address')).not.toBeEditable();
  await expectAccessible(invitee, 'invitation landing (register)');
  await invitee.getByLabel('Password').fill(member.password);
  await invitee.getByRole('button', { name: 'Register' }).click();
  await expect(invitee.getByRole('heading', { name: 'Check your email' })).toBeVisible();

  // The verification email.
  const verification = await waitForMail(member.email, verify);
  await verifyByLink(invitee, linkIn(verification, '/verify-email/'));
  await invitee.getByRole('link', { name: 'Sign In' }).click();

  // Sign in, be prompted to accept, accept, land in the account.
  await waitForHydration(invitee);
  await new SignInPage(invitee).signIn(member.email, member.password);
  // A user with a pending invitation is taken to it after sign-in.
  await expect(invitee).toHaveURL(/\/invitations$/);
  await expect(invitee.getByRole('heading', { level: 1, name: 'Invitations' })).toBeVisible();
  await expect(invitee.getByText('You have been invited to join Default')).toBeVisible();
  await waitForHydration(invitee);
  await expectAccessible(invitee, 'Invitations page');
  await invitee.getByRole('button', { name: 'Accept' }).click();
  await expect(invitee.getByRole('heading', { level: 1, name: 'Default' })).toBeVisible();
  await expect(invitee).toHaveURL(/\/$/);
  // Accepted: the link now says so, and there is nothing left to accept.
  await invitee.goto('/invitations');
  await expect(invitee.getByText('You have no pending invitations.')).toBeVisible();
  await invitee.goto(link);
  await expect(invitee.getByText('This invitation has already been accepted.')).toBeVisible();
  await inviteeContext.close();

  // The admin sees an Active User.
  await team.open();
  await expect(team.row(member.email)).toContainText('Active');
  await expect(team.row(member.email).getByRole('cell').nth(2)).toHaveText('User');
});

test('row actions: Copy API Key, Refresh, Promote, Demote, Revoke and Activate', async ({ page, browser }) => {
  test.setTimeout(120_000);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await signInAsAdmin(page);
  const memberPage = await signInAsMember(browser);

  const team = new TeamPage(page);
  await team.open();
  const row = team.row(member.email);
  await expect(row.getByRole('button')).toHaveText(['Copy API Key', 'Refresh', 'Promote', 'Revoke', 'Remove']);

  // Copy API Key.
  await team.action(member.email, 'Copy API Key').click();
  await expect(row.getByRole('status')).toHaveText('Copied');
  const firstKey = await clipboard(page);
  expect(firstKey).toMatch(/^mst_[A-Za-z0-9]{32,}$/);

  // Refresh asks first; Escape keeps the key and returns the focus.
  await team.action(member.email, 'Refresh').click();
  const confirmation = team.confirmation();
  await expect(confirmation).toBeVisible();
  await expect(confirmation).toHaveAttribute('aria-modal', 'true');
  await expect(confirmation).toContainText(`${member.firstName} ${member.lastName}`);
  await expect(confirmation.getByRole('button', { name: 'Cancel', exact: true })).toBeFocused();
  await expectAccessible(page, 'Refresh confirmation dialog');
  await page.keyboard.press('Escape');
  await expect(confirmation).toBeHidden();
  await expect(team.action(member.email, 'Refresh')).toBeFocused();
  await team.action(member.email, 'Copy API Key').click();
  await expect(row.getByRole('status')).toHaveText('Copied');
  expect(await clipboard(page)).toBe(firstKey);

  // Confirmed, Refresh replaces the key.
  await team.confirmAction(member.email, 'Refresh');
  await expect(row.getByRole('status')).toHaveText('New API key created.');
  await team.action(member.email, 'Copy API Key').click();
  await expect(row.getByRole('status')).toHaveText('Copied');
  const secondKey = await clipboard(page);
  expect(secondKey).toMatch(/^mst_/);
  expect(secondKey).not.toBe(firstKey);

  // Promote and Demote, in place.
  await team.action(member.email, 'Promote').click();
  await expect(row.getByRole('cell').nth(2)).toHaveText('Admin');
  await expect(row.getByRole('button')).toHaveText(['Copy API Key', 'Refresh', 'Demote', 'Revoke', 'Remove']);
  await expect(team.action(member.email, 'Demote')).toBeFocused();
  await team.action(member.email, 'Demote').click();
  await expect(row.getByRole('cell').nth(2)).toHaveText('User');
  await expect(row.getByRole('button')).toHaveText(['Copy API Key', 'Refresh', 'Promote', 'Revoke', 'Remove']);

  // Revoke: Disabled, only Activate (and Remove) left, and the member's session ends.
  await team.confirmAction(member.email, 'Revoke');
  await expect(row.getByRole('cell').nth(3)).toHaveText('Disabled');
  await expect(row.getByRole('button')).toHaveText(['Activate', 'Remove']);
  await expectAccessible(page, 'Team page with a Disabled member');
  await memberPage.reload();
  await expect(memberPage).toHaveURL(/\/sign-in/);

  // The status filter finds the disabled member.
  await page.getByLabel('Status').selectOption('Disabled');
  await expect(page).toHaveURL(/status=disabled/);
  await expect(team.row(admin.email)).toHaveCount(0);
  await expect(row).toBeVisible();
  await page.getByLabel('Status').selectOption('All');
  await expect(team.row(admin.email)).toBeVisible();

  // Activate: Active again; the member can sign in, but is no admin.
  await team.action(member.email, 'Activate').click();
  await expect(row.getByRole('cell').nth(3)).toHaveText('Active');
  await expect(row.getByRole('button')).toHaveText(['Copy API Key', 'Refresh', 'Promote', 'Revoke', 'Remove']);
  // The key survived Revoke.
  await team.action(member.email, 'Copy API Key').click();
  await expect(row.getByRole('status')).toHaveText('Copied');
  expect(await clipboard(page)).toBe(secondKey);

  // The last Active Admin can be neither demoted nor revoked: the row says why.
  const own = team.row(admin.email);
  await expect(own).toContainText('You');
  await team.action(admin.email, 'Demote').click();
  await expect(own.getByRole('alert')).toContainText('at least one active admin');
  await expectAccessible(page, 'Team page with a row error');
  await expect(own.getByRole('cell').nth(2)).toHaveText('Admin');

  const again = await signInAsMember(browser);
  const teamResponse = await again.goto('/team');
  expect(teamResponse?.status()).toBe(403);
  await expect(again.getByRole('heading', { level: 1, name: 'Access denied' })).toBeVisible();
  await expectAccessible(again, 'Access denied page');
  const auditResponse = await again.goto('/audit-log');
  expect(auditResponse?.status()).toBe(403);
  await expect(again.getByRole('navigation', { name: 'Administration' })).toHaveCount(0);
});

test('invited rows: Resend Invite, Copy Invite Link and Cancel Invite', async ({ page, request }) => {
  test.setTimeout(90_000);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await signInAsAdmin(page);
  const team = new TeamPage(page);
  await team.open();

  // The server's checks show inline too, on the field they concern.
  await page.getByRole('button', { name: 'Invite User', exact: true }).click();
  const dialog = team.inviteDialog();
  await dialog.getByLabel('First Name').fill(admin.firstName);
  await dialog.getByLabel('Last Name').fill(admin.lastName);
  await dialog.getByLabel('Email Address').fill(admin.email.toUpperCase());
  await dialog.getByRole('button', { name: 'Invite User', exact: true }).click();
  await expect(dialog.getByText('This person is already a member of the team.')).toBeVisible();
  await expect(dialog.getByLabel('Email Address')).toBeFocused();
  await expect(dialog.getByLabel('Email Address')).toHaveAttribute('aria-invalid', 'true');
  await expectAccessible(page, 'Invite User dialog with a server error');
  await dialog.getByLabel('Email Address').fill(second.email);
  await expect(dialog.getByText('This person is already a member of the team.')).toBeHidden();
  await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect(team.row(second.email)).toHaveCount(0);

  await team.invite(second);
  const row = team.row(second.email);
  await expectAccessible(page, 'Team page with an Invited member');
  const first = linkIn(await waitForMail(second.email, invited), '/invite/');

  // Resend: a new link; the old one stops working.
  await team.action(second.email, 'Resend Invite').click();
  await expect(row.getByRole('status')).toHaveText('Invitation sent again.');
  const resent = linkIn(await waitForMail(second.email, invited, 1), '/invite/');
  expect(resent).not.toBe(first);
  const old = await request.get(first);
  expect(old.status()).toBe(404);
  expect(await old.text()).toContain('This invitation link is not valid.');

  // Copy Invite Link: the working link.
  await team.action(second.email, 'Copy Invite Link').click();
  await expect(row.getByRole('status')).toHaveText('Copied');
  const copied = await clipboard(page);
  expect(copied).toContain('/invite/');
  const landing = await request.get(copied);
  expect(landing.status()).toBe(200);
  expect(await landing.text()).toContain('You have been invited to join Default');

  // Search narrows the table to the match.
  await page.getByLabel('Search').fill(second.email);
  await page.getByLabel('Search').press('Enter');
  await expect(page).toHaveURL(/q=alan/);
  await expect(team.row(admin.email)).toHaveCount(0);
  await expect(row).toBeVisible();

  // Cancel Invite asks first; "Keep Invite" keeps it.
  await team.action(second.email, 'Cancel Invite').click();
  const confirmation = team.confirmation();
  await expect(confirmation).toContainText(`${second.firstName} ${second.lastName}`);
  await expectAccessible(page, 'Cancel Invite confirmation dialog');
  await confirmation.getByRole('button', { name: 'Keep Invite', exact: true }).click();
  await expect(confirmation).toBeHidden();
  await expect(team.action(second.email, 'Cancel Invite')).toBeFocused();
  await expect(row).toHaveCount(1);
  await team.confirmAction(second.email, 'Cancel Invite');
  await expect(row).toHaveCount(0);
  const cancelled = await request.get(copied);
  expect(cancelled.status()).toBe(404);
});

test('the Audit Log lists what the admins did, newest first', async ({ page }) => {
  await signInAsAdmin(page);
  await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Audit Log' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Audit Log' })).toBeVisible();
  for (const column of ['When', 'Actor', 'Action', 'Target', 'Change', 'Source']) {
    await expect(page.getByRole('columnheader', { name: column, exact: true })).toBeVisible();
  }
  for (const action of ['invitation.cancel', 'member.activate', 'member.revoke', 'member.promote', 'api_key.refresh']) {
    await expect(page.getByRole('cell', { name: action, exact: true }).first()).toBeVisible();
  }
  // The change is spelled out from the recorded states.
  await expect(page.getByRole('row').filter({ hasText: 'member.promote' }).first()).toContainText(
    'role: user → admin',
  );
  // Newest first: the last thing done (cancelling Alan's invitation) leads.
  await expect(page.getByRole('row').nth(1)).toContainText('invitation.cancel');
  await expect(page.getByRole('row').nth(1)).toContainText(/\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
  await expectAccessible(page, 'Audit Log page');
});

test('before hydration: a teammate registers from the link and accepts, and the Team search works', async ({
  browser,
  page,
}) => {
  test.setTimeout(90_000);
  const third = {
    firstName: 'Katherine',
    lastName: 'Johnson',
    email: `katherine.johnson.${stamp}@example.com`,
    password: 'saffron-harbor-kite-12',
  };
  await signInAsAdmin(page);
  const team = new TeamPage(page);
  await team.open();
  await team.invite(third);
  const link = linkIn(await waitForMail(third.email, invited), '/invite/');

  // Without JavaScript every form still works: they are plain HTML forms.
  const context = await browser.newContext({ javaScriptEnabled: false });
  const noScript = await context.newPage();
  await noScript.goto(link);
  await expect(noScript.getByLabel('Email Address')).toHaveValue(third.email);
  await noScript.getByLabel('Password').fill(third.password);
  await noScript.getByRole('button', { name: 'Register' }).click();
  await expect(noScript.getByRole('heading', { name: 'Check your email' })).toBeVisible();
  await verifyByLink(noScript, linkIn(await waitForMail(third.email, verify), '/verify-email/'));
  await noScript.goto('/sign-in');
  await noScript.getByLabel('Email Address').fill(third.email);
  await noScript.getByLabel('Password').fill(third.password);
  await noScript.getByRole('button', { name: 'Sign In' }).click();
  await expect(noScript.getByText('You have been invited to join Default')).toBeVisible();
  await noScript.getByRole('button', { name: 'Accept' }).click();
  await expect(noScript.getByRole('heading', { level: 1, name: 'Default' })).toBeVisible();
  await context.close();

  const adminContext = await browser.newContext({ javaScriptEnabled: false });
  const admin2 = await adminContext.newPage();
  await admin2.goto('/sign-in?next=/team');
  await admin2.getByLabel('Email Address').fill(admin.email);
  await admin2.getByLabel('Password').fill(admin.password);
  await admin2.getByRole('button', { name: 'Sign In' }).click();
  await expect(admin2.getByRole('heading', { level: 1, name: 'Team' })).toBeVisible();
  await admin2.getByLabel('Search').fill('katherine');
  await admin2.getByRole('button', { name: 'Search', exact: true }).click();
  await expect(admin2).toHaveURL(/q=katherine/);
  await expect(admin2.getByRole('row').filter({ hasText: third.email })).toContainText('Active');
  await expect(admin2.getByRole('row').filter({ hasText: admin.email })).toHaveCount(0);
  await expect(admin2.getByLabel('Search')).toHaveValue('katherine');
  await adminContext.close();
});

test('an invitee who already has an account signs in, then accepts', async ({ browser, page }) => {
  test.setTimeout(90_000);
  const existing = {
    firstName: 'Mary',
    lastName: 'Jackson',
    email: `mary.jackson.${stamp}@example.com`,
    password: 'lilac-rocket-bridge-31',
  };
  const context = await browser.newContext();
  const own = await context.newPage();
  const registration = new RegisterPage(own);
  await registration.open();
  await registration.register(existing);
  await verifyByLink(own, linkIn(await waitForMail(existing.email, verify), '/verify-email/'));

  await signInAsAdmin(page);
  const team = new TeamPage(page);
  await team.open();
  await team.invite(existing);

  await own.goto(linkIn(await waitForMail(existing.email, invited), '/invite/'));
  await expect(own.getByRole('heading', { name: 'You have been invited to join Default' })).toBeVisible();
  await expect(own.getByText(`Sign in as ${existing.email} to accept`)).toBeVisible();
  await expectAccessible(own, 'invitation landing (sign in to accept)');
  await expect(own.getByRole('button', { name: 'Register' })).toHaveCount(0);
  await waitForHydration(own);
  await own.getByRole('link', { name: 'Sign In' }).click();
  await expect(own).toHaveURL(/\/sign-in\?next=\/invitations$/);
  await waitForHydration(own);
  await new SignInPage(own).signIn(existing.email, existing.password);
  await expect(own.getByText('You have been invited to join Default')).toBeVisible();
  await own.getByRole('button', { name: 'Accept' }).click();
  await expect(own.getByRole('heading', { level: 1, name: 'Default' })).toBeVisible();
  await context.close();

  await team.open();
  await expect(team.row(existing.email)).toContainText('Active');
});

test('when the clipboard refuses, the key is shown selected in a read-only field', async ({ page }) => {
  await page.addInitScript(() => {
    navigator.clipboard.writeText = () => Promise.reject(new DOMException('denied', 'NotAllowedError'));
  });
  await signInAsAdmin(page);
  const team = new TeamPage(page);
  await team.open();
  const row = team.row(member.email);
  await team.action(member.email, 'Copy API Key').click();
  await expect(row.getByRole('status')).toHaveText('Copy it from the field below.');
  const field = row.getByRole('textbox', { name: 'API key' });
  await expect(field).toHaveValue(/^mst_/);
  await expect(field).not.toBeEditable();
  await expect(field).toBeFocused();
  await expectAccessible(page, 'Team page with the key shown in a field');
  const selected = await field.evaluate((input: HTMLInputElement) =>
    input.value.substring(input.selectionStart ?? 0, input.selectionEnd ?? 0),
  );
  expect(selected).toBe(await field.inputValue());
});

test('an invitation link that is not valid says so with a 404', async ({ page }) => {
  const response = await page.goto('/invite/not-a-real-token');
  expect(response?.status()).toBe(404);
  await expect(page.getByText('This invitation link is not valid.')).toBeVisible();
  await expectAccessible(page, 'invalid invitation link');
});
