// Generated task ids: 6 characters [a-z0-9], never one a listed task already has.

import { test } from "node:test";
import assert from "node:assert/strict";
import { generateTaskId } from "../../src/lib/taskId.js";
import { createTaskSchema } from "./support.mjs";

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

// Makes crypto.getRandomValues fill each call's buffer with the next byte of `bytes`.
function feedRandomBytes(t, bytes) {
  let call = 0;
  t.mock.method(globalThis.crypto, "getRandomValues", (buffer) => {
    buffer.fill(bytes[Math.min(call, bytes.length - 1)]);
    call += 1;
    return buffer;
  });
}

test("an id is 6 characters of [a-z0-9] that the create-task schema accepts", () => {
  const pattern = new RegExp(createTaskSchema.properties.task_id.pattern);
  for (let round = 0; round < 500; round += 1) {
    const id = generateTaskId([]);
    assert.match(id, /^[a-z0-9]{6}$/);
    assert.ok(pattern.test(id), id);
  }
});

test("ids use the whole alphabet and differ from one call to the next", () => {
  const ids = Array.from({ length: 300 }, () => generateTaskId());
  assert.equal(new Set(ids).size, ids.length);
  const characters = new Set(ids.join(""));
  assert.equal(characters.size, ALPHABET.length);
});

test("an id already taken by a listed task is never given again", (t) => {
  feedRandomBytes(t, [0, 0, 1]);
  assert.equal(generateTaskId(["aaaaaa"]), "bbbbbb");
});

test("several taken ids in a row are all skipped", (t) => {
  feedRandomBytes(t, [0, 1, 2, 3]);
  assert.equal(generateTaskId(["aaaaaa", "bbbbbb", "cccccc"]), "dddddd");
});

test("random bytes that would favour some characters are not used", (t) => {
  feedRandomBytes(t, [255, 252, 35]);
  assert.equal(generateTaskId([]), "999999");
});
