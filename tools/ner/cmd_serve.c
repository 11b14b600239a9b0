/* ner serve: the pipeline over HTTP, on libmicrohttpd.
 *
 *   POST /entities  {"text": "..."}          -> {"entities": [entity, ...]}
 *                   {"texts": ["...", ...]}  -> {"results": [{"entities": [...]}, ...]}
 *   GET  /health    -> {"status": "ok", "version": "...", "lang": "..."}
 *   GET  /          -> a page to try it (serve_page.html, embedded at build time)
 *
 * An entity is {"start", "end", "label", "text", "score", "kb_id"}, offsets in
 * code points, kb_id null unless a linker found one (the `ner run` record).
 * Every failure is {"error": "..."}: 400 bad JSON, field or UTF-8; 404; 405
 * with Allow; 413 over --max-body; 500 when the pipeline fails.
 *
 * One immutable pipeline serves MHD's pool of worker threads (ner.h: a built
 * pipeline is shared by any number of threads); each request owns its doc.
 * SIGTERM and SIGINT write a byte to a self-pipe that the main thread waits
 * on: it stops accepting, waits for the requests in flight, then stops the
 * daemon and exits 0.  A second signal stops at once.
 *
 * --timeout is libmicrohttpd's idle timeout: a client that sends nothing for
 * that long is dropped.  MHD 0.9 has no whole-request deadline, so the body
 * gets one here (--body-timeout, from the end of the headers: the
 * connection is closed, as an idle one is); headers trickled in just inside
 * the idle timeout are bounded only by MHD's 32 KB header memory.  A held
 * connection costs a socket, not a worker: the workers poll many connections
 * each.  A connection whose headers had not all arrived when the signal
 * came is closed, not waited for. */
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "serve_request.h"

/* tools/ner/serve_page.html, embedded by lib/text/embed.py */
extern const char *const serve_page_html;
extern const size_t serve_page_html_len;

typedef struct serve_opts {
    const char *model, *kb, *host;
    unsigned long port, threads, timeout, body_timeout;
    unsigned long long max_body;
} serve_opts;

typedef struct server {
    const ner_pipeline *pl;
    size_t max_body;
    double body_timeout;   /* seconds from the headers to the body's end */
    atomic_int stopping;   /* responses from now on say Connection: close */
    atomic_long inflight;  /* requests whose handler ran and that are not done */
} server;

/* One request: the body as it arrives. */
typedef struct request {
    char *body;
    size_t len, cap;
    int too_big;
    double t0;   /* CLOCK_MONOTONIC seconds when the headers were in */
} request;

static const char usage[] =
    "usage: ner serve [--model DIR] [--kb DIR] [--host 127.0.0.1] [--port 8080]\n"
    "                 [--threads N] [--max-body BYTES] [--timeout SECONDS]\n"
    "                 [--body-timeout SECONDS]\n"
    "  POST /entities {\"text\": ...} or {\"texts\": [...]}, GET /health, GET /\n"
    "  --port 0 picks a free port; the line \"listening on URL\" says which.\n"
    "  --threads: worker threads (default: the number of CPUs); --max-body:\n"
    "  largest request body (default 10485760); --timeout: idle seconds before\n"
    "  a connection is dropped (default 30); --body-timeout: seconds a request\n"
    "  body may take to arrive after its headers (default 60).  SIGTERM or\n"
    "  SIGINT: finish the requests in flight, then exit 0 (a second signal: at\n"
    "  once).\n";

static int parse_num(const char *opt, const char *v, unsigned long long lo,
                     unsigned long long hi, unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long n = v && *v >= '0' && *v <= '9' ? strtoull(v, &end, 10) : 0;
    if (!v || *v < '0' || *v > '9' || errno || *end || n < lo || n > hi) {
        cli_err("%s takes a whole number from %llu to %llu, not %s", opt, lo, hi,
                v ? v : "nothing");
        return CLI_USAGE;
    }
    *out = n;
    return CLI_OK;
}

static int parse_opts(int argc, char **argv, serve_opts *o)
{
    memset(o, 0, sizeof *o);
    o->host = "127.0.0.1";
    o->port = 8080;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    o->threads = cpus < 1 ? 1 : cpus > 64 ? 64 : (unsigned long)cpus;
    o->max_body = 10ull * 1024 * 1024;
    o->timeout = 30;
    o->body_timeout = 60;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned long long n = 0;
        int rc = CLI_OK;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return -1;
        }
        if (!v && strncmp(a, "--", 2) == 0 && strcmp(a, "--") != 0) {
            static const char *const known[] = {"--model", "--kb", "--host", "--port",
                "--threads", "--max-body", "--timeout", "--body-timeout"};
            int is_known = 0;
            for (size_t k = 0; k < sizeof known / sizeof *known; k++)
                is_known |= strcmp(a, known[k]) == 0;
            if (is_known) {
                cli_err("%s needs a value", a);
                return CLI_USAGE;
            }
        }
        if (strcmp(a, "--model") == 0) o->model = v;
        else if (strcmp(a, "--kb") == 0) o->kb = v;
        else if (strcmp(a, "--host") == 0) o->host = v;
        else if (strcmp(a, "--port") == 0) {
            if ((rc = parse_num(a, v, 0, 65535, &n)) == CLI_OK) o->port = (unsigned long)n;
        } else if (strcmp(a, "--threads") == 0) {
            if ((rc = parse_num(a, v, 1, 1024, &n)) == CLI_OK) o->threads = (unsigned long)n;
        } else if (strcmp(a, "--timeout") == 0) {
            if ((rc = parse_num(a, v, 1, 86400, &n)) == CLI_OK) o->timeout = (unsigned long)n;
        } else if (strcmp(a, "--body-timeout") == 0) {
            if ((rc = parse_num(a, v, 1, 86400, &n)) == CLI_OK)
                o->body_timeout = (unsigned long)n;
        } else if (strcmp(a, "--max-body") == 0) {
            if ((rc = parse_num(a, v, 1, (unsigned long long)SIZE_MAX / 2, &n)) == CLI_OK)
                o->max_body = n;
        } else {
            cli_err("unknown argument %s (try ner serve --help)", a);
            return CLI_USAGE;
        }
        if (rc != CLI_OK)
            return rc;
        i++;
    }
    return CLI_OK;
}

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Queues body (freed by MHD when must_free) as the response. */
static enum MHD_Result reply(server *sv, struct MHD_Connection *c, unsigned status,
                             const char *type, const char *allow, char *body,
                             size_t len, int must_free)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, body, must_free ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        if (must_free)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    if (atomic_load(&sv->stopping))
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

/* Queues obj (a reference it takes) as a JSON response. */
static enum MHD_Result reply_json(server *sv, struct MHD_Connection *c, unsigned status,
                                  const char *allow, json_t *obj)
{
    char *s = obj ? json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER |
                                        JSON_REAL_PRECISION(6)) : NULL;
    json_decref(obj);
    if (!s) {
        static char oom[] = "{\"error\":\"out of memory\"}";
        return reply(sv, c, MHD_HTTP_INTERNAL_SERVER_ERROR, "application/json", NULL,
                     oom, sizeof oom - 1, 0);
    }
    return reply(sv, c, status, "application/json", allow, s, strlen(s), 1);
}

static enum MHD_Result reply_error(server *sv, struct MHD_Connection *c, unsigned status,
                                   const char *allow, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

static enum MHD_Result reply_error(server *sv, struct MHD_Connection *c, unsigned status,
                                   const char *allow, const char *fmt, ...)
{
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *m = json_string(msg);
    if (!m)  /* a message quoting bytes that are not UTF-8: say less */
        m = json_string("bad request");
    return reply_json(sv, c, status, allow, json_pack("{s:o}", "error", m));
}

/* The HTTP status for a failed ner_pipeline_process. */
static unsigned process_status(int st)
{
    switch (st) {
    case NER_ETOOBIG: return MHD_HTTP_CONTENT_TOO_LARGE;
    case NER_EUTF8: case NER_EINVAL: case NER_EFORMAT: case NER_ERANGE:
        return MHD_HTTP_BAD_REQUEST;
    default: return MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
}

/* {"entities": [...]} for one doc; NULL when out of memory. */
static json_t *doc_json(const ner_doc *doc)
{
    json_t *ents = cli_ents_json(doc, CLI_ENTS_KB_ID);
    return ents ? json_pack("{s:o}", "entities", ents) : NULL;
}

static enum MHD_Result do_entities(server *sv, struct MHD_Connection *c, request *rq)
{
    serve_texts req;
    char why[700];
    int pr = serve_request_parse(rq->body, rq->len, &req, why, sizeof why);
    if (pr != SERVE_REQ_OK)
        return reply_error(sv, c, pr == SERVE_REQ_BAD ? MHD_HTTP_BAD_REQUEST
                                                      : MHD_HTTP_INTERNAL_SERVER_ERROR,
                           NULL, "%s", why);
    size_t n = req.n;
    ner_doc **docs = calloc(n ? n : 1, sizeof *docs);
    json_t *results = json_array();
    int st = docs && results ? NER_OK : NER_ENOMEM;
    char err[NER_ERRBUF_SIZE] = "";
    if (st == NER_OK && n) {
        ner_batch_params bp;
        ner_batch_params_init(&bp, sizeof bp);
        bp.n_threads = 1;  /* this worker's thread; the pool is the parallelism */
        st = ner_pipeline_process_batch(sv->pl, req.ptrs, req.lens, n, docs, &bp, err,
                                        sizeof err);
    }
    unsigned status = MHD_HTTP_OK;
    char msg[NER_ERRBUF_SIZE + 64] = "";
    if (st == NER_ENOMEM) {
        status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        snprintf(msg, sizeof msg, "out of memory%s%s", *err ? ": " : "", err);
    }
    for (size_t i = 0; status == MHD_HTTP_OK && i < n; i++) {
        int ds = docs[i] ? ner_doc_status(docs[i]) : NER_ENOMEM;
        if (ds != NER_OK) {
            status = process_status(ds);
            const char *dm = docs[i] ? ner_doc_errmsg(docs[i]) : "out of memory";
            if (req.single)
                snprintf(msg, sizeof msg, "field \"text\": %s", dm);
            else
                snprintf(msg, sizeof msg, "field \"texts\": item %zu: %s", i, dm);
        } else if (json_array_append_new(results, doc_json(docs[i])) != 0) {
            status = MHD_HTTP_INTERNAL_SERVER_ERROR;
            snprintf(msg, sizeof msg, "out of memory");
        }
    }
    for (size_t i = 0; docs && i < n; i++)
        ner_doc_free(docs[i]);
    free(docs);
    int single = req.single;
    serve_texts_free(&req);
    if (status != MHD_HTTP_OK) {
        json_decref(results);
        return reply_error(sv, c, status, NULL, "%s", msg);
    }
    json_t *out;
    if (single) {
        out = json_incref(json_array_get(results, 0));
        json_decref(results);
    } else {
        out = json_pack("{s:o}", "results", results);
    }
    return reply_json(sv, c, MHD_HTTP_OK, NULL, out);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **ctx)
{
    server *sv = cls;
    request *rq = *ctx;
    int get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
              strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    int post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
    int entities = strcmp(url, "/entities") == 0;
    if (!rq) {
        /* First call: headers only.  Whatever can be refused without the
         * body is refused now; MHD then closes instead of reading it. */
        rq = calloc(1, sizeof *rq);
        if (!rq)
            return MHD_NO;
        rq->t0 = now_sec();
        *ctx = rq;
        atomic_fetch_add(&sv->inflight, 1);
        if (!entities && strcmp(url, "/") != 0 && strcmp(url, "/health") != 0)
            return reply_error(sv, c, MHD_HTTP_NOT_FOUND, NULL,
                               "no such path: %s (try POST /entities, GET /health, GET /)",
                               url);
        if (entities && !post)
            return reply_error(sv, c, MHD_HTTP_METHOD_NOT_ALLOWED, "POST",
                               "method %s not allowed on /entities: use POST", method);
        if (!entities && !get)
            return reply_error(sv, c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET, HEAD",
                               "method %s not allowed on %s: use GET", method, url);
        /* GET answers on the next call: a response queued now, before MHD
         * knows the request has no body, would cost the keep-alive. */
        if (!entities)
            return MHD_YES;
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > sv->max_body)
            return reply_error(sv, c, MHD_HTTP_CONTENT_TOO_LARGE, NULL,
                               "the body is %s bytes, over the limit of %zu (--max-body)",
                               cl, sv->max_body);
        return MHD_YES;
    }
    if (*upload_size) {
        /* A body without Content-Length (chunked) can still grow past the
         * limit: keep reading, drop the bytes, say 413 at the end. */
        size_t n = *upload_size;
        *upload_size = 0;
        if (now_sec() - rq->t0 > sv->body_timeout)
            return MHD_NO;   /* closed: MHD 0.9 cannot answer in mid-body */
        if (rq->too_big || n > sv->max_body - rq->len) {
            rq->too_big = 1;
            return MHD_YES;
        }
        if (rq->len + n > rq->cap) {
            size_t cap = rq->cap ? rq->cap : 4096;
            while (cap < rq->len + n)
                cap *= 2;
            if (cap > sv->max_body)
                cap = sv->max_body;
            char *b = realloc(rq->body, cap);
            if (!b)
                return MHD_NO;
            rq->body = b;
            rq->cap = cap;
        }
        memcpy(rq->body + rq->len, upload, n);
        rq->len += n;
        return MHD_YES;
    }
    if (!entities)
        return strcmp(url, "/") == 0
            ? reply(sv, c, MHD_HTTP_OK, "text/html; charset=utf-8", NULL,
                    (char *)serve_page_html, serve_page_html_len, 0)
            : reply_json(sv, c, MHD_HTTP_OK, NULL,
                         json_pack("{s:s,s:s,s:s}", "status", "ok",
                                   "version", ner_version(),
                                   "lang", ner_pipeline_lang(sv->pl)));
    if (rq->too_big)
        return reply_error(sv, c, MHD_HTTP_CONTENT_TOO_LARGE, NULL,
                           "the body is over the limit of %zu bytes (--max-body)",
                           sv->max_body);
    return do_entities(sv, c, rq);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **ctx,
                         enum MHD_RequestTerminationCode why)
{
    server *sv = cls;
    request *rq = *ctx;
    if (!rq)
        return;
    free(rq->body);
    free(rq);
    *ctx = NULL;
    atomic_fetch_sub(&sv->inflight, 1);
}

/* The self-pipe: a handler, not sigwait(), because threads that exist before
 * main() (OpenBLAS starts its pool from a library constructor) have the
 * signals unblocked, and the default action there would kill the process. */
static int stop_pipe[2] = {-1, -1};

static void on_stop_signal(int sig)
{
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    ssize_t w = write(stop_pipe[1], &b, 1);  /* full pipe: a signal is pending anyway */
    (void)w;
    errno = saved;
}

/* The next stop signal, or 0 after ms milliseconds (-1: no limit). */
static int wait_stop_signal(int ms)
{
    struct pollfd pfd = {stop_pipe[0], POLLIN, 0};
    int n;
    while ((n = poll(&pfd, 1, ms)) < 0 && errno == EINTR)
        ;
    unsigned char b;
    if (n <= 0 || read(stop_pipe[0], &b, 1) != 1)
        return 0;
    return b;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    fputs("ner: libmicrohttpd: ", stderr);
    vfprintf(stderr, fmt, ap);
}

int cmd_serve(int argc, char **argv)
{
    /* Catch the stop signals before the slow part (loading), so one that
     * comes early waits in the pipe and stops the server as soon as it is up. */
    if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        cli_err("cannot make a pipe: %s", strerror(errno));
        return CLI_BAD_INPUT;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigset_t stop, old;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);

    serve_opts o;
    int rc = parse_opts(argc, argv, &o);
    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    if (!o.host || !*o.host) {
        cli_err("--host needs an address");
        return CLI_USAGE;
    }
    char port[16];
    snprintf(port, sizeof port, "%lu", o.port);
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int gai = getaddrinfo(o.host, port, &hints, &ai);
    if (gai != 0) {
        cli_err("--host %s: %s", o.host, gai_strerror(gai));
        return CLI_USAGE;
    }

    ner_pipeline *pl = o.kb ? cli_load_kb(o.model, o.kb) : cli_load(o.model);
    if (!pl) {
        freeaddrinfo(ai);
        return CLI_BAD_INPUT;
    }
    server sv;
    memset(&sv, 0, sizeof sv);
    sv.pl = pl;
    sv.max_body = (size_t)o.max_body;
    sv.body_timeout = (double)o.body_timeout;
    atomic_init(&sv.stopping, 0);
    atomic_init(&sv.inflight, 0);

    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    /* One thread is the polling thread itself: no pool option at all, which
     * MHD would warn about. */
    struct MHD_OptionItem pool[] = {
        {o.threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END,
         (intptr_t)o.threads, NULL},
        {MHD_OPTION_END, 0, NULL}};
    /* MHD's threads inherit a mask without the stop signals: no EINTR for
     * them; the main thread takes the signals again after. */
    pthread_sigmask(SIG_BLOCK, &stop, &old);
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, (uint16_t)o.port, NULL, NULL, on_request, &sv,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_ARRAY, pool,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)o.timeout,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, &sv,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned int)1,
        MHD_OPTION_END);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    int v6 = strchr(o.host, ':') != NULL;  /* a literal IPv6 address: bracket it */
    freeaddrinfo(ai);
    if (!d) {
        cli_err("cannot listen on %s port %s", o.host, port);
        ner_pipeline_free(pl);
        return CLI_BAD_INPUT;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    printf("listening on http://%s%s%s:%u\n", v6 ? "[" : "", o.host, v6 ? "]" : "",
           di ? (unsigned)di->port : (unsigned)o.port);
    fflush(stdout);

    int sig = wait_stop_signal(-1);
    /* Stop accepting, then let every request whose headers arrived finish:
     * each ends by its response or by --timeout.  shutdown() makes new
     * connections fail at once rather than wait in the backlog; the socket
     * is closed only after MHD_stop_daemon, as MHD's threads may still be
     * taking it out of their epoll sets. */
    atomic_store(&sv.stopping, 1);
    MHD_socket lfd = MHD_quiesce_daemon(d);
    if (lfd != MHD_INVALID_SOCKET)
        shutdown(lfd, SHUT_RDWR);
    long busy = atomic_load(&sv.inflight);
    cli_err("%s: finishing %ld request%s in flight", sig == SIGINT ? "SIGINT" : "SIGTERM",
            busy, busy == 1 ? "" : "s");
    while (atomic_load(&sv.inflight) > 0) {
        if (wait_stop_signal(10)) {
            cli_err("second signal: stopping now");
            break;
        }
    }
    MHD_stop_daemon(d);
    if (lfd != MHD_INVALID_SOCKET)
        close(lfd);
    ner_pipeline_free(pl);
    return CLI_OK;
}
