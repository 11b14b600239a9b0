/* A progress line on stderr for long commands (run, train, kb build):
 * done/total, rate and time left.  On a terminal it redraws one line with
 * \r at most five times a second; forced on a pipe (--progress) it writes a
 * whole line each second or each tenth of the total, so logs stay readable;
 * otherwise it prints nothing, so pipes and scripts stay quiet. */
#ifndef NER_CLI_PROGRESS_H
#define NER_CLI_PROGRESS_H

#include <stdint.h>

#define PROGRESS_AUTO (-1) /* neither --progress nor --no-progress given */

typedef struct cli_progress {
    int mode;            /* 0 off, 1 terminal (redraw), 2 lines (forced) */
    const char *what;    /* "ner run", ... */
    const char *unit;    /* "lines", "examples", "records" */
    uint64_t done, total;/* total 0: not known */
    double t0, last;     /* start and last output, seconds */
    uint64_t last_done;  /* done at the last output (lines mode) */
    int drawn;           /* terminal mode: a partial line is on screen */
} cli_progress;

/* Handles --progress and --no-progress: sets *flag (1 or 0) and returns 1
 * when arg is one of them, else returns 0. */
int cli_progress_flag(const char *arg, int *flag);

/* Starts reporting: flag is PROGRESS_AUTO, 0 or 1; total 0 when unknown. */
void cli_progress_start(cli_progress *p, int flag, const char *what,
                        const char *unit, uint64_t total);
/* Sets done (and total, when not 0) and redraws if it is time to. */
void cli_progress_update(cli_progress *p, uint64_t done, uint64_t total);
/* Clears a partial terminal line before something else goes to stderr;
 * the next update draws it again.  NULL: the reporter started last, if it
 * is still running (what cli_err uses). */
void cli_progress_clear(cli_progress *p);
/* Writes the final line (elapsed time and mean rate) and stops. */
void cli_progress_finish(cli_progress *p);

#endif
