// Email out: nodemailer over SMTP (SMTP_URL), or, with no SMTP server configured (the embedded
// "try it" mode), one .eml file per message under DATA_DIR/mail that any mail program opens.
// Errors are classified for the delivery job: an SMTP 5xx is final for that recipient, a 4xx, a
// timeout or a connection problem is worth another try.
import fs from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { type Transporter, type TransportOptions } from 'nodemailer';
import { DeliveryError, withTimeout } from './http';

export { DeliveryError };

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** "<id@host>": the same on every resend of one notification. */
  messageId: string;
  /** Files sent along (e.g. the monthly service report as a self-contained HTML page). */
  attachments?: { filename: string; content: string; contentType: string }[];
}

/** What nodemailer is given for one message. */
const message = (from: string, mail: OutgoingMail) => ({
  from,
  to: mail.to,
  subject: mail.subject,
  text: mail.text,
  html: mail.html,
  messageId: mail.messageId,
  ...(mail.attachments?.length ? { attachments: mail.attachments } : {}),
});

export interface Mailer {
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

interface SmtpError {
  message?: string;
  code?: string;
  responseCode?: number;
  response?: string;
  /** nodemailer's own verdict: true for a 5xx (except 503). */
  permanent?: boolean;
}

/** The SMTP reply decides: 5xx is a final "no" for this recipient; anything else may pass later. */
export function classifySmtpError(err: unknown): DeliveryError {
  const e = (err ?? {}) as SmtpError;
  const code = e.responseCode;
  const text = (e.response ?? e.message ?? String(err)).replace(/\s+/g, ' ').slice(0, 400);
  const permanent = e.permanent ?? (!!code && code >= 500 && code < 600 && code !== 503);
  if (code) return new DeliveryError(`SMTP ${code}: ${text}`, permanent);
  return new DeliveryError(`SMTP ${e.code ?? 'error'}: ${text}`, false);
}

class SmtpMailer implements Mailer {
  private readonly transport: Transporter;

  constructor(
    url: string,
    private readonly from: string,
    private readonly timeoutMs: number,
    maxConnections: number,
  ) {
    this.transport = nodemailer.createTransport({
      url,
      pool: true,
      maxConnections,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    } as TransportOptions);
  }

  async send(mail: OutgoingMail): Promise<void> {
    try {
      const info = (await withTimeout(this.timeoutMs + 1_000, 'the SMTP server', () =>
        this.transport.sendMail(message(this.from, mail)),
      )) as { rejected?: unknown[]; rejectedErrors?: SmtpError[] };
      // one recipient per message: a refusal of it is a failed send even when nodemailer resolves
      if (info.rejected?.length) throw classifySmtpError(info.rejectedErrors?.[0] ?? { message: 'recipient rejected' });
    } catch (err) {
      throw err instanceof DeliveryError ? err : classifySmtpError(err);
    }
  }

  close(): void {
    this.transport.close();
  }
}

class FileMailer implements Mailer {
  private readonly transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });

  constructor(
    private readonly dir: string,
    private readonly from: string,
  ) {}

  async send(mail: OutgoingMail): Promise<void> {
    const info = (await this.transport.sendMail(message(this.from, mail))) as unknown as {
      message: Buffer;
    };
    await fs.mkdir(this.dir, { recursive: true });
    // One file per message and recipient; a resend overwrites it (same Message-ID, same name).
    const local = mail.messageId.replace(/^<|>$/g, '').split('@')[0].replace(/[^\w.-]/g, '_');
    const file = path.join(this.dir, `${new Date().toISOString().slice(0, 10)}-${local}.eml`);
    const tmp = `${file}.${process.pid}.tmp`;
    await fs.writeFile(tmp, info.message);
    await fs.rename(tmp, file);
  }

  close(): void {
    this.transport.close();
  }
}

export function createMailer(opts: { smtpUrl?: string; mailDir: string; from: string; timeoutMs: number; maxConnections: number }): Mailer {
  return opts.smtpUrl ? new SmtpMailer(opts.smtpUrl, opts.from, opts.timeoutMs, opts.maxConnections) : new FileMailer(opts.mailDir, opts.from);
}
