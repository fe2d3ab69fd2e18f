/*
 * server_limits.c: what keeps the HTTP port answering under unauthenticated
 * load: absolute per-connection deadlines, the request body budget and the
 * token buckets (see server.h, "Limits").
 *
 * Deadlines: MHD's own connection timeout restarts on every byte, so a
 * client that trickles a header line now and then holds its slot forever.
 * Each connection gets a deadline here that only the server moves: set at
 * accept (headers due), moved once the headers are in (body and reply due)
 * and once a request completes (the next request's headers due). A sweeper
 * thread shuts down the socket of any connection past its deadline; MHD then
 * sees end of file and closes it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "server_int.h"
#include "sealsync/log.h"

#define SWEEP_NS (200L * 1000 * 1000)

/* One accepted connection (MHD's socket context). */
struct srv_conn {
	struct srv_conn *prev, *next;
	int fd;
	int cut;         /* shut down already */
	double deadline; /* CLOCK_MONOTONIC seconds */
};

double srv_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void srv_bucket_init(struct srv_bucket *b, unsigned per_minute)
{
	b->tokens = per_minute;
	b->last = srv_now();
}

/* Token bucket: per_minute of burst, refilled continuously. 0 when a token
 * was taken, else the seconds until one is due. */
unsigned srv_bucket_take(struct srv_bucket *b, unsigned per_minute)
{
	double rate = per_minute / 60.0, now = srv_now();

	if (per_minute == 0)
		return 0;
	b->tokens += (now - b->last) * rate;
	if (b->tokens > per_minute)
		b->tokens = per_minute;
	b->last = now;
	if (b->tokens >= 1.0) {
		b->tokens -= 1.0;
		return 0;
	}
	return (unsigned)((1.0 - b->tokens) / rate) + 1;
}

int srv_body_reserve(struct ss_server *s, size_t n)
{
	if (n > s->o.body_budget || s->body_used > s->o.body_budget - n)
		return -1;
	s->body_used += n;
	return 0;
}

void srv_body_release(struct ss_server *s, size_t n)
{
	s->body_used -= n <= s->body_used ? n : s->body_used;
}

static void conn_started(struct ss_server *s, struct MHD_Connection *c, void **ctx)
{
	const union MHD_ConnectionInfo *ci;
	struct srv_conn *k;

	*ctx = NULL;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL || (k = calloc(1, sizeof(*k))) == NULL) {
		/* Untracked means no deadline: say so rather than fail the client. */
		ss_log(SS_LOG_WARN, "http connection without a deadline (out of memory)", NULL);
		return;
	}
	k->fd = ci->connect_fd;
	k->deadline = srv_now() + s->o.header_timeout;
	pthread_mutex_lock(&s->guard_mu);
	k->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = k;
	s->conns = k;
	pthread_mutex_unlock(&s->guard_mu);
	*ctx = k;
}

/* MHD calls this before it closes the fd: once unlinked here, the sweeper
 * never touches a number the kernel may hand out again. */
static void conn_closed(struct ss_server *s, struct srv_conn *k)
{
	pthread_mutex_lock(&s->guard_mu);
	if (k->prev != NULL)
		k->prev->next = k->next;
	else
		s->conns = k->next;
	if (k->next != NULL)
		k->next->prev = k->prev;
	pthread_mutex_unlock(&s->guard_mu);
	free(k);
}

void srv_on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
		       enum MHD_ConnectionNotificationCode toe)
{
	struct ss_server *s = cls;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		conn_started(s, c, socket_context);
	else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context != NULL)
		conn_closed(s, *socket_context);
}

void srv_deadline(struct ss_server *s, struct MHD_Connection *c, unsigned seconds)
{
	const union MHD_ConnectionInfo *ci;
	struct srv_conn *k;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (ci == NULL || (k = ci->socket_context) == NULL)
		return;
	pthread_mutex_lock(&s->guard_mu);
	k->deadline = srv_now() + seconds;
	pthread_mutex_unlock(&s->guard_mu);
}

static unsigned sweep_once(struct ss_server *s)
{
	double now = srv_now();
	struct srv_conn *k;
	unsigned cut = 0;

	pthread_mutex_lock(&s->guard_mu);
	for (k = s->conns; k != NULL; k = k->next) {
		if (k->cut || now < k->deadline)
			continue;
		/* shutdown, not close: the fd stays MHD's until it closes it. */
		if (shutdown(k->fd, SHUT_RDWR) == 0 || errno == ENOTCONN)
			cut++;
		k->cut = 1;
	}
	pthread_mutex_unlock(&s->guard_mu);
	return cut;
}

static void *sweeper(void *arg)
{
	struct timespec tick = {0, SWEEP_NS};
	struct ss_server *s = arg;
	unsigned cut;
	int stop = 0;

	while (!stop) {
		nanosleep(&tick, NULL);
		cut = sweep_once(s);
		if (cut > 0 && ss_log_enabled(SS_LOG_DEBUG))
			ss_log(SS_LOG_DEBUG, "http connections past their deadline cut", NULL);
		pthread_mutex_lock(&s->guard_mu);
		stop = s->guard_stop;
		pthread_mutex_unlock(&s->guard_mu);
	}
	return NULL;
}

int srv_guard_start(struct ss_server *s, struct ss_err *err)
{
	if (pthread_mutex_init(&s->guard_mu, NULL) != 0)
		return ss_err_set(err, SS_E_NOMEM, "cannot create the HTTP deadline lock");
	s->guard_mu_ok = 1;
	if (pthread_create(&s->guard_thread, NULL, sweeper, s) != 0)
		return ss_err_set(err, SS_E_NOMEM, "cannot start the HTTP deadline thread");
	s->guard_running = 1;
	return 0;
}

/* After the daemons stopped: they closed (and unlinked) every connection. */
void srv_guard_stop(struct ss_server *s)
{
	if (s->guard_running) {
		pthread_mutex_lock(&s->guard_mu);
		s->guard_stop = 1;
		pthread_mutex_unlock(&s->guard_mu);
		pthread_join(s->guard_thread, NULL);
		s->guard_running = 0;
	}
	if (s->guard_mu_ok) {
		pthread_mutex_destroy(&s->guard_mu);
		s->guard_mu_ok = 0;
	}
}
