// Secrets at rest: webhook signing secrets and connector credentials are stored encrypted
// (AES-256-GCM, a fresh IV per value, the key from SECRETS_KEY through SHA-256). Without
// SECRETS_KEY a random key is kept in DATA_DIR/secrets.key (mode 0600) so that the embedded demo
// works; several instances must share one SECRETS_KEY.
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const VERSION = 'v1';

export class Secrets {
  private readonly key: Buffer;

  constructor(material: string) {
    this.key = createHash('sha256').update(material, 'utf8').digest();
  }

  /** From SECRETS_KEY, or the key file in dataDir (created on first use, atomically). */
  static fromConfig(secretsKey: string | undefined, dataDir: string): Secrets {
    if (secretsKey) return new Secrets(secretsKey);
    const file = path.join(dataDir, 'secrets.key');
    const read = () => {
      const material = fs.readFileSync(file, 'utf8').trim();
      if (material.length < 32) throw new Error(`${file} does not hold a key`);
      return new Secrets(material);
    };
    if (fs.existsSync(file)) return read();
    fs.mkdirSync(dataDir, { recursive: true });
    // written whole under another name, then linked into place: a process starting at the same
    // moment either creates it or reads the complete one, never a half-written file
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    fs.writeFileSync(tmp, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    try {
      fs.linkSync(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    return read();
  }

  /**
   * An HMAC-SHA256 of `message` under a key of its own for `purpose` (derived from the secrets key,
   * so every instance sharing SECRETS_KEY computes the same one); e.g. signed report links.
   */
  mac(purpose: string, message: string): Buffer {
    const key = createHmac('sha256', this.key).update(`mac:${purpose}`, 'utf8').digest();
    return createHmac('sha256', key).update(message, 'utf8').digest();
  }

  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), data.toString('base64')].join('.');
  }

  decrypt(stored: string): string {
    const [version, iv, tag, data] = stored.split('.');
    if (version !== VERSION || !iv || !tag || !data) throw new Error('not an encrypted secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
  }
}
