/* ledger-load.c: credits and debits against a running companion, as fast as it answers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * --concurrency clients, each on one HTTP/1.1 keep-alive connection of its
 * own, send POST /ledger/credit and /ledger/debit back to back (two credits
 * of 2 for each debit of 1, so debits find funds), each with a new
 * idempotency key, authorized by the admin key in $CROSSING_ADMIN_KEY.
 * Prints mutations per second and the p50/p99/max latency of one mutation
 * (request written to response read), and how many were not 200.
 *
 * One thread, one epoll set, plain non-blocking sockets, as
 * crossing-load.c: the generator must cost far less than the companion it
 * shares the machine with. Loopback http only; bounded by --duration.
 */
#define _GNU_SOURCE   /* memmem */
#define G_LOG_DOMAIN "ledger-load"

#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  int      fd;
  guint    n;
  guint64  sent;
  gint64   started_ns;
  GString *out;
  GString *in;
} Client;

static struct {
  struct sockaddr_in  addr;
  const char         *base_path;
  const char         *user_id;
  const char         *admin_key;
  GArray             *latencies_us;   /* gint64 */
  guint64             not_ok;
  guint64             run_id;
} load;

static gint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
client_connect (Client *c,
                int     epoll_fd)
{
  struct epoll_event event = { .events = EPOLLIN, .data.ptr = c };
  int one = 1;

  /* Connected before the load starts; non-blocking from then on. */
  c->fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert (c->fd >= 0);
  setsockopt (c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect (c->fd, (struct sockaddr *) &load.addr, sizeof load.addr) != 0)
    g_error ("connect: %s", g_strerror (errno));
  g_assert (fcntl (c->fd, F_SETFL, O_NONBLOCK) == 0);
  g_assert (epoll_ctl (epoll_fd, EPOLL_CTL_ADD, c->fd, &event) == 0);
}

/* Sends the next mutation of this client (a few hundred bytes: one write
 * on a connected socket). */
static void
client_next (Client *c)
{
  ssize_t put;

  gboolean debit = c->sent % 3 == 2;
  g_autofree char *body = g_strdup_printf ("{\"userId\":\"%s\",\"asset\":\"coin\",\"amount\":%d,"
                                           "\"reason\":\"bench\",\"idempotencyKey\":\"bench-%"
                                           G_GUINT64_FORMAT "-%u-%" G_GUINT64_FORMAT "\"}",
                                           load.user_id, debit ? 1 : 2, load.run_id, c->n,
                                           c->sent);

  g_string_printf (c->out, "POST %s/ledger/%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                   "Content-Length: %zu\r\n\r\n%s", load.base_path, debit ? "debit" : "credit",
                   load.admin_key, strlen (body), body);
  c->sent++;
  c->started_ns = now_ns ();
  put = write (c->fd, c->out->str, c->out->len);
  if (put != (ssize_t) c->out->len)
    g_error ("write: %s", put < 0 ? g_strerror (errno) : "short");
}

/* TRUE once c->in holds a whole response; its status in @out_status. */
static gboolean
response_complete (Client *c,
                   guint  *out_status)
{
  const char *end = memmem (c->in->str, c->in->len, "\r\n\r\n", 4);
  const char *length;
  gsize header_len, body_len;

  if (end == NULL)
    return FALSE;
  header_len = (gsize) (end - c->in->str) + 4;
  length = g_strstr_len (c->in->str, (gssize) header_len, "Content-Length: ");
  g_assert (length != NULL);
  body_len = strtoul (length + strlen ("Content-Length: "), NULL, 10);
  if (c->in->len < header_len + body_len)
    return FALSE;
  *out_status = (guint) strtoul (c->in->str + strlen ("HTTP/1.1 "), NULL, 10);
  g_string_erase (c->in, 0, (gssize) (header_len + body_len));
  return TRUE;
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static gint64
percentile (GArray *sorted,
            double  p)
{
  gsize i;

  if (sorted->len == 0)
    return 0;
  i = (gsize) (p * (sorted->len - 1) + 0.5);
  return g_array_index (sorted, gint64, i);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *url = NULL;
  g_autofree char *base_path = NULL;
  g_autofree char *user_id = NULL;
  int concurrency = 16;
  int duration = 10;
  g_autoptr(GOptionContext) context = g_option_context_new ("- ledger mutations against a companion");
  g_autoptr(GError) error = NULL;
  GOptionEntry entries[] = {
    { "url", 0, 0, G_OPTION_ARG_STRING, &url, "The companion, http://127.0.0.1:PORT", "URL" },
    { "base-path", 0, 0, G_OPTION_ARG_STRING, &base_path, "API path (default /api/auth)", "PATH" },
    { "user-id", 0, 0, G_OPTION_ARG_STRING, &user_id, "The account to move", "ID" },
    { "concurrency", 0, 0, G_OPTION_ARG_INT, &concurrency, "Clients (default 16)", "N" },
    { "duration", 0, 0, G_OPTION_ARG_INT, &duration, "Seconds of load (default 10)", "S" },
    { NULL }
  };
  Client *clients;
  int epoll_fd;
  guint port = 0;
  gint64 start, end, stop;
  guint64 done = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    g_error ("%s", error->message);
  load.admin_key = g_getenv ("CROSSING_ADMIN_KEY");
  if (url == NULL || user_id == NULL || load.admin_key == NULL ||
      sscanf (url, "http://127.0.0.1:%u", &port) != 1 || concurrency < 1 || duration < 1)
    g_error ("need --url http://127.0.0.1:PORT, --user-id and $CROSSING_ADMIN_KEY");

  load.addr.sin_family = AF_INET;
  load.addr.sin_port = htons ((guint16) port);
  load.addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  load.base_path = base_path != NULL ? base_path : "/api/auth";
  load.user_id = user_id;
  load.latencies_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  load.run_id = (guint64) g_get_real_time ();

  epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
  clients = g_new0 (Client, concurrency);
  for (int i = 0; i < concurrency; i++)
    {
      clients[i].n = (guint) i;
      clients[i].out = g_string_new (NULL);
      clients[i].in = g_string_new (NULL);
      client_connect (&clients[i], epoll_fd);
      client_next (&clients[i]);
    }

  start = now_ns ();
  stop = start + (gint64) duration * 1000000000;
  while (now_ns () < stop)
    {
      struct epoll_event events[64];
      int n = epoll_wait (epoll_fd, events, G_N_ELEMENTS (events), 100);

      for (int e = 0; e < n; e++)
        {
          Client *c = events[e].data.ptr;
          char buffer[16384];
          ssize_t got;
          guint status;

          while ((got = read (c->fd, buffer, sizeof buffer)) > 0)
            g_string_append_len (c->in, buffer, got);
          if (got == 0)
            g_error ("the companion closed a connection");
          while (response_complete (c, &status))
            {
              gint64 latency_us = (now_ns () - c->started_ns) / 1000;

              g_array_append_val (load.latencies_us, latency_us);
              done++;
              if (status != 200)
                load.not_ok++;
              if (now_ns () < stop)
                client_next (c);
            }
        }
    }
  end = now_ns ();

  g_array_sort (load.latencies_us, compare_gint64);
  printf ("mutations %" G_GUINT64_FORMAT " in %.2f s: %.1f/s; latency p50 %.3f ms, p99 %.3f ms, "
          "max %.3f ms; not 200: %" G_GUINT64_FORMAT "\n", done, (end - start) / 1e9,
          done / ((end - start) / 1e9), percentile (load.latencies_us, 0.50) / 1000.0,
          percentile (load.latencies_us, 0.99) / 1000.0,
          percentile (load.latencies_us, 1.0) / 1000.0, load.not_ok);
  for (int i = 0; i < concurrency; i++)
    {
      close (clients[i].fd);
      g_string_free (clients[i].out, TRUE);
      g_string_free (clients[i].in, TRUE);
    }
  g_free (clients);
  g_array_unref (load.latencies_us);
  close (epoll_fd);
  return load.not_ok == 0 ? 0 : 1;
}
