/*
 * A minimal epoll client for the greet load, as a known-cheap reference to check that
 * forkline-bench is not the bottleneck (docs/BENCHMARKS.md, "Is the client the bottleneck?"):
 * N connections at once; each connects, reads up to the first LF (the greeting), closes, again.
 * One thread, edge-free level-triggered epoll, no allocation per connection.
 *
 *   gcc -O2 -o greet bench/c/greet.c && ./greet 127.0.0.1 3000 64 10    # host port connections seconds
 *
 * Prints "connections/s N errors E" for the whole run.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in addr;
static int ep;
static long done, errors;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void open_one(void) {
    for (;;) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (fd < 0) { perror("socket"); exit(1); }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (connect(fd, (struct sockaddr *) &addr, sizeof addr) < 0 && errno != EINPROGRESS) {
            errors++;
            close(fd);
            continue;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        return;
    }
}

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: greet host port connections seconds\n"); return 2; }
    addr.sin_family = AF_INET;
    addr.sin_port = htons(atoi(argv[2]));
    inet_pton(AF_INET, argv[1], &addr.sin_addr);
    int conns = atoi(argv[3]);
    double seconds = atof(argv[4]);
    ep = epoll_create1(0);
    for (int i = 0; i < conns; i++) open_one();
    struct epoll_event evs[256];
    char buf[512];
    double end = now() + seconds, start = now();
    while (now() < end) {
        int n = epoll_wait(ep, evs, 256, 100);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            ssize_t r = read(fd, buf, sizeof buf);
            if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            int greeted = 0;
            for (ssize_t j = 0; j < r; j++) if (buf[j] == '\n') { greeted = 1; break; }
            if (r > 0 && !greeted) continue; /* the greeting is split: wait for the rest */
            if (greeted) done++; else errors++;
            close(fd); /* also removes it from the epoll set */
            open_one();
        }
    }
    printf("connections/s %.0f errors %ld\n", done / (now() - start), errors);
    return 0;
}
