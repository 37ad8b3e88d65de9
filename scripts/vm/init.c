/* PID 1 of the isobench test VM: sets up the mounts, runs the command from /vm, reports its status, powers off. */
#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/*
 * Protocol with run.sh:
 *   /vm/argv  arguments, each ending in NUL (argv[0] is an absolute path)
 *   /vm/env   NAME=VALUE entries, each ending in NUL (optional)
 *   /vm/cwd   working directory (optional, created if missing)
 * The program's stdout and stderr go to ttyS1 (carried to the host's stdout
 * untouched); the kernel console and the markers below go to ttyS0:
 *   ISO-VM-EXIT status=N | ISO-VM-EXIT signal=N | ISO-VM-ERROR <reason>
 */

#define MAX_ITEMS 4096

static int log_fd = -1;

static void say(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof buf)
		n = sizeof buf - 1;
	if (write(log_fd >= 0 ? log_fd : 2, buf, (size_t)n) < 0) {
		/* Nowhere left to report to. */
	}
	if (log_fd >= 0)
		tcdrain(log_fd);
}

/* PID 1 must never exit: the kernel would panic instead of powering off. */
static void __attribute__((noreturn)) power_off(void)
{
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

static void __attribute__((noreturn)) fail(const char *what, int err)
{
	say("\nISO-VM-ERROR %s: %s\n", what, strerror(err));
	power_off();
}

static void mount_fs(const char *type, const char *dir, mode_t mode, const char *opts)
{
	if (mkdir(dir, mode) < 0 && errno != EEXIST)
		fail(dir, errno);
	if (mount(type, dir, type, MS_NOSUID, opts) < 0)
		fail(dir, errno);
}

/* Files run.sh put under /tmp (a test built there) must stay visible: no tmpfs over them. */
static void scratch_dir(const char *dir, mode_t mode)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int empty = 1;

	if (d) {
		while (empty && (e = readdir(d)))
			empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
		closedir(d);
	}
	if (empty) {
		mount_fs("tmpfs", dir, mode, mode == 01777 ? "mode=1777" : "mode=755");
	} else if (chmod(dir, mode) < 0) {
		fail(dir, errno);
	}
}

static void mkdir_p(const char *path)
{
	char buf[4096];
	size_t len = strlen(path);

	if (len >= sizeof buf)
		fail("cwd too long", ENAMETOOLONG);
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			fail(buf, errno);
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		fail(buf, errno);
}

/* Tests talking to 127.0.0.1 need lo up; nothing else configures it here. */
static void loopback_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			say("init: cannot bring lo up: %s\n", strerror(errno));
	}
	close(fd);
}

/* Reads a whole file; returns NULL with errno set if it cannot. */
static char *slurp(const char *path, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || !buf) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *nb = realloc(buf, 2 * cap + 1);

			if (!nb)
				fail(path, ENOMEM);
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			fail(path, errno);
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Splits a NUL-terminated list into a NULL-terminated vector. */
static size_t split(char *buf, size_t len, char **vec, size_t max, const char *path)
{
	size_t count = 0;

	for (size_t i = 0; i < len; i += strlen(buf + i) + 1) {
		if (count + 1 >= max)
			fail(path, E2BIG);
		vec[count++] = buf + i;
	}
	vec[count] = NULL;
	return count;
}

/* Raw output so the host sees the program's bytes, not "\n" turned into "\r\n". */
static int open_tty(const char *path)
{
	struct termios t;
	int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (tcgetattr(fd, &t) == 0) {
		t.c_oflag &= ~(tcflag_t)OPOST;
		t.c_lflag &= ~(tcflag_t)(ECHO | ICANON | ISIG);
		tcsetattr(fd, TCSANOW, &t);
	}
	return fd;
}

int main(void)
{
	static char *argv[MAX_ITEMS], *envp[MAX_ITEMS];
	size_t argv_len, env_len = 0, cwd_len = 0, envc = 0;
	char *argv_buf, *env_buf, *cwd;
	int out_fd, null_fd, status;
	pid_t child, pid;

	/* Before devtmpfs exists, only the built-in initramfs' /dev/console is there. */
	log_fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	mount_fs("devtmpfs", "/dev", 0755, NULL);
	if (log_fd >= 0)
		close(log_fd);
	log_fd = open_tty("/dev/ttyS0");
	if (log_fd < 0)
		log_fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);

	mount_fs("proc", "/proc", 0555, NULL);
	mount_fs("sysfs", "/sys", 0555, NULL);
	/* Criterion and other IPC users want POSIX shm, ptys and a writable /tmp. */
	mount_fs("tmpfs", "/dev/shm", 01777, "mode=1777");
	mount_fs("devpts", "/dev/pts", 0755, "mode=620,ptmxmode=666");
	scratch_dir("/tmp", 01777);
	scratch_dir("/run", 0755);

	loopback_up();

	argv_buf = slurp("/vm/argv", &argv_len);
	if (!argv_buf)
		fail("/vm/argv", errno);
	if (split(argv_buf, argv_len, argv, MAX_ITEMS, "/vm/argv") == 0)
		fail("/vm/argv is empty", EINVAL);

	/* A base environment the command's own entries can override. */
	envp[envc++] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	envp[envc++] = "HOME=/root";
	envp[envc++] = "TERM=dumb";
	envp[envc++] = "TMPDIR=/tmp";
	envp[envc] = NULL;
	env_buf = slurp("/vm/env", &env_len);
	if (env_buf) {
		/* Later entries win in getenv(), so the base ones are dropped on a clash. */
		char *extra[MAX_ITEMS];
		size_t n = split(env_buf, env_len, extra, MAX_ITEMS - 8, "/vm/env");
		size_t kept = 0;

		for (size_t i = 0; i < envc; i++) {
			size_t klen = strcspn(envp[i], "=") + 1;
			int clash = 0;

			for (size_t j = 0; j < n && !clash; j++)
				clash = strncmp(envp[i], extra[j], klen) == 0;
			if (!clash)
				envp[kept++] = envp[i];
		}
		envc = kept;
		for (size_t j = 0; j < n; j++)
			envp[envc++] = extra[j];
		envp[envc] = NULL;
	}

	cwd = slurp("/vm/cwd", &cwd_len);
	if (cwd && cwd_len > 0) {
		cwd[strcspn(cwd, "\n")] = '\0';
		mkdir_p(cwd);
		if (chdir(cwd) < 0)
			fail(cwd, errno);
	}

	out_fd = open_tty("/dev/ttyS1");
	if (out_fd < 0)
		out_fd = log_fd;
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null_fd < 0)
		fail("/dev/null", errno);

	child = fork();
	if (child < 0)
		fail("fork", errno);
	if (child == 0) {
		/* A session of its own, so the program's signals and job control stay away from PID 1. */
		setsid();
		if (dup2(null_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
			_exit(127);
		execve(argv[0], argv, envp);
		dprintf(2, "init: cannot execute %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}

	/* Orphans are reparented to PID 1, so reap everything but report only our child. */
	for (;;) {
		pid = wait(&status);
		if (pid == child)
			break;
		if (pid < 0 && errno != EINTR)
			fail("wait", errno);
	}
	tcdrain(out_fd);
	if (WIFSIGNALED(status))
		say("\nISO-VM-EXIT signal=%d\n", WTERMSIG(status));
	else
		say("\nISO-VM-EXIT status=%d\n", WEXITSTATUS(status));
	power_off();
}
