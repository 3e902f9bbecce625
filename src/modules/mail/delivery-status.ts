/** Enhanced status codes (RFC 3463) that mean the address does not exist or is disabled: a hard bounce. */
export function isHardBounceStatus(enhanced: string | null | undefined): boolean {
  return !!enhanced && /^5\.(1\.(1|2|3|6|10)|2\.1)$/.test(enhanced);
}
