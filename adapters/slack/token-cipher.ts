import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'
import { AppError } from '../../core/index.ts'

const version = 'v1'

/** Encrypts and decrypts secrets at rest (Slack installations) with AES-256-GCM. */
export interface TokenCipher {
  /** `v1:` + base64(iv | tag | ciphertext); `context` is bound as associated data. */
  encrypt(plaintext: string, context: string): string
  /** Throws `internal` when the key, the context or the ciphertext does not match. */
  decrypt(sealed: string, context: string): string
}

/**
 * A cipher keyed from ENCRYPTION_KEY. The key is first derived for this purpose (HKDF-SHA256), so
 * the same ENCRYPTION_KEY can sign widget tokens elsewhere without the two uses sharing a key.
 * `context` (e.g. the Slack team id) is authenticated data: a ciphertext copied onto another
 * row does not decrypt.
 */
export function createTokenCipher({ key, purpose }: { key: Buffer; purpose: string }): TokenCipher {
  if (key.length !== 32) throw new AppError('config_invalid', { message: 'ENCRYPTION_KEY must be 32 bytes.' })
  const derived = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), `nereid:${purpose}`, 32))
  return {
    encrypt(plaintext, context) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', derived, iv)
      cipher.setAAD(Buffer.from(context, 'utf8'))
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
      return `${version}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`
    },
    decrypt(sealed, context) {
      const [prefix, encoded] = sealed.split(':')
      const bytes = Buffer.from(encoded ?? '', 'base64')
      if (prefix !== version || bytes.length < 29) {
        throw new AppError('internal', { message: 'A stored secret has an unknown format.' })
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', derived, bytes.subarray(0, 12))
        decipher.setAAD(Buffer.from(context, 'utf8'))
        decipher.setAuthTag(bytes.subarray(12, 28))
        return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8')
      } catch (error) {
        throw new AppError('internal', {
          message: 'A stored secret could not be decrypted (was ENCRYPTION_KEY changed?).',
          cause: error,
        })
      }
    },
  }
}

/** A purpose-bound secret derived from ENCRYPTION_KEY (HMAC keys, OAuth state secrets). */
export function deriveSecret({ key, purpose }: { key: Buffer; purpose: string }): Buffer {
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), `nereid:${purpose}`, 32))
}
