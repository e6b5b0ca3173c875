// ns8-ui-lib's bundled uuid asks Node's `crypto.randomBytes`; in the browser the Web Crypto
// API gives the same random bytes.
export function randomBytes(size) {
  return window.crypto.getRandomValues(new Uint8Array(size));
}

export default { randomBytes };
