'use strict';
/*
 * libner for Node.js: the C ABI of include/ner/ner.h through koffi, in the
 * shape of the Python binding.
 *
 *   const ner = require('libner');
 *   const nlp = ner.Pipeline.default();          // or ner.Pipeline.load(dir)
 *   const doc = nlp.process('Elon Musk visited Paris.');
 *   doc.entities  // [{text, label, start, end, startByte, endByte, ...}]
 *   nlp.close();
 *
 * Offsets: start/end are code points (what the C API and Python's str use),
 * startByte/endByte UTF-8 bytes, startIndex/endIndex UTF-16 code units, so
 * that text.slice(e.startIndex, e.endIndex) === e.text in JavaScript.
 * Failures throw NerError with the C status (code) and the library's
 * message.  A Doc is a plain copy: the C doc is freed before process()
 * returns, so nothing needs closing but the pipeline.
 *
 * The library: the path in LIBNER_PATH, else libner.so.0 from the dynamic
 * loader's search path.  It is loaded at the first call, so a missing
 * library is a NerError there, not a crash at require().
 */
const koffi = require('koffi');

const ERRBUF_SIZE = 512;  // NER_ERRBUF_SIZE

// The NER_* status codes of ner.h.
const status = Object.freeze({
  OK: 0, ENOMEM: -1, EINVAL: -2, EIO: -3, EFORMAT: -4, EUTF8: -5,
  ENOTFOUND: -6, ERANGE: -7, EEXIST: -8, EOVERLAP: -9, EUNSUPPORTED: -10,
  EABI: -11, ETOOBIG: -12, EALIGN: -13, EINTERNAL: -14,
});

/* A libner call failed: code is the negative NER_E* status, statusName its
 * name (ner_strerror), message what the library wrote in its error buffer. */
class NerError extends Error {
  constructor(code, message, statusName) {
    super(message || statusName || `libner status ${code}`);
    this.name = 'NerError';
    this.code = code;
    this.statusName = statusName || '';
  }
}

let C = null;  // the bound functions, once loaded

function lib() {
  if (C)
    return C;
  const path = process.env.LIBNER_PATH || 'libner.so.0';
  let so;
  try {
    so = koffi.load(path);
  } catch (e) {
    throw new NerError(status.ENOTFOUND, `cannot load the libner library ${path}: ${e.message}` +
                       (process.env.LIBNER_PATH ? '' : ' (set LIBNER_PATH to its path)'),
                       'not found');
  }
  // Opaque handles: JS only ever holds their pointers.
  koffi.opaque('ner_pipeline');
  koffi.opaque('ner_doc');
  // ner_span_record: frozen in C, so this mirror never goes stale.
  const SpanRecord = koffi.struct('ner_span_record', {
    start_byte: 'uint64_t', end_byte: 'uint64_t',
    start_char: 'uint64_t', end_char: 'uint64_t',
    start_token: 'uint32_t', end_token: 'uint32_t',
    score: 'double',
    label: 'const char *',
    kb_id: 'const char *',
    kb_score: 'double',
    ent_id: 'const char *',
  });
  C = {
    SpanRecord,
    version: so.func('const char *ner_version(void)'),
    strerror: so.func('const char *ner_strerror(int code)'),
    load: so.func('int ner_pipeline_load(_Out_ ner_pipeline **out, const char *dir, ' +
                  'void *params, _Out_ uint8_t *errbuf, size_t errlen)'),
    defaultDir: so.func('const char *ner_default_pipeline_dir(void)'),
    pipelineFree: so.func('void ner_pipeline_free(ner_pipeline *pl)'),
    labelCount: so.func('size_t ner_pipeline_label_count(const ner_pipeline *pl)'),
    label: so.func('const char *ner_pipeline_label(const ner_pipeline *pl, size_t i)'),
    // text as bytes plus a length: it may hold NUL bytes
    process: so.func('int ner_pipeline_process(const ner_pipeline *pl, const uint8_t *text, ' +
                     'size_t len, _Out_ ner_doc **out, _Out_ uint8_t *errbuf, size_t errlen)'),
    docFree: so.func('void ner_doc_free(ner_doc *doc)'),
    copyEnts: so.func('size_t ner_doc_copy_ents(const ner_doc *doc, _Out_ void *buf, size_t cap)'),
  };
  return C;
}

function fail(c, code, errbuf) {
  let msg = '';
  if (errbuf) {
    const nul = errbuf.indexOf(0);
    msg = errbuf.toString('utf8', 0, nul < 0 ? errbuf.length : nul);
  }
  const name = c.strerror(code);
  throw new NerError(code, msg || name, name);
}

/* A JS string as UTF-8.  A lone surrogate has no UTF-8 form: Buffer.from
 * would put U+FFFD in its place in silence, so it is an EUTF8 error, as in
 * the Python binding. */
function encode(text) {
  if (Buffer.isBuffer(text) || text instanceof Uint8Array)
    return Buffer.from(text.buffer, text.byteOffset, text.byteLength);
  if (typeof text !== 'string')
    throw new TypeError(`text must be a string or a Buffer, not ${typeof text}`);
  const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.exec(text);
  if (lone)
    throw new NerError(status.EUTF8, `text is not valid Unicode: lone surrogate U+` +
                       `${text.charCodeAt(lone.index).toString(16).toUpperCase()} at UTF-16 ` +
                       `index ${lone.index} cannot be encoded as UTF-8`, 'invalid UTF-8');
  return Buffer.from(text, 'utf8');
}

/* UTF-16 index of every code point offset that an entity uses. */
function utf16Index(text, cps) {
  const want = [...new Set(cps)].sort((a, b) => a - b);
  const map = new Map();
  let cp = 0, i = 0, k = 0;
  while (k < want.length) {
    if (want[k] === cp) {
      map.set(cp, i);
      k++;
      continue;
    }
    if (i >= text.length)
      break;
    const c = text.charCodeAt(i);
    i += c >= 0xD800 && c <= 0xDBFF && i + 1 < text.length ? 2 : 1;
    cp++;
  }
  return map;
}

/* A processed text: text (a string) and entities (plain objects). */
class Doc {
  constructor(text, entities) {
    this.text = text;
    this.entities = entities;
  }

  toJSON() {
    return {text: this.text, entities: this.entities};
  }
}

const registry = new FinalizationRegistry((ptr) => {
  if (C) C.pipelineFree(ptr);
});

/* A loaded pipeline.  Immutable; process() may be called any number of
 * times.  close() (or dispose()) frees it; a second close is a no-op. */
class Pipeline {
  constructor(ptr) {
    this._ptr = ptr;
    registry.register(this, ptr, this);
  }

  /* Loads a pipeline folder (pipeline.json plus a sub-folder per component,
   * or a Hugging Face token-classification folder).  Throws NerError with
   * the library's message, which names the folder. */
  static load(dir) {
    if (typeof dir !== 'string')
      throw new TypeError('Pipeline.load needs a folder path; Pipeline.default() loads the default one');
    return Pipeline._load(dir);
  }

  /* The default English pipeline shipped with the library. */
  static default() {
    return Pipeline._load(null);
  }

  static _load(dir) {
    const c = lib();
    const out = [null];
    const eb = Buffer.alloc(ERRBUF_SIZE);
    const rc = c.load(out, dir, null, eb, ERRBUF_SIZE);
    if (rc !== status.OK)
      fail(c, rc, eb);
    return new Pipeline(out[0]);
  }

  get closed() {
    return this._ptr === null;
  }

  _handle() {
    if (this._ptr === null)
      throw new NerError(status.EINVAL, 'the pipeline is closed', 'invalid argument');
    return this._ptr;
  }

  /* The entity labels the pipeline declares, in order. */
  get labels() {
    const c = lib(), p = this._handle();
    const out = [];
    for (let i = 0, n = c.labelCount(p); i < n; i++)
      out.push(c.label(p, i));
    return out;
  }

  /* Processes one text (a string, or a Buffer of UTF-8 bytes) and returns a
   * Doc.  Invalid UTF-8 throws NerError EUTF8 with the byte offset; an empty
   * text gives a Doc without entities. */
  process(text) {
    const c = lib(), p = this._handle();
    const bytes = encode(text);
    const out = [null];
    const eb = Buffer.alloc(ERRBUF_SIZE);
    const rc = c.process(p, bytes, bytes.length, out, eb, ERRBUF_SIZE);
    if (rc !== status.OK)
      fail(c, rc, eb);
    const doc = out[0];
    try {
      const str = typeof text === 'string' ? text : bytes.toString('utf8');
      const n = Number(c.copyEnts(doc, null, 0));
      const ents = [];
      if (n) {
        const buf = Buffer.alloc(n * koffi.sizeof(c.SpanRecord));
        c.copyEnts(doc, buf, n);
        const recs = koffi.decode(buf, c.SpanRecord, n);
        const cps = [];
        for (const r of recs) cps.push(Number(r.start_char), Number(r.end_char));
        const idx = utf16Index(str, cps);
        for (const r of recs) {
          const sb = Number(r.start_byte), eb2 = Number(r.end_byte);
          ents.push({
            text: bytes.toString('utf8', sb, eb2),
            label: r.label,
            start: Number(r.start_char),
            end: Number(r.end_char),
            startByte: sb,
            endByte: eb2,
            startIndex: idx.get(Number(r.start_char)),
            endIndex: idx.get(Number(r.end_char)),
            startToken: r.start_token,
            endToken: r.end_token,
            score: r.score,
            kbId: r.kb_id === null ? null : r.kb_id,
            kbScore: r.kb_score,
            entId: r.ent_id === null ? null : r.ent_id,
          });
        }
      }
      return new Doc(str, ents);
    } finally {
      c.docFree(doc);
    }
  }

  /* Frees the C pipeline now rather than at garbage collection. */
  close() {
    if (this._ptr === null)
      return;
    registry.unregister(this);
    const p = this._ptr;
    this._ptr = null;
    lib().pipelineFree(p);
  }

  dispose() {
    this.close();
  }
}

if (typeof Symbol.dispose === 'symbol')
  Pipeline.prototype[Symbol.dispose] = Pipeline.prototype.close;

/* The release of the library loaded, e.g. "0.1.0". */
function version() {
  return lib().version();
}

module.exports = {Pipeline, Doc, NerError, status, version};
