import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/*
 * DKIM private keys are stored encrypted: AES-256-GCM with a key derived from SECRET_KEY by HKDF
 * (SHA-256, a fixed salt and a purpose label, so this key is used for nothing else). The stored
 * form is `v1.<iv>.<tag>.<ciphertext>` in base64url; the workspace and domain are bound in as
 * additional authenticated data, so a key copied to another row does not decrypt.
 */

const VERSION = 'v1';

function derivedKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'leadwerk', 'mail.dkim-private-key', 32));
}

/** Encrypts `plain` for storage, bound to `context` (e.g. `<workspaceId>:<domain>`). */
export function encryptSecret(secret: string, plain: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', derivedKey(secret), iv);
  cipher.setAAD(Buffer.from(context));
  const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return [VERSION, iv, cipher.getAuthTag(), data]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.');
}

/** Decrypts what encryptSecret stored; throws if the secret, the context or the data differ. */
export function decryptSecret(secret: string, stored: string, context: string): string {
  const [version, iv, tag, data] = stored.split('.');
  if (version !== VERSION || !iv || !tag || data === undefined) throw new Error('unknown key format');
  const decipher = createDecipheriv('aes-256-gcm', derivedKey(secret), Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(context));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
}
