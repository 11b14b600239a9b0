'use strict';
// The Node binding against the libner just built (LIBNER_PATH).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const ner = require('..');

let nlp;
test.before(() => { nlp = ner.Pipeline.default(); });
test.after(() => { nlp.close(); });

test('the library and its labels', () => {
  assert.match(ner.version(), /^\d+\.\d+\.\d+$/);
  const labels = nlp.labels;
  for (const l of ['PER', 'ORG', 'LOC', 'DATE'])
    assert.ok(labels.includes(l), labels.join(','));
});

test('entities with code-point offsets after non-ASCII text', () => {
  // é (1 unit, 2 bytes), 東京 (1 unit, 3 bytes each), 😀 (2 UTF-16 units,
  // 1 code point, 4 bytes): the three offset kinds all differ after them.
  const text = 'Café 東京 😀 — Angela Merkel visited Paris on January 15, 2025.';
  const doc = nlp.process(text);
  assert.equal(doc.text, text);
  assert.deepEqual(doc.entities.map((e) => [e.text, e.label]),
                   [['Angela Merkel', 'PER'], ['Paris', 'LOC'], ['January 15, 2025', 'DATE']]);
  const cps = Array.from(text);   // code points, as the C offsets count
  const bytes = Buffer.from(text, 'utf8');
  for (const e of doc.entities) {
    assert.equal(cps.slice(e.start, e.end).join(''), e.text);
    assert.equal(bytes.toString('utf8', e.startByte, e.endByte), e.text);
    assert.equal(text.slice(e.startIndex, e.endIndex), e.text);
    assert.ok(e.score > 0 && e.score <= 1, String(e.score));
    assert.equal(e.kbId, null);
  }
  const per = doc.entities[0];
  assert.deepEqual([per.start, per.end, per.startIndex, per.startByte, per.endByte],
                   [12, 25, 13, 22, 35]);
  assert.equal(typeof JSON.stringify(doc), 'string');
});

test('a missing folder throws NerError with the code and the message', () => {
  const dir = path.join(os.tmpdir(), 'libner-node-no-such-model');
  assert.throws(() => ner.Pipeline.load(dir), (e) => {
    assert.ok(e instanceof ner.NerError && e instanceof Error);
    assert.equal(e.code, ner.status.ENOTFOUND);
    assert.equal(e.statusName, 'not found');
    assert.ok(e.message.includes(dir), e.message);
    return true;
  });
});

test('a malformed pipeline.json names the file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'libner-node-'));
  try {
    fs.writeFileSync(path.join(dir, 'pipeline.json'), '{"lang": "en", ');
    assert.throws(() => ner.Pipeline.load(dir), (e) => {
      assert.equal(e.code, ner.status.EFORMAT);
      assert.ok(e.message.includes('pipeline.json'), e.message);
      return true;
    });
  } finally {
    fs.rmSync(dir, {recursive: true, force: true});
  }
});

test('invalid UTF-8 and lone surrogates throw EUTF8; empty text is a doc', () => {
  assert.throws(() => nlp.process(Buffer.from([0x50, 0x61, 0xff, 0x72])), (e) => {
    assert.equal(e.code, ner.status.EUTF8);
    assert.match(e.message, /byte offset 2/);
    return true;
  });
  assert.throws(() => nlp.process('Paris \uD800 Berlin'), (e) => {
    assert.equal(e.code, ner.status.EUTF8);
    assert.match(e.message, /U\+D800/);
    return true;
  });
  assert.throws(() => nlp.process(42), TypeError);
  const empty = nlp.process('');
  assert.equal(empty.text, '');
  assert.deepEqual(empty.entities, []);
  // a Buffer of valid UTF-8 is processed as its text
  const doc = nlp.process(Buffer.from('Angela Merkel visited Berlin.'));
  assert.deepEqual(doc.entities.map((e) => e.text), ['Angela Merkel', 'Berlin']);
});

test('close twice is safe; a closed pipeline throws', () => {
  const p = ner.Pipeline.default();
  assert.equal(p.process('Paris').entities.length, 1);
  p.close();
  p.close();
  p.dispose();
  assert.ok(p.closed);
  assert.throws(() => p.process('Paris'), (e) => e.code === ner.status.EINVAL &&
                /closed/.test(e.message));
});
