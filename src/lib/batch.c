/* SPDX-License-Identifier: MIT */
/* batch.c - the parent side of a batch: rows out to worker processes,
 * their news into the journal and out to the caller. */
#include "config.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "batch-msg.h"
#include "batch-worker.h"
#include "err.h"
#include "interrupt.h"
#include "util.h"

/* ---- state ------------------------------------------------------------ */

struct batch_child {
	pid_t pid;
	int fd;                 /* -1: gone */
	long row;               /* the row it works on; -1: idle */
	char buf[BATCH_LINE_MAX];
	size_t len;
};

struct batch_state {
	const struct batch_job *job;
	const struct batch_events *events;
	enum journal_state *plan;       /* per row and role */
	size_t *plan_off;
	size_t *queue;                  /* rows left to do, in order */
	size_t nqueue, next;
	struct batch_outcome *outcomes; /* per row, while it runs */
	struct batch_child *children;
	int nchildren;
	pid_t self;
	bool forwarded;                 /* a caught signal went to the workers */
};

static void
batch_outcome_clear(struct batch_outcome *o)
{
	size_t i;

	for (i = 0; o->roles != NULL && i < o->nroles; i++) {
		journal_cert_clear(&o->roles[i].cert);
		json_decref(o->roles[i].chain);
		json_decref(o->roles[i].uris);
		free(o->roles[i].error);
	}
	free(o->roles);
	free(o->error);
	memset(o, 0, sizeof(*o));
}

static int
batch_outcome_init(struct batch_state *s, size_t index)
{
	const struct batch_row *br = &s->job->rows[index];
	struct batch_outcome *o = &s->outcomes[index];
	size_t k;

	o->row = br;
	o->nroles = (size_t)br->nprofiles;
	if ((o->roles = calloc(o->nroles, sizeof(*o->roles))) == NULL)
		return err_set(ERR_FAILED, "out of memory");
	for (k = 0; k < o->nroles; k++)
		o->roles[k].role = profile_role(br->profiles[k]);
	return 0;
}

/* Every row's roles' states from the journal, and every row queued: a
 * journal says what a run did, not what the token holds, so a role
 * recorded done is checked on the token by the worker. */
static int
batch_plan(struct batch_state *s)
{
	const struct batch_job *job = s->job;
	size_t i, k, total = 0;

	for (i = 0; i < job->nrows; i++)
		total += (size_t)job->rows[i].nprofiles;
	s->plan = calloc(total ? total : 1, sizeof(*s->plan));
	s->plan_off = calloc(job->nrows, sizeof(*s->plan_off));
	s->queue = calloc(job->nrows, sizeof(*s->queue));
	s->outcomes = calloc(job->nrows, sizeof(*s->outcomes));
	if (s->plan == NULL || s->plan_off == NULL || s->queue == NULL ||
	    s->outcomes == NULL)
		return err_set(ERR_FAILED, "out of memory");
	total = 0;
	for (i = 0; i < job->nrows; i++) {
		const struct batch_row *br = &job->rows[i];

		s->plan_off[i] = total;
		for (k = 0; k < (size_t)br->nprofiles; k++)
			s->plan[total + k] = job->journal == NULL ? JOURNAL_NONE :
				journal_state(job->journal, br->row->line,
					      profile_role(br->profiles[k]), NULL);
		s->queue[s->nqueue++] = i;
		total += (size_t)br->nprofiles;
	}
	return 0;
}

/* ---- workers ------------------------------------------------------------ */

/* Start worker N. In the child: close what belongs to the other workers,
 * die with the parent, serve rows. */
static int
batch_spawn(struct batch_state *s, int n)
{
	struct batch_child *c = &s->children[n];
	int sv[2], i;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return err_set(ERR_FAILED, "cannot start a worker: %s",
			       strerror(errno));
	fflush(NULL);
	if ((c->pid = fork()) == -1) {
		close(sv[0]);
		close(sv[1]);
		return err_set(ERR_FAILED, "cannot start a worker: %s",
			       strerror(errno));
	}
	if (c->pid == 0) {
		close(sv[0]);
		for (i = 0; i < s->nchildren; i++)
			if (s->children[i].fd >= 0)
				close(s->children[i].fd);
		/* If the batch dies, the worker ends its row as on SIGTERM:
		 * undone, not cut off in the middle of a token write. */
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != s->self)
			_exit(1);
		interrupt_after_fork();
		batch_worker_main(s->job, s->plan, s->plan_off, sv[1]);
	}
	close(sv[1]);
	c->fd = sv[0];
	c->row = -1;
	c->len = 0;
	return 0;
}

/* Send row INDEX to worker C. */
static void
batch_give(struct batch_child *c, size_t index)
{
	char word[32];

	c->row = (long)index;
	snprintf(word, sizeof(word), "%zu", index);
	/* A worker that is gone shows up as end of file and gives it back. */
	(void)batch_send_word(c->fd, word);
}

/* Give worker C the next queued row, or close its socket (it then ends)
 * when none is left. */
static int
batch_hand_out(struct batch_state *s, struct batch_child *c)
{
	size_t index;

	/* No new rows once a signal is caught: the rows that run finish
	 * (or fail and clean up), and a rerun takes the rest. */
	if (s->next == s->nqueue || interrupt_signal() != 0) {
		close(c->fd);
		c->fd = -1;
		return 0;
	}
	index = s->queue[s->next++];
	if (batch_outcome_init(s, index) < 0)
		return -1;
	batch_give(c, index);
	return 0;
}

/* Whether worker C's row is as it was handed out: no word of it yet. */
static bool
batch_row_untouched(const struct batch_state *s, const struct batch_child *c)
{
	const struct batch_outcome *o = &s->outcomes[c->row];
	size_t k;

	for (k = 0; k < o->nroles; k++)
		if (o->roles[k].state != JOURNAL_NONE)
			return false;
	return o->error == NULL;
}

/* ---- news from a worker ---------------------------------------------- */

/* Worker C's row is over: report it. */
static int
batch_row_report(struct batch_state *s, struct batch_child *c,
		 const char *error, enum err_code code)
{
	struct batch_outcome *o = &s->outcomes[c->row];
	size_t k;

	if (error != NULL && (o->error = util_strdup(error)) == NULL)
		return -1;
	o->code = code;
	o->failed = o->error != NULL;
	for (k = 0; k < o->nroles; k++) {
		o->failed = o->failed || o->roles[k].state == JOURNAL_FAILED;
		o->awaiting = o->awaiting || o->roles[k].state == JOURNAL_AWAITING;
	}
	s->events->row_done(s->events->ctx, o);
	batch_outcome_clear(o);
	c->row = -1;
	return 0;
}

static int
batch_row_end(struct batch_state *s, struct batch_child *c, const char *error,
	      enum err_code code)
{
	if (batch_row_report(s, c, error, code) < 0)
		return -1;
	return batch_hand_out(s, c);
}

/* One line from worker C. */
static int
batch_take(struct batch_state *s, struct batch_child *c, const char *line)
{
	struct batch_role_outcome *ro;
	const struct batch_row *br;
	struct batch_news news;
	int rc = -1;

	if (batch_news_parse(s->job, c->row, line, &news) < 0)
		goto out;
	if (news.end) {
		rc = batch_row_end(s, c, news.error, err_code_parse(news.code));
		goto out;
	}
	br = &s->job->rows[news.row];
	ro = &s->outcomes[news.row].roles[news.role];
	ro->state = news.state;
	/* Recorded done before, and found so on the token by the worker. */
	ro->earlier = news.state == JOURNAL_DONE &&
		      (news.present ||
		       s->plan[s->plan_off[news.row] + news.role] == JOURNAL_DONE);
	ro->code = err_code_parse(news.code);
	if ((news.serial != NULL &&
	     (ro->cert.serial = util_strdup(news.serial)) == NULL) ||
	    (news.sha256 != NULL &&
	     (ro->cert.sha256 = util_strdup(news.sha256)) == NULL) ||
	    (news.not_after != NULL &&
	     (ro->cert.not_after = util_strdup(news.not_after)) == NULL) ||
	    (news.error != NULL && (ro->error = util_strdup(news.error)) == NULL))
		goto out;
	if (news.chain != NULL) {
		json_decref(ro->chain);
		ro->chain = json_incref(news.chain);
	}
	if (news.uris != NULL) {
		json_decref(ro->uris);
		ro->uris = json_incref(news.uris);
	}
	if (s->job->journal != NULL &&
	    journal_record(s->job->journal, br->row->line, br->row->token_shown,
			   ro->role, ro->state, &ro->cert, news.error) < 0)
		goto out;
	/* The worker waits for this before it touches the token. */
	if (ro->state == JOURNAL_STARTED)
		(void)batch_send_word(c->fd, "ack");
	rc = 0;
out:
	batch_news_clear(&news);
	return rc;
}

/* Worker C's socket is readable: take its whole lines. */
static int
batch_read(struct batch_state *s, struct batch_child *c, bool *gone)
{
	char *nl, *start;
	ssize_t n;

	*gone = false;
	n = read(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
	if (n == -1 && errno == EINTR)
		return 0;
	if (n <= 0) {
		*gone = true;
		return 0;
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	start = c->buf;
	while ((nl = strchr(start, '\n')) != NULL) {
		*nl = '\0';
		if (batch_take(s, c, start) < 0)
			return -1;
		if (c->fd < 0)
			return 0;
		start = nl + 1;
	}
	c->len -= (size_t)(start - c->buf);
	memmove(c->buf, start, c->len);
	if (c->len == sizeof(c->buf) - 1)
		return err_set(ERR_FAILED, "a batch worker said too much at once");
	return 0;
}

/* Worker N ended: reap it; its row, if any, fails and a new worker takes
 * its place while rows are left. */
static int
batch_lost(struct batch_state *s, int n)
{
	struct batch_child *c = &s->children[n];
	char why[96];
	size_t index;
	int status = 0;

	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	while (waitpid(c->pid, &status, 0) == -1 && errno == EINTR)
		;
	/* A worker stopped by a signal for it alone ends after its row,
	 * maybe with the next one handed out but not looked at: that row
	 * goes to the new worker as it is. */
	if (c->row >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	    batch_row_untouched(s, c) && interrupt_signal() == 0) {
		index = (size_t)c->row;
		if (batch_spawn(s, n) < 0)
			return -1;
		batch_give(c, index);
		return 0;
	}
	if (c->row >= 0) {
		if (WIFSIGNALED(status))
			snprintf(why, sizeof(why), "the worker for this row was "
				 "killed by signal %d", WTERMSIG(status));
		else
			snprintf(why, sizeof(why), "the worker for this row "
				 "ended unexpectedly (exit %d)", WEXITSTATUS(status));
		if (batch_row_report(s, c, why, interrupt_signal() != 0 ?
				     ERR_CODE_INTERRUPTED : ERR_CODE_FAILED) < 0)
			return -1;
	}
	/* A worker that ends while rows are left (killed mid-row, or
	 * stopped by a signal sent to it alone) is replaced. */
	if (s->next == s->nqueue || interrupt_signal() != 0)
		return 0;
	if (batch_spawn(s, n) < 0)
		return -1;
	return batch_hand_out(s, c);
}

/* A signal caught by the batch goes to every worker once, so that a
 * SIGTERM sent to this process alone also ends their rows cleanly. Called
 * whenever the wait ends by a signal or by the signal pipe: the pipe also
 * brings a signal that came while the batch was busy elsewhere (writing
 * the journal), which no EINTR reports. */
static void
batch_forward_signal(struct batch_state *s)
{
	int i, sig = interrupt_signal();

	if (sig == 0 || s->forwarded)
		return;
	s->forwarded = true;
	for (i = 0; i < s->nchildren; i++)
		if (s->children[i].fd >= 0 && s->children[i].pid > 0)
			(void)kill(s->children[i].pid, sig);
}

/* Until every worker has ended. */
static int
batch_loop(struct batch_state *s)
{
	struct pollfd pfd[BATCH_MAX_JOBS + 1];
	int map[BATCH_MAX_JOBS], n, i, r;
	bool gone;

	for (;;) {
		n = 0;
		for (i = 0; i < s->nchildren; i++) {
			if (s->children[i].fd < 0)
				continue;
			pfd[n] = (struct pollfd){ s->children[i].fd, POLLIN, 0 };
			map[n++] = i;
		}
		if (n == 0)
			return 0;
		/* The signal pipe stays readable: watched until forwarded. */
		pfd[n] = (struct pollfd){ s->forwarded ? -1 : interrupt_fd(),
					  POLLIN, 0 };
		r = poll(pfd, (nfds_t)n + 1, -1);
		if ((r == -1 && errno == EINTR) || pfd[n].revents != 0) {
			batch_forward_signal(s);
			if (r == -1)
				continue;
		}
		if (r == -1)
			return err_set(ERR_FAILED, "poll: %s", strerror(errno));
		for (i = 0; i < n; i++) {
			struct batch_child *c = &s->children[map[i]];

			if (pfd[i].revents == 0 || c->fd != pfd[i].fd)
				continue;
			if (batch_read(s, c, &gone) < 0)
				return -1;
			if (gone && batch_lost(s, map[i]) < 0)
				return -1;
		}
	}
}

/* ---- the whole batch --------------------------------------------------- */

static void
batch_state_clear(struct batch_state *s)
{
	int i;
	size_t k;

	for (i = 0; s->children != NULL && i < s->nchildren; i++) {
		struct batch_child *c = &s->children[i];

		/* Not killed: a worker stopped in the middle of a token write
		 * may leave the token unreadable (SoftHSM rewrites files in
		 * place). Without its socket it stops at its next message. */
		if (c->fd >= 0)
			close(c->fd);
		if (c->pid > 0)
			while (waitpid(c->pid, NULL, 0) == -1 && errno == EINTR)
				;
	}
	for (k = 0; s->outcomes != NULL && k < s->job->nrows; k++)
		batch_outcome_clear(&s->outcomes[k]);
	free(s->children);
	free(s->outcomes);
	free(s->queue);
	free(s->plan_off);
	free(s->plan);
}

int
batch_run(const struct batch_job *job, const struct batch_events *events)
{
	struct batch_state s;
	int i, rc = -1;

	memset(&s, 0, sizeof(s));
	s.job = job;
	s.events = events;
	s.self = getpid();
	if (job->jobs < 1 || job->jobs > BATCH_MAX_JOBS) {
		err_set(ERR_USAGE, "%d workers: not a number from 1 to %d",
			job->jobs, BATCH_MAX_JOBS);
		goto out;
	}
	if (batch_plan(&s) < 0)
		goto out;
	s.nchildren = job->jobs < (int)s.nqueue ? job->jobs : (int)s.nqueue;
	if (s.nchildren > 0 &&
	    (s.children = calloc((size_t)s.nchildren, sizeof(*s.children))) == NULL) {
		err_set(ERR_FAILED, "out of memory");
		goto out;
	}
	for (i = 0; i < s.nchildren; i++)
		s.children[i].fd = -1;
	for (i = 0; i < s.nchildren; i++)
		if (batch_spawn(&s, i) < 0 || batch_hand_out(&s, &s.children[i]) < 0)
			goto out;
	if (batch_loop(&s) < 0)
		goto out;
	if (interrupt_check() < 0) {
		err_append("%s", job->journal != NULL ?
			   "the journal has every row that ran: run the batch "
			   "again to go on" : "the rows that ran are reported");
		goto out;
	}
	rc = 0;
out:
	batch_state_clear(&s);
	return rc;
}
