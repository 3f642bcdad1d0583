/*
 * fuzz-main.c - corpus replayer: links with any libFuzzer harness in place of
 * libFuzzer so `make check` runs every committed seed and reproducer under
 * gcc + ASan.  Arguments are files or directories (one level of subdirectory,
 * dotfiles skipped); each input is passed as an exactly sized heap copy so
 * over-reads trap.  Prints one TAP line; a crash (ASan abort) is the failure.
 */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static unsigned long ninputs;

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL, *copy;
	size_t len = 0, cap = 0, n;

	if (!f) {
		fprintf(stderr, "fuzz-main: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	for (;;) {
		if (len == cap) {
			uint8_t *p;
			cap = cap ? cap * 2 : 4096;
			p = realloc(data, cap);
			if (!p) {
				free(data);
				fclose(f);
				return -ENOMEM;
			}
			data = p;
		}
		n = fread(data + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	if (ferror(f)) {
		free(data);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	/* Exactly sized, so reading one byte past the input is caught. */
	copy = malloc(len ? len : 1);
	if (!copy) {
		free(data);
		return -ENOMEM;
	}
	if (len)
		memcpy(copy, data, len);
	free(data);
	LLVMFuzzerTestOneInput(copy, len);
	free(copy);
	ninputs++;
	return 0;
}

static int run_path(const char *path, int depth)
{
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "fuzz-main: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	if (S_ISREG(st.st_mode))
		return run_file(path);
	if (!S_ISDIR(st.st_mode) || depth > 1)
		return 0;
	d = opendir(path);
	if (!d) {
		fprintf(stderr, "fuzz-main: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	while ((de = readdir(d)) != NULL) {
		size_t lp = strlen(path), ln = strlen(de->d_name);
		char *sub;

		if (de->d_name[0] == '.')
			continue;
		sub = malloc(lp + ln + 2);
		if (!sub)
			break;
		memcpy(sub, path, lp);
		sub[lp] = '/';
		memcpy(sub + lp + 1, de->d_name, ln + 1);
		run_path(sub, depth + 1);
		free(sub);
	}
	closedir(d);
	return 0;
}

int main(int argc, char **argv)
{
	const char *name = argc > 0 ? argv[0] : "fuzz";
	const char *slash = strrchr(name, '/');
	int i;

	if (slash)
		name = slash + 1;
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++)
		run_path(argv[i], 0);
	if (ninputs)
		printf("ok 1 - %s: %lu inputs\n", name, ninputs);
	else
		printf("not ok 1 - %s: no inputs\n", name);
	return 0;
}
