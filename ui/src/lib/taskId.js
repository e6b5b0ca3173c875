// New task ids: 6 characters [a-z0-9], the form get-log accepts, unique among the listed tasks.

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
const LENGTH = 6;
// Random bytes at or above this would favour the first letters of the alphabet.
const UNBIASED_LIMIT = 256 - (256 % ALPHABET.length);

function randomId() {
  let id = "";
  while (id.length < LENGTH) {
    const bytes = new Uint8Array(LENGTH * 2);
    globalThis.crypto.getRandomValues(bytes);
    for (const byte of bytes) {
      if (byte < UNBIASED_LIMIT && id.length < LENGTH) {
        id += ALPHABET[byte % ALPHABET.length];
      }
    }
  }
  return id;
}

export function generateTaskId(takenIds = []) {
  const taken = new Set(takenIds);
  let id = randomId();
  while (taken.has(id)) {
    id = randomId();
  }
  return id;
}
