/* The progress line of long commands (progress.h). */
#include "progress.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static cli_progress *active;   /* for cli_progress_clear(NULL) */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cli_progress_flag(const char *arg, int *flag)
{
    if (strcmp(arg, "--progress") == 0)
        *flag = 1;
    else if (strcmp(arg, "--no-progress") == 0)
        *flag = 0;
    else
        return 0;
    return 1;
}

static void fmt_time(double s, char *buf, size_t n)
{
    unsigned long t = s > 0 ? (unsigned long)(s + 0.5) : 0;
    if (t >= 3600)
        snprintf(buf, n, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, n, "%lu:%02lu", t / 60, t % 60);
}

/* One status line without its end: "ner run: 120/400 lines (30%)  850
 * lines/s  0:03 left". */
static void format(const cli_progress *p, double now, int final, char *buf, size_t n)
{
    double el = now - p->t0;
    double rate = el > 0 ? (double)p->done / el : 0;
    char t[32];
    int k;
    if (p->total)
        k = snprintf(buf, n, "%s: %llu/%llu %s (%.0f%%)", p->what,
                     (unsigned long long)p->done, (unsigned long long)p->total, p->unit,
                     100.0 * (double)p->done / (double)p->total);
    else
        k = snprintf(buf, n, "%s: %llu %s", p->what, (unsigned long long)p->done, p->unit);
    if (k < 0 || (size_t)k >= n)
        return;
    if (final) {
        fmt_time(el, t, sizeof t);
        snprintf(buf + k, n - (size_t)k, "  %.0f %s/s  %s elapsed", rate, p->unit, t);
    } else if (p->total && rate > 0 && p->done <= p->total) {
        fmt_time((double)(p->total - p->done) / rate, t, sizeof t);
        snprintf(buf + k, n - (size_t)k, "  %.0f %s/s  %s left", rate, p->unit, t);
    } else {
        snprintf(buf + k, n - (size_t)k, "  %.0f %s/s", rate, p->unit);
    }
}

static void draw(cli_progress *p, double now, int final)
{
    char line[256];
    format(p, now, final, line, sizeof line);
    if (p->mode == 1)   /* \033[K erases what a longer line left behind */
        fprintf(stderr, "\r%s\033[K%s", line, final ? "\n" : "");
    else
        fprintf(stderr, "%s\n", line);
    fflush(stderr);
    p->drawn = p->mode == 1 && !final;
    p->last = now;
    p->last_done = p->done;
}

void cli_progress_start(cli_progress *p, int flag, const char *what,
                        const char *unit, uint64_t total)
{
    memset(p, 0, sizeof *p);
    if (flag == PROGRESS_AUTO)
        p->mode = isatty(STDERR_FILENO) ? 1 : 0;
    else
        p->mode = flag ? (isatty(STDERR_FILENO) ? 1 : 2) : 0;
    p->what = what;
    p->unit = unit;
    p->total = total;
    p->t0 = p->last = now_s();
    if (p->mode)
        active = p;
}

void cli_progress_update(cli_progress *p, uint64_t done, uint64_t total)
{
    if (!p->mode)
        return;
    p->done = done;
    if (total)
        p->total = total;
    double now = now_s();
    if (p->mode == 1) {
        if (now - p->last >= 0.2 || !p->drawn)
            draw(p, now, 0);
        return;
    }
    /* lines: once a second, or when another tenth of the total is done */
    int tenth = p->total && (done - p->last_done) * 10 >= p->total;
    if ((now - p->last >= 1.0 || tenth) && (!p->total || done < p->total))
        draw(p, now, 0);
}

void cli_progress_clear(cli_progress *p)
{
    if (!p)
        p = active;
    if (p && p->mode == 1 && p->drawn) {
        fputs("\r\033[K", stderr);
        p->drawn = 0;
    }
}

void cli_progress_finish(cli_progress *p)
{
    if (!p->mode)
        return;
    draw(p, now_s(), 1);
    p->mode = 0;
    if (active == p)
        active = NULL;
}
