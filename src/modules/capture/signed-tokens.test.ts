import { describe, expect, it } from 'vitest';
import {
  checkTimeTrapToken,
  createAssetToken,
  createProfileToken,
  createTimeTrapToken,
  openAssetToken,
  openProfileToken,
} from './signed-tokens.js';

const SECRET = 'a-secret-that-is-long-enough-for-the-tests-0123';
const limits = { minSeconds: 3, maxSeconds: 3600 };

describe('time trap', () => {
  const t0 = new Date('2026-01-01T10:00:00Z');
  const token = createTimeTrapToken(SECRET, 'form-1', t0);
  const at = (s: number) => new Date(t0.getTime() + s * 1000);

  it('passes a person who took a few seconds', () => {
    expect(checkTimeTrapToken(SECRET, token, 'form-1', at(5), limits)).toBe('ok');
  });
  it('catches bots that are too fast, stale pages, other forms and forgeries', () => {
    expect(checkTimeTrapToken(SECRET, token, 'form-1', at(1), limits)).toBe('too_fast');
    expect(checkTimeTrapToken(SECRET, token, 'form-1', at(3601), limits)).toBe('too_old');
    expect(checkTimeTrapToken(SECRET, token, 'form-2', at(5), limits)).toBe('invalid');
    expect(checkTimeTrapToken('another-secret-of-enough-length-000000', token, 'form-1', at(5), limits)).toBe(
      'invalid',
    );
    expect(checkTimeTrapToken(SECRET, undefined, 'form-1', at(5), limits)).toBe('missing');
    const forged = `${Buffer.from(JSON.stringify({ f: 'form-1', t: 0 })).toString('base64url')}.${token.split('.')[1]}`;
    expect(checkTimeTrapToken(SECRET, forged, 'form-1', at(5), limits)).toBe('invalid');
  });
});

describe('profile and asset tokens', () => {
  const now = new Date('2026-01-01T10:00:00Z');
  const later = new Date('2026-02-01T10:00:00Z');
  it('round-trip until they expire and are not interchangeable', () => {
    const p = createProfileToken(SECRET, { workspaceId: 'w', contactId: 'c', expiresAt: later });
    expect(openProfileToken(SECRET, p, now)).toEqual({ workspaceId: 'w', contactId: 'c' });
    expect(openProfileToken(SECRET, p, new Date('2026-03-01'))).toBeUndefined();
    const a = createAssetToken(SECRET, { workspaceId: 'w', contactId: 'c', assetId: 'a', expiresAt: later });
    expect(openAssetToken(SECRET, a, now)).toEqual({ workspaceId: 'w', contactId: 'c', assetId: 'a' });
    expect(openProfileToken(SECRET, a, now)).toBeUndefined();
    expect(openAssetToken(SECRET, p, now)).toBeUndefined();
    expect(openAssetToken(SECRET, 'garbage', now)).toBeUndefined();
  });
});
