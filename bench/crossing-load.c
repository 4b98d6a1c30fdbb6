/* crossing-load.c: complete login flows against a running companion
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each of --concurrency slots plays one desktop and one phone, over three
 * HTTP/1.1 keep-alive connections of its own (desktop, phone, event
 * stream; the stream's is opened again when the server closes it after the
 * terminal event), and runs flows back to back:
 *
 *   desktop POST start -> GET events (waits for the 200) -> phone POST claim
 *   -> POST challenge -> (checkCode from the "claimed" event) sign -> POST
 *   approve -> desktop sees "approved" -> POST finalize -> "finalized" ends
 *   the stream.
 *
 * One thread, one epoll set, plain non-blocking sockets: the companion under
 * test shares the machine, so the generator must cost far less per flow than
 * the server does. Only loopback http is supported. Every run is bounded by
 * --flows or --duration and by --max-time; every request by --timeout.
 */
#define _GNU_SOURCE   /* memmem */
#define G_LOG_DOMAIN "crossing-load"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <sodium.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "crossing-proof.h"
#include "crossing-sse-parser.h"
#include "crossing-token.h"

/* ---- clock and samples --------------------------------------------------- */

static gint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

typedef enum {
  STEP_START,
  STEP_EVENTS_OPEN,
  STEP_CLAIM,
  STEP_CLAIMED_EVENT,
  STEP_CHALLENGE,
  STEP_SIGN,
  STEP_APPROVE,
  STEP_APPROVED_AFTER_RESPONSE,
  STEP_APPROVED_AFTER_REQUEST,
  STEP_FINALIZE,
  STEP_FINALIZED_EVENT,
  STEP_FLOW,
  N_STEPS
} Step;

static const struct {
  const char *key;    /* for the "metric" lines */
  const char *label;  /* for people */
} steps[N_STEPS] = {
  { "start", "POST start" },
  { "events_open", "GET events until 200" },
  { "claim", "POST claim" },
  { "claimed_event", "claim sent -> claimed event" },
  { "challenge", "POST challenge" },
  { "sign", "sign (client, ed25519)" },
  { "approve", "POST approve" },
  { "approve_event_after_response", "approve response -> approved event" },
  { "approve_event_after_request", "approve sent -> approved event" },
  { "finalize", "POST finalize" },
  { "finalized_event", "finalize sent -> finalized event" },
  { "flow", "whole flow (start sent -> finalize answered)" },
};

static GArray *samples[N_STEPS];   /* gint64 nanoseconds, may be negative */

static void
add_sample (Step   step,
            gint64 ns)
{
  g_array_append_val (samples[step], ns);
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* Nearest rank. @sorted must be sorted and non-empty. */
static double
percentile_ms (GArray *sorted,
               double  q)
{
  gsize rank = (gsize) ceil (q * sorted->len);

  rank = CLAMP (rank, 1, sorted->len);
  return g_array_index (sorted, gint64, rank - 1) / 1e6;
}

/* ---- errors by kind ------------------------------------------------------ */

static GHashTable *errors;   /* kind -> count */
static guint       n_errors;

static void
count_error (const char *kind)
{
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (errors, kind));

  g_hash_table_replace (errors, g_strdup (kind), GUINT_TO_POINTER (count + 1));
  n_errors++;
}

/* ---- options ------------------------------------------------------------- */

static char     *opt_url;
static char     *opt_base_path = NULL;
static int       opt_concurrency = 1;
static int       opt_flows = 0;
static double    opt_duration = 0;
static int       opt_idle_streams = 0;
static double    opt_timeout = 10;
static double    opt_idle_timeout = 60;
static double    request_timeout;   /* opt_idle_timeout while opening idle streams */
static double    opt_max_time = 600;
static int       opt_max_errors = 1000;
static gboolean  opt_quiet = FALSE;
static int       opt_companion_pid = 0;
static gboolean  opt_start_only = FALSE;
static char     *opt_get_path = NULL;

static struct sockaddr_in server_addr;
static char              *host_header;
static char              *api_prefix;   /* "/api/auth/cross-device" */

static gboolean
parse_url (const char  *url,
           GError     **error)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, error);
  const char *path;

  if (uri == NULL)
    return FALSE;
  if (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 || g_uri_get_host (uri) == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--url must be http://IPV4:PORT (loopback, no TLS)");
      return FALSE;
    }

  memset (&server_addr, 0, sizeof server_addr);
  server_addr.sin_family = AF_INET;
  server_addr.sin_port = htons (g_uri_get_port (uri) > 0 ? g_uri_get_port (uri) : 80);
  if (inet_pton (AF_INET, g_uri_get_host (uri), &server_addr.sin_addr) != 1)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--url needs a numeric IPv4 address such as 127.0.0.1");
      return FALSE;
    }
  if ((ntohl (server_addr.sin_addr.s_addr) >> 24) != 127)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--url must be a loopback address (127.x.x.x)");
      return FALSE;
    }

  host_header = g_strdup_printf ("%s:%d", g_uri_get_host (uri), ntohs (server_addr.sin_port));
  path = g_uri_get_path (uri);
  while (*path == '/' && path[1] == '\0')
    path++;
  api_prefix = g_strdup_printf ("%s%s%s", g_str_has_suffix (path, "/") ? "" : path,
                                opt_base_path != NULL ? opt_base_path : "/api/auth",
                                "/cross-device");
  return TRUE;
}

/* ---- a tiny JSON string reader --------------------------------------------
 *
 * The companion's answers are flat enough that "find "key": and read the
 * string after it" is exact for the members used here, and it costs next to
 * nothing next to a full parse. */

static char *
json_string_member (const char *json,
                    gsize       len,
                    const char *key)
{
  g_autofree char *needle = g_strdup_printf ("\"%s\"", key);
  gsize needle_len = strlen (needle);
  const char *end = json + len;
  const char *p = json;

  while ((p = memmem (p, end - p, needle, needle_len)) != NULL)
    {
      GString *out;

      p += needle_len;
      while (p < end && g_ascii_isspace (*p))
        p++;
      if (p >= end || *p != ':')
        continue;
      p++;
      while (p < end && g_ascii_isspace (*p))
        p++;
      if (p >= end || *p != '"')
        return NULL;
      p++;

      out = g_string_sized_new (64);
      while (p < end && *p != '"')
        {
          if (*p != '\\')
            {
              g_string_append_c (out, *p++);
              continue;
            }
          if (++p >= end)
            break;
          switch (*p)
            {
            case 'n': g_string_append_c (out, '\n'); break;
            case 't': g_string_append_c (out, '\t'); break;
            case 'r': g_string_append_c (out, '\r'); break;
            case 'b': g_string_append_c (out, '\b'); break;
            case 'f': g_string_append_c (out, '\f'); break;
            case 'u':
              {
                gunichar c = 0;

                if (end - p < 5)
                  goto bad;
                for (int i = 1; i <= 4; i++)
                  {
                    int v = g_ascii_xdigit_value (p[i]);
                    if (v < 0)
                      goto bad;
                    c = c * 16 + (gunichar) v;
                  }
                p += 4;
                /* A surrogate pair: the low half follows as \uXXXX. */
                if (c >= 0xd800 && c < 0xdc00 && end - p >= 7 && p[1] == '\\' && p[2] == 'u')
                  {
                    gunichar low = 0;

                    for (int i = 3; i <= 6; i++)
                      {
                        int v = g_ascii_xdigit_value (p[i]);
                        if (v < 0)
                          goto bad;
                        low = low * 16 + (gunichar) v;
                      }
                    c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
                    p += 6;
                  }
                g_string_append_unichar (out, c);
                break;
              }
            default:   /* '"', '\\', '/' */
              g_string_append_c (out, *p);
              break;
            }
          p++;
        }
      if (p >= end)
        goto bad;
      return g_string_free (out, FALSE);

    bad:
      g_string_free (out, TRUE);
      return NULL;
    }
  return NULL;
}

/* ---- connections --------------------------------------------------------- */

typedef struct _Conn Conn;

typedef struct {
  /* A complete answer: every non-streaming request, and a streaming one
   * whose status was not 200. */
  void (*response)    (Conn *conn, guint status, const char *body, gsize len);
  /* A streaming request got its 200 and headers. */
  void (*stream_open) (Conn *conn);
  void (*stream_data) (Conn *conn, const char *data, gsize len);
  void (*stream_end)  (Conn *conn);
  /* The request in flight (or the idle connection's stream) failed. */
  void (*failed)      (Conn *conn, const char *kind);
} ConnClass;

typedef enum {
  CONN_CLOSED,
  CONN_CONNECTING,
  CONN_OPEN,
} ConnState;

typedef enum {
  READ_HEADERS,
  READ_LENGTH,
  READ_CHUNK_SIZE,
  READ_CHUNK_DATA,
  READ_CHUNK_END,
  READ_TRAILERS,
} ReadState;

struct _Conn {
  guint            index;          /* in all_conns */
  guint32          gen;            /* bumped on close: stale epoll events are ignored */
  int              fd;
  ConnState        state;
  const ConnClass *klass;
  gpointer         owner;

  GByteArray      *out;
  gsize            out_off;
  gboolean         want_out;
  GByteArray      *in;

  gboolean         busy;           /* a request is in flight */
  gboolean         streaming;
  gboolean         stream_opened;
  ReadState        read_state;
  guint            status;
  gboolean         chunked;
  gboolean         close_after;
  gint64           remaining;
  GByteArray      *body;
  gint64           deadline;       /* ns, 0: none */
};

static int        epoll_fd = -1;
static GPtrArray *all_conns;

static Conn *
conn_new (const ConnClass *klass,
          gpointer         owner)
{
  Conn *c = g_new0 (Conn, 1);

  c->index = all_conns->len;
  c->fd = -1;
  c->klass = klass;
  c->owner = owner;
  c->out = g_byte_array_new ();
  c->in = g_byte_array_new ();
  c->body = g_byte_array_new ();
  g_ptr_array_add (all_conns, c);
  return c;
}

static void
conn_update_events (Conn *c)
{
  struct epoll_event ev = { 0, };
  gboolean want_out = c->state == CONN_CONNECTING || c->out_off < c->out->len;

  if (want_out == c->want_out)
    return;
  c->want_out = want_out;
  ev.events = EPOLLIN | (want_out ? EPOLLOUT : 0);
  ev.data.u64 = ((guint64) c->index << 32) | c->gen;
  epoll_ctl (epoll_fd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void
conn_close (Conn *c)
{
  if (c->fd >= 0)
    {
      /* Reset rather than FIN: tens of thousands of connections a run
       * would otherwise sit in TIME-WAIT for a minute and use up the
       * loopback's ephemeral ports for the next run (and everyone else). */
      struct linger reset = { 1, 0 };

      setsockopt (c->fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
      close (c->fd);
    }
  c->fd = -1;
  c->gen++;
  c->state = CONN_CLOSED;
  c->want_out = FALSE;
  g_byte_array_set_size (c->out, 0);
  c->out_off = 0;
  g_byte_array_set_size (c->in, 0);
  g_byte_array_set_size (c->body, 0);
  c->busy = FALSE;
  c->deadline = 0;
}

/* Drops the connection and tells the owner. The callback may reuse @c. */
static void
conn_fail (Conn       *c,
           const char *kind)
{
  conn_close (c);
  c->klass->failed (c, kind);
}

static gboolean
conn_connect (Conn *c)
{
  struct epoll_event ev = { 0, };
  int one = 1;

  c->fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0)
    return FALSE;
  setsockopt (c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  /* From 127.0.0.2 to 127.0.0.251 in turn: each source address has its own
   * ephemeral ports, so ten thousand streams do not run out of them, nor
   * collide with whatever else on the machine uses 127.0.0.1. */
  {
    struct sockaddr_in source = { 0, };

    source.sin_family = AF_INET;
    source.sin_addr.s_addr = htonl (0x7f000002 + c->index % 250);
#ifdef IP_BIND_ADDRESS_NO_PORT
    setsockopt (c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
#endif
    bind (c->fd, (struct sockaddr *) &source, sizeof source);
  }
  if (connect (c->fd, (struct sockaddr *) &server_addr, sizeof server_addr) != 0 &&
      errno != EINPROGRESS)
    {
      close (c->fd);
      c->fd = -1;
      return FALSE;
    }
  c->state = CONN_CONNECTING;
  c->want_out = TRUE;
  ev.events = EPOLLIN | EPOLLOUT;
  ev.data.u64 = ((guint64) c->index << 32) | c->gen;
  epoll_ctl (epoll_fd, EPOLL_CTL_ADD, c->fd, &ev);
  return TRUE;
}

static void
conn_flush (Conn *c)
{
  while (c->out_off < c->out->len)
    {
      ssize_t n = send (c->fd, c->out->data + c->out_off, c->out->len - c->out_off,
                        MSG_NOSIGNAL);
      if (n < 0)
        {
          if (errno == EAGAIN || errno == EINTR)
            break;
          conn_fail (c, "send failed");
          return;
        }
      c->out_off += n;
    }
  if (c->out_off == c->out->len)
    {
      g_byte_array_set_size (c->out, 0);
      c->out_off = 0;
    }
  conn_update_events (c);
}

static void
conn_request (Conn       *c,
              const char *method,
              const char *path,
              const char *json_body,
              gboolean    streaming)
{
  g_autofree char *head = NULL;
  gsize body_len = json_body != NULL ? strlen (json_body) : 0;

  g_assert (!c->busy);

  if (json_body != NULL)
    head = g_strdup_printf ("%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: crossing-load\r\n"
                            "Content-Type: application/json\r\nContent-Length: %" G_GSIZE_FORMAT
                            "\r\n\r\n",
                            method, path, host_header, body_len);
  else
    head = g_strdup_printf ("%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: crossing-load\r\n"
                            "Accept: text/event-stream\r\n\r\n",
                            method, path, host_header);

  c->busy = TRUE;
  c->streaming = streaming;
  c->stream_opened = FALSE;
  c->read_state = READ_HEADERS;
  c->status = 0;
  c->chunked = FALSE;
  c->close_after = FALSE;
  c->remaining = 0;
  g_byte_array_set_size (c->body, 0);
  c->deadline = now_ns () + (gint64) (request_timeout * 1e9);
  g_byte_array_append (c->out, (const guint8 *) head, strlen (head));
  if (body_len > 0)
    g_byte_array_append (c->out, (const guint8 *) json_body, body_len);

  if (c->state == CONN_CLOSED && !conn_connect (c))
    {
      conn_fail (c, "connect failed");
      return;
    }
  if (c->state == CONN_OPEN)
    conn_flush (c);
}

static const char *
find_crlfcrlf (const guint8 *data,
               gsize         len)
{
  return memmem (data, len, "\r\n\r\n", 4);
}

/* Parses the status line and the headers we care about. FALSE: garbage. */
static gboolean
conn_parse_head (Conn       *c,
                 const char *head,
                 gsize       len)
{
  g_autofree char *text = g_strndup (head, len);
  g_auto(GStrv) lines = g_strsplit (text, "\r\n", -1);
  gboolean has_length = FALSE;

  if (lines[0] == NULL || !g_str_has_prefix (lines[0], "HTTP/1.") || strlen (lines[0]) < 12)
    return FALSE;
  c->status = (guint) g_ascii_strtoull (lines[0] + 9, NULL, 10);
  if (g_str_has_prefix (lines[0], "HTTP/1.0"))
    c->close_after = TRUE;

  for (guint i = 1; lines[i] != NULL; i++)
    {
      char *colon = strchr (lines[i], ':');
      char *value;

      if (colon == NULL)
        continue;
      *colon = '\0';
      value = g_strstrip (colon + 1);
      if (g_ascii_strcasecmp (lines[i], "Content-Length") == 0)
        {
          c->remaining = g_ascii_strtoll (value, NULL, 10);
          has_length = TRUE;
        }
      else if (g_ascii_strcasecmp (lines[i], "Transfer-Encoding") == 0)
        c->chunked = g_ascii_strcasecmp (value, "chunked") == 0;
      else if (g_ascii_strcasecmp (lines[i], "Connection") == 0)
        c->close_after = g_ascii_strcasecmp (value, "close") == 0;
    }

  if (!c->chunked && !has_length)
    {
      /* A 204, or a body until close; neither is expected here. */
      c->remaining = 0;
      if (c->status != 204 && c->status != 304)
        c->close_after = TRUE;
    }
  return TRUE;
}

static gboolean
conn_delivers_stream (Conn *c)
{
  return c->streaming && c->status == 200;
}

/* The response is complete: reset, then tell the owner (who may send the
 * next request on @c at once). */
static void
conn_complete (Conn *c)
{
  g_autoptr(GByteArray) body = NULL;
  gboolean stream = conn_delivers_stream (c);
  guint status = c->status;

  c->busy = FALSE;
  c->deadline = 0;
  body = g_steal_pointer (&c->body);
  c->body = g_byte_array_new ();
  if (c->close_after)
    conn_close (c);

  if (stream)
    c->klass->stream_end (c);
  else
    c->klass->response (c, status, (const char *) body->data, body->len);
}

/* Body bytes: to the stream callback, or kept for the response. */
static gboolean
conn_body (Conn         *c,
           const guint8 *data,
           gsize         len)
{
  guint32 gen = c->gen;

  if (!conn_delivers_stream (c))
    {
      g_byte_array_append (c->body, data, len);
      return TRUE;
    }
  c->klass->stream_data (c, (const char *) data, len);
  return c->gen == gen;
}

/* Consumes as much of c->in as it can. Returns when the input is used up or
 * the connection was closed or reused by a callback. */
static void
conn_process (Conn *c)
{
  guint32 gen = c->gen;
  gsize pos = 0;

  while (c->gen == gen && c->busy && pos < c->in->len)
    {
      const guint8 *p = c->in->data + pos;
      gsize avail = c->in->len - pos;

      switch (c->read_state)
        {
        case READ_HEADERS:
          {
            const char *end = find_crlfcrlf (p, avail);

            if (end == NULL)
              goto out;
            if (!conn_parse_head (c, (const char *) p, (const char *) end - (const char *) p))
              {
                conn_fail (c, "bad HTTP response");
                return;
              }
            pos += (const guint8 *) end + 4 - p;
            c->read_state = c->chunked ? READ_CHUNK_SIZE : READ_LENGTH;
            if (conn_delivers_stream (c))
              {
                c->stream_opened = TRUE;
                c->deadline = 0;   /* the owner bounds the stream */
                c->klass->stream_open (c);
                if (c->gen != gen)
                  return;
              }
            if (c->read_state == READ_LENGTH && c->remaining == 0)
              {
                g_byte_array_remove_range (c->in, 0, pos);
                conn_complete (c);
                gen = c->gen;
                pos = 0;
              }
            break;
          }

        case READ_LENGTH:
          {
            gsize n = MIN ((gsize) c->remaining, avail);

            if (!conn_body (c, p, n))
              return;
            pos += n;
            c->remaining -= n;
            if (c->remaining == 0)
              {
                g_byte_array_remove_range (c->in, 0, pos);
                conn_complete (c);
                gen = c->gen;
                pos = 0;
              }
            break;
          }

        case READ_CHUNK_SIZE:
          {
            const guint8 *eol = memmem (p, avail, "\r\n", 2);

            if (eol == NULL)
              goto out;
            c->remaining = (gint64) g_ascii_strtoull ((const char *) p, NULL, 16);
            pos += eol + 2 - p;
            c->read_state = c->remaining == 0 ? READ_TRAILERS : READ_CHUNK_DATA;
            break;
          }

        case READ_CHUNK_DATA:
          {
            gsize n = MIN ((gsize) c->remaining, avail);

            if (!conn_body (c, p, n))
              return;
            pos += n;
            c->remaining -= n;
            if (c->remaining == 0)
              c->read_state = READ_CHUNK_END;
            break;
          }

        case READ_CHUNK_END:
          if (avail < 2)
            goto out;
          pos += 2;
          c->read_state = READ_CHUNK_SIZE;
          break;

        case READ_TRAILERS:
          {
            const guint8 *eol = memmem (p, avail, "\r\n", 2);

            if (eol == NULL)
              goto out;
            pos += eol + 2 - p;
            if (eol == p)
              {
                g_byte_array_remove_range (c->in, 0, pos);
                conn_complete (c);
                gen = c->gen;
                pos = 0;
              }
            break;
          }

        default:
          g_assert_not_reached ();
        }
    }

out:
  if (c->gen == gen && pos > 0)
    g_byte_array_remove_range (c->in, 0, MIN (pos, c->in->len));
}

static void
conn_on_readable (Conn *c)
{
  guint8 buf[16384];

  for (;;)
    {
      ssize_t n = recv (c->fd, buf, sizeof buf, 0);

      if (n < 0)
        {
          if (errno == EAGAIN || errno == EINTR)
            break;
          if (c->busy)
            conn_fail (c, "connection reset");
          else
            conn_close (c);
          return;
        }
      if (n == 0)
        {
          if (c->busy)
            conn_fail (c, "connection closed");
          else
            conn_close (c);
          return;
        }
      if (!c->busy)
        {
          conn_fail (c, "unexpected bytes");
          return;
        }
      g_byte_array_append (c->in, buf, n);
      conn_process (c);
      if (c->fd < 0 || (gsize) n < sizeof buf)
        break;
    }
}

static void
conn_on_event (Conn     *c,
               guint32   events)
{
  guint32 gen = c->gen;

  if (c->state == CONN_CONNECTING)
    {
      int err = 0;
      socklen_t len = sizeof err;

      if (getsockopt (c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)
        {
          conn_fail (c, "connect failed");
          return;
        }
      if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
        return;
      c->state = CONN_OPEN;
      conn_flush (c);
      if (c->gen != gen)
        return;
    }
  else if (events & EPOLLOUT)
    {
      conn_flush (c);
      if (c->gen != gen)
        return;
    }

  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
    conn_on_readable (c);
}

/* ---- flows ----------------------------------------------------------------- */

typedef struct {
  guint              slot;
  Conn              *desktop;
  Conn              *phone;
  Conn              *events;
  CrossingSseParser *sse;
  gboolean           active;
  gint64             deadline;

  char              *order_id;
  char              *event_token;
  char              *desktop_token;
  char              *claim_token;
  char              *challenge_token;
  char              *message;
  char              *check_code;
  const char        *sse_error;      /* set inside the parser's callback */
  gboolean           in_feed;        /* the parser is running: failures wait */
  char              *pending_fail;

  gboolean           approve_answered;
  gboolean           approved_seen;
  gboolean           finalize_answered;
  gboolean           stream_ended;

  gint64             t_start, t_events, t_claim, t_challenge, t_approve, t_approve_answer,
                     t_approved_event, t_finalize;
} Flow;

static guint8   seed[CROSSING_ED25519_SEED_BYTES];
static Flow    *flows;
static gboolean running = TRUE;      /* new flows may begin */
static guint    n_started;
static guint    n_completed;
static guint    n_active;
static gint64   t_begin;
static gint64   t_last_completion;

static void flow_begin (Flow *flow);

static void
flow_clear (Flow *flow)
{
  g_clear_pointer (&flow->order_id, g_free);
  g_clear_pointer (&flow->event_token, g_free);
  g_clear_pointer (&flow->desktop_token, g_free);
  g_clear_pointer (&flow->claim_token, g_free);
  g_clear_pointer (&flow->challenge_token, g_free);
  g_clear_pointer (&flow->message, g_free);
  g_clear_pointer (&flow->check_code, g_free);
  flow->sse_error = NULL;
  flow->approve_answered = flow->approved_seen = FALSE;
  flow->finalize_answered = flow->stream_ended = FALSE;
}

static void
flow_next (Flow *flow)
{
  flow->active = FALSE;
  n_active--;
  if (n_errors >= (guint) opt_max_errors)
    running = FALSE;
  if (running)
    flow_begin (flow);
}

/* Counts the error, drops the flow's connections so nothing stale arrives,
 * and begins the next flow. */
static void
flow_fail (Flow       *flow,
           const char *step,
           const char *kind)
{
  g_autofree char *what = g_strdup_printf ("%s: %s", step, kind);

  if (!flow->active)
    return;
  if (flow->in_feed)
    {
      /* The parser may not be reset under its own callback. */
      if (flow->pending_fail == NULL)
        flow->pending_fail = g_steal_pointer (&what);
      flow->sse_error = "";
      return;
    }
  count_error (what);
  conn_close (flow->desktop);
  conn_close (flow->phone);
  conn_close (flow->events);
  flow_next (flow);
}

/* "409 TRANSITION_CONFLICT" from an error answer. */
static char *
describe_status (guint       status,
                 const char *body,
                 gsize       len)
{
  g_autofree char *code = json_string_member (body, len, "code");

  return g_strdup_printf ("%u %s", status, code != NULL ? code : "(no code)");
}

static void
flow_maybe_complete (Flow *flow)
{
  if (!flow->finalize_answered || !flow->stream_ended || !flow->approve_answered)
    return;

  n_completed++;
  t_last_completion = now_ns ();
  if (opt_flows > 0 && n_started >= (guint) opt_flows)
    running = FALSE;
  flow_next (flow);
}

static void
flow_send_post (Flow       *flow,
                Conn       *conn,
                const char *endpoint,
                const char *body)
{
  g_autofree char *path = g_strconcat (api_prefix, "/", endpoint, NULL);

  conn_request (conn, "POST", path, body, FALSE);
}

static void
flow_maybe_approve (Flow *flow)
{
  g_autofree char *public_key_hex = NULL;
  g_autofree char *signature_hex = NULL;
  g_autofree char *body = NULL;
  gint64 t0;

  if (flow->message == NULL || flow->check_code == NULL || flow->t_approve != 0)
    return;

  t0 = now_ns ();
  crossing_proof_sign (CROSSING_ADAPTER_ED25519, flow->message, seed, &public_key_hex,
                       &signature_hex);
  flow->t_approve = now_ns ();
  add_sample (STEP_SIGN, flow->t_approve - t0);

  body = g_strdup_printf ("{\"orderId\":\"%s\",\"challengeToken\":\"%s\",\"checkCode\":\"%s\","
                          "\"proof\":{\"publicKeyHex\":\"%s\",\"signatureHex\":\"%s\"}}",
                          flow->order_id, flow->challenge_token, flow->check_code,
                          public_key_hex, signature_hex);
  flow_send_post (flow, flow->phone, "approve", body);
}

static void
flow_on_sse_event (const char *event_type,
                   const char *data,
                   const char *last_event_id,
                   gpointer    user_data)
{
  Flow *flow = user_data;
  gint64 now = now_ns ();

  if (flow->sse_error != NULL)
    return;

  if (strcmp (event_type, "claimed") == 0)
    {
      add_sample (STEP_CLAIMED_EVENT, now - flow->t_claim);
      flow->check_code = json_string_member (data, strlen (data), "checkCode");
      if (flow->check_code == NULL)
        flow->sse_error = "claimed event without checkCode";
      else
        flow_maybe_approve (flow);
    }
  else if (strcmp (event_type, "waiting_user") == 0)
    {
    }
  else if (strcmp (event_type, "approved") == 0)
    {
      g_autofree char *body = NULL;

      flow->approved_seen = TRUE;
      flow->t_approved_event = now;
      add_sample (STEP_APPROVED_AFTER_REQUEST, now - flow->t_approve);
      if (flow->approve_answered)
        add_sample (STEP_APPROVED_AFTER_RESPONSE, now - flow->t_approve_answer);

      body = g_strdup_printf ("{\"orderId\":\"%s\",\"desktopToken\":\"%s\"}", flow->order_id,
                              flow->desktop_token);
      flow->t_finalize = now_ns ();
      flow_send_post (flow, flow->desktop, "finalize", body);
    }
  else if (strcmp (event_type, "finalized") == 0)
    add_sample (STEP_FINALIZED_EVENT, now - flow->t_finalize);
  else
    flow->sse_error = g_intern_string (event_type);
}

static void
flow_on_response (Conn       *conn,
                  guint       status,
                  const char *body,
                  gsize       len)
{
  Flow *flow = conn->owner;
  gint64 now = now_ns ();
  g_autofree char *path_and_body = NULL;

  if (!flow->active)
    return;

  if (conn == flow->events)
    {
      g_autofree char *what = describe_status (status, body, len);
      flow_fail (flow, "events", what);
      return;
    }

  if (opt_get_path != NULL)
    {
      if (status != 200)
        {
          g_autofree char *what = describe_status (status, body, len);
          flow_fail (flow, "get", what);
          return;
        }
      add_sample (STEP_FLOW, now - flow->t_start);
      flow->approve_answered = flow->finalize_answered = flow->stream_ended = TRUE;
      flow_maybe_complete (flow);
      return;
    }

  if (conn == flow->desktop && flow->order_id == NULL)
    {
      g_autofree char *path = NULL;

      if (status != 200)
        {
          g_autofree char *what = describe_status (status, body, len);
          flow_fail (flow, "start", what);
          return;
        }
      add_sample (STEP_START, now - flow->t_start);
      if (opt_start_only)
        {
          flow->approve_answered = flow->finalize_answered = flow->stream_ended = TRUE;
          flow_maybe_complete (flow);
          return;
        }
      flow->order_id = json_string_member (body, len, "orderId");
      flow->event_token = json_string_member (body, len, "eventToken");
      flow->desktop_token = json_string_member (body, len, "desktopToken");
      if (flow->order_id == NULL || flow->event_token == NULL || flow->desktop_token == NULL)
        {
          flow_fail (flow, "start", "answer without orderId/eventToken/desktopToken");
          return;
        }
      /* The claim token travels in the QR: the phone's part of the slot. */
      flow->claim_token = json_string_member (body, len, "claimToken");
      path = g_strdup_printf ("%s/events?orderId=%s&eventToken=%s", api_prefix, flow->order_id,
                              flow->event_token);
      flow->t_events = now_ns ();
      conn_request (flow->events, "GET", path, NULL, TRUE);
      /* The claim waits for the stream's 200: the desktop is listening by
       * the time the phone scans. */
      return;
    }

  if (conn == flow->desktop)
    {
      g_autofree char *token = NULL;

      if (status != 200)
        {
          g_autofree char *what = describe_status (status, body, len);
          flow_fail (flow, "finalize", what);
          return;
        }
      add_sample (STEP_FINALIZE, now - flow->t_finalize);
      add_sample (STEP_FLOW, now - flow->t_start);
      token = json_string_member (body, len, "token");
      if (token == NULL)
        {
          flow_fail (flow, "finalize", "answer without token");
          return;
        }
      flow->finalize_answered = TRUE;
      flow_maybe_complete (flow);
      return;
    }

  /* The phone: claim, challenge, approve in turn. */
  if (flow->t_challenge == 0)
    {
      g_autofree char *body_out = NULL;

      if (status != 200)
        {
          g_autofree char *what = describe_status (status, body, len);
          flow_fail (flow, "claim", what);
          return;
        }
      add_sample (STEP_CLAIM, now - flow->t_claim);
      g_free (flow->challenge_token);
      flow->challenge_token = json_string_member (body, len, "challengeToken");
      if (flow->challenge_token == NULL)
        {
          flow_fail (flow, "claim", "answer without challengeToken");
          return;
        }
      body_out = g_strdup_printf ("{\"orderId\":\"%s\",\"challengeToken\":\"%s\"}",
                                  flow->order_id, flow->challenge_token);
      flow->t_challenge = now_ns ();
      flow_send_post (flow, flow->phone, "challenge", body_out);
      return;
    }

  if (flow->t_approve == 0)
    {
      if (status != 200)
        {
          g_autofree char *what = describe_status (status, body, len);
          flow_fail (flow, "challenge", what);
          return;
        }
      add_sample (STEP_CHALLENGE, now - flow->t_challenge);
      flow->message = json_string_member (body, len, "message");
      if (flow->message == NULL)
        {
          flow_fail (flow, "challenge", "answer without message");
          return;
        }
      flow_maybe_approve (flow);
      return;
    }

  if (status != 200)
    {
      g_autofree char *what = describe_status (status, body, len);
      flow_fail (flow, "approve", what);
      return;
    }
  add_sample (STEP_APPROVE, now - flow->t_approve);
  flow->approve_answered = TRUE;
  flow->t_approve_answer = now;
  if (flow->approved_seen)
    add_sample (STEP_APPROVED_AFTER_RESPONSE, flow->t_approved_event - now);
  flow_maybe_complete (flow);
}

static void
flow_on_stream_open (Conn *conn)
{
  Flow *flow = conn->owner;
  g_autofree char *body = NULL;

  add_sample (STEP_EVENTS_OPEN, now_ns () - flow->t_events);
  body = g_strdup_printf ("{\"orderId\":\"%s\",\"claimToken\":\"%s\"}", flow->order_id,
                          flow->claim_token);
  flow->t_claim = now_ns ();
  flow_send_post (flow, flow->phone, "claim", body);
}

static void
flow_on_stream_data (Conn       *conn,
                     const char *data,
                     gsize       len)
{
  Flow *flow = conn->owner;
  g_autoptr(GError) error = NULL;

  gboolean ok;

  flow->in_feed = TRUE;
  ok = crossing_sse_parser_feed (flow->sse, data, len, &error);
  flow->in_feed = FALSE;
  if (flow->pending_fail != NULL)
    {
      g_autofree char *what = g_steal_pointer (&flow->pending_fail);

      count_error (what);
      conn_close (flow->desktop);
      conn_close (flow->phone);
      conn_close (flow->events);
      flow_next (flow);
      return;
    }
  if (!ok)
    {
      flow_fail (flow, "events", "SSE parse error");
      return;
    }
  if (flow->sse_error != NULL)
    {
      g_autofree char *what = g_strdup_printf ("unexpected event %s", flow->sse_error);
      flow_fail (flow, "events", what);
    }
}

static void
flow_on_stream_end (Conn *conn)
{
  Flow *flow = conn->owner;

  if (!flow->finalize_answered && !flow->approved_seen)
    {
      flow_fail (flow, "events", "stream ended early");
      return;
    }
  flow->stream_ended = TRUE;
  flow_maybe_complete (flow);
}

static void
flow_on_failed (Conn       *conn,
                const char *kind)
{
  Flow *flow = conn->owner;
  const char *step = conn == flow->events    ? "events"
                     : conn == flow->desktop ? (flow->order_id == NULL ? "start" : "finalize")
                     : flow->t_challenge == 0 ? "claim"
                     : flow->t_approve == 0   ? "challenge"
                                              : "approve";

  flow_fail (flow, step, kind);
}

static const ConnClass flow_conn_class = {
  flow_on_response,
  flow_on_stream_open,
  flow_on_stream_data,
  flow_on_stream_end,
  flow_on_failed,
};

static void
flow_begin (Flow *flow)
{
  flow_clear (flow);
  crossing_sse_parser_free (flow->sse);
  flow->sse = crossing_sse_parser_new (flow_on_sse_event, NULL, flow);
  flow->t_start = flow->t_events = flow->t_claim = flow->t_challenge = 0;
  flow->t_approve = flow->t_approve_answer = flow->t_approved_event = flow->t_finalize = 0;
  flow->active = TRUE;
  n_active++;
  n_started++;
  if (opt_flows > 0 && n_started >= (guint) opt_flows)
    running = FALSE;

  /* A connection still busy from a failed flow was closed by flow_fail. */
  flow->t_start = now_ns ();
  /* Each request has --timeout; the whole flow, twice that. */
  flow->deadline = flow->t_start + (gint64) (2 * opt_timeout * 1e9);
  if (opt_get_path != NULL)
    conn_request (flow->desktop, "GET", opt_get_path, NULL, FALSE);
  else
    flow_send_post (flow, flow->desktop, "start", "{\"kind\":\"login\"}");
}

/* ---- idle streams --------------------------------------------------------- */

typedef struct {
  Conn     *events;
  gboolean  open;
  gboolean  failed;
} IdleStream;

typedef struct {
  Conn  *conn;
  guint  current;   /* index of the idle stream being started */
} Starter;

static IdleStream *idle;
static Starter    *starters;
static guint       n_starters;
static guint       idle_next;       /* next idle stream to start */
static guint       idle_open;       /* holding a 200 */
static guint       idle_failed;
static guint       idle_done;       /* open or failed */

static void starter_next (Starter *starter);

static void
idle_on_response (Conn       *conn,
                  guint       status,
                  const char *body,
                  gsize       len)
{
  IdleStream *s = conn->owner;
  g_autofree char *what = describe_status (status, body, len);
  g_autofree char *kind = g_strdup_printf ("idle events: %s", what);

  count_error (kind);
  s->failed = TRUE;
  idle_done++;
  idle_failed++;
  conn_close (conn);
}

static void
idle_on_stream_open (Conn *conn)
{
  IdleStream *s = conn->owner;

  s->open = TRUE;
  idle_open++;
  idle_done++;
}

static void
idle_on_stream_data (Conn       *conn,
                     const char *data,
                     gsize       len)
{
  /* Keepalive comments only. */
}

static void
idle_on_stream_end (Conn *conn)
{
  IdleStream *s = conn->owner;

  count_error ("idle events: stream ended");
  if (s->open)
    idle_open--;
  s->open = FALSE;
  s->failed = TRUE;
  idle_failed++;
}

static void
idle_on_failed (Conn       *conn,
                const char *kind)
{
  IdleStream *s = conn->owner;
  g_autofree char *what = g_strdup_printf ("idle events: %s", kind);

  count_error (what);
  if (s->open)
    idle_open--;
  else
    idle_done++;
  s->open = FALSE;
  s->failed = TRUE;
  idle_failed++;
}

static const ConnClass idle_conn_class = {
  idle_on_response,
  idle_on_stream_open,
  idle_on_stream_data,
  idle_on_stream_end,
  idle_on_failed,
};

static void
starter_on_response (Conn       *conn,
                     guint       status,
                     const char *body,
                     gsize       len)
{
  Starter *starter = conn->owner;
  IdleStream *s = &idle[starter->current];
  g_autofree char *order_id = NULL;
  g_autofree char *event_token = NULL;
  g_autofree char *path = NULL;

  if (status != 200)
    {
      g_autofree char *what = describe_status (status, body, len);
      g_autofree char *kind = g_strdup_printf ("idle start: %s", what);

      count_error (kind);
      s->failed = TRUE;
      idle_failed++;
      idle_done++;
      starter_next (starter);
      return;
    }

  order_id = json_string_member (body, len, "orderId");
  event_token = json_string_member (body, len, "eventToken");
  path = g_strdup_printf ("%s/events?orderId=%s&eventToken=%s", api_prefix, order_id,
                          event_token);
  s->events = conn_new (&idle_conn_class, s);
  conn_request (s->events, "GET", path, NULL, TRUE);
  starter_next (starter);
}

static void
starter_on_failed (Conn       *conn,
                   const char *kind)
{
  Starter *starter = conn->owner;
  g_autofree char *what = g_strdup_printf ("idle start: %s", kind);

  count_error (what);
  idle[starter->current].failed = TRUE;
  idle_failed++;
  idle_done++;
  starter_next (starter);
}

static const ConnClass starter_conn_class = {
  starter_on_response,
  NULL,
  NULL,
  NULL,
  starter_on_failed,
};

static void
starter_next (Starter *starter)
{
  g_autofree char *path = NULL;

  if (idle_next >= (guint) opt_idle_streams || n_errors >= (guint) opt_max_errors)
    return;
  starter->current = idle_next++;
  path = g_strconcat (api_prefix, "/start", NULL);
  conn_request (starter->conn, "POST", path, "{\"kind\":\"login\",\"displayTitle\":\"idle\"}",
                FALSE);
}

/* ---- the loop --------------------------------------------------------------- */

static void
check_deadlines (gint64 now)
{
  for (guint i = 0; i < all_conns->len; i++)
    {
      Conn *c = g_ptr_array_index (all_conns, i);

      if (c->busy && c->deadline != 0 && now > c->deadline)
        conn_fail (c, "timeout");
    }

  for (int i = 0; flows != NULL && i < opt_concurrency; i++)
    if (flows[i].active && now > flows[i].deadline)
      flow_fail (&flows[i], "flow", "timeout");
}

/* Runs until @done says so or @until (ns) passes. FALSE on the time limit. */
static gboolean
run_loop (gboolean (*done) (void),
          gint64     until)
{
  struct epoll_event events[256];
  gint64 next_check = now_ns () + 100 * 1000 * 1000;

  while (!done ())
    {
      gint64 now = now_ns ();
      int n;

      if (now >= until)
        return FALSE;
      if (now >= next_check)
        {
          check_deadlines (now);
          next_check = now + 100 * 1000 * 1000;
        }
      n = epoll_wait (epoll_fd, events, G_N_ELEMENTS (events), 50);
      if (n < 0 && errno != EINTR)
        g_error ("epoll_wait: %s", g_strerror (errno));
      for (int i = 0; i < n; i++)
        {
          guint index = events[i].data.u64 >> 32;
          guint32 gen = events[i].data.u64 & 0xffffffff;
          Conn *c = g_ptr_array_index (all_conns, index);

          if (c->gen != gen || c->fd < 0)
            continue;
          conn_on_event (c, events[i].events);
        }
    }
  return TRUE;
}

static gboolean
idle_setup_done (void)
{
  return idle_done >= (guint) opt_idle_streams || n_errors >= (guint) opt_max_errors;
}

static gint64 load_until;

static gboolean
load_done (void)
{
  if (running && opt_duration > 0 && now_ns () >= load_until)
    running = FALSE;
  return !running && n_active == 0;
}

static void
raise_file_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      setrlimit (RLIMIT_NOFILE, &limit);
    }
}

static double
cpu_seconds (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec +
         usage.ru_stime.tv_usec / 1e6;
}

/* ---- the companion, seen through /proc ------------------------------------ */

static gint64
companion_rss_kb (void)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", opt_companion_pid);
  g_autofree char *text = NULL;
  const char *line;

  if (opt_companion_pid <= 0 || !g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  line = strstr (text, "\nVmRSS:");
  return line != NULL ? g_ascii_strtoll (line + 8, NULL, 10) : -1;
}

/* Open descriptors, or -1: each leaked connection is one. */
static int
companion_fd_count (void)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/fd", opt_companion_pid);
  g_autoptr(GDir) dir = NULL;
  int n = 0;

  if (opt_companion_pid <= 0 || (dir = g_dir_open (path, 0, NULL)) == NULL)
    return -1;
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

/* utime + stime in seconds, or -1. */
static double
companion_cpu_seconds (void)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", opt_companion_pid);
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after_comm;

  if (opt_companion_pid <= 0 || !g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  /* The command name may hold spaces: count fields after its ')'. */
  after_comm = strrchr (text, ')');
  if (after_comm == NULL)
    return -1;
  fields = g_strsplit (after_comm + 2, " ", -1);
  if (g_strv_length (fields) < 13)
    return -1;
  /* Fields 14 and 15 of stat are the 12th and 13th after the name. */
  return (g_ascii_strtod (fields[11], NULL) + g_ascii_strtod (fields[12], NULL)) /
         sysconf (_SC_CLK_TCK);
}

static double idle_setup_s;
static int    fds_before = -1;
static gint64 rss_before = -1, rss_with_idle = -1, rss_after = -1;
static double companion_cpu = -1;

static void
report (double elapsed,
        double client_cpu)
{
  g_autoptr(GList) kinds = NULL;
  double rate = elapsed > 0 ? n_completed / elapsed : 0;

  g_print ("\ncrossing-load: %u flows completed in %.3f s = %.1f flows/s "
           "(concurrency %d, %d idle streams, %u errors)\n",
           n_completed, elapsed, rate, opt_concurrency, opt_idle_streams, n_errors);
  g_print ("client CPU: %.3f s (%.1f us per flow)\n", client_cpu,
           n_completed > 0 ? client_cpu * 1e6 / n_completed : 0);
  if (opt_companion_pid > 0)
    {
      g_print ("companion CPU during the flows: %.2f s (%.1f us per flow)\n", companion_cpu,
               n_completed > 0 ? companion_cpu * 1e6 / n_completed : 0);
      g_print ("companion RSS: %" G_GINT64_FORMAT " KiB before, %" G_GINT64_FORMAT
               " KiB with the idle streams (%u held), %" G_GINT64_FORMAT " KiB after the flows\n",
               rss_before, rss_with_idle, idle_open, rss_after);
    }
  g_print ("\n");
  g_print ("| step | n | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|\n");
  for (int i = 0; i < N_STEPS; i++)
    {
      GArray *a = samples[i];

      if (a->len == 0)
        {
          g_print ("| %s | 0 | | | |\n", steps[i].label);
          continue;
        }
      g_array_sort (a, compare_gint64);
      g_print ("| %s | %u | %.3f | %.3f | %.3f |\n", steps[i].label, a->len,
               percentile_ms (a, 0.50), percentile_ms (a, 0.99), percentile_ms (a, 1.0));
    }

  g_print ("\nerrors:%s\n", n_errors == 0 ? " none" : "");
  kinds = g_hash_table_get_keys (errors);
  kinds = g_list_sort (kinds, (GCompareFunc) g_strcmp0);
  for (GList *l = kinds; l != NULL; l = l->next)
    g_print ("  %6u  %s\n", GPOINTER_TO_UINT (g_hash_table_lookup (errors, l->data)),
             (const char *) l->data);

  /* For scripts: one "metric NAME VALUE" per line. */
  g_print ("\nmetric flows %u\n", n_completed);
  g_print ("metric elapsed_s %.3f\n", elapsed);
  g_print ("metric flows_per_s %.1f\n", rate);
  g_print ("metric errors %u\n", n_errors);
  g_print ("metric client_cpu_s %.3f\n", client_cpu);
  g_print ("metric idle_streams_requested %d\n", opt_idle_streams);
  g_print ("metric idle_streams_held %u\n", idle_open);
  g_print ("metric idle_setup_s %.1f\n", idle_setup_s);
  if (opt_companion_pid > 0)
    {
      g_print ("metric companion_cpu_s %.3f\n", companion_cpu);
      g_print ("metric companion_cpu_us_per_flow %.1f\n",
               n_completed > 0 ? companion_cpu * 1e6 / n_completed : 0);
      g_print ("metric companion_rss_before_kb %" G_GINT64_FORMAT "\n", rss_before);
      g_print ("metric companion_rss_idle_streams_kb %" G_GINT64_FORMAT "\n", rss_with_idle);
      g_print ("metric companion_rss_after_kb %" G_GINT64_FORMAT "\n", rss_after);
      g_print ("metric companion_fds_before %d\nmetric companion_fds_after %d\n", fds_before,
               companion_fd_count ());
      if (idle_open > 0)
        g_print ("metric companion_rss_per_idle_stream_bytes %.0f\n",
                 (rss_with_idle - rss_before) * 1024.0 / idle_open);
    }
  for (int i = 0; i < N_STEPS; i++)
    if (samples[i]->len > 0)
      g_print ("metric %s_p50_ms %.3f\nmetric %s_p99_ms %.3f\n", steps[i].key,
               percentile_ms (samples[i], 0.50), steps[i].key, percentile_ms (samples[i], 0.99));
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  double cpu0;
  gint64 t_end;
  GOptionEntry entries[] = {
    { "url", 0, 0, G_OPTION_ARG_STRING, &opt_url,
      "The companion's base URL (http://127.0.0.1:PORT)", "URL" },
    { "base-path", 0, 0, G_OPTION_ARG_STRING, &opt_base_path,
      "Where the API lives (default /api/auth)", "PATH" },
    { "concurrency", 'c', 0, G_OPTION_ARG_INT, &opt_concurrency,
      "Flows in flight at once (default 1)", "N" },
    { "flows", 'n', 0, G_OPTION_ARG_INT, &opt_flows, "Stop after N flows", "N" },
    { "duration", 'd', 0, G_OPTION_ARG_DOUBLE, &opt_duration,
      "Stop beginning flows after SECONDS", "SECONDS" },
    { "idle-streams", 0, 0, G_OPTION_ARG_INT, &opt_idle_streams,
      "Open N idle event streams first and hold them during the load", "N" },
    { "timeout", 0, 0, G_OPTION_ARG_DOUBLE, &opt_timeout,
      "Fail a request after SECONDS (default 10)", "SECONDS" },
    { "idle-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &opt_idle_timeout,
      "Fail an idle stream's start or open after SECONDS (default 60)", "SECONDS" },
    { "max-time", 0, 0, G_OPTION_ARG_DOUBLE, &opt_max_time,
      "Give up the whole run after SECONDS (default 600)", "SECONDS" },
    { "max-errors", 0, 0, G_OPTION_ARG_INT, &opt_max_errors,
      "Stop after N errors (default 1000)", "N" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &opt_quiet, "No progress lines", NULL },
    { "start-only", 0, 0, G_OPTION_ARG_NONE, &opt_start_only,
      "A flow is just POST start", NULL },
    { "get", 0, 0, G_OPTION_ARG_STRING, &opt_get_path,
      "A flow is just GET PATH answered 200 (the HTTP floor, e.g. /api/auth/get-session)",
      "PATH" },
    { "companion-pid", 0, 0, G_OPTION_ARG_INT, &opt_companion_pid,
      "Also report this local companion's RSS and CPU time (from /proc)", "PID" },
    { NULL }
  };

  context = g_option_context_new ("- run complete login flows against crossing-companion");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("crossing-load: %s\n", error->message);
      return 2;
    }
  if (opt_url == NULL)
    {
      g_printerr ("crossing-load: --url is required\n");
      return 2;
    }
  if (opt_concurrency < 1 || opt_concurrency > 4096 || opt_idle_streams < 0 ||
      opt_flows < 0 || opt_duration < 0 || opt_timeout <= 0 || opt_max_time <= 0)
    {
      g_printerr ("crossing-load: a count or time is out of range\n");
      return 2;
    }
  if (opt_flows == 0 && opt_duration == 0)
    opt_duration = 10;
  if (!parse_url (opt_url, &error))
    {
      g_printerr ("crossing-load: %s\n", error->message);
      return 2;
    }

  raise_file_limit ();
  crossing_crypto_init ();
  randombytes_buf (seed, sizeof seed);
  errors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (int i = 0; i < N_STEPS; i++)
    samples[i] = g_array_sized_new (FALSE, FALSE, sizeof (gint64), 65536);
  all_conns = g_ptr_array_new ();
  epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
  t_begin = now_ns ();
  rss_before = companion_rss_kb ();
  fds_before = companion_fd_count ();

  if (opt_idle_streams > 0)
    {
      gint64 t0 = now_ns ();

      request_timeout = opt_idle_timeout;
      idle = g_new0 (IdleStream, opt_idle_streams);
      n_starters = MIN (32, opt_idle_streams);
      starters = g_new0 (Starter, n_starters);
      for (guint i = 0; i < n_starters; i++)
        starters[i].conn = conn_new (&starter_conn_class, &starters[i]);
      for (guint i = 0; i < n_starters; i++)
        starter_next (&starters[i]);
      if (!run_loop (idle_setup_done, t_begin + (gint64) (opt_max_time * 1e9)))
        count_error ("idle setup: out of time");
      for (guint i = 0; i < n_starters; i++)
        conn_close (starters[i].conn);
      idle_setup_s = (now_ns () - t0) / 1e9;
      if (!opt_quiet)
        g_printerr ("crossing-load: %u of %d idle streams open (%.1f s)\n", idle_open,
                    opt_idle_streams, idle_setup_s);
    }

  flows = g_new0 (Flow, opt_concurrency);
  for (int i = 0; i < opt_concurrency; i++)
    {
      flows[i].slot = i;
      flows[i].desktop = conn_new (&flow_conn_class, &flows[i]);
      flows[i].phone = conn_new (&flow_conn_class, &flows[i]);
      flows[i].events = conn_new (&flow_conn_class, &flows[i]);
    }

  request_timeout = opt_timeout;
  rss_with_idle = companion_rss_kb ();
  companion_cpu = companion_cpu_seconds ();
  cpu0 = cpu_seconds ();
  t_begin = now_ns ();
  t_last_completion = t_begin;
  load_until = opt_duration > 0 ? t_begin + (gint64) (opt_duration * 1e9) : G_MAXINT64;
  for (int i = 0; i < opt_concurrency && running; i++)
    flow_begin (&flows[i]);
  if (!run_loop (load_done, t_begin + (gint64) (opt_max_time * 1e9)))
    count_error ("run: out of time (--max-time)");
  t_end = t_last_completion;
  if (opt_companion_pid > 0)
    companion_cpu = companion_cpu_seconds () - companion_cpu;
  rss_after = companion_rss_kb ();

  report ((t_end - t_begin) / 1e9, cpu_seconds () - cpu0);

  /* Closed here, not by exit, so they leave no TIME-WAIT behind. */
  for (guint i = 0; i < all_conns->len; i++)
    conn_close (g_ptr_array_index (all_conns, i));

  return n_completed > 0 ? 0 : 1;
}
