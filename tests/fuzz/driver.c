// SPDX-License-Identifier: Apache-2.0
/*
 * driver.c - runs a libFuzzer harness without libFuzzer, for ctest.
 *
 *   fuzz_<name> [-n MUTATIONS] [-t SECONDS] [-s SEED] DIR|FILE...
 *
 * Every corpus file is run as it is, then MUTATIONS deterministic
 * variants of it (bit flips, truncations, interesting bytes, deleted and
 * repeated chunks, splices with another seed), until SECONDS pass. The
 * same arguments try the same inputs in the same order, so a failure
 * reproduces. Each input is in its own exactly-sized heap block, so
 * AddressSanitizer sees any read past its end.
 *
 * A crash, a sanitizer report or a hang (LYB_FUZZ_HANG seconds, default
 * 10, for one input) writes the input to crash-<name>-<hash> in
 * LYB_FUZZ_CRASH_DIR (default: the current directory) before dying: add
 * that file to tests/fuzz/corpus/<name>/ once the bug is fixed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* present when built with a sanitizer; called just before it aborts */
extern void __sanitizer_set_death_callback(void (*cb)(void))
	__attribute__((weak));

#define INPUT_MAX (1u << 20)

struct seed {
	char *path;
	uint8_t *data;
	size_t len;
};

static const char *prog = "fuzz";
/* the input being run, for the crash handlers */
static const uint8_t *volatile cur_data;
static volatile size_t cur_len;
static char crash_path[4096];

/* writes the current input; async-signal-safe */
static void save_input(void)
{
	const uint8_t *p = cur_data;
	size_t n = cur_len, off = 0;
	int fd;

	if (!p || !crash_path[0])
		return;
	cur_data = NULL; /* once, though both a sanitizer and a signal call */
	fd = open(crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return;
	while (off < n) {
		ssize_t w = write(fd, p + off, n - off);

		if (w <= 0)
			break;
		off += (size_t)w;
	}
	close(fd);
	(void)!write(2, "fuzz: input saved to ", 21);
	(void)!write(2, crash_path, strlen(crash_path));
	(void)!write(2, "\n", 1);
}

static void on_signal(int sig)
{
	if (sig == SIGALRM)
		(void)!write(2, "fuzz: hang: one input ran too long\n", 35);
	save_input();
	signal(sig, SIG_DFL);
	raise(sig == SIGALRM ? SIGABRT : sig);
}

static uint64_t fnv1a(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull;

	while (n--)
		h = (h ^ *b++) * 0x100000001b3ull;
	return h;
}

/* names the crash file by the input's hash, before running it */
static void set_current(const uint8_t *data, size_t len)
{
	const char *dir = getenv("LYB_FUZZ_CRASH_DIR");

	snprintf(crash_path, sizeof(crash_path), "%s/crash-%s-%016llx",
		 dir && *dir ? dir : ".", prog,
		 (unsigned long long)fnv1a(data, len));
	cur_data = data;
	cur_len = len;
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static size_t below(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

/* byte strings that tend to matter to JSON, CSV, Avro and path parsers */
static const struct {
	const char *s;
	size_t n;
} interesting[] = {
	{"\0", 1},
	{"\xff", 1},
	{"\x7f", 1},
	{"\x80", 1},
	{"\x01", 1}, /* zig-zag -1 */
	{"\x02", 1},
	{"\xff\xff\xff\xff\x0f", 5},
	{"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10},
	{"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80", 11},
	{"\"", 1},
	{"\\", 1},
	{"\\u0000", 6},
	{"\\ud800", 6},
	{"{", 1},
	{"}", 1},
	{"[", 1},
	{"]", 1},
	{",", 1},
	{":", 1},
	{"\n", 1},
	{"\r\n", 2},
	{"/", 1},
	{"..", 2},
	{"/../", 4},
	{"-1", 2},
	{"0", 1},
	{"1e999", 5},
	{"-9223372036854775808", 20},
	{"18446744073709551616", 20},
	{"null", 4},
	{"\"\"", 2},
	{"\xc3\x28", 2},
	{"\xef\xbf\xbd", 3},
	{"Obj\x01", 4},
	{"\x1f\x8b", 2},
};

static int mutate(uint8_t *buf, size_t *len, const struct seed *seeds,
		  size_t nseeds)
{
	size_t n = *len, i, k, a, b;
	int steps = 1 + (int)below(4), s;

	for (s = 0; s < steps; s++) {
		switch (below(8)) {
		case 0: /* flip bits */
			for (k = 1 + below(8); k && n; k--) {
				i = below(n);
				buf[i] ^= (uint8_t)(1u << below(8));
			}
			break;
		case 1: /* set a byte */
			if (n)
				buf[below(n)] = (uint8_t)rnd();
			break;
		case 2: /* truncate */
			n = below(n + 1);
			break;
		case 3: /* insert an interesting string */
		case 4: /* overwrite with one */
			k = below(sizeof(interesting) / sizeof(interesting[0]));
			a = below(n + 1);
			b = interesting[k].n;
			if (n + b > INPUT_MAX)
				break;
			if (below(2) == 0 || a + b > n) {
				memmove(buf + a + b, buf + a, n - a);
				n += b;
			}
			memcpy(buf + a, interesting[k].s, b);
			break;
		case 5: /* delete a chunk */
			a = below(n + 1);
			b = below(n - a + 1);
			if (b > 64 && below(2))
				b = below(64);
			memmove(buf + a, buf + a + b, n - a - b);
			n -= b;
			break;
		case 6: /* repeat a chunk */
			a = below(n + 1);
			b = below(n - a + 1);
			if (b > 256)
				b = below(256);
			if (n + b > INPUT_MAX)
				break;
			memmove(buf + a + b, buf + a, n - a);
			n += b;
			break;
		case 7: /* splice: our prefix, another seed's suffix */
			if (nseeds) {
				const struct seed *o = &seeds[below(nseeds)];

				a = below(n + 1);
				b = below(o->len + 1);
				if (a + o->len - b > INPUT_MAX)
					break;
				memcpy(buf + a, o->data + b, o->len - b);
				n = a + o->len - b;
			}
			break;
		}
	}
	*len = n;
	return 0;
}

static int slurp(const char *path, struct seed *s)
{
	struct stat st;
	FILE *f;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return -EINVAL;
	if ((size_t)st.st_size > INPUT_MAX)
		return -EFBIG;
	f = fopen(path, "rb");
	if (!f)
		return -errno;
	s->len = (size_t)st.st_size;
	s->data = malloc(s->len ? s->len : 1);
	s->path = strdup(path);
	if (!s->data || !s->path || fread(s->data, 1, s->len, f) != s->len) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	return 0;
}

static int cmp_seed(const void *a, const void *b)
{
	return strcmp(((const struct seed *)a)->path,
		      ((const struct seed *)b)->path);
}

static int add_path(const char *path, struct seed **seeds, size_t *n,
		    size_t *cap)
{
	struct stat st;
	char sub[4096];
	struct dirent *de;
	DIR *d;
	int rc;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return -errno;
	}
	if (S_ISDIR(st.st_mode)) {
		d = opendir(path);
		if (!d)
			return -errno;
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
			rc = add_path(sub, seeds, n, cap);
			if (rc) {
				closedir(d);
				return rc;
			}
		}
		closedir(d);
		return 0;
	}
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct seed *p = realloc(*seeds, ncap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		*seeds = p;
		*cap = ncap;
	}
	rc = slurp(path, &(*seeds)[*n]);
	if (rc) {
		fprintf(stderr, "%s: %s: cannot read (%d)\n", prog, path, rc);
		return rc;
	}
	(*n)++;
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run_one(const uint8_t *data, size_t len, unsigned hang)
{
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy) {
		fprintf(stderr, "%s: out of memory\n", prog);
		exit(1);
	}
	memcpy(copy, data, len);
	set_current(copy, len);
	alarm(hang);
	LLVMFuzzerTestOneInput(copy, len);
	alarm(0);
	cur_data = NULL;
	free(copy);
}

int main(int argc, char **argv)
{
	struct seed *seeds = NULL;
	size_t nseeds = 0, cap = 0, i, tried = 0, len;
	long mutations = 100, seconds = 10;
	unsigned long long base = 1;
	unsigned hang = 10;
	const char *slash, *env;
	uint8_t *buf;
	double start, deadline;
	int opt, timed_out = 0;
	long m;

	slash = strrchr(argv[0], '/');
	prog = slash ? slash + 1 : argv[0];
	while ((opt = getopt(argc, argv, "n:t:s:")) != -1) {
		switch (opt) {
		case 'n':
			mutations = strtol(optarg, NULL, 10);
			break;
		case 't':
			seconds = strtol(optarg, NULL, 10);
			break;
		case 's':
			base = strtoull(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr,
				"usage: %s [-n MUTATIONS] [-t SECONDS] [-s "
				"SEED] DIR|FILE...\n",
				prog);
			return 2;
		}
	}
	env = getenv("LYB_FUZZ_HANG");
	if (env && strtol(env, NULL, 10) > 0)
		hang = (unsigned)strtol(env, NULL, 10);
	if (optind == argc) {
		fprintf(stderr, "%s: no corpus given\n", prog);
		return 2;
	}
	for (; optind < argc; optind++)
		if (add_path(argv[optind], &seeds, &nseeds, &cap))
			return 1;
	if (nseeds == 0) {
		fprintf(stderr, "%s: the corpus is empty\n", prog);
		return 1;
	}
	qsort(seeds, nseeds, sizeof(*seeds), cmp_seed);

	/* a sanitizer reports faults itself (with a stack) and then calls
	 * save_input(); without one, the signal handlers save the input */
	if (__sanitizer_set_death_callback) {
		__sanitizer_set_death_callback(save_input);
	} else {
		signal(SIGSEGV, on_signal);
		signal(SIGBUS, on_signal);
		signal(SIGFPE, on_signal);
		signal(SIGILL, on_signal);
	}
	signal(SIGABRT, on_signal);
	signal(SIGALRM, on_signal);

	buf = malloc(2 * INPUT_MAX);
	if (!buf)
		return 1;
	start = now();
	deadline = start + (double)seconds;
	for (i = 0; i < nseeds; i++, tried++)
		run_one(seeds[i].data, seeds[i].len, hang);
	/* round-robin over the seeds, so a short budget covers them all */
	for (m = 0; m < mutations && !timed_out; m++) {
		for (i = 0; i < nseeds; i++, tried++) {
			if (now() > deadline) {
				timed_out = 1;
				break;
			}
			rng_state =
				base * 0x2545f4914f6cdd1dull ^
				fnv1a(seeds[i].path, strlen(seeds[i].path)) ^
				(uint64_t)m * 0x9e3779b97f4a7c15ull;
			len = seeds[i].len;
			memcpy(buf, seeds[i].data, len);
			mutate(buf, &len, seeds, nseeds);
			run_one(buf, len, hang);
		}
	}
	printf("%s: %zu seeds, %zu inputs in %.1f s%s, no crash\n", prog,
	       nseeds, tried, now() - start,
	       timed_out ? " (time budget reached)" : "");
	for (i = 0; i < nseeds; i++) {
		free(seeds[i].data);
		free(seeds[i].path);
	}
	free(seeds);
	free(buf);
	return 0;
}
