// A `mailto:` link for an address a customer typed. AWSEmail accepts `?` and `&` in the local part
// (e.g. `x?bcc=spy%40evil.example&subject=hi@example.com`), which a raw `mailto:${address}` would turn
// into extra headers (RFC 6068 §2). Each side of the last `@` is percent-encoded, so the whole string
// stays the recipient and a plain address reads as itself.
export function mailtoHref(address: string): string {
  const at = address.lastIndexOf('@');
  const encoded =
    at < 0 ? encodeURIComponent(address) : `${encodeURIComponent(address.slice(0, at))}@${encodeURIComponent(address.slice(at + 1))}`;
  return `mailto:${encoded}`;
}
