/*
 * check.h - the unit tests' whole framework.  Each test binary defines test
 * functions and lists them in main() with RUN(name); it prints one TAP line
 * per test ("ok N - name" / "not ok N - name") plus the failed checks, and
 * exits non-zero if any failed.  tests/run.sh counts the TAP lines.
 */
#ifndef CLIPROXY_CHECK_H
#define CLIPROXY_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failed_in_test;
static int check_ntests;
static int check_nfailed;

#define CHECK(cond)                                                                \
	do {                                                                       \
		if (!(cond)) {                                                     \
			fprintf(stdout, "#   %s:%d: CHECK(%s) failed\n", __FILE__,   \
				__LINE__, #cond);                                  \
			check_failed_in_test = 1;                                  \
		}                                                                  \
	} while (0)

#define CHECK_INT(a, b)                                                            \
	do {                                                                       \
		long long check_a_ = (long long)(a), check_b_ = (long long)(b);    \
		if (check_a_ != check_b_) {                                        \
			fprintf(stdout, "#   %s:%d: %s == %lld, want %lld\n",        \
				__FILE__, __LINE__, #a, check_a_, check_b_);       \
			check_failed_in_test = 1;                                  \
		}                                                                  \
	} while (0)

#define CHECK_STR(a, b)                                                            \
	do {                                                                       \
		const char *check_a_ = (a), *check_b_ = (b);                       \
		if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) {   \
			fprintf(stdout, "#   %s:%d: %s == \"%s\", want \"%s\"\n",    \
				__FILE__, __LINE__, #a,                            \
				check_a_ ? check_a_ : "(null)",                    \
				check_b_ ? check_b_ : "(null)");                   \
			check_failed_in_test = 1;                                  \
		}                                                                  \
	} while (0)

/* Compare a <ptr,len> against a C string. */
#define CHECK_MEM(p, n, s)                                                         \
	do {                                                                       \
		const char *check_p_ = (const char *)(p), *check_s_ = (s);         \
		size_t check_n_ = (n);                                             \
		if (!check_p_ || check_n_ != strlen(check_s_) ||                   \
		    memcmp(check_p_, check_s_, check_n_) != 0) {                   \
			fprintf(stdout, "#   %s:%d: %s == \"%.*s\", want \"%s\"\n",  \
				__FILE__, __LINE__, #p, check_p_ ? (int)check_n_ : 6, \
				check_p_ ? check_p_ : "(null)", check_s_);         \
			check_failed_in_test = 1;                                  \
		}                                                                  \
	} while (0)

#define RUN(fn)                                                                    \
	do {                                                                       \
		check_failed_in_test = 0;                                          \
		fn();                                                              \
		check_ntests++;                                                    \
		if (check_failed_in_test)                                          \
			check_nfailed++;                                           \
		printf("%sok %d - %s\n", check_failed_in_test ? "not " : "",       \
		       check_ntests, #fn);                                         \
	} while (0)

#define CHECK_DONE() (check_nfailed ? 1 : 0)

#endif
