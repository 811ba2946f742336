import { expect } from '@playwright/test';

export const sinkURL = `http://127.0.0.1:${Number(process.env.E2E_SINK_HTTP_PORT ?? 3125)}`;

export type Mail = { to: string[]; subject: string; messageId: string; text: string; html: string };

/** Reads what the SMTP sink received. */
export async function messages(): Promise<Mail[]> {
  const response = await fetch(`${sinkURL}/messages`);
  return (await response.json()) as Mail[];
}

/** Waits for the `index`-th message (0-based) to `to` with `subject`. */
export async function waitForMail(to: string, subject: string, index = 0): Promise<Mail> {
  let found: Mail | undefined;
  await expect
    .poll(
      async () => {
        const mine = (await messages()).filter(
          (m) => m.to.some((t) => t.toLowerCase() === to.toLowerCase()) && m.subject === subject,
        );
        found = mine[index];
        return mine.length;
      },
      { timeout: 15_000, message: `mail "${subject}" to ${to}` },
    )
    .toBeGreaterThan(index);
  return found!;
}

/** The first link in a mail's text that contains `path`. */
export function linkIn(mail: Mail, path: string): string {
  const link = mail.text.split(/\s+/).find((word) => word.includes(path));
  if (!link) throw new Error(`no ${path} link in: ${mail.text}`);
  return link;
}
