import { describe, expect, it } from 'vitest'
import { createTokenCipher } from './token-cipher.ts'

const key = Buffer.alloc(32, 3)

describe('createTokenCipher (AES-256-GCM)', () => {
  const cipher = createTokenCipher({ key, purpose: 'slack-installations' })

  it('round-trips, with a fresh IV each time, and never shows the plaintext', () => {
    const first = cipher.encrypt('xoxb-secret-token', 'slack-installation:T1')
    const second = cipher.encrypt('xoxb-secret-token', 'slack-installation:T1')
    expect(first).not.toBe(second)
    expect(first).toMatch(/^v1:/)
    expect(Buffer.from(first.slice(3), 'base64').toString('latin1')).not.toContain('xoxb')
    expect(cipher.decrypt(first, 'slack-installation:T1')).toBe('xoxb-secret-token')
  })

  it('refuses another context, another key or a tampered ciphertext', () => {
    const sealed = cipher.encrypt('xoxb-secret-token', 'slack-installation:T1')
    expect(() => cipher.decrypt(sealed, 'slack-installation:T2')).toThrow(/could not be decrypted/)
    const otherKey = createTokenCipher({ key: Buffer.alloc(32, 4), purpose: 'slack-installations' })
    expect(() => otherKey.decrypt(sealed, 'slack-installation:T1')).toThrow(/could not be decrypted/)
    const otherPurpose = createTokenCipher({ key, purpose: 'something-else' })
    expect(() => otherPurpose.decrypt(sealed, 'slack-installation:T1')).toThrow(/could not be decrypted/)
    const bytes = Buffer.from(sealed.slice(3), 'base64')
    bytes[bytes.length - 1]! ^= 1
    expect(() => cipher.decrypt(`v1:${bytes.toString('base64')}`, 'slack-installation:T1')).toThrow(
      /could not be decrypted/,
    )
    expect(() => cipher.decrypt('plain', 'slack-installation:T1')).toThrow(/unknown format/)
  })
})
