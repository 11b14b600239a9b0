#!/usr/bin/env python3
"""`ner serve`, started as a user starts it and spoken to over loopback HTTP."""
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

NER = sys.argv[1] if __name__ == "__main__" else os.environ.get("NER_EXE", "ner")
SEED = "Elon Musk sold $4 billion of Tesla stock on January 15, 2025."
TEXTS = [SEED, "", "Marie Curie received the Nobel Prize in Paris in 1903.",
         "Zoë Schmidt flew from Zürich to 東京 with Angela Merkel.",
         "Apple opened an office in Berlin.", "x" * 3000]
KEYS = {"start", "end", "label", "text", "score", "kb_id"}


class Server:
    """A `ner serve --port 0` process; the port comes from its first line."""

    def __init__(self, *args):
        self.err = tempfile.TemporaryFile()
        self.p = subprocess.Popen([NER, "serve", "--port", "0", *args],
                                  stdout=subprocess.PIPE, stderr=self.err)
        line = self.p.stdout.readline().decode()
        if not line.startswith("listening on http://127.0.0.1:"):
            self.p.kill()
            self.p.wait()
            raise AssertionError(f"no listening line: {line!r} {self.stderr()!r}")
        self.port = int(line.strip().rsplit(":", 1)[1])

    def stderr(self):
        self.err.seek(0)
        return self.err.read().decode("utf-8", "replace")

    def request(self, method, path, body=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            c.close()

    def post(self, obj=None, raw=None):
        body = raw if raw is not None else json.dumps(obj).encode()
        status, headers, data = self.request(
            "POST", "/entities", body, {"Content-Type": "application/json"})
        assert headers.get("content-type") == "application/json", headers
        return status, json.loads(data)

    def raw(self):
        return socket.create_connection(("127.0.0.1", self.port), timeout=30)

    def stop(self, sig=signal.SIGTERM):
        self.p.send_signal(sig)
        rc = self.p.wait(timeout=60)
        self.p.stdout.close()
        return rc


_default = None


def server():
    """One server with the default model shared by the simple tests."""
    global _default
    if _default is None:
        _default = Server("--threads", "4")
    return _default


def ner_run_ents(text):
    p = subprocess.run([NER, "run"], input=(text + "\n").encode(),
                       capture_output=True)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)["ents"]


def read_response(s):
    """Status, headers and body of one HTTP/1.1 response read off socket s."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        assert chunk, f"connection closed mid-headers: {buf!r}"
        buf += chunk
    head, body = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
    n = int(headers.get("content-length", "0"))
    while len(body) < n:
        chunk = s.recv(65536)
        assert chunk, "connection closed mid-body"
        body += chunk
    return status, headers, body[:n]


def test_entities_match_ner_run():
    for text in TEXTS:
        status, got = server().post({"text": text})
        assert status == 200, got
        ents = got["entities"]
        for e in ents:
            assert set(e) == KEYS, e
            assert e["kb_id"] is None, e
            assert text[e["start"]:e["end"]] == e["text"], (text, e)
        # the same records `ner run` writes (which has no kb_id without --kb)
        assert [{k: v for k, v in e.items() if k != "kb_id"} for e in ents] \
            == ner_run_ents(text), text
    status, got = server().post({"text": SEED})
    assert [(e["text"], e["label"]) for e in got["entities"]][:2] == \
        [("Elon Musk", "PER"), ("$4 billion", "MONEY")], got


def test_texts_keep_order():
    singles = [server().post({"text": t})[1] for t in TEXTS]
    status, got = server().post({"texts": TEXTS})
    assert status == 200, got
    assert got == {"results": singles}
    status, got = server().post({"texts": TEXTS[::-1]})
    assert got == {"results": singles[::-1]}
    assert server().post({"texts": []}) == (200, {"results": []})


def test_health_and_page():
    status, headers, body = server().request("GET", "/health")
    assert status == 200 and json.loads(body)["status"] == "ok", body
    status, headers, body = server().request("GET", "/")
    assert status == 200, status
    assert headers["content-type"].startswith("text/html"), headers
    page = body.decode("utf-8")
    assert "<textarea" in page and "/entities" in page, page[:200]
    status, headers, body = server().request("HEAD", "/health")
    assert status == 200 and body == b"", (status, body)


def test_keep_alive():
    c = http.client.HTTPConnection("127.0.0.1", server().port, timeout=60)
    for path in ["/health", "/health"]:
        c.request("GET", path)
        r = c.getresponse()
        assert r.status == 200 and r.read()
    c.request("POST", "/entities", body=json.dumps({"text": SEED}))
    r = c.getresponse()
    assert r.status == 200 and json.loads(r.read())["entities"]
    c.close()


def test_bad_json():
    status, got = server().post(raw=b'{"text": ')
    assert status == 400 and "malformed JSON at byte 9" in got["error"], got
    status, got = server().post(raw=b"")
    assert status == 400 and "malformed JSON at byte 0" in got["error"], got
    status, got = server().post(raw=b'{"text": "a", "text": "b"}')
    assert status == 400 and "malformed JSON" in got["error"], got
    status, got = server().post(raw=b"[1, 2]")
    assert status == 400 and "expected a JSON object" in got["error"], got


def test_missing_or_wrong_field():
    status, got = server().post({"txt": "a"})
    assert status == 400 and 'missing field "text"' in got["error"], got
    status, got = server().post({"text": 5})
    assert status == 400 and 'field "text" must be a string' in got["error"], got
    status, got = server().post({"texts": "a"})
    assert status == 400 and 'field "texts" must be an array' in got["error"], got
    status, got = server().post({"texts": ["a", "b", None]})
    assert status == 400 and 'field "texts": item 2 must be a string' in got["error"], got
    status, got = server().post({"text": "a", "texts": ["b"]})
    assert status == 400 and "not both" in got["error"], got


def test_invalid_utf8():
    cases = [(b'{"text": "ab\xffcd"}', 12),          # never valid
             (b'{"text": "ab\xc3"}', 12),            # truncated
             (b'{"text": "\xc0\xaf"}', 10),          # overlong "/"
             (b'{"text": "\xed\xa0\x80"}', 10),      # a UTF-16 surrogate
             (b'{"text": "Zo\xc3\xab \xf4\x90\x80\x80"}', 15)]  # past U+10FFFF
    for body, offset in cases:
        status, got = server().post(raw=body)
        assert status == 400, (body, got)
        assert got["error"] == f"the body is not valid UTF-8 (byte offset {offset})", \
            (body, got)
    status, got = server().post(raw='{"text": "Zoë \U0001F600"}'.encode())
    assert status == 200, got


def test_body_over_limit():
    s = Server("--max-body", "100", "--threads", "1")
    try:
        ok = json.dumps({"text": "a" * 88}).encode()
        assert len(ok) == 100
        status, got = s.post(raw=ok)
        assert status == 200, got
        status, got = s.post(raw=json.dumps({"text": "a" * 89}).encode())
        assert status == 413 and "--max-body" in got["error"], got
        # no Content-Length: the limit holds on the bytes as they arrive
        with s.raw() as sock:
            body = json.dumps({"text": "b" * 300}).encode()
            chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 50]), body[i:i + 50])
                              for i in range(0, len(body), 50))
            sock.sendall(b"POST /entities HTTP/1.1\r\nHost: x\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n")
            status, _, data = read_response(sock)
            assert status == 413 and b"--max-body" in data, data
        status, got = s.post(raw=ok)   # and the server is fine after
        assert status == 200, got
    finally:
        assert s.stop() == 0, s.stderr()


def test_wrong_method_and_path():
    status, headers, body = server().request("PUT", "/entities", b"{}")
    assert status == 405 and headers["allow"] == "POST", (status, headers)
    assert "PUT" in json.loads(body)["error"]
    status, headers, body = server().request("GET", "/entities")
    assert status == 405 and headers["allow"] == "POST", (status, headers)
    status, headers, body = server().request("POST", "/health", b"{}")
    assert status == 405 and headers["allow"] == "GET, HEAD", (status, headers)
    status, headers, body = server().request("GET", "/nope")
    assert status == 404 and "/nope" in json.loads(body)["error"], body
    assert headers["content-type"] == "application/json"


def test_concurrent_requests_agree():
    want = [server().post({"text": t})[1] for t in TEXTS]
    failures = []

    def worker(k):
        try:
            for i in range(30):
                j = (i + k) % len(TEXTS)
                status, got = server().post({"text": TEXTS[j]})
                if status != 200 or got != want[j]:
                    failures.append((k, i, status, got))
        except Exception as exc:  # surfaced below, not lost in the thread
            failures.append((k, repr(exc)))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures[:3]


def test_stalled_client_is_dropped():
    s = Server("--timeout", "1", "--threads", "1")
    try:
        stalled = [s.raw(), s.raw()]
        stalled[0].sendall(b"POST /entities HTTP/1.1\r\nHost: x\r\nContent-Le")
        stalled[1].sendall(b"POST /entities HTTP/1.1\r\nHost: x\r\n"
                           b"Content-Length: 100\r\n\r\n{\"text\": ")
        # others are served meanwhile, on the same single worker
        status, got = s.post({"text": SEED})
        assert status == 200 and got["entities"], got
        for sock in stalled:
            sock.settimeout(60)   # a guard only: the server drops it first
            try:
                data = sock.recv(4096)
            except ConnectionResetError:
                data = b""
            assert data == b"", data
            sock.close()
        status, got = s.post({"text": SEED})
        assert status == 200 and got["entities"], got
    finally:
        assert s.stop() == 0, s.stderr()


def test_trickling_body_is_cut_off():
    """A body sent a byte at a time, each inside the idle timeout, is cut
    off by --body-timeout; a slow body that makes it in time is answered."""
    s = Server("--timeout", "5", "--body-timeout", "1", "--threads", "1")
    try:
        sock = s.raw()
        sock.sendall(b"POST /entities HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Length: 1000\r\n\r\n{\"text\": \"")
        sock.settimeout(0.2)
        t0, closed = time.monotonic(), False
        while time.monotonic() - t0 < 20 and not closed:
            try:
                sock.sendall(b"a")
                closed = sock.recv(4096) == b""
            except socket.timeout:
                pass
            except (BrokenPipeError, ConnectionResetError):
                closed = True
        took = time.monotonic() - t0
        sock.close()
        assert closed and took < 5, (closed, took)  # before the 5 s idle timeout
        status, got = s.post({"text": SEED})
        assert status == 200 and got["entities"], got
        # a body in two halves 0.3 s apart is within the deadline
        body = json.dumps({"text": SEED}).encode()
        sock = s.raw()
        sock.sendall(b"POST /entities HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body) + body[:10])
        time.sleep(0.3)
        sock.sendall(body[10:])
        sock.settimeout(30)
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        sock.close()
        assert data.startswith(b"HTTP/1.1 200"), data
    finally:
        assert s.stop() == 0, s.stderr()


def start_in_flight(s, body):
    """A socket with a POST whose headers the server has taken (it answered
    100 Continue) and whose body is not all sent; then SIGTERM, and wait
    until the server stops accepting, which shows it has taken the signal."""
    sock = s.raw()
    sock.sendall(b"POST /entities HTTP/1.1\r\nHost: x\r\n"
                 b"Content-Type: application/json\r\n"
                 b"Expect: 100-continue\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(body))
    got = b""
    while b"\r\n\r\n" not in got:
        chunk = sock.recv(1024)
        assert chunk, got
        got += chunk
    assert got.startswith(b"HTTP/1.1 100"), got
    sock.sendall(body[:10])
    s.p.send_signal(signal.SIGTERM)
    for _ in range(3000):
        try:
            socket.create_connection(("127.0.0.1", s.port), timeout=5).close()
        except (ConnectionRefusedError, ConnectionResetError):
            break  # refused, or reset as the listening socket went
        time.sleep(0.01)
    else:
        raise AssertionError("still accepting after SIGTERM")
    assert s.p.poll() is None, ("exited with a request in flight", s.p.returncode,
                                s.stderr())
    return sock


def test_sigterm_finishes_request_in_flight():
    s = Server("--threads", "2")
    body = json.dumps({"text": SEED}).encode()
    with start_in_flight(s, body) as sock:
        sock.sendall(body[10:])
        status, headers, data = read_response(sock)
    assert status == 200, data
    assert headers.get("connection", "").lower() == "close", headers
    assert json.loads(data) == server().post({"text": SEED})[1]
    assert s.p.wait(timeout=60) == 0, s.stderr()
    assert "finishing 1 request in flight" in s.stderr(), s.stderr()


def test_second_signal_stops_at_once():
    s = Server("--threads", "2")
    with start_in_flight(s, json.dumps({"text": SEED}).encode()) as sock:
        s.p.send_signal(signal.SIGINT)
        assert s.p.wait(timeout=60) == 0, s.stderr()
        sock.settimeout(60)
        try:
            data = sock.recv(4096)
        except ConnectionResetError:
            data = b""
        assert data == b"", data
    assert "second signal" in s.stderr(), s.stderr()


def test_sigint_exits_0():
    s = Server("--threads", "1")
    assert s.request("GET", "/health")[0] == 200
    assert s.stop(signal.SIGINT) == 0, s.stderr()


def test_usage_errors():
    for args, what in [(["--port", "70000"], "--port"), (["--threads", "0"], "--threads"),
                       (["--max-body", "-1"], "--max-body"), (["--timeout"], "--timeout"),
                       (["--body-timeout", "0"], "--body-timeout"),
                       (["--frobnicate", "1"], "unknown argument --frobnicate"),
                       (["--host", "not a host"], "--host")]:
        p = subprocess.run([NER, "serve", *args], capture_output=True, timeout=60)
        assert p.returncode == 2 and what.encode() in p.stderr, (args, p.stderr)
    p = subprocess.run([NER, "serve", "--model", "/nonexistent/model", "--port", "0"],
                       capture_output=True, timeout=60)
    assert p.returncode == 1 and b"/nonexistent/model" in p.stderr, p.stderr
    p = subprocess.run([NER, "serve", "--help"], capture_output=True, timeout=60)
    assert p.returncode == 0 and b"POST /entities" in p.stdout, p.stdout


def test_kb_links():
    """--kb: kb_id filled as `ner run --kb` fills it (tests/kb's small KB)."""
    entities = [
        {"id": "Q312", "name": "Apple Inc.", "type": "ORG",
         "description": "American technology company that designs the iPhone, "
                        "iPad and Mac; its CEO reports quarterly revenue."},
        {"id": "Q89", "name": "apple", "type": "FOOD",
         "description": "The round edible fruit of the apple tree, eaten raw as "
                        "a snack, at lunch, or baked in a pie."}]
    aliases = ("alias\tentity_id\tprior\nApple\tQ312\t0.7\nApple\tQ89\t0.3\n"
               "apple\tQ89\t0.8\napple\tQ312\t0.2\n")
    texts = ["Apple's iPhone revenue rose as its CEO spoke",
             "She ate an apple with her lunch in Berlin"]
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "e.jsonl"), "w") as f:
            f.write("".join(json.dumps(e) + "\n" for e in entities))
        with open(os.path.join(d, "a.tsv"), "w") as f:
            f.write(aliases)
        kb, model = os.path.join(d, "kb"), os.path.join(d, "model")
        p = subprocess.run([NER, "kb", "build", "--entities", os.path.join(d, "e.jsonl"),
                            "--aliases", os.path.join(d, "a.tsv"), "--output", kb],
                           capture_output=True)
        assert p.returncode == 0, p.stderr
        os.mkdir(model)
        with open(os.path.join(model, "pipeline.json"), "w") as f:
            json.dump({"lang": "en", "components": [
                {"name": "tokenizer", "factory": "tokenizer", "config": {"lang": "en"}},
                {"name": "entity_ruler", "factory": "entity_ruler", "config": {
                    "patterns": [{"label": "X", "pattern": "apple"},
                                 {"label": "X", "pattern": "Apple"},
                                 {"label": "LOC", "pattern": "Berlin"}]}}]}, f)
        p = subprocess.run([NER, "run", "--model", model, "--kb", kb],
                           input="\n".join(texts).encode() + b"\n", capture_output=True)
        assert p.returncode == 0, p.stderr
        want = [json.loads(l)["ents"] for l in p.stdout.splitlines()]
        s = Server("--model", model, "--kb", kb, "--threads", "1")
        try:
            status, got = s.post({"texts": texts})
        finally:
            assert s.stop() == 0, s.stderr()
    assert status == 200, got
    assert [r["entities"] for r in got["results"]] == want, (got, want)
    assert [[e["kb_id"] for e in r["entities"]] for r in got["results"]] == \
        [["Q312"], ["Q89", None]], got


def test_page_highlights_in_chromium():
    """GET /?text=... in headless Chromium: the page's script posts the text
    and marks each entity where POST /entities says it is (code points, so
    the emoji and accents before them must not shift the marks)."""
    import html.parser
    import shutil
    import urllib.parse
    chrome = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chrome:
        print("skipped: chromium is not installed (scripts/deps.sh installs it)")
        return
    text = "😀 Zoë met Angela Merkel in Zürich, then Barack Obama in Paris."
    status, want = server().post({"text": text})
    assert status == 200 and len(want["entities"]) >= 2, want
    url = f"http://127.0.0.1:{server().port}/?text=" + urllib.parse.quote(text)
    with tempfile.TemporaryDirectory() as profile:
        p = subprocess.run([chrome, "--headless", "--no-sandbox", "--disable-gpu",
                            "--no-first-run", "--disable-background-networking",
                            "--disable-component-update", "--disable-sync",
                            f"--user-data-dir={profile}", "--virtual-time-budget=20000",
                            "--dump-dom", url], capture_output=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]

    class Out(html.parser.HTMLParser):
        """the text of #out, the marks' texts and labels"""
        def __init__(self):
            super().__init__()
            self.depth, self.in_label, self.text, self.marks = 0, False, [], []

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if self.depth:
                self.depth += 1
                if tag == "mark":
                    self.marks.append(["", None, len("".join(self.text))])
                if a.get("class") == "label":
                    self.in_label = True
            elif a.get("id") == "out":
                self.depth = 1

        def handle_endtag(self, tag):
            if self.depth:
                self.depth -= 1
                if tag == "span":
                    self.in_label = False

        def handle_data(self, data):
            if not self.depth:
                return
            if self.in_label:
                self.marks[-1][1] = data
            else:
                self.text.append(data)
                if self.marks and self.marks[-1][1] is None:
                    self.marks[-1][0] += data

    o = Out()
    o.feed(p.stdout.decode("utf-8"))
    assert "".join(o.text) == text, ("".join(o.text), p.stdout[-1500:])
    # Python strings index code points, as the server's offsets do
    got = [(m[0], m[1], m[2]) for m in o.marks]
    assert got == [(e["text"], e["label"], e["start"]) for e in want["entities"]], \
        (got, want)


if __name__ == "__main__":
    tests = [(n, f) for n, f in sorted(globals().items()) if n.startswith("test_")]
    failed = 0
    try:
        for name, fn in tests:
            try:
                fn()
                print(f"ok   {name}", flush=True)
            except Exception as exc:  # report every failure, then exit non-zero
                failed += 1
                where = traceback.extract_tb(exc.__traceback__)[-1]
                print(f"FAIL {name}: {exc!r} (line {where.lineno}: {where.line})",
                      flush=True)
    finally:
        if _default is not None:
            rc = _default.stop()
            if rc != 0:
                failed += 1
                print(f"FAIL shared server exited {rc}: {_default.stderr()}")
    print(f"{len(tests) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
