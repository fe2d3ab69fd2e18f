/*
 * tool_render.c: the confined renderer for the shell tests.
 *
 *   render-run --tmp DIR [--timeout SEC] [--max-output BYTES] [--cwd REL]
 *              [--unit NAME] [--server SOCKET] [--file REL=LOCAL]...
 *              [--link REL=TARGET]... -- TOOL [ARG...]
 *       copies the files (and symlinks) into a private copy below DIR,
 *       runs TOOL there confined (renderer.h), prints its stdout
 *   render-probe net PORT | uring | read PATH | env | sleep
 *       what a tool could do, run as the TOOL of render-run: prints one
 *       line per attempt ("socket: Operation not permitted", ...)
 *   build
 *       a stand-in for `kustomize build` that also dumps what it can see
 *       (see run_fake_build)
 *
 * Errors: "error: <kind>: <message>" on stderr, exit 1.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sodium.h>

#include "sealsync/buf.h"
#include "sealsync/file.h"
#include "sealsync/renderer.h"
#include "tool.h"

#define MAX_FILES 256

extern char **environ;

struct render_args {
	struct ss_renderer_opts o;
	struct ss_renderer_file files[MAX_FILES];
	size_t n;
	const char *cwd;
};

static int add_file(struct render_args *a, char *spec, int link)
{
	char *eq = strchr(spec, '=');
	unsigned char *data = NULL;
	size_t len = 0;

	if (eq == NULL || a->n >= MAX_FILES)
		return -1;
	*eq = '\0';
	if (link) {
		data = (unsigned char *)strdup(eq + 1);
		len = strlen(eq + 1);
	} else {
		struct ss_buf b;

		ss_buf_init(&b, 64u << 20);
		if (ss_file_read(eq + 1, &b, NULL) != 0)
			return -1;
		data = b.data;
		len = b.len;
	}
	a->files[a->n].path = spec;
	a->files[a->n].data = data;
	a->files[a->n].len = len;
	a->files[a->n].symlink = link;
	a->n++;
	return 0;
}

static int parse(int argc, char **argv, struct render_args *a)
{
	static const struct option lo[] = {
		{"tmp", 1, 0, 't'}, {"timeout", 1, 0, 'T'}, {"max-output", 1, 0, 'm'},
		{"cwd", 1, 0, 'c'}, {"file", 1, 0, 'f'},    {"link", 1, 0, 'l'},
		{"unit", 1, 0, 'u'}, {"server", 1, 0, 's'}, {"memory-mib", 1, 0, 'M'},
		{0, 0, 0, 0}};
	int ch;

	a->o.unit = "test";
	/* the agent's default; none under ASan, whose shadow needs terabytes */
	a->o.memory_mib = getenv("ASAN_OPTIONS") != NULL ? 0 : SS_RENDERER_DEFAULT_MEMORY_MIB;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch == 't') a->o.tmp_dir = optarg;
		else if (ch == 'T') a->o.timeout_sec = (unsigned)atoi(optarg);
		else if (ch == 'm') a->o.max_output = (size_t)strtoull(optarg, NULL, 10);
		else if (ch == 'c') a->cwd = optarg;
		else if (ch == 'u') a->o.unit = optarg;
		else if (ch == 's') a->o.server = optarg;
		else if (ch == 'M') a->o.memory_mib = (unsigned)atoi(optarg);
		else if ((ch == 'f' || ch == 'l') && add_file(a, optarg, ch == 'l') == 0) continue;
		else return -1;
	}
	return optind < argc ? 0 : -1;
}

static int run_render(int argc, char **argv)
{
	struct render_args a;
	struct ss_renderer_job job;
	unsigned char *out = NULL;
	size_t len = 0, i;
	struct ss_err e;
	int rc;

	memset(&a, 0, sizeof(a));
	ss_err_clear(&e);
	if (parse(argc, argv, &a) != 0) {
		fprintf(stderr, "usage: render-run --tmp DIR [...] -- TOOL [ARG...]\n");
		return 2;
	}
	memset(&job, 0, sizeof(job));
	job.tool = argv[optind];
	job.args = (const char *const *)argv + optind + 1;
	job.cwd = a.cwd;
	job.what = "render-run";
	rc = ss_renderer_run(&a.o, a.files, a.n, &job, &out, &len, &e);
	for (i = 0; i < a.n; i++)
		free((void *)a.files[i].data);
	if (rc == 0)
		fwrite(out, 1, len, stdout);
	free(out);
	if (rc != 0) {
		char msg[1024];

		ss_err_format(&e, msg, sizeof(msg));
		fprintf(stderr, "error: %s: %s\n", ss_strerror(e.code), msg);
		return 1;
	}
	return 0;
}

/* Prints "socket: ...", "connect: ..." (to 127.0.0.1:port) and
 * "socket6: ...": what a tool gets when it tries the network. */
static void probe_net(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), e = errno;

	printf("socket: %s\n", fd < 0 ? strerror(e) : "created");
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		printf("connect: refused: no socket (%s)\n", strerror(e));
	else if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		printf("connect: connected\n");
	else
		printf("connect: refused: %s\n", strerror(errno));
	if (fd >= 0)
		close(fd);
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	printf("socket6: %s\n", fd < 0 ? strerror(errno) : "created");
	if (fd >= 0)
		close(fd);
}

static void probe_read(const char *path)
{
	char buf[64];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0) {
		printf("open %s: %s\n", path, strerror(errno));
		return;
	}
	n = read(fd, buf, sizeof(buf));
	printf("open %s: read %zd bytes\n", path, n);
	close(fd);
}

/*
 * The probes and the stand-in build run inside the sandbox, where ptrace
 * is refused: a sanitizer build's exit-time leak check (LeakSanitizer
 * stops the process with ptrace) would fail them. They end with the raw
 * exit_group system call, past the sanitizers' exit hooks.
 */
static void sandboxed_exit(int rc)
{
	fflush(stdout);
	syscall(SYS_exit_group, rc);
}

static int run_probe_main(int argc, char **argv);

static int run_probe(int argc, char **argv)
{
	sandboxed_exit(run_probe_main(argc, argv));
	return 1;
}

static int run_probe_main(int argc, char **argv)
{
	char **e;

	if (argc < 2)
		return 2;
	if (strcmp(argv[1], "net") == 0 && argc == 3)
		probe_net(atoi(argv[2]));
	else if (strcmp(argv[1], "uring") == 0)
		printf("io_uring_setup: %s\n",
		       syscall(425, 1, calloc(1, 256)) < 0 ? strerror(errno) : "created");
	else if (strcmp(argv[1], "read") == 0 && argc == 3)
		probe_read(argv[2]);
	else if (strcmp(argv[1], "env") == 0)
		for (e = environ; *e != NULL; e++)
			printf("%s\n", *e);
	else if (strcmp(argv[1], "sleep") == 0)
		for (;;)
			pause();
	else
		return 2;
	return 0;
}

SS_TOOL_COMMAND(render_run, "render-run", "--tmp DIR [--file REL=LOCAL]... -- TOOL [ARG...]",
		run_render)
SS_TOOL_COMMAND(render_probe, "render-probe", "net PORT | uring | read PATH | env | sleep",
		run_probe)

/*
 * build (a stand-in for `kustomize build`, for t4330): prints every
 * .yaml document below the current folder except kustomization files,
 * then a ConfigMap "copy-dump" whose binaryData holds every file of the
 * copy and of $HOME (the scratch folder), so that the test can scan what
 * the renderer could see.
 */
static FILE *dump_out;
static const char *dump_prefix;

static void dump_key(const char *path, char *key, size_t len)
{
	size_t o = 0;

	for (; *path != '\0' && o + 1 < len; path++)
		key[o++] = (isalnum((unsigned char)*path) || *path == '.' || *path == '-') ? *path : '_';
	key[o] = '\0';
}

static int dump_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	struct ss_buf b;
	char key[512], prefixed[600];
	char *b64;
	size_t n;

	(void)st;
	(void)f;
	if (flag != FTW_F)
		return 0;
	ss_buf_init(&b, 16u << 20);
	if (ss_file_read(p, &b, NULL) != 0)
		return 0;
	dump_key(p, key, sizeof(key));
	snprintf(prefixed, sizeof(prefixed), "%s%s", dump_prefix, key);
	n = sodium_base64_ENCODED_LEN(b.len, sodium_base64_VARIANT_ORIGINAL);
	b64 = malloc(n);
	if (b64 != NULL) {
		sodium_bin2base64(b64, n, b.data ? b.data : (const unsigned char *)"", b.len,
				  sodium_base64_VARIANT_ORIGINAL);
		fprintf(dump_out, "  %s: \"%s\"\n", prefixed, b64);
	}
	free(b64);
	ss_buf_release(&b);
	return 0;
}

static int docs_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	size_t n = strlen(p);
	struct ss_buf b;

	(void)st;
	if (flag != FTW_F || n < 5 || strcmp(p + n - 5, ".yaml") != 0 ||
	    strcmp(p + f->base, "kustomization.yaml") == 0)
		return 0;
	ss_buf_init(&b, 16u << 20);
	if (ss_file_read(p, &b, NULL) == 0 && b.len > 0)
		printf("---\n%.*s\n", (int)b.len, (const char *)b.data);
	ss_buf_release(&b);
	return 0;
}

static int run_fake_build_main(void);

static int run_fake_build(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	sandboxed_exit(run_fake_build_main());
	return 1;
}

static int run_fake_build_main(void)
{
	const char *home = getenv("HOME");

	if (nftw(".", docs_cb, 16, FTW_PHYS) != 0)
		return 1;
	printf("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: copy-dump\nbinaryData:\n");
	printf("  marker: \"%s\"\n", "bWFya2Vy");
	dump_out = stdout;
	dump_prefix = "copy.";
	if (nftw(".", dump_cb, 16, FTW_PHYS) != 0)
		return 1;
	dump_prefix = "scratch.";
	if (home != NULL && nftw(home, dump_cb, 16, FTW_PHYS) != 0)
		return 1;
	return 0;
}

SS_TOOL_COMMAND(fake_build, "build", "(as kustomize build): documents and a copy-dump ConfigMap",
		run_fake_build)
